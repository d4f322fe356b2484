/* Test-only PAM module: puts each NAME=value argument into the PAM environment during auth
 * (pam_putenv) and returns PAM_IGNORE. It stands for whatever fills the PAM environment before
 * pam_exec runs (pam_env's user files, the application's pam_putenv): pam_env itself only acts
 * at setcred/session time, after the auth stack this test exercises. Built by pam-stack.test.ts. */
#include <security/pam_modules.h>

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
  (void)flags;
  for (int i = 0; i < argc; i++)
    if (pam_putenv(pamh, argv[i]) != PAM_SUCCESS) return PAM_SYSTEM_ERR;
  return PAM_IGNORE;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
  (void)pamh, (void)flags, (void)argc, (void)argv;
  return PAM_IGNORE;
}
