// The real GreeterBackend: validates each renderer call (./validate) and runs it on the auth
// controller. app/ (Electron IPC) and dev/ (the loopback bridge) forward raw payloads here.
import { homedir, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type {
  AuthSnapshot,
  GreeterInfo,
  GreeterMode,
  Locale,
  PowerAction,
  SecurityKeySnapshot,
} from '../../preload/api';
import { AuthController, AuthControllerError } from '../auth/controller';
import { LockoutStore, type Clock } from '../auth/lockout-store';
import { isRunning, type ThrottlePolicy } from '../auth/machine';
import type { AuthTransport } from '../auth/transport';
import type { PowerActions } from '../power';
import { AssistiveLauncher, type AssistivePaths } from '../screens/assistive';
import type { KeyboardSwitcher } from '../screens/keyboard-switch';
import { ScreenService, type ScreenSources } from '../screens/screen-options';
import type { GreeterBackend } from './backend';
import type { RemovalWatch } from '../keys/removal-watch';
import { keySide, startRemovalWatch, type SecurityKeyWiring } from './security-keys';
import { IpcValidationError, validateCall, validateUserName } from './validate';
import { createSsoSignIn, type PortalViewHost, type SsoSignInOptions } from './sso-signin';
import type { SsoSignInSettings } from './sso-settings';
import { createSsoUnlock, stateDirTokenStore, unlockNotice } from './sso-unlock';
import type { TokenStore } from '../sso/token-store';
import type { TokenSet } from '../sso';

/** The PAM service of login and unlock (resources/pam/, the helper's allowlist). */
export const GREETER_PAM_SERVICE = 'bastion-greeter';

export interface GreeterBackendOptions {
  /** Login screen or unlock screen. */
  mode: GreeterMode;
  locale: Locale;
  /** How the renderer is hosted. */
  host: GreeterInfo['host'];
  /** The locked session's user; required in 'unlock' mode, where only this user may start. */
  currentUser: string | null;
  /** Shown on the screen; defaults to os.hostname(). */
  hostname?: string;
  /**
   * Whether the SSO portal is believed unreachable at start (see `setOffline`). Afterwards the
   * monitor (`setOffline`) and PAM evidence (OFFLINE_ERROR/OFFLINE_OK in a conversation) move
   * it; `AuthSnapshot.offline` publishes it.
   */
  offline?: boolean;
  /**
   * pam_openbastion site: while offline, secret answers are sent as `OFFLINE:<answer>`
   * (REFERENCES.md). Other sites leave it false: their offline module reads the bare password.
   */
  offlineAnswerPrefix?: boolean;
  /** Absolute path of bastion-pam-helper (setuid; the fallback when the socket is absent). */
  helperPath: string;
  /**
   * Absolute path of the socket-activated helper's socket, tried first (app/config.ts:
   * `/run/bastion-pam-helper.sock` by default); null or unset: the setuid helper only.
   */
  helperSocketPath?: string | null;
  /** PAM service name; defaults to `bastion-greeter`. */
  service?: string;
  /** The helper's whole environment (tests and the demo pass pam_wrapper's); empty by default. */
  helperEnv?: Record<string, string>;
  /** Deadline of one attempt in ms (default: the client's, 120 s). */
  deadlineMs?: number;
  /**
   * The greeter account's state directory (0700), where lockout countdowns persist across
   * restarts. Default `$XDG_STATE_HOME/bastion-greeter` or `~/.local/state/bastion-greeter`;
   * null keeps them in memory only.
   */
  stateDir?: string | null;
  /** pam_u2f `cue_prompt=` texts meaning "touch your key" (default: pam_u2f's own cue). */
  touchCues?: readonly string[];
  throttle?: ThrottlePolicy;
  /** Injectable clock (epoch ms), for tests. */
  clock?: Clock;
  /** Diagnostic lines; never contain answers. Default: stderr. */
  log?: (line: string) => void;
  /** What carries the conversations (LightDM, greetd); unset: the PAM helper above. */
  transport?: AuthTransport;
  /**
   * Where the screen's sessions, user list and site policy come from (main/screens/);
   * every path defaults to the system's (/usr/share/xsessions, /etc/bastion-greeter/…).
   */
  screen?: ScreenSources;
  /**
   * Where power actions go: logind (`LogindPowerActions`, main/power) in the Electron entry,
   * the demo's stand-in under `npm start`. Unset or null: no power menu. Never offered on the
   * unlock screen (anyone at a locked session could end its owner's session) nor when the
   * policy sets `hide-power-actions`.
   */
  power?: PowerActions | null;
  /**
   * The display manager says a session on this seat is locked (LightDM's `lock-screen` hint)
   * even where this screen is a login screen (a lock that named no user to unlock): no power
   * actions then either, whoever may still sign in.
   */
  seatLocked?: boolean;
  /**
   * Where the assistive tools are looked for (main/screens/assistive.ts); default
   * /usr/bin/orca and /usr/bin/onboard. Offered on both screens when installed.
   */
  assistivePaths?: AssistivePaths;
  /**
   * What switches the keyboard layout: setxkbmap on the greeter's X display
   * (`keyboardSwitcherFromEnvironment`, main/screens/keyboard-switch.ts) in the Electron entry
   * under X11, the demo's stand-in under `npm start`. Unset or null (Wayland, no display):
   * the layout is an indicator only. Offered on both screens when two or more layouts are
   * configured: the person at a locked session may need another layout to type a password.
   */
  keyboard?: KeyboardSwitcher | null;
  /**
   * Touch to sign in (./security-keys): how FIDO keys are listed and opened (node-hid in the
   * entry points) and, on the unlock screen, how the session is locked again when the key
   * that unlocked it is unplugged. The site decides (greeter.conf `security-keys`,
   * `lock-on-key-removal`); only with the helper carrier. Unset or null: no key side.
   */
  securityKeys?: SecurityKeyWiring | null;
  /**
   * "Sign in with SSO" on the login screen (./sso-signin): the site's sso.conf
   * (./sso-settings: loadSsoSettings) and where the portal's page is shown (Electron's
   * isolated window, or the fallback's portal Chromium). Unset or null settings: not offered.
   */
  sso?: {
    settings: SsoSignInSettings | null;
    portal: PortalViewHost | null;
    createClient?: SsoSignInOptions['createClient'];
    onSignedIn?: SsoSignInOptions['onSignedIn'];
    /**
     * Where SSO tokens are kept for refresh at unlock (./sso-unlock; sso.conf
     * `unlock-with-refresh`). Default: this account's store under `stateDir`; null: none.
     */
    tokens?: { store: TokenStore; prepare?: () => void } | null;
    /** Deadline of the unlock-time refresh, ms (default 10 000). */
    refreshTimeoutMs?: number;
    /**
     * Told when the refresh beside an unlock found the SSO session ended at the portal
     * (invalid_grant; the stored tokens are already wiped), e.g. for the tray.
     */
    onSessionEnded?: (user: string) => void;
  } | null;
}

/** The backend plus what the rest of main drives (the online/offline monitor). */
export interface BastionGreeterBackend extends GreeterBackend {
  /**
   * The monitor's verdict: pushed in the snapshot (`offline`), shown by getInfo, and switching
   * the `OFFLINE:` answer prefix on pam_openbastion sites.
   */
  setOffline(offline: boolean): void;
}

export class GreeterBackendConfigError extends Error {
  readonly code = 'BACKEND_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'GreeterBackendConfigError';
  }
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME?.startsWith('/')
    ? env.XDG_STATE_HOME
    : join(homedir(), '.local', 'state');
  return join(base, 'bastion-greeter');
}

