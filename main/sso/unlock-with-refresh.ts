// Refresh at unlock, alongside the person's own proof (DESIGN.md "What answers the PAM password
// prompt", main/sso/TOKENS.md): a stored refresh token is a bearer credential, proof that
// someone once signed in here, never that the person at the keyboard is that someone. So it
// never answers a PAM prompt. While the person unlocks with their password (or key), the
// refresh grant runs beside the attempt only to
//   * keep the stored tokens fresh (a rotated refresh token saved under the user's lock),
//   * revalidate the account (invalid_grant: the tokens are wiped, the SSO session has ended),
//   * tell whether the portal answers, which picks the online or offline path for the typed
//     password.
// The result carries no token: nothing here can be sent to PAM. Outcomes:
//   refreshed      the portal answered with fresh tokens (saved, unless `saved` is false)
//   no-token       nothing stored, or the stored file is unreadable (tampered, swapped, other
//                  key: logged, kept for the administrator, replaced by the next save)
//   invalid-grant  the portal refused the refresh token (revoked, expired, user disabled):
//                  the stored tokens are wiped
//   unreachable    the portal did not answer in time: the typed password takes the offline path
//   refresh-failed the portal answered something we cannot use (TLS/pin refused, bad
//                  response); tokens are kept
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

export type NotRefreshedReason =
  'no-token' | 'invalid-grant' | 'unreachable' | 'refresh-failed' | 'store-error';

export type RefreshAlongsideResult =
  /** `saved` false: the portal answered but the new tokens could not be stored. */
  | { kind: 'refreshed'; expiresAt: number; rotated: boolean; saved: boolean }
  /** `detail`: an error code for the log (SSO_…, TOKEN_…), never token material. */
  | { kind: 'not-refreshed'; reason: NotRefreshedReason; detail: string };

export interface RefreshAlongsideOptions {
  /** Diagnostic lines: never tokens. */
  log?: (line: string) => void;
  now?: () => number;
  /** Deadline of the refresh call, in ms (default 10 000); past it: unreachable. */
  timeoutMs?: number;
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

async function refreshLocked(
  user: string,
  locked: LockedTokens,
  refresher: SsoRefresher,
  options: RefreshAlongsideOptions,
): Promise<RefreshAlongsideResult> {
  const log = options.log ?? (() => undefined);
  const not = (reason: NotRefreshedReason, detail: string): RefreshAlongsideResult => {
    log(`refresh for ${JSON.stringify(user)}: not refreshed (${reason}: ${detail})`);
    return { kind: 'not-refreshed', reason, detail };
  };
  let stored: StoredTokenSet | null;
  try {
    stored = await locked.load();
  } catch (error) {
    if (error instanceof TokenStoreError && error.code === 'TOKEN_FILE_INVALID') {
      return not('no-token', `${error.code}: ${error.message}`);
    }
    return not('store-error', codeOf(error));
  }
  if (stored === null || stored.refreshToken === undefined) return not('no-token', 'none stored');
  let fresh: StoredTokenSet;
  try {
    fresh = await withDeadline(refresher.refresh(stored.refreshToken), options.timeoutMs ?? 10_000);
  } catch (error) {
    const code = codeOf(error);
    if (code === INVALID_GRANT) {
      try {
        await locked.wipe();
      } catch (wipeError) {
        log(`refresh for ${JSON.stringify(user)}: wipe failed (${codeOf(wipeError)})`);
      }
      return not('invalid-grant', code);
    }
    if (UNREACHABLE_CODES.has(code)) return not('unreachable', code);
    return not('refresh-failed', code);
  }
  const now = (options.now ?? Date.now)();
  if (typeof fresh.accessToken !== 'string' || fresh.accessToken === '') {
    return not('refresh-failed', 'SSO_BAD_RESPONSE: no access token');
  }
  if (!Number.isSafeInteger(fresh.expiresAt) || fresh.expiresAt <= now) {
    return not('refresh-failed', 'SSO_BAD_RESPONSE: access token already expired');
  }
  // LemonLDAP::NG 2.16 does not rotate refresh tokens: keep the one we had.
  const rotated = fresh.refreshToken !== undefined && fresh.refreshToken !== stored.refreshToken;
  const next: StoredTokenSet = {
    ...fresh,
    refreshToken: fresh.refreshToken ?? stored.refreshToken,
  };
  let saved = true;
  try {
    await locked.save(next);
  } catch (error) {
    // A rotated refresh token is lost: the next refresh ends in invalid_grant and wipes.
    saved = false;
    log(
      `refresh for ${JSON.stringify(user)}: saving the refreshed tokens failed (${codeOf(error)})`,
    );
  }
  log(`refresh for ${JSON.stringify(user)}: tokens refreshed${rotated ? ' (rotated)' : ''}`);
  return { kind: 'refreshed', expiresAt: fresh.expiresAt, rotated, saved };
}

/**
 * Refreshes `user`'s stored tokens beside a password (or key) unlock; what happened, never a
 * token. Never rejects.
 */
export async function refreshAlongside(
  user: string,
  store: TokenStore,
  refresher: SsoRefresher,
  options: RefreshAlongsideOptions = {},
): Promise<RefreshAlongsideResult> {
  try {
    return await store.withUserLock(user, (locked) =>
      refreshLocked(user, locked, refresher, options),
    );
  } catch (error) {
    const detail = codeOf(error);
    options.log?.(`refresh for ${JSON.stringify(user)}: not refreshed (store-error: ${detail})`);
    return { kind: 'not-refreshed', reason: 'store-error', detail };
  }
}
