// Display managers: which one started us, and the AuthTransport it gives. Start here.
//
// The carrier of the login conversation is chosen once, from the environment, in this order
// (issue 8): LightDM's pipes present (LIGHTDM_TO_SERVER_FD / LIGHTDM_FROM_SERVER_FD) → LightDM's
// greeter protocol (./lightdm); GREETD_SOCK set → greetd's IPC (./greetd); neither → our PAM
// helper (main/auth/helper-transport.ts: the unlock screen in a session, and `npm start`). The
// state machine, OFFLINE_* parsing, countdowns and throttling are the same for all three; the
// renderer never knows which runs.
//
// After a success a display manager starts the session (`transport.startSession`) and the
// greeter must go: LightDM starts the session only once the greeter has exited (it sends
// SIGTERM), greetd kills a greeter still there 5 s after start_session. `exit` resolves with
// the process's exit status when that moment comes (non-zero: the display manager broke its
// protocol, so it restarts a greeter).
import type { AuthTransport } from '../auth/transport';
import { greetdTransportFromEnv, isGreetdEnvironment } from './greetd';
import { connectFromEnvironment, lightdmPipesFromEnvironment, type LightdmHints } from './lightdm';

export type DisplayManagerKind = 'lightdm' | 'greetd';

/** What the screens need to know from the display manager (LightDM hints; greetd has none). */
export interface DisplayManagerHints {
  /** The session to preselect when the person has no remembered choice. */
  defaultSession: string | null;
  /** Do not list accounts (LightDM `hide-users`). */
  hideUsers: boolean;
  /** Offer "Other user…" (LightDM `show-manual-login`). */
  showManualLogin: boolean;
  /** Unlock a running session instead of logging in (LightDM `lock-screen`). */
  lockScreen: boolean;
  /** The account to preselect (LightDM `select-user`: the locked session's). */
  selectUser: string | null;
}

export interface DisplayManagerConnection {
  kind: DisplayManagerKind;
  transport: AuthTransport;
  hints: DisplayManagerHints;
  /** Resolves with the exit status once the greeter must exit (see above). */
  exit: Promise<number>;
  /** LightDM re-sent its hints (a lock: `lockScreen` true) after an idle period. */
  onReset(listener: (hints: DisplayManagerHints) => void): () => void;
}

/** Which display manager started this process, if any; throws on a half-set environment. */
export function displayManagerFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): DisplayManagerKind | null {
  if (lightdmPipesFromEnvironment(env) !== null) return 'lightdm';
  if (isGreetdEnvironment(env)) return 'greetd';
  return null;
}

const NO_HINTS: DisplayManagerHints = {
  defaultSession: null,
  hideUsers: false,
  showManualLogin: true,
  lockScreen: false,
  selectUser: null,
};

function fromLightdm(hints: LightdmHints): DisplayManagerHints {
  return {
    defaultSession: hints.defaultSession,
    hideUsers: hints.hideUsers,
    showManualLogin: hints.showManualLogin,
    lockScreen: hints.lockScreen,
    selectUser: hints.selectUser,
  };
}

/**
 * Connects to the display manager that started us; null when none did (the helper then
 * carries the conversations).
 */
export async function connectDisplayManager(
  env: NodeJS.ProcessEnv = process.env,
): Promise<DisplayManagerConnection | null> {
  const kind = displayManagerFromEnvironment(env);
  if (kind === 'lightdm') {
    // Not resettable: LightDM ends this greeter once a session starts and starts a new one to
    // unlock (with the lock-screen hint), so one process has one mode (login or unlock).
    const greeter = await connectFromEnvironment({ env, resettable: false });
    return {
      kind,
      transport: greeter.transport,
      hints: fromLightdm(greeter.hints),
      exit: greeter.ended.then((end) => (end.reason === 'protocol-error' ? 1 : 0)),
      onReset: (listener) => greeter.onReset((hints) => listener(fromLightdm(hints))),
    };
  }
  if (kind === 'greetd') {
    const transport = greetdTransportFromEnv(env)!;
    return {
      kind,
      transport,
      hints: NO_HINTS,
      exit: new Promise((resolve) => transport.onSessionStarted(() => resolve(0))),
      onReset: () => () => undefined,
    };
  }
  return null;
}

/** What a display manager decides for the greeter backend (main/ipc/greeter-backend.ts). */
export interface DisplayManagerChoices {
  transport: AuthTransport;
  mode: 'login' | 'unlock';
  currentUser: string | null;
  /** A session on this seat is locked (LightDM's `lock-screen`), whatever the mode. */
  seatLocked: boolean;
  screen: { dmHideUsers: boolean; dmDefaultSession: string | null };
}

/**
 * The carrier, the mode and the screen hints from a display manager connection. LightDM's
 * `lock-screen` hint makes an unlock screen for `select-user`; a lock without the user to
 * unlock (a greeter LightDM restarted after a crash gets neither hint) is a login screen, where
 * logging the same person in returns to the existing session.
 */
export function displayManagerChoices(
  dm: DisplayManagerConnection,
  fallback: { mode: 'login' | 'unlock'; currentUser: string | null },
): DisplayManagerChoices {
  const unlock = dm.hints.lockScreen && dm.hints.selectUser !== null;
  return {
    transport: dm.transport,
    mode: unlock ? 'unlock' : dm.kind === 'lightdm' ? 'login' : fallback.mode,
    currentUser: unlock ? dm.hints.selectUser : dm.kind === 'lightdm' ? null : fallback.currentUser,
    // LightDM's Seat.Lock (dm-tool, light-locker) may name no user: the screen is then a login
    // screen (signing the same person in returns to their session), but the seat stays locked.
    seatLocked: dm.hints.lockScreen,
    screen: { dmHideUsers: dm.hints.hideUsers, dmDefaultSession: dm.hints.defaultSession },
  };
}
