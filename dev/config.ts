// Start-up configuration of the development server, from its environment. The Electron
// entry reads the same knobs (app/config.ts); dev/ may not import app/, so this is its own.
import type { GreeterMode, Locale } from '../preload/api';
import { parsePortalUrl, PortalUrlError } from '../main/monitor/portal-url';
import { MAX_SOCKET_PATH_BYTES } from '../main/pam/helper-client';
import type { SessionDirs } from '../main/screens/sessions';

export interface DevServerConfig {
  mode: GreeterMode;
  locale: Locale;
  helperPath: string;
  /**
   * Socket of a socket-activated helper tried before `helperPath` (BASTION_HELPER_SOCKET);
   * null, the default here: the demo spawns the helper's test build.
   */
  helperSocketPath: string | null;
  currentUser: string | null;
  /** Where to lay out the demo PAM stack and state (scripts/start.mjs: build/demo); null: none. */
  demoDir: string | null;
  /** The demo's greeter.conf text (BASTION_DEV_DEMO_POLICY; tests hide the user list). */
  demoPolicy: string;
  /** Fixed port; 0 picks a free one. */
  port: number;
  /** URL the offline monitor probes (https, or http on loopback); null: no probe. */
  portalUrl: URL | null;
  /** Probe interval online and offline alike, for tests and the demo; null: the monitor's. */
  probeIntervalMs: number | null;
  /**
   * Where the session chooser's desktop files come from, instead of the system's (or the
   * demo's) dirs; null: those. For the display-manager tests (e2e/dm-*.test.ts), whose
   * sessions are the rig's.
   */
  sessionDirs: SessionDirs | null;
  /** The site policy file instead of /etc/bastion-greeter/greeter.conf (or the demo's). */
  policyPath: string | null;
  /**
   * Another pam_wrapper service dir for the demo's helper instead of the demo stack
   * (BASTION_DEV_PAM_DIR, absolute): its `bastion-greeter` and, for keys, `bastion-greeter-u2f`,
   * with the pam_matrix file `passdb` beside them. e2e/security-key.test.ts runs real pam_u2f
   * this way. Null: the demo stack.
   */
  pamDir: string | null;
  /**
   * TEST RIG ONLY: the fake-hidraw shim this process was started with (LD_PRELOAD holds
   * `…/fake_hidraw.so` and BASTION_FAKE_HIDRAW_DIR is set), handed on to the demo's helper so
   * its pam_u2f sees the same software keys as node-hid here. Null otherwise.
   */
  fakeHidraw: { library: string; dir: string } | null;
}

export class DevConfigError extends Error {
  readonly code = 'DEV_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'DevConfigError';
  }
}

/**
 * Reads BASTION_MODE (login|unlock), BASTION_LOCALE (en|fr), BASTION_HELPER (absolute path),
 * BASTION_HELPER_SOCKET (absolute path of a socket-activated helper, tried first; unset or
 * empty: none),
 * BASTION_USER (the locked session's user; the demo defaults it to `demo`),
 * BASTION_DEV_DEMO_DIR, BASTION_DEV_PORT and BASTION_PORTAL_URL (the URL the offline monitor
 * probes: https, or http on loopback for the demo and tests; unset: no probe) and
 * BASTION_DEV_PROBE_INTERVAL_MS (its probe interval, online and offline alike),
 * BASTION_DEV_XSESSIONS_DIR / BASTION_DEV_WAYLAND_SESSIONS_DIR (absolute; either set: both
 * replace the system's session dirs, an unset one then reads as none) and
 * BASTION_DEV_POLICY (absolute path of the site policy file to read instead).
 */
