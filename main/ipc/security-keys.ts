// Touch to sign in, wired into the greeter backend (issue #9 items 4-5): the key's PAM service
// (`bastion-greeter-u2f`, pam_u2f) through the helper beside the password's, started only
// when greeter.conf says `security-keys = true` and a FIDO key is listed (node-hid's
// enumeration: nothing is opened, nothing touched); and, on the unlock screen with
// `lock-on-key-removal = true`, the removal watcher once the KEY (not the password) unlocked.
//
// Only the helper carries two conversations at once. LightDM and greetd run one: under them
// both sides take turns on it (main/auth/method-route.ts), which needs pam_bastion_method
// before pam_u2f in the display manager's stack (README, "Touch or type").
import { homedir } from 'node:os';
import type { AuthControllerOptions } from '../auth/controller';
import { helperTransport } from '../auth/helper-transport';
import { keyPluggedIn, readPinRetries, type KeyDeviceAccess } from '../auth/key-device';
import { methodRoute } from '../auth/method-route';
import type { AuthTransport } from '../auth/transport';
import { defaultAuthfile } from '../keys';
import { defaultOrigin } from '../keys/enroll';
import {
  enrolledWatchCredentials,
  logindLockSession,
  RemovalWatch,
  type WatchedCredential,
} from '../keys/removal-watch';
import {
  DEFAULT_POLICY_PATH,
  loadKeyPolicy,
  loadSecurityKeySettings,
  type SecurityKeySettings,
} from '../screens/policy';

/** The key's PAM service (resources/pam/u2f/, the helper's allowlist). */
export const KEY_PAM_SERVICE = 'bastion-greeter-u2f';

/** What the entry points give the backend for the key side; the site's settings decide. */
export interface SecurityKeyWiring {
  /** Lists and opens FIDO keys: node-hid (listFidoDevices, openHidDevice) in the app. */
  devices: KeyDeviceAccess;
  /** The key's PAM service; default `bastion-greeter-u2f`. */
  service?: string;
  /** The key helper's whole environment; default: the password helper's. */
  helperEnv?: Record<string, string>;
  /**
   * Locks the person's session (logind LockSession of $XDG_SESSION_ID): the unlock screen's
   * removal watcher calls it. Null or unset: no removal watch (the login screen, no session).
   */
  lockSession?: (() => Promise<void>) | null;
  /** Poll interval of the removal watcher (RemovalWatch's default: 1 s). */
  removalPollMs?: number;
}

export interface KeySideOptions {
  wiring: SecurityKeyWiring | null;
  /** The display manager's transport, when one carries the password: both sides take turns. */
  dmTransport: AuthTransport | null;
  policyPath: string | undefined;
  helperPath: string;
  socketPath: string | null;
  helperEnv: Record<string, string>;
  deadlineMs: number | undefined;
  log: (line: string) => void;
}

export interface KeySide {
  settings: SecurityKeySettings;
  /** The key side can run here (setting on, devices given). */
  enabled: boolean;
  /**
   * Added to the AuthController's options, after its `transport`: under a display manager the
   * route's password side replaces it.
   */
  controller: Pick<
    AuthControllerOptions,
    'transport' | 'keyTransport' | 'keyReady' | 'keyPinRetries'
  >;
}

