/* Test-only PAM module (auth and account), options applied in order:
 *   env        one PAM_TEXT_INFO "ENV <name>" per variable of the process's own environment, then
 *              "ENV_END": shows what survived the helper's scrub (pam_exec cannot: it hands its
 *              child the PAM environment, not the process's);
 *   user=NAME  sets PAM_USER (pam_wrapper's pam_set_items takes values from the process
 *              environment, which the helper scrubs);
 *   fail       returns PAM_AUTH_ERR (else PAM_SUCCESS). */
#define _GNU_SOURCE
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <string.h>
#include <unistd.h>

static int probe(pam_handle_t *pamh, int argc, const char **argv) {
  int rc = PAM_SUCCESS;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "env") == 0) {
      for (char **e = environ; e != NULL && *e != NULL; e++)
        pam_info(pamh, "ENV %.*s", (int)strcspn(*e, "="), *e);
      pam_info(pamh, "ENV_END");
    } else if (strncmp(argv[i], "user=", 5) == 0) {
      if (pam_set_item(pamh, PAM_USER, argv[i] + 5) != PAM_SUCCESS) rc = PAM_SYSTEM_ERR;
    } else if (strcmp(argv[i], "fail") == 0) {
      rc = PAM_AUTH_ERR;
    }
  }
  return rc;
}

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
  (void)flags;
  return probe(pamh, argc, argv);
}

int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
  (void)flags;
  return probe(pamh, argc, argv);
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
  (void)pamh, (void)flags, (void)argc, (void)argv;
  return PAM_SUCCESS;
}
