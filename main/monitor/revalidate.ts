// Revalidating an offline session with the portal once it answers again. Two ways, by site:
//  * Open Bastion's `POST /pam/userinfo {user}` (server token): `found == true` → still valid,
//    anything else → disabled (REFERENCES.md: `found != true` ends the session);
//  * standard OIDC (stock LemonLDAP::NG has no /pam/*): the user's stored refresh token. A
//    successful refresh grant proves the account still works; `invalid_grant` proves nothing
//    (an expired or revoked refresh token is not a disabled account): "unconfirmed", which
//    leaves the session to the revalidation grace.
// A portal that does not answer rejects: the guard retries on the next check.
import type { TokenStore } from '../sso/token-store';
import type { SsoRefresher } from '../sso/unlock-with-refresh';

export type RevalidationVerdict = 'valid' | 'disabled' | 'unconfirmed';

export interface UserRevalidator {
  /** Rejects when the portal could not be asked. */
  revalidate(user: string): Promise<RevalidationVerdict>;
}

/** The one call of main/sso's Open Bastion client this needs (its `userinfo(user)` fits). */
export interface PamUserinfoClient {
  userinfo(user: string): Promise<{ found?: unknown }>;
}

export class PamUserinfoRevalidator implements UserRevalidator {
  constructor(private readonly client: PamUserinfoClient) {}
  async revalidate(user: string): Promise<RevalidationVerdict> {
    const answer = await this.client.userinfo(user);
    return answer.found === true ? 'valid' : 'disabled';
  }
}

/**
 * No way to ask the portal about a user: the root guard without Open Bastion's server token
 * (a refresh grant needs the person's own tokens, which live in their session, not root's).
 * Every session stays unconfirmed: only offline_max_sso_unreachable and the grace apply.
 */
export class NoRevalidation implements UserRevalidator {
  async revalidate(): Promise<RevalidationVerdict> {
    return 'unconfirmed';
  }
}

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
};

export class RefreshGrantRevalidator implements UserRevalidator {
  constructor(
    private readonly store: TokenStore,
    private readonly refresher: SsoRefresher,
  ) {}
  async revalidate(user: string): Promise<RevalidationVerdict> {
    return this.store.withUserLock(user, async (locked) => {
      let stored;
      try {
        stored = await locked.load();
      } catch {
        return 'unconfirmed';
      }
      if (stored?.refreshToken === undefined) return 'unconfirmed';
      try {
        const fresh = await this.refresher.refresh(stored.refreshToken);
        await locked.save({ ...fresh, refreshToken: fresh.refreshToken ?? stored.refreshToken });
        return 'valid';
      } catch (error) {
        if (codeOf(error) === 'SSO_INVALID_GRANT') {
          await locked.wipe().catch(() => false);
          return 'unconfirmed';
        }
        throw error;
      }
    });
  }
}
