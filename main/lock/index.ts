// The in-session locker of the light-locker model (README.md in this folder): runs in the
// person's X session under LightDM, watches its logind session (Lock, Unlock, Active) and
// PrepareForSleep, blanks the session's screen and asks LightDM to lock the seat.
// Started by `bastion-greeter --session-locker` (resources/autostart/) or, for the Chromium
// fallback and tests, build/dev/session-locker.mjs (./main.ts). No electron here.
import type { BusctlOptions } from '../power/busctl';
import { superviseGdbusMonitor, type SupervisedMonitor } from '../power/gdbus-monitor';
import { startSleepLockGuard, type SleepLockGuard } from '../power/sleep-inhibitor';
import { DEFAULT_BLANKER_PATH, X11Blanker, type Blanker } from './blanker';
import { displayManagerTarget, lightdmLock, type DisplayManagerLock } from './display-manager';
import { LockError } from './errors';
import {
  LOGIND_DEST,
  parseSessionSignal,
  readLockedHint,
  resolveSessionPath,
  setLockedHint,
} from './logind-session';
import { SessionLocker } from './session-locker';

export { LockError, type LockErrorCode } from './errors';
export {
  DEFAULT_BLANKER_PATH,
  X11Blanker,
  parseReadyLine,
  type Blanker,
  type X11BlankerOptions,
} from './blanker';
export {
  displayManagerTarget,
  lightdmLock,
  type DisplayManagerLock,
  type DisplayManagerTarget,
} from './display-manager';
export {
  parseSessionSignal,
  readLockedHint,
  resolveSessionPath,
  setLockedHint,
  type SessionEvent,
} from './logind-session';
export { SessionLocker, type LockReason, type SessionLockerDeps } from './session-locker';
export {
  covers,
  parseXwininfo,
  rootGeometry,
  windowGeometry,
  type WindowGeometry,
  type X11Target,
} from './x11';

/** What the locker needs from the session's environment. */
export interface SessionLockerConfig {
  display: string;
  xauthority?: string;
  /** HOME, where Xlib finds .Xauthority when XAUTHORITY is unset. */
  home?: string;
  /** The blanker binary: BASTION_SESSION_BLANKER (absolute), else DEFAULT_BLANKER_PATH. */
  blankerPath: string;
  /** logind's bus (the system bus). */
  logindBus: BusctlOptions;
  /** LightDM's bus: the system bus, or the session bus under `lightdm --test-mode`. */
  displayManagerBus: BusctlOptions;
}

/**
 * Reads the configuration from the session's environment. Refuses (LockError) outside an X11
 * session started by LightDM: on Wayland the compositor's ext-session-lock locker locks.
 * `BASTION_LOCK_DM_BUS=session` says LightDM runs in `--test-mode` (it then serves its D-Bus
 * API on the session bus): for the test rig and development only. `BASTION_SESSION_BLANKER`
 * names another blanker binary (tests, a build tree): the locker and the blanker run as the
 * person, who can run any program in their session anyway, so it grants nothing.
 */
export function sessionLockerConfig(env: NodeJS.ProcessEnv): SessionLockerConfig {
  if (env.XDG_SESSION_TYPE === 'wayland' || env.WAYLAND_DISPLAY) {
    throw new LockError(
      'LOCK_NOT_X11',
      'a Wayland session: its compositor’s ext-session-lock locker locks it, not this',
    );
  }
  const display = /^[A-Za-z0-9._-]*:[0-9]{1,4}(\.([0-9]{1,2}))?$/.exec(env.DISPLAY ?? '');
  if (!env.DISPLAY || !display) {
    throw new LockError('LOCK_NOT_X11', 'no X display (DISPLAY)');
  }
  // The blanker covers the screen DISPLAY names, and only that one: a locker on :0.1 of a
  // multi-screen ("Zaphod") server would leave screen 0 uncovered. Refused rather than half
  // done; such setups are rare (one screen spanning every monitor is the norm with RandR).
  if (display[2] !== undefined && Number(display[2]) !== 0) {
    throw new LockError(
      'LOCK_SCREEN_UNSUPPORTED',
      `DISPLAY ${env.DISPLAY} names X screen ${Number(display[2])}: only screen 0 is covered`,
    );
  }
  const system = env.DBUS_SYSTEM_BUS_ADDRESS
    ? { systemBusAddress: env.DBUS_SYSTEM_BUS_ADDRESS }
    : {};
  let displayManagerBus: BusctlOptions = system;
  if (env.BASTION_LOCK_DM_BUS === 'session') {
    if (!env.DBUS_SESSION_BUS_ADDRESS) {
      throw new LockError('LOCK_NOT_LIGHTDM', 'BASTION_LOCK_DM_BUS=session without a session bus');
    }
    displayManagerBus = { systemBusAddress: env.DBUS_SESSION_BUS_ADDRESS };
  }
  const blankerPath = env.BASTION_SESSION_BLANKER || DEFAULT_BLANKER_PATH;
  if (!blankerPath.startsWith('/')) {
    throw new LockError('LOCK_BAD_PATH', 'BASTION_SESSION_BLANKER must be an absolute path');
  }
  return {
    display: env.DISPLAY,
    ...(env.XAUTHORITY ? { xauthority: env.XAUTHORITY } : {}),
    ...(env.HOME ? { home: env.HOME } : {}),
    blankerPath,
    logindBus: system,
    displayManagerBus,
  };
}

