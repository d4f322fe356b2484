// "Sign in with SSO" on the login screen (issue #10 item 1): a QR code to approve from a
// phone (device authorization grant) or the portal's own page in an isolated view
// (authorization code + S256 PKCE, ../sso/portal-flow). Either way the tokens stay here, in
// main: the access token answers the PAM password prompt of a normal attempt for the
// token's user (pam_openbastion introspects it; DESIGN.md "What answers the PAM password
// prompt"), and the screen only ever sees an SsoSnapshot (a phase, the device code to show,
// a problem code).
import type { AuthSnapshot, SsoMethod, SsoProblem, SsoSnapshot } from '../../preload/api';
import { SSO_OFF } from '../../preload/api';
import type { AuthController } from '../auth/controller';
import { isRunning } from '../auth/machine';
import {
  createSsoClient,
  findSsoError,
  type SsoClient,
  type SsoConfig,
  type TokenSet,
} from '../sso';
import { createPortalFlow, PortalFlowError } from '../sso/portal-flow';
import { ssoAccountRefusal, type LocalAccountPaths } from './sso-account';
import type { SsoSignInSettings } from './sso-settings';
import { IpcValidationError, validateUserName } from './validate';

/** One portal view: the isolated window (Electron) or the portal Chromium (fallback). */
export interface PortalViewSession {
  /** The redirect URI this view intercepts (the fallback's carries its loopback port). */
  readonly redirectUri: string;
  /**
   * Shows the authorization URL; resolves with the intercepted redirect (never loaded, never
   * handed to the greeter's page); rejects when the view was closed or could not open.
   * `state`: the pending authorization's, for a listener's own one-shot check.
   */
  show(url: string, state: string): Promise<string>;
  /** Closes the view (success, cancel, timeout); idempotent. */
  close(): void;
}

export interface PortalViewHost {
  /** Prepares a view for the site's redirect URI (sso.conf `redirect-uri`). */
  prepare(configuredRedirectUri: string): Promise<PortalViewSession>;
}

export interface SsoSignInOptions {
  settings: SsoSignInSettings | null;
  /** Login screen only: the unlock screen refreshes tokens instead (../sso/unlock-with-refresh). */
  mode: 'login' | 'unlock';
  controller: AuthController;
  /** Where `portal` shows the portal; null: `portal` is not offered. */
  portal: PortalViewHost | null;
  /** Injectable for tests; default main/sso's createSsoClient. */
  createClient?: (config: SsoConfig) => Promise<SsoClient>;
  /**
   * Told the user and tokens after a sign-in the PAM stack accepted (e.g. to keep the refresh
   * token for unlock); unset: the tokens are dropped.
   */
  onSignedIn?: (user: string, tokens: TokenSet) => Promise<void>;
  /** Where the local accounts are read (./sso-account); default /etc/passwd, /etc/login.defs. */
  localAccounts?: LocalAccountPaths;
  log: (line: string) => void;
}

export interface SsoSignIn {
  snapshot(): SsoSnapshot;
  subscribe(listener: (snapshot: SsoSnapshot) => void): () => void;
  /** Throws IpcValidationError SSO_NOT_OFFERED / SSO_BUSY; the rest arrives as snapshots. */
  start(method: SsoMethod): void;
  cancel(): Promise<void>;
  close(): Promise<void>;
  /**
   * A problem shown without a sign-in running (the unlock screen's refresh, ./sso-unlock:
   * why the password is asked for instead); null clears it. Ignored while a sign-in runs.
   */
  notice(problem: SsoProblem | null): void;
}

