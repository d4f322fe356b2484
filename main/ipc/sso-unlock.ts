// Refresh at unlock (issue #10; main/sso/TOKENS.md "At unlock"). With sso.conf
// `unlock-with-refresh = true` the person unlocks with their password (or key) through PAM,
// exactly as without SSO; beside that attempt main refreshes the stored tokens
// (../sso/unlock-with-refresh) to keep them fresh, to learn whether the SSO session still
// stands (invalid_grant: wiped, the screen and the caller are told), and to pick the online or
// offline path for the typed password (portal unreachable: offline).
//
// A stored refresh token never answers a PAM prompt and never replaces the person's proof: it
// is a bearer credential, proof that someone signed in here once, not that the person at the
// keyboard is that someone. (An earlier design let Enter on an empty password field unlock
// with it: anyone at a locked screen could have unlocked it.)
//
// Where the tokens live (../sso/TOKENS.md): the store of the account this process runs as,
// under its state directory — the greeter account's on the login screen and on a display
// manager's unlock screen (LightDM's lock hint), the person's own under the in-session
// locker. Tokens come from a sign-in this process saw: an SSO sign-in on the login screen
// (`remember`), or, with `allow-password-grant = true`, a password grant made with the
// password the PAM stack just accepted online (`enrollWithPassword`).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SsoProblem } from '../../preload/api';
import { createSsoClient, type SsoClient, type SsoConfig, type TokenSet } from '../sso';
import {
  ensureTokenKey,
  FileTokenStore,
  type StoredTokenSet,
  type TokenStore,
} from '../sso/token-store';
import {
  refreshAlongside,
  type NotRefreshedReason,
  type RefreshAlongsideResult,
} from '../sso/unlock-with-refresh';
import type { SsoSignInSettings } from './sso-settings';

export interface SsoUnlockOptions {
  settings: SsoSignInSettings | null;
  /** Where tokens are kept; null: nothing is kept, nothing refreshed. */
  store: TokenStore | null;
  /** Called before the first save (creates the store's key file when missing). */
  prepareStore?: () => void;
  createClient?: (config: SsoConfig) => Promise<SsoClient>;
  /** Deadline of one refresh (default 10 s; past it the portal counts as unreachable). */
  timeoutMs?: number;
  log: (line: string) => void;
}

export interface SsoUnlock {
  /** A password unlock refreshes the stored tokens alongside (sso.conf and a store). */
  readonly offered: boolean;
  /** Keeps a refresh token after a password the stack accepted online (sso.conf). */
  readonly enrollsWithPassword: boolean;
  /** The refresh beside a password unlock: what happened, never a token. Never rejects. */
  refreshAlongside(user: string): Promise<RefreshAlongsideResult>;
  /** Saves the tokens of a sign-in the PAM stack accepted (only with a refresh token). */
  remember(user: string, tokens: TokenSet): Promise<void>;
  /** Password grant with a password the stack just accepted, then `remember`. Never throws. */
  enrollWithPassword(user: string, password: string): Promise<void>;
  forget(user: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the unlock screen says beside the password attempt, or null: only what the person
 * should know (the SSO session ended; the password is checked offline). Nothing stored, or a
 * refresh that failed otherwise, changes nothing for them: the password decides as always.
 */
export function unlockNotice(reason: NotRefreshedReason): SsoProblem | null {
  switch (reason) {
    case 'invalid-grant':
      return 'SSO_UNLOCK_ENDED';
    case 'unreachable':
      return 'SSO_UNLOCK_UNREACHABLE';
    default:
      return null;
  }
}

/**
 * The state directory's token store: tokens in `<stateDir>/sso-tokens`, the key in
 * `<stateDir>/sso-key/token.key` (another directory, TOKENS.md).
 */
export function stateDirTokenStore(stateDir: string): {
  store: FileTokenStore;
  prepare: () => void;
} {
  const keyFile = join(stateDir, 'sso-key', 'token.key');
  return {
    store: new FileTokenStore({ dir: join(stateDir, 'sso-tokens'), keyFile }),
    prepare: () => {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      ensureTokenKey(keyFile);
    },
  };
}

const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : ((error as Error | null)?.name ?? 'UNKNOWN');
};

function storable(tokens: TokenSet): StoredTokenSet {
  const stored: StoredTokenSet = { accessToken: tokens.accessToken, expiresAt: tokens.expiresAt };
  if (tokens.refreshToken !== undefined) stored.refreshToken = tokens.refreshToken;
  if (tokens.idToken !== undefined) stored.idToken = tokens.idToken;
  if (tokens.claims !== undefined) stored.claims = tokens.claims as StoredTokenSet['claims'];
  return stored;
}

export function createSsoUnlock(options: SsoUnlockOptions): SsoUnlock {
  const { settings, store, log } = options;
  const offered = settings !== null && settings.unlockWithRefresh && store !== null;
  const enrollsWithPassword = offered && settings.passwordGrantAfterSignIn;
  const create = options.createClient ?? createSsoClient;
  // One client (discovery once) for the process; a failed creation is retried next time.
  let client: Promise<SsoClient> | null = null;
  const getClient = (): Promise<SsoClient> => {
    client ??= create({ ...settings!.client, log: (line) => log(line) }).catch((error: unknown) => {
      client = null;
      throw error;
    });
    return client;
  };
  let prepared = false;
  const prepare = (): void => {
    if (prepared) return;
    options.prepareStore?.();
    prepared = true;
  };

  const remember = async (user: string, tokens: TokenSet): Promise<void> => {
    if (!offered || tokens.refreshToken === undefined) return;
    try {
      prepare();
      await store!.save(user, storable(tokens));
      log(`sso unlock: tokens saved for ${JSON.stringify(user)}`);
    } catch (error) {
      log(`sso unlock: tokens not saved for ${JSON.stringify(user)} (${codeOf(error)})`);
    }
  };

  return {
    offered,
    enrollsWithPassword,
    async refreshAlongside(user) {
      if (!offered) return { kind: 'not-refreshed', reason: 'no-token', detail: 'not offered' };
      return refreshAlongside(
        user,
        store!,
        {
          refresh: async (refreshToken) =>
            storable(await (await getClient()).refresh(refreshToken)),
        },
        { log, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) },
      );
    },
    remember,
    async enrollWithPassword(user, password) {
      if (!enrollsWithPassword) return;
      try {
        const existing = await store!.load(user).catch(() => null);
        if (existing?.refreshToken !== undefined) return;
        const tokens = await (await getClient()).passwordGrant(user, password);
        await remember(user, tokens);
      } catch (error) {
        log(`sso unlock: no tokens kept after the password (${codeOf(error)})`);
      }
    },
    async forget(user) {
      if (store === null) return;
      try {
        await store.wipe(user);
      } catch (error) {
        log(`sso unlock: tokens of ${JSON.stringify(user)} not wiped (${codeOf(error)})`);
      }
    },
    async close() {
      const c = client;
      client = null;
      await c?.then((x) => x.close()).catch(() => undefined);
    },
  };
}
