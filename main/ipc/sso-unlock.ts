// Refresh at unlock (issue #10, DESIGN.md "What answers the PAM password prompt"): on a
// pam_openbastion site the access token answers the PAM password prompt. When sso.conf says
// `unlock-with-refresh = true`, the unlock screen's Enter with an EMPTY password field at the
// password prompt is the person's explicit "use my saved sign-in": main refreshes the stored
// tokens (../sso/unlock-with-refresh) and answers the prompt with the fresh access token.
// Nothing is refreshed or answered without that key press (as GDM's smartcard and
// fingerprint paths still need a person at the keyboard, the refresh token alone must never
// unlock a session nobody is at).
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
  unlockWithRefresh,
  type AskPasswordReason,
  type UnlockWithRefreshResult,
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
  /** The unlock screen's Enter-with-empty-field refreshes (sso.conf and a store). */
  readonly offered: boolean;
  /** Keeps a refresh token after a password the stack accepted online (sso.conf). */
  readonly enrollsWithPassword: boolean;
  refresh(user: string): Promise<UnlockWithRefreshResult>;
  /** Saves the tokens of a sign-in the PAM stack accepted (only with a refresh token). */
  remember(user: string, tokens: TokenSet): Promise<void>;
  /** Password grant with a password the stack just accepted, then `remember`. Never throws. */
  enrollWithPassword(user: string, password: string): Promise<void>;
  forget(user: string): Promise<void>;
  close(): Promise<void>;
}

/** The screen's sentence for each "ask for the password" reason. */
export function unlockProblem(reason: AskPasswordReason): SsoProblem {
  switch (reason) {
    case 'no-token':
      return 'SSO_UNLOCK_NO_SAVED';
    case 'invalid-grant':
      return 'SSO_UNLOCK_ENDED';
    case 'unreachable':
      return 'SSO_UNLOCK_UNREACHABLE';
    default:
      return 'SSO_UNLOCK_FAILED';
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
    async refresh(user) {
      if (!offered) return { kind: 'ask-password', reason: 'no-token', detail: 'not offered' };
      return unlockWithRefresh(
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
