// Maps the end of a PAM transaction to the `AuthFailure` the screens explain.
import type { AuthFailure, AuthFailureReason, AuthMessage } from '../../preload/api';
import type { PamClientErrorCode } from '../pam/helper-client';
import type { ConversationOutcome } from './transport';

/** By result name (Linux-PAM names and the helper's BASTION_* refusals, PROTOCOL.md). */
const REASON_BY_NAME: Readonly<Record<string, AuthFailureReason>> = {
  PAM_AUTH_ERR: 'credentials',
  PAM_USER_UNKNOWN: 'credentials', // never told apart from a wrong password
  PAM_CRED_INSUFFICIENT: 'credentials',
  PAM_CRED_ERR: 'credentials',
  PAM_CRED_UNAVAIL: 'credentials',
  PAM_AUTHTOK_ERR: 'credentials',
  PAM_CRED_EXPIRED: 'account',
  PAM_ACCT_EXPIRED: 'account',
  PAM_PERM_DENIED: 'account',
  PAM_NEW_AUTHTOK_REQD: 'new-password-required',
  PAM_AUTHTOK_EXPIRED: 'new-password-required',
  PAM_MAXTRIES: 'locked',
  PAM_AUTHINFO_UNAVAIL: 'unavailable',
  PAM_SYSTEM_ERR: 'unavailable',
  PAM_SERVICE_ERR: 'unavailable',
  PAM_OPEN_ERR: 'unavailable',
  PAM_SYMBOL_ERR: 'unavailable',
  PAM_MODULE_UNKNOWN: 'unavailable',
  PAM_BUF_ERR: 'unavailable',
  PAM_ABORT: 'internal',
  PAM_CONV_ERR: 'internal',
  BASTION_PROTOCOL: 'internal',
  BASTION_SERVICE_NOT_ALLOWED: 'refused',
  BASTION_CALLER_NOT_ALLOWED: 'refused',
  BASTION_USER_CHANGED: 'refused',
  BASTION_THROTTLED: 'throttled',
  BASTION_BUSY: 'throttled', // too many of this caller's helpers at once: wait, then try again
  BASTION_CANCELLED: 'cancelled',
  BASTION_TIMEOUT: 'timeout',
  BASTION_NOT_PRIVILEGED: 'unavailable',
  BASTION_SYSTEM: 'unavailable', // the helper's own state (rate limit) is unreadable: fails closed
  BASTION_SERVICE_NOT_INSTALLED: 'unavailable', // no (or an unsafe) /etc/pam.d file for the service
};

/** By the carrier's error code (the helper client's; display-manager clients add theirs). */
const REASON_BY_CLIENT_ERROR: Readonly<
  Partial<Record<PamClientErrorCode | string, AuthFailureReason>>
> = {
  HELPER_NOT_FOUND: 'unavailable',
  HELPER_NOT_EXECUTABLE: 'unavailable',
  SPAWN_FAILED: 'unavailable',
  SOCKET_CONNECT_FAILED: 'unavailable',
  SOCKET_BROKEN: 'unavailable',
  KILLED: 'unavailable',
  TIMEOUT: 'timeout',
  CANCELLED: 'cancelled',
  // main/dm/lightdm: the display manager went away or broke its protocol.
  CONNECTION_CLOSED: 'unavailable',
  TERMINATED: 'unavailable',
  STALLED: 'unavailable',
  MALFORMED_MESSAGE: 'unavailable',
  MESSAGE_TOO_LARGE: 'unavailable',
  UNEXPECTED_MESSAGE: 'unavailable',
  CONNECT_TIMEOUT: 'unavailable',
  AUTOLOGIN_REFUSED: 'refused',
  // main/auth: the stack asked the password side for a security key's PIN (never answered).
  KEY_PIN_ON_PASSWORD_SIDE: 'unavailable',
  // main/auth/method-route.ts: the resumed conversation asked something else than the screen.
  STACK_CHANGED: 'unavailable',
  USER_CHANGED: 'refused',
  BUSY: 'throttled',
  RESET: 'cancelled',
  // main/dm/greetd: the same, and greetd's own errors (never "wrong password").
  NO_SOCKET: 'unavailable',
  CONNECT_FAILED: 'unavailable',
  CONNECTION_LOST: 'unavailable',
  REPLY_TIMEOUT: 'unavailable',
  REPLY_STALLED: 'unavailable',
  UNEXPECTED_REPLY: 'unavailable',
  GREETD_ERROR: 'unavailable',
};

/** Offline-cache codes that keep their PAM meaning rather than becoming 'offline-cache'.
 *  "No entry" (-4) reads as a wrong password: the screen must not tell who has a cached login. */
const OFFLINE_PASSWORD_CODES: ReadonlySet<number> = new Set([-8, -4]);
const OFFLINE_OK_CODE = 0;

export function reasonForResultName(name: string): AuthFailureReason {
  return REASON_BY_NAME[name] ?? 'internal';
}

/**
 * The failure for a non-successful outcome. `messages` are the attempt's interpreted
 * messages: an offline-cache error explains a plain PAM_AUTH_ERR better than PAM can.
 * Returns null only for a success.
 */
export function failureFromOutcome(
  outcome: ConversationOutcome,
  messages: readonly AuthMessage[],
): AuthFailure | null {
  if (outcome.ok) return null;
  if (outcome.kind === 'client-error') {
    // PAM codes of a broken transaction are not shown: a "PAM_SUCCESS" next to a failure
    // would only confuse.
    return {
      reason: REASON_BY_CLIENT_ERROR[outcome.error.code] ?? 'internal',
      pamCode: null,
      pamName: null,
    };
  }
  // A failed change of an expired password: whatever PAM's code, the new password was refused
  // (the stack's reason came as an ERROR message just before).
  if (outcome.result.stage === 'chauthtok' && outcome.result.name !== 'PAM_ABORT') {
    return {
      reason: 'new-password-rejected',
      pamCode: outcome.result.code,
      pamName: outcome.result.name,
    };
  }
  let reason = reasonForResultName(outcome.result.name);
  const offline = messages.filter((m) => m.kind === 'offline-error').at(-1);
  if (offline && offline.kind === 'offline-error') {
    // A lockout reported by the cache is the most useful thing to show, whatever PAM's code.
    // pam_exec turns any non-zero exit of `bastion-offline verify` into PAM_SYSTEM_ERR, so the
    // cache's own code, not PAM's, says whether this was a wrong password.
    if (offline.name === 'LOCKED') reason = 'locked';
    else if (reason === 'credentials' || reason === 'unavailable') {
      if (OFFLINE_PASSWORD_CODES.has(offline.code)) reason = 'credentials';
      else if (offline.code !== OFFLINE_OK_CODE) reason = 'offline-cache';
    }
  }
  return { reason, pamCode: outcome.result.code, pamName: outcome.result.name };
}
