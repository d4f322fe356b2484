// Linux-PAM return codes (security/_pam_types.h) → their symbolic names, as the helper's
// RESULT frames spell them (native-helper/bastion-pam-helper.c `pam_names`), so a LightDM
// refusal and a helper refusal reach main/auth/failure.ts under the same names. LightDM sends
// only the number (END_AUTHENTICATION's result).
const PAM_NAMES: readonly string[] = [
  'PAM_SUCCESS', // 0
  'PAM_OPEN_ERR',
  'PAM_SYMBOL_ERR',
  'PAM_SERVICE_ERR',
  'PAM_SYSTEM_ERR',
  'PAM_BUF_ERR', // 5
  'PAM_PERM_DENIED',
  'PAM_AUTH_ERR',
  'PAM_CRED_INSUFFICIENT',
  'PAM_AUTHINFO_UNAVAIL',
  'PAM_USER_UNKNOWN', // 10
  'PAM_MAXTRIES',
  'PAM_NEW_AUTHTOK_REQD',
  'PAM_ACCT_EXPIRED',
  'PAM_SESSION_ERR',
  'PAM_CRED_UNAVAIL', // 15
  'PAM_CRED_EXPIRED',
  'PAM_CRED_ERR',
  'PAM_NO_MODULE_DATA',
  'PAM_CONV_ERR',
  'PAM_AUTHTOK_ERR', // 20
  'PAM_AUTHTOK_RECOVERY_ERR',
  'PAM_AUTHTOK_LOCK_BUSY',
  'PAM_AUTHTOK_DISABLE_AGING',
  'PAM_TRY_AGAIN',
  'PAM_IGNORE', // 25
  'PAM_ABORT',
  'PAM_AUTHTOK_EXPIRED',
  'PAM_MODULE_UNKNOWN',
  'PAM_BAD_ITEM',
  'PAM_CONV_AGAIN', // 30
  'PAM_INCOMPLETE',
];

/** The Linux-PAM name of `code`, or `PAM_UNKNOWN` (as the helper says) for any other number. */
export function pamCodeName(code: number): string {
  return PAM_NAMES[code] ?? 'PAM_UNKNOWN';
}
