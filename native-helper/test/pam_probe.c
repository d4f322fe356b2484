/* Test-only PAM module (auth and account), options applied in order:
 *   env           one PAM_TEXT_INFO "ENV <name>" per variable of the process's own environment,
 *                 then "ENV_END": shows what survived the helper's scrub (pam_exec cannot: it
 *                 hands its child the PAM environment, not the process's);
 *   user=NAME     sets PAM_USER (pam_wrapper's pam_set_items takes values from the process
 *                 environment, which the helper scrubs);
 *   report        one PAM_TEXT_INFO per inherited property the helper resets or sets:
 *                 "RUSER <PAM_RUSER>", "NOFILE <soft> <hard>", "AS <soft>", "NPROC <soft>",
 *                 "CPU <soft>", "SLACK <timer slack ns>", "NICE <n>", "SCHED <policy>",
 *                 "ITIMER_VIRTUAL <armed 0|1>" (limits as numbers, -1 infinity);
 *   spin=MS       burns MS ms of user CPU time (a caller's ITIMER_VIRTUAL/PROF would fire);
 *   info=N        one PAM_TEXT_INFO of N bytes 'x' (a frame larger than what a pipe has room for);
 *   write_stdout  writes bytes to fd 1 that would corrupt the helper's frame stream;
 *   write_stderr  writes "PROBE_STDERR" to fd 2;
 *   read_stdin    reads fd 0 and reports "STDIN <bytes read>" (0: end of file);
 *   fail          returns PAM_AUTH_ERR (else PAM_SUCCESS);
 *   lckpwdf       takes and releases glibc's password-file lock, as pam_unix does to change a
 *                 password (lckpwdf() arms and then clears ITIMER_REAL);
 *   sleep=MS      sleeps MS ms (wall clock);
 *   expired=FILE  (account) PAM_NEW_AUTHTOK_REQD until FILE exists: a password that must change;
 *   (password, with expired=FILE) asks "New password: " and "Retype new password: ", writes FILE
 *                 when both match and are not "weak", else PAM_AUTHTOK_ERR with an error message. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <shadow.h>
#include <sys/prctl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long limit_value(rlim_t v) {
  return v == RLIM_INFINITY ? -1 : (long long)v;
}

static void report(pam_handle_t *pamh) {
  const void *ruser = NULL;
  struct rlimit nofile, as;
  struct itimerval virt;
  pam_get_item(pamh, PAM_RUSER, &ruser);
  pam_info(pamh, "RUSER %s", ruser != NULL ? (const char *)ruser : "(unset)");
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0)
    pam_info(pamh, "NOFILE %lld %lld", limit_value(nofile.rlim_cur), limit_value(nofile.rlim_max));
  if (getrlimit(RLIMIT_AS, &as) == 0) pam_info(pamh, "AS %lld", limit_value(as.rlim_cur));
  struct rlimit other;
  if (getrlimit(RLIMIT_NPROC, &other) == 0) pam_info(pamh, "NPROC %lld", limit_value(other.rlim_cur));
  if (getrlimit(RLIMIT_CPU, &other) == 0) pam_info(pamh, "CPU %lld", limit_value(other.rlim_cur));
  pam_info(pamh, "SLACK %ld", (long)prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  if (errno == 0) pam_info(pamh, "NICE %d", nice);
  pam_info(pamh, "SCHED %d", sched_getscheduler(0));
  if (getitimer(ITIMER_VIRTUAL, &virt) == 0)
    pam_info(pamh, "ITIMER_VIRTUAL %d", virt.it_value.tv_sec != 0 || virt.it_value.tv_usec != 0);
}

static long cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void spin(long ms) {
  volatile unsigned long sink = 0;
  for (long end = cpu_ms() + ms; cpu_ms() < end;)
    for (int i = 0; i < 100000; i++) sink += (unsigned long)i;
}

static int probe(pam_handle_t *pamh, int argc, const char **argv) {
  int rc = PAM_SUCCESS;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "env") == 0) {
      for (char **e = environ; e != NULL && *e != NULL; e++)
        pam_info(pamh, "ENV %.*s", (int)strcspn(*e, "="), *e);
      pam_info(pamh, "ENV_END");
    } else if (strncmp(argv[i], "user=", 5) == 0) {
      if (pam_set_item(pamh, PAM_USER, argv[i] + 5) != PAM_SUCCESS) rc = PAM_SYSTEM_ERR;
    } else if (strcmp(argv[i], "report") == 0) {
      report(pamh);
    } else if (strncmp(argv[i], "spin=", 5) == 0) {
      spin(atol(argv[i] + 5));
    } else if (strncmp(argv[i], "info=", 5) == 0) {
      int n = atoi(argv[i] + 5);
      char *text = n > 0 ? malloc((size_t)n + 1) : NULL;
      if (text == NULL) return PAM_BUF_ERR;
      memset(text, 'x', (size_t)n);
      text[n] = '\0';
      pam_info(pamh, "%s", text);
      free(text);
    } else if (strcmp(argv[i], "write_stdout") == 0) {
      /* A frame header announcing 1 GiB: the stream would be unusable after it. */
      static const char junk[] = "\x40\x00\x00\x00\x04JUNK\n";
      if (write(STDOUT_FILENO, junk, sizeof junk - 1) < 0) { /* /dev/null or closed: fine */ }
    } else if (strcmp(argv[i], "write_stderr") == 0) {
      if (write(STDERR_FILENO, "PROBE_STDERR\n", 13) < 0) { /* fine */ }
    } else if (strcmp(argv[i], "read_stdin") == 0) {
      char buf[256];
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      pam_info(pamh, "STDIN %zd", n);
    } else if (strcmp(argv[i], "fail") == 0) {
      rc = PAM_AUTH_ERR;
    } else if (strcmp(argv[i], "lckpwdf") == 0) {
      if (lckpwdf() == 0) ulckpwdf();
    } else if (strncmp(argv[i], "sleep=", 6) == 0) {
      long ms = atol(argv[i] + 6);
      struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
      while (nanosleep(&t, &t) != 0 && errno == EINTR) {
      }
    } else if (strncmp(argv[i], "expired=", 8) == 0) {
      if (access(argv[i] + 8, F_OK) != 0) rc = PAM_NEW_AUTHTOK_REQD;
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

int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv) {
  if (flags & PAM_PRELIM_CHECK) return PAM_SUCCESS;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "expired=", 8) != 0) continue;
    char *first = NULL, *second = NULL;
    if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &first, "New password: ") != PAM_SUCCESS ||
        pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &second, "Retype new password: ") != PAM_SUCCESS ||
        first == NULL || second == NULL) {
      free(first);
      free(second);
      return PAM_AUTHTOK_ERR;
    }
    int rc = PAM_SUCCESS;
    if (strcmp(first, second) != 0) {
      pam_error(pamh, "Sorry, passwords do not match.");
      rc = PAM_AUTHTOK_ERR;
    } else if (strcmp(first, "weak") == 0) {
      pam_error(pamh, "BAD PASSWORD: it is too simplistic");
      rc = PAM_AUTHTOK_ERR;
    } else {
      FILE *f = fopen(argv[i] + 8, "w");
      if (f == NULL || fclose(f) != 0) rc = PAM_AUTHTOK_ERR;
    }
    free(first);
    free(second);
    return rc;
  }
  return PAM_IGNORE;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
  (void)pamh, (void)flags, (void)argc, (void)argv;
  return PAM_SUCCESS;
}
