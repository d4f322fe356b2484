// Start-up configuration of the development server, from its environment. The Electron
// entry reads the same knobs (app/config.ts); dev/ may not import app/, so this is its own.
import type { GreeterMode, Locale } from '../preload/api';
import { parsePortalUrl, PortalUrlError } from '../main/monitor/portal-url';
import { MAX_SOCKET_PATH_BYTES } from '../main/pam/helper-client';

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
  /** Fixed port; 0 picks a free one. */
  port: number;
  /** URL the offline monitor probes (https, or http on loopback); null: no probe. */
  portalUrl: URL | null;
  /** Probe interval online and offline alike, for tests and the demo; null: the monitor's. */
  probeIntervalMs: number | null;
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
 * BASTION_DEV_PROBE_INTERVAL_MS (its probe interval, online and offline alike).
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
  return {
    mode,
    locale,
    helperPath,
    helperSocketPath,
    currentUser,
    demoDir,
    port,
    portalUrl,
    probeIntervalMs,
  };
}
