// At unlock on a pam_openbastion site (DESIGN.md "What answers the PAM password prompt"):
// refresh the user's stored tokens with the refresh grant and answer the password prompt
// with the fresh access token, which pam_openbastion introspects. Whenever that cannot be
// done the answer is "ask for the password", with a typed reason:
//   no-token       nothing stored, or the stored file is unreadable (tampered, swapped, other
//                  key: logged, kept for the administrator, replaced by the next save)
//   invalid-grant  the portal refused the refresh token (revoked, expired, user disabled): the
//                  stored tokens are wiped, a password login stores new ones
//   unreachable    the portal did not answer: the offline path takes the typed password
//   refresh-failed the portal answered something else we cannot use (TLS/pin refused, bad
//                  response, a token too long for a PAM answer); tokens are kept
//   store-error    the store itself is unusable (key file missing or unsafe, directory unsafe)
// The whole load → refresh → save runs under the user's lock: two unlocks at once (two
// screens, a retry) cannot both spend the same refresh token, and a rotated one is never lost.
import { SSO_UNREACHABLE_CODES } from './errors';
import {
  TokenStoreError,
  type LockedTokens,
  type StoredTokenSet,
  type TokenStore,
} from './token-store';

/** The one call of main/sso's client this needs (SsoClient.refresh fits). */
export interface SsoRefresher {
  refresh(refreshToken: string): Promise<StoredTokenSet>;
}

export type AskPasswordReason =
  'no-token' | 'invalid-grant' | 'unreachable' | 'refresh-failed' | 'store-error';

export type UnlockWithRefreshResult =
  | { kind: 'token'; accessToken: string; expiresAt: number }
  /** `detail`: an error code for the log (SSO_…, TOKEN_…), never token material. */
  | { kind: 'ask-password'; reason: AskPasswordReason; detail: string };

export interface UnlockWithRefreshOptions {
  /** Diagnostic lines: never tokens. */
  log?: (line: string) => void;
  now?: () => number;
  /** Deadline of the refresh call, in ms (default 10 000); past it: unreachable. */
  timeoutMs?: number;
  /** Largest answer the PAM conversation carries (PAM_MAX_RESP_SIZE, default 512). */
  maxAnswerBytes?: number;
}

const UNREACHABLE_CODES: ReadonlySet<string> = SSO_UNREACHABLE_CODES;
const INVALID_GRANT = 'SSO_INVALID_GRANT';

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
};

class RefreshDeadline extends Error {
  readonly code = 'SSO_TIMEOUT';
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RefreshDeadline('refresh deadline')), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** A PAM answer must be one line, no NUL, and fit PAM_MAX_RESP_SIZE with its terminator. */
function answerable(token: string, maxBytes: number): boolean {
  return Buffer.byteLength(token, 'utf8') < maxBytes && !/[\0\r\n]/.test(token);
}

async function refreshLocked(
  user: string,
  locked: LockedTokens,
  refresher: SsoRefresher,
  options: UnlockWithRefreshOptions,
): Promise<UnlockWithRefreshResult> {
  const log = options.log ?? (() => undefined);
  const ask = (reason: AskPasswordReason, detail: string): UnlockWithRefreshResult => {
    log(`unlock for ${JSON.stringify(user)}: ask for the password (${reason}: ${detail})`);
    return { kind: 'ask-password', reason, detail };
  };
  let stored: StoredTokenSet | null;
  try {
    stored = await locked.load();
  } catch (error) {
    if (error instanceof TokenStoreError && error.code === 'TOKEN_FILE_INVALID') {
      return ask('no-token', `${error.code}: ${error.message}`);
    }
    return ask('store-error', codeOf(error));
  }
  if (stored === null || stored.refreshToken === undefined) return ask('no-token', 'none stored');
  let fresh: StoredTokenSet;
  try {
    fresh = await withDeadline(refresher.refresh(stored.refreshToken), options.timeoutMs ?? 10_000);
  } catch (error) {
    const code = codeOf(error);
    if (code === INVALID_GRANT) {
      try {
        await locked.wipe();
      } catch (wipeError) {
        log(`unlock for ${JSON.stringify(user)}: wipe failed (${codeOf(wipeError)})`);
      }
      return ask('invalid-grant', code);
    }
    if (UNREACHABLE_CODES.has(code)) return ask('unreachable', code);
    return ask('refresh-failed', code);
  }
  const now = (options.now ?? Date.now)();
  if (typeof fresh.accessToken !== 'string' || fresh.accessToken === '') {
    return ask('refresh-failed', 'SSO_BAD_RESPONSE: no access token');
  }
  if (!Number.isSafeInteger(fresh.expiresAt) || fresh.expiresAt <= now) {
    return ask('refresh-failed', 'SSO_BAD_RESPONSE: access token already expired');
  }
  // LemonLDAP::NG 2.16 does not rotate refresh tokens: keep the one we had.
  const next: StoredTokenSet = {
    ...fresh,
    refreshToken: fresh.refreshToken ?? stored.refreshToken,
  };
  try {
    await locked.save(next);
  } catch (error) {
    // The refresh token may have rotated and the new one is lost: the next unlock asks for the
    // password. This one can still use the access token it holds.
    log(
      `unlock for ${JSON.stringify(user)}: saving the refreshed tokens failed (${codeOf(error)})`,
    );
  }
  if (!answerable(fresh.accessToken, options.maxAnswerBytes ?? 512)) {
    return ask('refresh-failed', 'ACCESS_TOKEN_NOT_ANSWERABLE: too long or not one line');
  }
  log(`unlock for ${JSON.stringify(user)}: tokens refreshed`);
  return { kind: 'token', accessToken: fresh.accessToken, expiresAt: fresh.expiresAt };
}

/**
 * The access token to answer the PAM password prompt with, or why to ask for the password.
 * Never rejects.
 */
export async function unlockWithRefresh(
  user: string,
  store: TokenStore,
  refresher: SsoRefresher,
  options: UnlockWithRefreshOptions = {},
): Promise<UnlockWithRefreshResult> {
  try {
    return await store.withUserLock(user, (locked) =>
      refreshLocked(user, locked, refresher, options),
    );
  } catch (error) {
    const detail = codeOf(error);
    options.log?.(
      `unlock for ${JSON.stringify(user)}: ask for the password (store-error: ${detail})`,
    );
    return { kind: 'ask-password', reason: 'store-error', detail };
  }
}
