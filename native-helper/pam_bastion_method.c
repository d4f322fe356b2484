/*
 * pam_bastion_method: the greeter's choice, per attempt, between a security key and the
 * password, for a display manager (LightDM, greetd) that runs ONE PAM conversation.
 *
 * The helper runs the key's PAM service beside the password's (two conversations, GDM's
 * model). A display manager cannot: its own service runs once per attempt. So its stack puts
 * this module before pam_u2f:
 *
 *   auth  [cred_unavail=1 default=ignore]  pam_bastion_method.so
 *   auth  sufficient                       pam_u2f.so cue origin=… appid=…
 *   @include bastion-greeter
 *
 * It asks one visible question (BASTION_METHOD_PROMPT, which Bastion Greeter recognises and
 * answers itself, never showing it): "password" returns PAM_CRED_UNAVAIL, whose jump skips
 * pam_u2f, so a person who types a password (or chose "Use password instead") is never held
 * by a key waiting for a touch and never sent to its PIN prompt; any other answer returns
 * PAM_IGNORE and pam_u2f runs. The module never grants anything: no answer makes it return
 * PAM_SUCCESS, so a misplaced line (`sufficient`, `required`) can only refuse, never let
 * anyone in; the modules after it decide. No argument, no state, no file, nothing logged but
 * the choice (never an answer that is not one of the two words).
 */
#define PAM_SM_AUTH
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* Must match main/auth/method-route.ts (METHOD_PROMPT). */
#define BASTION_METHOD_PROMPT "Security key or password? (key/password) "

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	char *answer = NULL;
	int rc = pam_prompt(pamh, PAM_PROMPT_ECHO_ON, &answer, "%s", BASTION_METHOD_PROMPT);
	if (rc != PAM_SUCCESS || answer == NULL) {
		/* No choice made (a broken or cancelled conversation): the stack as without us. */
		free(answer);
		return PAM_IGNORE;
	}
	int password = strcmp(answer, "password") == 0;
	int key = strcmp(answer, "key") == 0;
	/* The answer is not a secret, but only the two words are ever logged. */
	free(answer);
	if (password) {
		pam_syslog(pamh, LOG_INFO, "password chosen: the security key is not asked");
		return PAM_CRED_UNAVAIL;
	}
	if (!key)
		pam_syslog(pamh, LOG_NOTICE, "unexpected answer to the method question: as \"key\"");
	return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}