export function keySide(options: KeySideOptions): KeySide {
  const settings = loadSecurityKeySettings(options.policyPath ?? DEFAULT_POLICY_PATH, options.log);
  const wiring = options.wiring;
  if (!settings.securityKeys || wiring === null) {
    return { settings, enabled: false, controller: {} };
  }
  const devices = wiring.devices;
  // A listing only: a key is never opened before pam_u2f asks for it.
  const keyReady = (): Promise<boolean> => keyPluggedIn(devices);
  const keyPinRetries = (): Promise<number | null> => readPinRetries(devices);
  if (options.dmTransport !== null) {
    const route = methodRoute(options.dmTransport);
    options.log(
      `security keys: taking turns on ${options.dmTransport.kind}'s one conversation ` +
        "(pam_bastion_method in its PAM stack decides each attempt's way)",
    );
    return {
      settings,
      enabled: true,
      controller: { transport: route.password, keyTransport: route.key, keyReady, keyPinRetries },
    };
  }
  return {
    settings,
    enabled: true,
    controller: {
      keyTransport: helperTransport({
        helperPath: options.helperPath,
        socketPath: options.socketPath,
        service: wiring.service ?? KEY_PAM_SERVICE,
        env: wiring.helperEnv ?? options.helperEnv,
        ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      }),
      keyReady,
      keyPinRetries,
    },
  };
}

export interface RemovalWatchStarterOptions {
  wiring: SecurityKeyWiring;
  policyPath: string | undefined;
  log: (line: string) => void;
}

/**
 * Starts the removal watcher for `user` after the key unlocked their session: finds (without a
 * touch) the plugged-in key holding one of their enrolled credentials, then locks the session
 * when it is unplugged. Resolves with the watcher, or null when there is nothing to watch.
 */
export async function startRemovalWatch(
  user: string,
  options: RemovalWatchStarterOptions,
): Promise<RemovalWatch | null> {
  const lock = options.wiring.lockSession;
  if (!lock) return null;
  const keyPolicy = loadKeyPolicy(options.policyPath ?? DEFAULT_POLICY_PATH, options.log);
  // '' is key-*'s "refused" reading: nothing trustworthy to read the credentials from.
  if (keyPolicy.keyAuthfile === '' || keyPolicy.keyOrigin === '') {
    options.log('lock on key removal: key-authfile or key-origin refused; not watching');
    return null;
  }
  // pam_u2f's default: the person's own file (this process is theirs on the unlock screen).
  const authfile = keyPolicy.keyAuthfile ?? defaultAuthfile(homedir(), process.env.XDG_CONFIG_HOME);
  // The ids AND public keys: a key's touch-free answer counts only once its signature checks.
  let credentials: WatchedCredential[];
  try {
    credentials = enrolledWatchCredentials(authfile, user);
  } catch (error) {
    options.log(`lock on key removal: ${authfile} not read (${(error as Error).name})`);
    return null;
  }
  const watch = await RemovalWatch.start({
    devices: options.wiring.devices,
    rpId: keyPolicy.keyOrigin ?? defaultOrigin(),
    credentials,
    lock,
    ...(options.wiring.removalPollMs === undefined
      ? {}
      : { intervalMs: options.wiring.removalPollMs }),
    log: (line) => options.log(`lock on key removal: ${line}`),
  });
  options.log(
    watch
      ? `lock on key removal: watching ${watch.watched.length} key(s)`
      : 'lock on key removal: no plugged-in key proved the credential without a touch; not watching',
  );
  return watch;
}

/** logind session ids as pam_systemd sets $XDG_SESSION_ID (`2`, `c1`). */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The unlock screen's session lock for the removal watcher: logind's LockSession of
 * $XDG_SESSION_ID, or null (the login screen, no or an odd session id: never lock a guess).
 */
export function sessionLockFromEnvironment(
  mode: 'login' | 'unlock',
  env: Readonly<Record<string, string | undefined>>,
  log: (line: string) => void,
): (() => Promise<void>) | null {
  if (mode !== 'unlock') return null;
  const id = env.XDG_SESSION_ID;
  if (id === undefined || !SESSION_ID_PATTERN.test(id)) {
    if (id !== undefined) log('lock on key removal: XDG_SESSION_ID has an unexpected shape');
    return null;
  }
  return logindLockSession({
    ...(env.DBUS_SYSTEM_BUS_ADDRESS ? { systemBusAddress: env.DBUS_SYSTEM_BUS_ADDRESS } : {}),
    sessionId: id,
  });
}
