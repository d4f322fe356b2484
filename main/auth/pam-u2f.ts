// pam_u2f's fixed texts, shared by the controller (the helper's key service) and the method
// route (the display managers' one conversation).

/**
 * pam_u2f's PIN prompt (1.1.0 and later, util.c: `converse(pamh, PAM_PROMPT_ECHO_OFF,
 * "Please enter the PIN: ")`; no option changes it). The only masked prompt the key
 * conversation may answer: anything else masked comes from some other module in the key
 * service's stack (e.g. `other`'s password prompt), and a PIN field must never answer it.
 */
export const PAM_U2F_PIN_PROMPT = 'Please enter the PIN: ';