export function createGreeterBackend(options: GreeterBackendOptions): BastionGreeterBackend {
  if (!options.helperPath.startsWith('/')) {
    throw new GreeterBackendConfigError('helperPath must be absolute');
  }
  const socketPath = options.helperSocketPath ?? null;
  if (socketPath !== null && !socketPath.startsWith('/')) {
    throw new GreeterBackendConfigError('helperSocketPath must be absolute');
  }
  let currentUser: string | null = null;
  if (options.currentUser !== null) {
    try {
      currentUser = validateUserName(options.currentUser);
    } catch {
      throw new GreeterBackendConfigError('currentUser is not a valid user name');
    }
  }
  if (options.mode === 'unlock' && currentUser === null) {
    throw new GreeterBackendConfigError('the unlock screen needs the current user');
  }
  const log = options.log ?? ((line: string) => console.error(`bastion auth: ${line}`));
  const stateDir = options.stateDir === undefined ? defaultStateDir() : options.stateDir;
  const sitePrefix = options.offlineAnswerPrefix ?? false;

  const screens = new ScreenService({
    ...options.screen,
    mode: options.mode,
    locale: options.locale,
    stateDir,
    log,
  });

  const helperEnv = options.helperEnv ?? {};
  const keys = keySide({
    wiring: options.securityKeys ?? null,
    dmTransport: options.transport ?? null,
    policyPath: options.screen?.policyPath,
    helperPath: options.helperPath,
    socketPath,
    helperEnv,
    deadlineMs: options.deadlineMs,
    log,
  });

  const controller = new AuthController({
    ...(options.transport ? { transport: options.transport } : {}),
    helperPath: options.helperPath,
    socketPath,
    service: options.service ?? GREETER_PAM_SERVICE,
    helperEnv,
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    ...keys.controller,
    ...(options.clock ? { clock: options.clock } : {}),
    lockoutStore:
      stateDir === null
        ? null
        : new LockoutStore({ stateDir, ...(options.clock ? { clock: options.clock } : {}) }),
    offlineAnswerPrefix: sitePrefix && (options.offline ?? false),
    offline: options.offline ?? false,
    ...(options.throttle ? { throttle: options.throttle } : {}),
    ...(options.touchCues ? { touchCues: options.touchCues } : {}),
    initialUser: options.mode === 'unlock' ? currentUser : null,
    log,
  });

  // One source of truth for "offline": the controller's snapshot, moved by setOffline below
  // and by PAM evidence. The answer prefix follows it (registered before any other listener,
  // so it has switched by the time anyone sees the snapshot).
  controller.subscribe((snapshot) => {
    controller.setOfflineAnswerPrefix(sitePrefix && snapshot.offline);
  });

  // After a success: remember the choice (as the policy allows) and, where the carrier is a
  // display manager, ask it to start the chosen session (the helper has none to start).
  let attemptSession: string | null = null;
  let lastPhase = controller.snapshot().phase;
  controller.subscribe((snapshot) => {
    const succeeded = snapshot.phase === 'success' && lastPhase !== 'success';
    lastPhase = snapshot.phase;
    if (!succeeded || snapshot.user === null) return;
    const user = snapshot.user;
    const session = attemptSession;
    void screens.remember(user, session);
    const transport = options.transport;
    if (transport?.startSession) {
      const request = screens.sessionRequest(session) ?? { name: '', command: [], env: [] };
      void transport.startSession(request).then(
        (outcome) => {
          if (!outcome.ok) {
            log(
              `session ${request.name || '(default)'} for ${user} not started: ${outcome.error.code}`,
            );
            controller.sessionStartFailed();
          }
        },
        (error: unknown) => {
          log(`session start failed: ${(error as Error).name}`);
          controller.sessionStartFailed();
        },
      );
    }
  });

  // Lock on removal: only after the KEY unlocked the session (a password unlock leaves the
  // person free to unplug), on the unlock screen, when the site asks for it.
  let removalWatch: RemovalWatch | null = null;
  let removalWatchStarting: Promise<void> | null = null;
  let closed = false;
  // Whether the last key unlock armed the watch, added to key snapshots (the screen says when
  // it did not); cleared when the key's side moves on from that success.
  let removalWatchState: SecurityKeySnapshot['removalWatch'];
  const removalWatchListeners = new Set<(snapshot: SecurityKeySnapshot) => void>();
  const withRemovalWatch = (snapshot: SecurityKeySnapshot): SecurityKeySnapshot =>
    removalWatchState === undefined ? snapshot : { ...snapshot, removalWatch: removalWatchState };
  const setRemovalWatchState = (state: SecurityKeySnapshot['removalWatch']): void => {
    removalWatchState = state;
    const snapshot = withRemovalWatch(controller.keySnapshot());
    for (const listener of removalWatchListeners) listener(snapshot);
  };
  const wiring = options.securityKeys ?? null;
  if (keys.enabled && wiring?.lockSession && options.mode === 'unlock') {
    if (keys.settings.lockOnKeyRemoval) {
      let lastKeyPhase = controller.keySnapshot().phase;
      controller.subscribeKey((snapshot) => {
        const unlocked = snapshot.phase === 'success' && lastKeyPhase !== 'success';
        lastKeyPhase = snapshot.phase;
        if (snapshot.phase !== 'success') removalWatchState = undefined;
        if (!unlocked || currentUser === null || removalWatchStarting) return;
        removalWatch?.stop();
        removalWatch = null;
        removalWatchStarting = startRemovalWatch(currentUser, {
          wiring,
          policyPath: options.screen?.policyPath,
          log,
        })
          .then(
            (watch) => {
              if (closed) watch?.stop();
              else removalWatch = watch;
              if (!closed) setRemovalWatchState(watch ? 'armed' : 'not-armed');
            },
            (error: unknown) => {
              log(`lock on key removal: not started (${(error as Error).name})`);
              if (!closed) setRemovalWatchState('not-armed');
            },
          )
          .finally(() => {
            removalWatchStarting = null;
          });
      });
    }
  }

  const assistive = new AssistiveLauncher(options.assistivePaths ?? {}, log);

  // Refresh at unlock (./sso-unlock): tokens kept after an SSO or password sign-in, refreshed
  // beside the person's own password (or key) unlock, never in its place.
  const ssoSettings = options.sso?.settings ?? null;
  const tokenWiring =
    options.sso?.tokens === undefined
      ? stateDir !== null && ssoSettings?.unlockWithRefresh
        ? (() => {
            const made = stateDirTokenStore(stateDir);
            return { store: made.store, prepare: made.prepare };
          })()
        : null
      : options.sso.tokens;
  const unlock = createSsoUnlock({
    settings: ssoSettings,
    store: tokenWiring?.store ?? null,
    ...(tokenWiring?.prepare ? { prepareStore: tokenWiring.prepare } : {}),
    ...(options.sso?.createClient ? { createClient: options.sso.createClient } : {}),
    ...(options.sso?.refreshTimeoutMs === undefined
      ? {}
      : { timeoutMs: options.sso.refreshTimeoutMs }),
    log,
  });
  // The SSO sign-in's tokens (login screen) are kept for the unlock screen's refresh.
  const onSignedIn =
    options.sso?.onSignedIn ??
    (unlock.offered ? (user: string, tokens: TokenSet) => unlock.remember(user, tokens) : null);
  const sso = createSsoSignIn({
    settings: options.sso?.settings ?? null,
    mode: options.mode,
    controller,
    portal: options.sso?.portal ?? null,
    ...(options.sso?.createClient ? { createClient: options.sso.createClient } : {}),
    ...(onSignedIn ? { onSignedIn } : {}),
    log,
  });

  let refreshing = false;
  const sessionEnded = (user: string): void => {
    try {
      options.sso?.onSessionEnded?.(user);
    } catch (error) {
      log(`sso unlock: session-ended listener failed (${(error as Error).name})`);
    }
  };
  /**
   * The refresh beside an unlock (./sso-unlock), then its lessons: the portal answered → the
   * typed password goes online; unreachable → offline; invalid_grant → wiped, told.
   */
  const refreshBeside = async (user: string): Promise<void> => {
    const result = await unlock.refreshAlongside(user);
    if (result.kind === 'refreshed') {
      controller.setOffline(false);
      return;
    }
    if (result.reason === 'invalid-grant') {
      controller.setOffline(false);
      sessionEnded(user);
    }
    if (result.reason === 'unreachable') controller.setOffline(true);
    const notice = unlockNotice(result.reason);
    if (notice !== null) sso.notice(notice);
  };
  /**
   * The password typed on the unlock screen, with refresh at unlock: the refresh runs first
   * (bounded by its deadline) because its answer picks the password's online or offline path;
   * then the password — the person's proof, the only thing that reaches PAM.
   */
  const answerWithRefreshBeside = async (
    user: string,
    text: string,
    prompt: AuthSnapshot['prompt'],
  ): Promise<void> => {
    refreshing = true;
    try {
      sso.notice(null);
      await refreshBeside(user);
    } finally {
      refreshing = false;
    }
    const now = controller.snapshot();
    if (now.phase !== 'prompting' || now.user !== user || now.prompt !== prompt) {
      log('sso unlock: the attempt moved on while refreshing; the password is not sent');
      return;
    }
    controller.answer(text);
    if (unlock.enrollsWithPassword && !controller.snapshot().offline) {
      enrolling ??= { user, password: text };
    }
  };
  // A password the stack accepted online may enrol a refresh token (allow-password-grant):
  // held only from the answer to the attempt's end.
  let enrolling: { user: string; password: string } | null = null;
  let lastUnlockPhase = controller.snapshot().phase;
  controller.subscribe((snapshot) => {
    const ended = snapshot.phase !== lastUnlockPhase && !isRunning(snapshot);
    lastUnlockPhase = snapshot.phase;
    if (!ended) return;
    const pending = enrolling;
    enrolling = null;
    if (snapshot.phase !== 'success' || snapshot.user === null) return;
    // OFFLINE_OK: no SSO notice, no token enrolment. `bastion-offline verify` (root) has
    // already left the marker the root session guard revalidates.
    if (snapshot.offlineValidUntil !== null) return;
    sso.notice(null);
    if (pending !== null && pending.user === snapshot.user) {
      void unlock.enrollWithPassword(pending.user, pending.password);
    }
  });

  // A key unlock: the refresh runs after it, for the same freshness and revalidation (the
  // key's path has no online/offline choice to make).
  if (options.mode === 'unlock' && unlock.offered && currentUser !== null) {
    const keyUser = currentUser;
    let lastKeyPhase = controller.keySnapshot().phase;
    controller.subscribeKey((snapshot) => {
      const unlocked = snapshot.phase === 'success' && lastKeyPhase !== 'success';
      lastKeyPhase = snapshot.phase;
      if (unlocked && !closed) void refreshBeside(keyUser);
    });
  }

  const power = options.power ?? null;
  /** What the power menu offers now: nothing on unlock, under the policy, or without power. */
  const offeredPowerActions = async (): Promise<PowerAction[]> => {
    if (power === null || options.mode === 'unlock' || options.seatLocked === true) return [];
    if (screens.policy().hidePowerActions) return [];
    return power.allowed();
  };

  const keyboard = options.keyboard ?? null;
  /** Index of the active layout in the screen's list; moved only by a switch that succeeded. */
  let keyboardCurrent = 0;
  // One setxkbmap at a time, in the order asked: the last request wins on the X server too.
  let keyboardQueue: Promise<void> = Promise.resolve();
  // Bounded: one switch running and one waiting. Each may take up to setxkbmap's deadline, so
  // an unbounded queue would let a page that keeps asking hold main's child slots for ever.
  const KEYBOARD_QUEUE_MAX = 2;
  let keyboardQueued = 0;
  const keyboardSwitchable = (): boolean =>
    keyboard !== null && screens.options().keyboardLayouts.length > 1;

  const info = (): GreeterInfo => ({
    mode: options.mode,
    hostname: options.hostname ?? osHostname(),
    currentUser: options.mode === 'unlock' ? currentUser : null,
    locale: options.locale,
    offline: controller.snapshot().offline,
    host: options.host,
    ...(keys.enabled ? { securityKeys: true } : {}),
  });

  return {
    async handle(call: string, payload: unknown): Promise<unknown> {
      const request = validateCall(call, payload);
      switch (request.call) {
        case 'getInfo':
          return info();
        case 'getAuthSnapshot':
          return structuredClone(controller.snapshot());
        case 'getScreenOptions': {
          const screenOptions = screens.options();
          return {
            ...screenOptions,
            powerActions: await offeredPowerActions(),
            assistiveTools: assistive.available(),
            keyboardSwitchable: keyboardSwitchable(),
            keyboardCurrent,
          };
        }
        case 'setKeyboardLayout': {
          const layouts = screens.options().keyboardLayouts;
          if (keyboard === null || !keyboardSwitchable() || request.index >= layouts.length) {
            throw new IpcValidationError(
              'KEYBOARD_LAYOUT_NOT_OFFERED',
              'not a keyboard layout this screen can switch to',
            );
          }
          if (keyboardQueued >= KEYBOARD_QUEUE_MAX) {
            throw new IpcValidationError(
              'KEYBOARD_SWITCH_BUSY',
              'a keyboard layout switch is already running and another is waiting',
            );
          }
          const index = request.index;
          keyboardQueued++;
          const run = keyboardQueue.then(() => keyboard.switchTo(layouts, index));
          keyboardQueue = run.catch(() => undefined);
          try {
            await run;
          } finally {
            keyboardQueued--;
          }
          keyboardCurrent = index;
          return undefined;
        }
        case 'powerAction': {
          const offered = await offeredPowerActions();
          if (power === null || !offered.includes(request.action)) {
            throw new IpcValidationError(
              'POWER_ACTION_NOT_OFFERED',
              'not a power action this screen offers',
            );
          }
          log(`power action: ${request.action}`);
          await power.run(request.action);
          return undefined;
        }
        case 'startAssistiveTool':
          if (!assistive.offers(request.tool)) {
            throw new IpcValidationError(
              'ASSISTIVE_TOOL_NOT_OFFERED',
              'not an assistive tool installed here',
            );
          }
          await assistive.start(request.tool);
          return undefined;
        case 'startAuth':
          if (options.mode === 'unlock' && request.user !== currentUser) {
            throw new IpcValidationError(
              'NOT_CURRENT_USER',
              'only the locked session user can unlock',
            );
          }
          if (
            request.session !== null &&
            (options.mode === 'unlock' || !screens.offers(request.session))
          ) {
            throw new IpcValidationError('SESSION_UNKNOWN', 'not a session this screen offers');
          }
          {
            // A refused start (BUSY) must not change the running attempt's session.
            const previous = attemptSession;
            attemptSession = request.session;
            try {
              await controller.start(request.user);
            } catch (error) {
              attemptSession = previous;
              throw error;
            }
          }
          return undefined;
        case 'answer': {
          const snap = controller.snapshot();
          const atPassword =
            snap.phase === 'prompting' && snap.prompt?.secret === true && snap.user !== null;
          if (refreshing) {
            throw new IpcValidationError('SSO_BUSY', 'the SSO tokens are being refreshed');
          }
          // An empty field is answered as typed (PAM decides, as without SSO): the stored
          // tokens are neither used nor refreshed for it.
          if (
            options.mode === 'unlock' &&
            unlock.offered &&
            request.text !== '' &&
            atPassword &&
            snap.user === currentUser
          ) {
            await answerWithRefreshBeside(snap.user!, request.text, snap.prompt);
            return undefined;
          }
          controller.answer(request.text);
          if (unlock.enrollsWithPassword && atPassword && request.text !== '' && !snap.offline) {
            enrolling ??= { user: snap.user!, password: request.text };
          }
          return undefined;
        }
        case 'cancelAuth':
          await controller.cancel();
          return undefined;
        case 'getKeySnapshot':
          return structuredClone(withRemovalWatch(controller.keySnapshot()));
        case 'answerKeyPin':
          try {
            controller.answerKeyPin(request.pin);
          } catch (error) {
            if (error instanceof AuthControllerError && error.code === 'NOT_PROMPTING') {
              throw new IpcValidationError('KEY_NOT_ASKING', 'the security key is not asking');
            }
            throw error;
          }
          return undefined;
        case 'cancelKey':
          await controller.cancelKey();
          return undefined;
        case 'getSsoSnapshot':
          return structuredClone(sso.snapshot());
        case 'startSso':
          sso.start(request.method);
          return undefined;
        case 'cancelSso':
          await sso.cancel();
          return undefined;
      }
    },
    subscribe(listener: (snapshot: AuthSnapshot) => void): () => void {
      return controller.subscribe(listener);
    },
    subscribeKey(listener: (snapshot: SecurityKeySnapshot) => void): () => void {
      removalWatchListeners.add(listener);
      const off = controller.subscribeKey((snapshot) => listener(withRemovalWatch(snapshot)));
      return () => {
        removalWatchListeners.delete(listener);
        off();
      };
    },
    subscribeSso(listener) {
      return sso.subscribe(listener);
    },
    async close(): Promise<void> {
      closed = true;
      enrolling = null;
      await sso.close();
      await unlock.close();
      removalWatch?.stop();
      assistive.close();
      await controller.close();
    },
    setOffline(value: boolean): void {
      controller.setOffline(value);
    },
  };
}