export interface RunningSessionLocker {
  locker: SessionLocker;
  sessionPath: string;
  guard: SleepLockGuard;
  /** Stops watching (the blanker is left up if locked: fail closed). */
  close(): Promise<void>;
}

export interface StartSessionLockerOptions {
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** Default: bastion-session-blanker (X11Blanker) on the session's display. */
  blanker?: Blanker;
  /** Default: LightDM's D-Bus API from XDG_SESSION_PATH / XDG_SEAT_PATH. */
  dm?: DisplayManagerLock;
}

/** Starts the locker in this session; rejects with LockError (a refusal) when it does not apply. */
export async function startSessionLocker(
  options: StartSessionLockerOptions,
): Promise<RunningSessionLocker> {
  const { env, log } = options;
  const config = sessionLockerConfig(env);
  let dm = options.dm;
  if (!dm) {
    const target = displayManagerTarget(env, config.displayManagerBus);
    if (!target) {
      throw new LockError(
        'LOCK_NOT_LIGHTDM',
        'no XDG_SESSION_PATH or XDG_SEAT_PATH: LightDM did not start this session',
      );
    }
    dm = lightdmLock(target);
  }
  const sessionPath = await resolveSessionPath(env, config.logindBus);
  const blanker =
    options.blanker ??
    new X11Blanker({
      display: config.display,
      ...(config.xauthority ? { xauthority: config.xauthority } : {}),
      ...(config.home ? { home: config.home } : {}),
      blankerPath: config.blankerPath,
      log,
    });
  const locker = new SessionLocker({
    blanker,
    dm,
    log,
    // LockedHint is what a locker restarted (or a watch restarted) reads back: logind keeps it
    // for the session, and only the session's owner (or root) may set it.
    onLockedChanged: (locked) =>
      setLockedHint(config.logindBus, sessionPath, locked).catch((error: unknown) =>
        log(`LockedHint not set: ${(error as Error).message}`),
      ),
  });

  const monitor: SupervisedMonitor = superviseGdbusMonitor({
    systemBusAddress: config.logindBus.systemBusAddress,
    dest: LOGIND_DEST,
    objectPath: sessionPath,
    log,
    onLine: (line) => {
      const event = parseSessionSignal(line, sessionPath);
      if (event) void locker.handle(event);
    },
    // Blind to Lock/Unlock until it runs again; the blanker's state is kept as it is.
    onDown: () => undefined,
    // Subscribed (at start, and after each restart): a Lock sent before (the locker restarted
    // while locked, or one sent while the watch was down) shows as LockedHint. Only a lock is
    // taken from it: a false hint never unblanks (only logind's Unlock does).
    onSubscribed: () => {
      void readLockedHint(config.logindBus, sessionPath).then(
        (hint) => {
          if (hint && !locker.isLocked) void locker.lock('logind LockedHint');
        },
        (error: unknown) => log(`LockedHint not read: ${(error as Error).message}`),
      );
    },
  });
  let guard: SleepLockGuard;
  try {
    guard = await startSleepLockGuard({
      ...config.logindBus,
      // Resolves once the blanker is up and LightDM was asked: logind may suspend then.
      lock: () => locker.lock('before sleep'),
      log: (line) => log(`sleep guard: ${line}`),
    });
  } catch (error) {
    monitor.close();
    locker.close();
    throw error;
  }
  log(`watching ${sessionPath} on ${config.display}`);
  return {
    locker,
    sessionPath,
    guard,
    async close() {
      monitor.close();
      locker.close();
      await guard.close();
    },
  };
}
