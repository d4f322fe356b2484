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
 * do is lose the key. Only pam_u2f's own success is ever returned, and only a root-owned,
 * non-writable file named pam_u2f.so is loaded (BASTION_TEST_BUILD: any name, for the tests'
 * stand-ins). The answer is wiped; only the choice is logged.
 */
#define PAM_SM_AUTH
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

/* Must match main/auth/method-route.ts (METHOD_PROMPT). */
#define BASTION_METHOD_PROMPT "Security key or password? (key/password) "

typedef int (*authenticate_fn)(pam_handle_t *, int, int, const char **);

/* The key module of argv[0], or NULL (logged). The handle is never closed: pam_u2f may leave
 * pam_set_data cleanups pointing into its code until pam_end. */
static authenticate_fn key_module(pam_handle_t *pamh, const char *path)
{
	if (path == NULL || path[0] != '/') {
		pam_syslog(pamh, LOG_ERR, "the key module must be an absolute path (first argument)");
		return NULL;
	}
#ifndef BASTION_TEST_BUILD
	const char *base = strrchr(path, '/') + 1;
	if (strcmp(base, "pam_u2f.so") != 0) {
		pam_syslog(pamh, LOG_ERR, "the key module must be pam_u2f.so, not %s", base);
		return NULL;
	}
#endif
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		pam_syslog(pamh, LOG_ERR, "%s is not a root-owned file only root can write", path);
		return NULL;
	}
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		pam_syslog(pamh, LOG_ERR, "%s not loaded: %s", path, dlerror());
		return NULL;
	}
	authenticate_fn fn = (authenticate_fn)dlsym(handle, "pam_sm_authenticate");
	if (fn == NULL)
		pam_syslog(pamh, LOG_ERR, "%s has no pam_sm_authenticate", path);
	return fn;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
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
	authenticate_fn authenticate = key_module(pamh, argc > 0 ? argv[0] : NULL);
	if (authenticate == NULL)
		return PAM_IGNORE;
	return authenticate(pamh, flags, argc - 1, argv + 1);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}