export function readDevServerConfig(
  env: Readonly<Record<string, string | undefined>>,
): DevServerConfig {
  const mode = env.BASTION_MODE || 'login';
  if (mode !== 'login' && mode !== 'unlock') {
    throw new DevConfigError(`BASTION_MODE must be login or unlock, not "${mode}"`);
  }
  const locale = env.BASTION_LOCALE || 'en';
  if (locale !== 'en' && locale !== 'fr') {
    throw new DevConfigError(`BASTION_LOCALE must be en or fr, not "${locale}"`);
  }
  const helperPath = env.BASTION_HELPER ?? '';
  if (!helperPath.startsWith('/')) {
    throw new DevConfigError('BASTION_HELPER must be the absolute path of the PAM helper');
  }
  const helperSocketPath = env.BASTION_HELPER_SOCKET || null;
  if (
    helperSocketPath !== null &&
    (!helperSocketPath.startsWith('/') ||
      Buffer.byteLength(helperSocketPath) > MAX_SOCKET_PATH_BYTES)
  ) {
    throw new DevConfigError(
      `BASTION_HELPER_SOCKET must be absolute, at most ${MAX_SOCKET_PATH_BYTES} bytes`,
    );
  }
  const demoDir = env.BASTION_DEV_DEMO_DIR || null;
  if (demoDir !== null && !demoDir.startsWith('/')) {
    throw new DevConfigError('BASTION_DEV_DEMO_DIR must be absolute');
  }
  const port = Number(env.BASTION_DEV_PORT || '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DevConfigError('BASTION_DEV_PORT must be a port number');
  }
  const currentUser = env.BASTION_USER || (mode === 'unlock' && demoDir ? 'demo' : null);
  let portalUrl: URL | null;
  try {
    portalUrl = parsePortalUrl(env.BASTION_PORTAL_URL, { allowLoopbackHttp: true });
  } catch (error) {
    if (!(error instanceof PortalUrlError)) throw error;
    throw new DevConfigError(`BASTION_PORTAL_URL: ${error.message}`);
  }
  const interval = env.BASTION_DEV_PROBE_INTERVAL_MS || null;
  const probeIntervalMs = interval === null ? null : Number(interval);
  if (
    probeIntervalMs !== null &&
    (!Number.isSafeInteger(probeIntervalMs) || probeIntervalMs < 50)
  ) {
    throw new DevConfigError('BASTION_DEV_PROBE_INTERVAL_MS must be an integer >= 50');
  }
  const x11 = env.BASTION_DEV_XSESSIONS_DIR || null;
  const wayland = env.BASTION_DEV_WAYLAND_SESSIONS_DIR || null;
  for (const [name, dir] of [
    ['BASTION_DEV_XSESSIONS_DIR', x11],
    ['BASTION_DEV_WAYLAND_SESSIONS_DIR', wayland],
  ] as const) {
    if (dir !== null && !dir.startsWith('/')) throw new DevConfigError(`${name} must be absolute`);
  }
  // A dir that does not exist offers no session (main/screens/sessions.ts skips ENOENT).
  const none = '/nonexistent/bastion-no-sessions';
  const sessionDirs =
    x11 === null && wayland === null ? null : { x11: x11 ?? none, wayland: wayland ?? none };
  const policyPath = env.BASTION_DEV_POLICY || null;
  if (policyPath !== null && !policyPath.startsWith('/')) {
    throw new DevConfigError('BASTION_DEV_POLICY must be absolute');
  }
  const pamDir = env.BASTION_DEV_PAM_DIR || null;
  if (pamDir !== null && !pamDir.startsWith('/')) {
    throw new DevConfigError('BASTION_DEV_PAM_DIR must be absolute');
  }
  const shim = (env.LD_PRELOAD ?? '')
    .split(/[ :]/)
    .find((entry) => entry.startsWith('/') && entry.endsWith('/fake_hidraw.so'));
  const hidrawDir = env.BASTION_FAKE_HIDRAW_DIR ?? '';
  const fakeHidraw =
    shim !== undefined && hidrawDir.startsWith('/') ? { library: shim, dir: hidrawDir } : null;
  return {
    mode,
    locale,
    helperPath,
    helperSocketPath,
    currentUser,
    demoDir,
    demoPolicy: env.BASTION_DEV_DEMO_POLICY ?? '',
    port,
    portalUrl,
    probeIntervalMs,
    sessionDirs,
    policyPath,
    pamDir,
    fakeHidraw,
  };
}
