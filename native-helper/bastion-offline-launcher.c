/* bastion-offline-launcher: the installed entry of bastion-offline
 * (/usr/libexec/bastion-greeter/bastion-offline), run as root by `pam_exec seteuid`.
 *
 * pam_exec hands its command the PAM environment, which other modules and user files fill, with
 * real and effective uid 0: the loader is not in secure mode, so LD_PRELOAD / LD_LIBRARY_PATH /
 * LD_AUDIT would load user code into any dynamically linked program started here (a shell entry
 * is too late even with `env -i`: /bin/sh and env are loaded first). This program is linked
 * statically (no loader reads those variables), reads nothing from the environment except the
 * PAM items pam_exec sets, and execs a compile-time runtime and script with a clean environment.
 * No PATH search, no argv[0]-relative lookup. Anything unexpected: exit 1 (fail closed).
 * PAM_USER must be valid UTF-8: the runtime would decode invalid bytes to U+FFFD, so that two
 * different names (jos\xe9, jos\xe8) would share one cache entry. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef BASTION_RUNTIME
#define BASTION_RUNTIME "/usr/bin/node"
#endif
#ifndef BASTION_OFFLINE_SCRIPT
#define BASTION_OFFLINE_SCRIPT "/usr/lib/bastion-greeter/cli/bastion-offline.cjs"
#endif

#define MAX_ARGS 32       /* bastion-offline takes a subcommand and a few options */
#define MAX_ARG_LEN 4096  /* a path */
#define MAX_ITEM_LEN 1024 /* NAME=value of one PAM item (user, host, tty names) */

/* Items pam_exec(8) sets that bastion-offline may need. A name seen twice (one copy planted in
 * the PAM environment, which pam_exec appends its own after) is refused: which copy a runtime
 * would read is not defined. PAM_RHOST and PAM_TTY are left out: our helper never sets them, so
 * pam_exec adds no copy of its own and any value would come from whoever filled the PAM
 * environment. */
static const char *const pam_items[] = {"PAM_USER=", "PAM_SERVICE=", "PAM_TYPE=", "PAM_RUSER="};
#define N_ITEMS (sizeof pam_items / sizeof pam_items[0])

extern char **environ;

/* Strict UTF-8 (RFC 3629): shortest form only, no UTF-16 surrogates, nothing past U+10FFFF. */
static bool valid_utf8(const unsigned char *s) {
  while (*s != 0) {
    unsigned char c = *s++;
    if (c < 0x80) continue;
    int more;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the first continuation byte */
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) lo = 0xa0;      /* overlong */
      else if (c == 0xed) hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) lo = 0x90;      /* overlong */
      else if (c == 0xf4) hi = 0x8f; /* past U+10FFFF */
    } else return false; /* continuation byte first, 0xc0/0xc1 (overlong), 0xf5.. */
    for (int i = 0; i < more; i++, s++) {
      unsigned char min = i == 0 ? lo : 0x80, max = i == 0 ? hi : 0xbf;
      if (*s < min || *s > max) return false; /* includes the terminating NUL: cut sequence */
    }
  }
  return true;
}

static int refuse(const char *why) {
  fprintf(stderr, "bastion-offline: %s\n", why);
  return 1;
}

int main(int argc, char **argv) {
  /* ELECTRON_RUN_AS_NODE: the runtime may be the packaged app binary (plain node ignores it). */
  char *env[N_ITEMS + 3] = {"ELECTRON_RUN_AS_NODE=1", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  size_t n_env = 2;
  const char *seen[N_ITEMS] = {0};
  for (char **var = environ; var != NULL && *var != NULL; var++) {
    for (size_t i = 0; i < N_ITEMS; i++) {
      if (strncmp(*var, pam_items[i], strlen(pam_items[i])) != 0) continue;
      if (seen[i] != NULL) return refuse("a PAM item appears twice in the environment");
      if (strnlen(*var, MAX_ITEM_LEN + 1) > MAX_ITEM_LEN) return refuse("a PAM item is too long");
      if (i == 0 && !valid_utf8((const unsigned char *)*var + strlen(pam_items[0])))
        return refuse("PAM_USER is not valid UTF-8");
      seen[i] = *var;
      env[n_env++] = *var;
    }
  }
  env[n_env] = NULL;

  if (argc < 1 || argc - 1 > MAX_ARGS) return refuse("too many arguments");
  char *args[MAX_ARGS + 4] = {BASTION_RUNTIME, "--disallow-code-generation-from-strings",
                              BASTION_OFFLINE_SCRIPT};
  size_t n_args = 3;
  for (int i = 1; i < argc; i++) {
    if (strnlen(argv[i], MAX_ARG_LEN + 1) > MAX_ARG_LEN) return refuse("an argument is too long");
    args[n_args++] = argv[i];
  }
  args[n_args] = NULL;

  execve(BASTION_RUNTIME, args, env);
  perror("bastion-offline: cannot start " BASTION_RUNTIME);
  return 1;
}
