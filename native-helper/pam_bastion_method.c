/*
 * pam_bastion_method: the greeter's choice, per attempt, between a security key and the
 * password, for a display manager (LightDM, greetd) that runs ONE PAM conversation.
 *
 * The helper runs the key's PAM service beside the password's (two conversations, GDM's
 * model). A display manager cannot: its own service runs once per attempt. So its stack asks
 * first, with ONE line that carries pam_u2f inside it, before the password:
 *
 *   auth  sufficient  pam_bastion_method.so /lib/x86_64-linux-gnu/security/pam_u2f.so cue origin=… appid=…
 *
 * It asks one visible question (BASTION_METHOD_PROMPT, which Bastion Greeter recognises and
 * answers itself, never showing it). "key": pam_u2f (the first argument, loaded here) runs
 * with the other arguments, on this same PAM handle and conversation, and its verdict is this
 * line's: success ends authentication (`sufficient`), failure lets the password modules after
 * it decide. "password", anything else, or a broken conversation: pam_u2f is not run and the
 * line returns PAM_IGNORE. So a person who types a password (or chose "Use password instead")
 * is never held by a key waiting for a touch and never sent to its PIN prompt.
 *
 * Why pam_u2f inside the line, not a jump over the next one (`[cred_unavail=1] …` then
 * pam_u2f's own line): a jump skips whatever follows, and if pam_u2f's line were ever removed
 * that would be the password's gate. Here nothing is skipped: the worst a misconfiguration can
 * do is lose the key. Only pam_u2f's own success is ever returned; only a file named pam_u2f.so
 * (after resolving links; BASTION_TEST_BUILD: any name, for the tests' stand-ins), root-owned
 * and read-only, in directories only root can write, is loaded; `nouserok` and `alwaysok` (yes
 * without a key) are refused. After a key success, pam_setcred ends at this line with
 * pam_u2f's own setcred, as if pam_u2f were on its own `sufficient` line: the password
 * modules' setcred never runs for an authentication they did not make. The answer is wiped;
 * only the choice is logged. Use it with `sufficient` only.
 */
#define PAM_SM_AUTH
#include <dlfcn.h>
#include <limits.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

/* Must match main/auth/method-route.ts (METHOD_PROMPT). */
#define BASTION_METHOD_PROMPT "Security key or password? (key/password) "

typedef int (*pam_fn)(pam_handle_t *, int, int, const char **);

struct key_module {
	pam_fn authenticate;
	pam_fn setcred; /* may be NULL */
};

/* pam_get_data name: pam_u2f's setcred, present only after a key success. */
#define KEY_SUCCESS_DATA "pam_bastion_method_key_success"

/* Root-owned and writable by root only: `path` itself (not followed) and every directory up. */
static int root_only(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	if (strlen(path) >= sizeof dir)
		return 0;
	strcpy(dir, path);
	for (;;) {
		if (lstat(dir, &st) != 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
			return 0;
		char *slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			break;
		*slash = '\0';
	}
	return lstat("/", &st) == 0 && st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* Loads the key module of argv[0] into `out`; 0 when refused (logged). The handle is never
 * closed: pam_u2f may leave state pointing into its code until pam_end. */
static int load_key_module(pam_handle_t *pamh, int argc, const char **argv, struct key_module *out)
{
	if (argc < 1 || argv[0][0] != '/') {
		pam_syslog(pamh, LOG_ERR, "the key module must be an absolute path (first argument)");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "nouserok") == 0 || strcmp(argv[i], "alwaysok") == 0) {
			pam_syslog(pamh, LOG_ERR, "refused: %s lets people in without a key", argv[i]);
			return 0;
		}
	}
	char resolved[PATH_MAX];
	if (realpath(argv[0], resolved) == NULL) {
		pam_syslog(pamh, LOG_ERR, "%s not found", argv[0]);
		return 0;
	}
#ifndef BASTION_TEST_BUILD
	if (strcmp(strrchr(resolved, '/') + 1, "pam_u2f.so") != 0) {
		pam_syslog(pamh, LOG_ERR, "the key module must be pam_u2f.so, not %s", resolved);
		return 0;
	}
#endif
	struct stat st;
	if (lstat(resolved, &st) != 0 || !S_ISREG(st.st_mode) || !root_only(resolved)) {
		pam_syslog(pamh, LOG_ERR, "%s is not a root-owned file in root-only directories", resolved);
		return 0;
	}
	void *handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		pam_syslog(pamh, LOG_ERR, "%s not loaded: %s", resolved, dlerror());
		return 0;
	}
	out->authenticate = (pam_fn)dlsym(handle, "pam_sm_authenticate");
	out->setcred = (pam_fn)dlsym(handle, "pam_sm_setcred");
	if (out->authenticate == NULL) {
		pam_syslog(pamh, LOG_ERR, "%s has no pam_sm_authenticate", resolved);
		return 0;
	}
	return 1;
}

static void free_data(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	free(data);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	/* Only this attempt's key success counts for setcred. */
	pam_set_data(pamh, KEY_SUCCESS_DATA, NULL, NULL);
	char *answer = NULL;
	int rc = pam_prompt(pamh, PAM_PROMPT_ECHO_ON, &answer, "%s", BASTION_METHOD_PROMPT);
	if (rc != PAM_SUCCESS || answer == NULL) {
		/* No choice made (a broken or cancelled conversation): not the key. */
		free(answer);
		return PAM_IGNORE;
	}
	int key = strcmp(answer, "key") == 0;
	int password = strcmp(answer, "password") == 0;
	/* Another front end may show the question, and a person may type a secret into it. */
	explicit_bzero(answer, strlen(answer));
	free(answer);
	if (!key) {
		if (password)
			pam_syslog(pamh, LOG_INFO, "password chosen: the security key is not asked");
		else
			pam_syslog(pamh, LOG_NOTICE, "unexpected answer to the method question: no key");
		return PAM_IGNORE;
	}
	struct key_module module;
	if (!load_key_module(pamh, argc, argv, &module))
		return PAM_IGNORE;
	int verdict = module.authenticate(pamh, flags, argc - 1, argv + 1);
	if (verdict == PAM_SUCCESS) {
		struct key_module *kept = malloc(sizeof *kept);
		if (kept == NULL || pam_set_data(pamh, KEY_SUCCESS_DATA, kept, free_data) != PAM_SUCCESS) {
			free(kept);
			return PAM_BUF_ERR; /* no success we could not finish with setcred */
		}
		*kept = module;
	}
	return verdict;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *data = NULL;
	if (pam_get_data(pamh, KEY_SUCCESS_DATA, &data) != PAM_SUCCESS || data == NULL)
		return PAM_IGNORE; /* the password authenticated: its modules' setcred follow */
	const struct key_module *module = data;
	if (module->setcred == NULL)
		return PAM_SUCCESS;
	return module->setcred(pamh, flags, argc - 1, argv + 1);
}
