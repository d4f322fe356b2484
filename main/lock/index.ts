// The in-session locker of the light-locker model (README.md in this folder): runs in the
// person's X session under LightDM, watches its logind session (Lock, Unlock, Active) and
// PrepareForSleep, blanks the session's screen and asks LightDM to lock the seat.
// Started by `bastion-greeter --session-locker` (resources/autostart/) or, for the Chromium
// fallback and tests, build/dev/session-locker.mjs (./main.ts). No electron here.
import type { BusctlOptions } from '../power/busctl';
import { startGdbusMonitor, type GdbusMonitor } from '../power/gdbus-monitor';
import { startSleepLockGuard, type SleepLockGuard } from '../power/sleep-inhibitor';
import { DEFAULT_BLANKER_PATH, X11Blanker, type Blanker } from './blanker';
import { displayManagerTarget, lightdmLock, type DisplayManagerLock } from './display-manager';
import { LockError } from './errors';
import { LOGIND_DEST, parseSessionSignal, resolveSessionPath } from './logind-session';
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
export { parseSessionSignal, resolveSessionPath, type SessionEvent } from './logind-session';
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
  if (!env.DISPLAY || !/^[A-Za-z0-9._-]*:[0-9]{1,4}(\.[0-9]{1,2})?$/.test(env.DISPLAY)) {
    throw new LockError('LOCK_NOT_X11', 'no X display (DISPLAY)');
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
  const locker = new SessionLocker({ blanker, dm, log });

  let closed = false;
  let monitor: GdbusMonitor | null = null;
  const watch = (): void => {
    monitor = startGdbusMonitor({
      systemBusAddress: config.logindBus.systemBusAddress,
      dest: LOGIND_DEST,
      objectPath: sessionPath,
      onLine: (line) => {
        const event = parseSessionSignal(line, sessionPath);
        if (event) void locker.handle(event);
      },
      onExit: (why) => {
        if (closed) return;
        // Blind to Lock/Unlock until it runs again; the blanker's state is kept as it is.
        log(`${why}: watching the session again in 1 s`);
        setTimeout(() => {
          if (!closed) watch();
        }, 1_000).unref();
      },
    });
  };
  watch();
  let guard: SleepLockGuard;
  try {
    guard = await startSleepLockGuard({
      ...config.logindBus,
      // Resolves once the blanker is up and LightDM was asked: logind may suspend then.
      lock: () => locker.lock('before sleep'),
      log: (line) => log(`sleep guard: ${line}`),
    });
  } catch (error) {
    closed = true;
    monitor!.close();
    locker.close();
    throw error;
  }
  log(`watching ${sessionPath} on ${config.display}`);
  return {
    locker,
    sessionPath,
    guard,
    async close() {
      closed = true;
      monitor?.close();
      locker.close();
      await guard.close();
    },
  };
}
