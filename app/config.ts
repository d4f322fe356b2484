// The greeter's start-up configuration, from the command line and the environment.
// Command-line flags win over environment variables; anything unrecognised is an error at
// start (a greeter that silently falls back to another mode is worse than one that stops).
import type { GreeterMode, Locale } from '../preload/api';
import { parsePortalUrl, PortalUrlError } from '../main/monitor/portal-url';
import { MAX_SOCKET_PATH_BYTES } from '../main/pam/helper-client';

export interface GreeterConfig {
  mode: GreeterMode;
  locale: Locale;
  /** Absolute path of the setuid PAM helper (used when the helper socket is absent). */
  helperPath: string;
  /**
   * Socket of the socket-activated helper (resources/systemd/), preferred when something
   * listens there; null: the setuid helper only.
   */
  helperSocketPath: string | null;
  /** The locked session's user (unlock mode). */
  currentUser: string | null;
  /** Windowed instead of fullscreen kiosk (debugging only). */
  windowed: boolean;
  /**
   * The URL the online/offline monitor probes (BASTION_PORTAL_URL, https only), e.g.
   * `https://auth.example.com/.well-known/openid-configuration`; null: no probe, offline is
   * then known only from the PAM stack's OFFLINE_* lines.
   */
  portalUrl: URL | null;
}

export type ConfigErrorCode =
  | 'CONFIG_BAD_MODE'
  | 'CONFIG_BAD_LOCALE'
  | 'CONFIG_BAD_PATH'
  | 'CONFIG_BAD_URL'
  | 'CONFIG_UNKNOWN_FLAG';

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  constructor(code: ConfigErrorCode, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
  }
}

/** Where packages install the helper (setuid root); see resources/. */
export const DEFAULT_HELPER_PATH = '/usr/libexec/bastion-greeter/bastion-pam-helper';
/**
 * The greeter's socket: ListenStream= of resources/systemd/bastion-pam-helper-greeter.socket,
 * which only the greeter group may open (no local user can crowd the login screen out).
 */
export const DEFAULT_HELPER_SOCKET = '/run/bastion-pam-helper-greeter.sock';
/** In-session callers' socket (anyone): resources/systemd/bastion-pam-helper.socket. */
export const PUBLIC_HELPER_SOCKET = '/run/bastion-pam-helper.sock';

type Flag = '--mode' | '--locale' | '--helper' | '--helper-socket' | '--user';

function parseFlags(argv: readonly string[]): { values: Map<Flag, string>; windowed: boolean } {
  const values = new Map<Flag, string>();
  let windowed = false;
  for (const arg of argv) {
    if (arg === '--windowed') {
      windowed = true;
      continue;
    }
    if (!arg.startsWith('--bastion-')) continue; // Chromium/Electron switches pass through
    const match = /^--bastion-(mode|locale|helper|helper-socket|user)=(.*)$/.exec(arg);
    if (!match) throw new ConfigError('CONFIG_UNKNOWN_FLAG', `unknown option ${arg.split('=')[0]}`);
    values.set(`--${match[1]}` as Flag, match[2]!);
  }
  return { values, windowed };
}

/**
 * Reads `--bastion-mode=`, `--bastion-locale=`, `--bastion-helper=`,
 * `--bastion-helper-socket=`, `--bastion-user=`, `--windowed` and the environment knobs
 * BASTION_MODE, BASTION_LOCALE, BASTION_HELPER, BASTION_HELPER_SOCKET (absolute path; empty:
 * the setuid helper only), BASTION_USER and BASTION_PORTAL_URL (https URL the offline monitor
 * probes; unset: none).
 */
export function readGreeterConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): GreeterConfig {
  const { values, windowed } = parseFlags(argv);
  const mode = values.get('--mode') ?? env.BASTION_MODE ?? 'login';
  if (mode !== 'login' && mode !== 'unlock') {
    throw new ConfigError('CONFIG_BAD_MODE', `mode must be login or unlock, not "${mode}"`);
  }
  const locale = values.get('--locale') ?? env.BASTION_LOCALE ?? 'en';
  if (locale !== 'en' && locale !== 'fr') {
    throw new ConfigError('CONFIG_BAD_LOCALE', `locale must be en or fr, not "${locale}"`);
  }
  const helperPath = values.get('--helper') ?? env.BASTION_HELPER ?? DEFAULT_HELPER_PATH;
  if (!helperPath.startsWith('/')) {
    throw new ConfigError('CONFIG_BAD_PATH', 'the helper path must be absolute');
  }
  const socket =
    values.get('--helper-socket') ?? env.BASTION_HELPER_SOCKET ?? DEFAULT_HELPER_SOCKET;
  const helperSocketPath = socket === '' ? null : socket;
  if (
    helperSocketPath !== null &&
    (!helperSocketPath.startsWith('/') ||
      Buffer.byteLength(helperSocketPath) > MAX_SOCKET_PATH_BYTES)
  ) {
    throw new ConfigError(
      'CONFIG_BAD_PATH',
      `the helper socket path must be absolute, at most ${MAX_SOCKET_PATH_BYTES} bytes`,
    );
  }
  const currentUser = values.get('--user') ?? env.BASTION_USER ?? null;
  let portalUrl: URL | null;
  try {
    portalUrl = parsePortalUrl(env.BASTION_PORTAL_URL, { allowLoopbackHttp: false });
  } catch (error) {
    if (!(error instanceof PortalUrlError)) throw error;
    throw new ConfigError('CONFIG_BAD_URL', `BASTION_PORTAL_URL: ${error.message}`);
  }
  return {
    mode,
    locale,
    helperPath,
    helperSocketPath,
    currentUser: currentUser || null,
    windowed,
    portalUrl,
  };
}