const problemOf = (error: unknown): SsoProblem => {
  if (error instanceof PortalFlowError) {
    return error.code === 'PORTAL_FLOW_EXPIRED' ? 'SSO_PORTAL_EXPIRED' : 'SSO_INTERNAL';
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SSO_PORTAL_UNAVAILABLE') return 'SSO_PORTAL_UNAVAILABLE';
  return findSsoError(error)?.code ?? 'SSO_INTERNAL';
};

/**
 * The PAM prompts an access token may answer: the password prompt of pam_openbastion and of
 * the stacks beside it (Linux-PAM's pam_get_authtok, pam_unix, pam_sss: "Password: ", and
 * Linux-PAM's French catalogue). Compared after trailing blanks are dropped, exactly otherwise:
 * a token never answers an OTP, "Current password" or a new-password prompt.
 */
export const TOKEN_ANSWERABLE_PROMPTS: ReadonlySet<string> = new Set([
  'Password:',
  'Mot de passe :',
  'Mot de passe\u00a0:',
]);

export function isTokenAnswerablePrompt(text: string): boolean {
  return TOKEN_ANSWERABLE_PROMPTS.has(text.replace(/\s+$/, ''));
}

/** The name the PAM attempt is for: preferred_username, as a user name main accepts. */
function userFromClaims(claims: Record<string, unknown> | undefined): string | null {
  const name = claims?.preferred_username;
  if (typeof name !== 'string') return null;
  try {
    return validateUserName(name);
  } catch {
    return null;
  }
}

/**
 * The account the tokens name: the ID token's preferred_username, else userinfo's — asked only
 * with the ID token's `sub` to hold its answer to (an access token alone says nothing
 * checkable about whose claims come back). Null: no usable name.
 */
export async function signInUser(
  tokens: Pick<TokenSet, 'accessToken' | 'claims'>,
  client: Pick<SsoClient, 'userinfo'> | null,
  log: (line: string) => void,
): Promise<string | null> {
  const user = userFromClaims(tokens.claims);
  if (user !== null) return user;
  const subject = tokens.claims?.sub;
  if (typeof subject !== 'string' || subject === '') {
    log('sso sign-in: no preferred_username and no ID token subject; userinfo not asked');
    return null;
  }
  if (client === null) return null;
  try {
    return userFromClaims(await client.userinfo(tokens.accessToken, subject));
  } catch (error) {
    log(`sso sign-in: userinfo failed (${problemOf(error)})`);
    return null;
  }
}

export function createSsoSignIn(options: SsoSignInOptions): SsoSignIn {
  const { settings, controller, log } = options;
  const methods: SsoMethod[] =
    settings === null || options.mode !== 'login'
      ? []
      : settings.methods.filter((m) => m === 'device' || options.portal !== null);
  const idle: SsoSnapshot =
    methods.length === 0 ? SSO_OFF : Object.freeze({ ...SSO_OFF, phase: 'idle', methods });
  let state: SsoSnapshot = idle;
  const listeners = new Set<(snapshot: SsoSnapshot) => void>();
  const createClient = options.createClient ?? createSsoClient;
  /** Bumped by every start and cancel: a late result of an old run changes nothing. */
  let generation = 0;
  let abort: AbortController | null = null;
  let view: PortalViewSession | null = null;
  let client: SsoClient | null = null;
  let stopAnswering: (() => void) | null = null;
  let closed = false;

  const set = (next: SsoSnapshot): void => {
    state = next;
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (error) {
        log(`sso snapshot listener failed: ${(error as Error).message}`);
      }
    }
  };
  const fail = (method: SsoMethod, problem: SsoProblem): void =>
    set({ ...idle, phase: 'failed', method, problem });

  /** Ends what a run holds (view, polling, client); the snapshot is the caller's. */
  const release = async (): Promise<void> => {
    abort?.abort();
    abort = null;
    view?.close();
    view = null;
    stopAnswering?.();
    stopAnswering = null;
    const c = client;
    client = null;
    await c?.close().catch(() => undefined);
  };

  const clientConfig = (redirectUri?: string): SsoConfig => ({
    ...settings!.client,
    ...(redirectUri ? { redirectUri } : {}),
    log: (line) => log(line),
  });

  /**
   * The PAM attempt for the token's user, its first secret prompt answered with the access
   * token. The token is held in this closure only until that answer (or the attempt's end).
   */
  const signIn = async (run: number, method: SsoMethod, tokens: TokenSet): Promise<void> => {
    const user = await signInUser(tokens, client, log);
    if (run !== generation) return;
    if (user === null) {
      log('sso sign-in: the tokens name no usable user (preferred_username)');
      await release();
      fail(method, 'SSO_NO_USER');
      return;
    }
    const refusal = ssoAccountRefusal(user, options.localAccounts, log);
    if (run !== generation) return;
    if (refusal !== null) {
      log(`sso sign-in: ${JSON.stringify(user)} refused: ${refusal}`);
      await release();
      fail(method, 'SSO_WRONG_USER');
      return;
    }
    const signedInUser = user;
    let token: string | null = tokens.accessToken;
    let started = false;
    let answered = false;
    let unexpectedPrompt = false;
    const follow = (snapshot: AuthSnapshot): void => {
      if (!started || snapshot.user !== signedInUser) return;
      if (snapshot.phase === 'prompting' && snapshot.prompt !== null && token !== null) {
        if (!snapshot.prompt.secret || !isTokenAnswerablePrompt(snapshot.prompt.text)) {
          // Not the password prompt (an OTP, "Current password", a question): the token is
          // not this answer, and the attempt cannot go on without one. Ended here.
          token = null;
          unexpectedPrompt = true;
          log('sso sign-in: PAM asked something other than the password; attempt cancelled');
          void controller.cancel().catch(() => undefined);
          return;
        }
        const answer = token;
        token = null;
        try {
          // Verbatim: a token is never an `OFFLINE:` answer (we just reached the portal).
          controller.answer(answer, { verbatim: true });
          answered = true;
        } catch (error) {
          log(`sso sign-in: the prompt could not be answered (${(error as Error).name})`);
        }
        return;
      }
      if (isRunning(snapshot)) return;
      // The attempt ended: success, or a failure the screen explains.
      token = null;
      stopAnswering?.();
      stopAnswering = null;
      if (run !== generation) return;
      if (snapshot.phase === 'success') {
        set(idle);
        if (options.onSignedIn) {
          options
            .onSignedIn(signedInUser, tokens)
            .catch((error: unknown) => log(`sso sign-in: after sign-in: ${(error as Error).name}`));
        }
      } else if (unexpectedPrompt) {
        fail(method, 'SSO_UNEXPECTED_PROMPT');
      } else if (answered && snapshot.failure?.reason === 'credentials') {
        fail(method, 'SSO_TOKEN_REJECTED');
      } else {
        // Throttled, locked, helper missing…: the form's messages say it.
        set(idle);
      }
    };
    stopAnswering = controller.subscribe(follow);
    set({ ...idle, phase: 'signing-in', method });
    log(`sso sign-in (${method}): tokens received, PAM attempt for ${signedInUser}`);
    const c = client;
    client = null;
    await c?.close().catch(() => undefined);
    view?.close();
    view = null;
    try {
      started = true;
      await controller.start(signedInUser);
      // A throttle or a mirrored lockout refuses without a running attempt: follow() has
      // seen that snapshot only if it changed; look again.
      follow(controller.snapshot());
    } catch (error) {
      token = null;
      stopAnswering?.();
      stopAnswering = null;
      log(`sso sign-in: the PAM attempt did not start (${(error as Error).name})`);
      if (run === generation) fail(method, 'SSO_INTERNAL');
    }
  };

  const runDevice = async (run: number): Promise<void> => {
    client = await createClient(clientConfig());
    if (run !== generation) return;
    const device = await client.beginDeviceAuthorization();
    if (run !== generation) return;
    set({
      ...idle,
      phase: 'device',
      method: 'device',
      device: {
        verificationUri: device.verificationUri,
        verificationUriComplete: device.verificationUriComplete ?? null,
        userCode: device.userCode,
        expiresAt: device.expiresAt,
      },
    });
    abort = new AbortController();
    const tokens = await client.pollDeviceAuthorization(device, abort.signal);
    if (run !== generation) return;
    await signIn(run, 'device', tokens);
  };

  const runPortal = async (run: number): Promise<void> => {
    const host = options.portal!;
    const session = await host.prepare(settings!.redirectUri!);
    if (run !== generation) {
      session.close();
      return;
    }
    view = session;
    client = await createClient(clientConfig(session.redirectUri));
    if (run !== generation) return;
    const flow = createPortalFlow(client, {
      redirectUri: session.redirectUri,
      timeoutMs: settings!.portalTimeoutMs,
      onExpired: () => {
        if (run !== generation) return;
        generation++;
        void release().then(() => fail('portal', 'SSO_PORTAL_EXPIRED'));
      },
      log,
    });
    const { url } = flow.begin();
    set({ ...idle, phase: 'portal', method: 'portal' });
    let callback: string;
    try {
      callback = await session.show(url, flow.pendingState!);
    } finally {
      // Closed by the person: nothing stays pending.
      if (run !== generation) flow.cancel();
    }
    if (run !== generation) return;
    const tokens = await flow.complete(callback);
    if (run !== generation) return;
    await signIn(run, 'portal', tokens);
  };

  return {
    snapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start(method) {
      if (closed || !methods.includes(method)) {
        throw new IpcValidationError('SSO_NOT_OFFERED', 'this SSO sign-in is not offered here');
      }
      if (['starting', 'device', 'portal', 'signing-in'].includes(state.phase)) {
        throw new IpcValidationError('SSO_BUSY', 'an SSO sign-in is already running');
      }
      if (isRunning(controller.snapshot())) {
        throw new IpcValidationError('SSO_BUSY', 'a sign-in attempt is already running');
      }
      const run = ++generation;
      set({ ...idle, phase: 'starting', method });
      log(`sso sign-in (${method}): started`);
      const task = method === 'device' ? runDevice(run) : runPortal(run);
      task.catch(async (error: unknown) => {
        if (run !== generation) return;
        generation++;
        const problem = problemOf(error);
        log(`sso sign-in (${method}): ${problem}`);
        await release();
        fail(method, problem);
      });
    },
    async cancel() {
      generation++;
      const wasSigningIn = state.phase === 'signing-in';
      await release();
      // The token's attempt goes too: its prompt would otherwise wait for a typed password.
      if (wasSigningIn) await controller.cancel();
      log('sso sign-in: cancelled');
      set(idle);
    },
    async close() {
      closed = true;
      generation++;
      await release();
      listeners.clear();
    },
    notice(problem) {
      if (closed || ['starting', 'device', 'portal', 'signing-in'].includes(state.phase)) return;
      if (problem === null) {
        if (state !== idle) set(idle);
        return;
      }
      set({ ...idle, phase: 'failed', method: null, problem });
    },
  };
}
