// `bastion-offline guard`: the ROOT session guard (Open Bastion's ob-session-monitor model),
// one pass per run (bastion-session-guard.timer starts it every 60 s), or a loop with
// --interval. Root only: it reads the markers `verify` wrote, writes the force-online list
// `verify` obeys, and ends other users' sessions through logind; none of that may be left to
// a process the person can kill or a file the person can write (main/monitor/README.md).
// The pass itself is main/monitor/root-guard.ts; this file reads its settings.
//
// Settings: the portal and its TLS policy from sso.conf (main/sso/site-config.ts, the one
// reader); Open Bastion's server token (and request signing secret) from root-only files given
// here, never argv or env values; the two Open Bastion durations in seconds. Without a server
// token no user can be revalidated root-side (a refresh grant needs the person's own tokens),
// and the pass says so: then only offline_max_sso_unreachable and the grace apply.
// Exit status: 0 the pass ran, 1 it could not (settings, state), 2 usage or not root.
import { OfflineCode } from '../offline/codes';
import { readPrivateFile } from '../offline/secure-fs';
import { DEFAULT_FORCE_ONLINE_PATH, FileForceOnlineList } from '../monitor/force-online';
import { DEFAULT_GUARD_STATE_PATH, FileGuardState } from '../monitor/guard-state';
import { defaultRouteUp } from '../monitor/network';
import { DEFAULT_OFFLINE_SESSIONS_DIR, FileOfflineSessions } from '../monitor/offline-sessions';
import { describeGuardEvent, runGuardPass } from '../monitor/root-guard';
import {
  createGuardPortal,
  type GuardOpenBastionSecrets,
  type GuardPortal,
} from '../monitor/root-guard-sso';
import { LogindSessionEnder } from '../monitor/session-ender';
import {
  DEFAULT_MAX_SSO_UNREACHABLE_MS,
  DEFAULT_REVALIDATION_GRACE_MS,
  SessionGuard,
} from '../monitor/session-guard';
import type { SsoConfig } from '../sso/config';
import { DEFAULT_SSO_CONF, SsoConfError, readSiteSsoConf } from '../sso/site-config';
// Types only from ./args: its values pull the offline cache (and its Argon2 addon loader) in.
import type { CliIo } from './args';

export const GUARD_HELP = [
  'usage: bastion-offline guard [options]      (root only)',
  '  one pass of the session guard: probe the portal (sso.conf), revalidate offline sessions,',
  '  apply offline_max_sso_unreachable and offline_revalidation_grace, write the force-online',
  '  list, end sessions through logind. bastion-session-guard.timer runs it every 60 s.',
  'options:',
  `  --sso-config PATH            the portal and its TLS policy (default ${DEFAULT_SSO_CONF})`,
  '  --server-token-file PATH     Open Bastion server token (root-only file): revalidation through',
  '                               /pam/userinfo; without it no user can be revalidated root-side',
  '  --signing-secret-file PATH   Open Bastion request signing secret (root-only file)',
  `  --max-sso-unreachable SECS   offline_max_sso_unreachable, 60..604800 (default ${DEFAULT_MAX_SSO_UNREACHABLE_MS / 1000})`,
  `  --revalidation-grace SECS    offline_revalidation_grace, 60..2592000 (default ${DEFAULT_REVALIDATION_GRACE_MS / 1000})`,
  `  --offline-sessions DIR       the markers verify writes (default ${DEFAULT_OFFLINE_SESSIONS_DIR})`,
  `  --force-online PATH          the list verify reads (default ${DEFAULT_FORCE_ONLINE_PATH})`,
  `  --state PATH                 "unreachable since", kept between passes (default ${DEFAULT_GUARD_STATE_PATH})`,
  '  --interval SECS              loop, one pass every SECS (10..3600), until SIGTERM',
  "  --system-bus ADDRESS         logind's bus, unix:path=/… (default: the system bus)",
  '  --proc-root DIR              where net/route is read for "network up" (default /proc)',
].join('\n');

export type GuardErrorCode = 'GUARD_NOT_ROOT' | 'GUARD_CONFIG' | 'GUARD_USAGE';

export class GuardError extends Error {
  constructor(
    readonly code: GuardErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GuardError';
  }
}

class GuardUsageError extends Error {
  readonly code = 'GUARD_USAGE';
}

/** Builds the portal side (main/monitor/root-guard-sso.ts's createGuardPortal fits). */
export type GuardPortalFactory = (
  config: SsoConfig,
  openBastion: GuardOpenBastionSecrets | null,
) => Promise<GuardPortal>;

export interface GuardDeps {
  /** Default: main/monitor/root-guard-sso.ts's createGuardPortal. */
  portal?: GuardPortalFactory;
  euid?: () => number;
  /** Ends a --interval loop (default: SIGTERM or SIGINT). */
  stop?: AbortSignal;
}

/** Loaded lazily by offline-command.ts: this pulls main/sso's transport, verify does not. */
const sourcePortal: GuardPortalFactory = async (config, openBastion) =>
  createGuardPortal(config, openBastion);

interface GuardOptions {
  ssoConfig: string;
  serverTokenFile?: string;
  signingSecretFile?: string;
  maxUnreachableSeconds: number;
  graceSeconds: number;
  offlineSessions: string;
  forceOnline: string;
  state: string;
  intervalSeconds?: number;
  systemBus?: string;
  procRoot: string;
  help: boolean;
}

const PATHS = {
  '--sso-config': 'ssoConfig',
  '--server-token-file': 'serverTokenFile',
  '--signing-secret-file': 'signingSecretFile',
  '--offline-sessions': 'offlineSessions',
  '--force-online': 'forceOnline',
  '--state': 'state',
  '--proc-root': 'procRoot',
} as const;
const SECONDS = {
  '--max-sso-unreachable': ['maxUnreachableSeconds', 60, 604_800],
  '--revalidation-grace': ['graceSeconds', 60, 2_592_000],
  '--interval': ['intervalSeconds', 10, 3_600],
} as const;

export function parseGuardArgs(argv: readonly string[]): GuardOptions {
  const options: GuardOptions = {
    ssoConfig: DEFAULT_SSO_CONF,
    maxUnreachableSeconds: DEFAULT_MAX_SSO_UNREACHABLE_MS / 1000,
    graceSeconds: DEFAULT_REVALIDATION_GRACE_MS / 1000,
    offlineSessions: DEFAULT_OFFLINE_SESSIONS_DIR,
    forceOnline: DEFAULT_FORCE_ONLINE_PATH,
    state: DEFAULT_GUARD_STATE_PATH,
    procRoot: '/proc',
    help: false,
  };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      options.help = true;
      continue;
    }
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const known = name in PATHS || name in SECONDS || name === '--system-bus';
    if (!known)
      throw new GuardUsageError(
        `guard: unknown ${name.startsWith('-') ? 'option' : 'argument'} ${name}`,
      );
    if (seen.has(name)) throw new GuardUsageError(`guard: ${name} given twice`);
    seen.add(name);
    const value = inline ?? argv[++i];
    if (value === undefined || value === '')
      throw new GuardUsageError(`guard: ${name} needs a value`);
    if (name === '--system-bus') {
      if (!/^unix:path=\/[^;,]+$/.test(value))
        throw new GuardUsageError('guard: --system-bus takes unix:path=/…');
      options.systemBus = value;
    } else if (name in PATHS) {
      if (!value.startsWith('/'))
        throw new GuardUsageError(`guard: ${name} needs an absolute path`);
      (options as unknown as Record<string, string>)[PATHS[name as keyof typeof PATHS]] = value;
    } else {
      const [key, min, max] = SECONDS[name as keyof typeof SECONDS];
      const n = /^[0-9]{1,9}$/.test(value) ? Number(value) : NaN;
      if (!(n >= min && n <= max)) throw new GuardUsageError(`guard: ${name} takes ${min}..${max}`);
      (options as unknown as Record<string, number>)[key] = n;
    }
  }
  return options;
}

/** A secret from a root-only file (owner root, no group/world access, no symlink), trimmed. */
function secretFile(path: string, what: string): string {
  let bytes: Buffer | null;
  try {
    bytes = readPrivateFile(path, { what, maxBytes: 16 * 1024, badCode: OfflineCode.INVALID });
  } catch (error) {
    throw new GuardError('GUARD_CONFIG', `${what}: ${(error as Error).message}`);
  }
  if (bytes === null) throw new GuardError('GUARD_CONFIG', `${what} ${path} is missing`);
  const value = bytes.toString('utf8').trim();
  bytes.fill(0);
  if (value === '' || /\s/.test(value) || [...value].some((c) => c < ' ' || c === '\x7f'))
    throw new GuardError('GUARD_CONFIG', `${what} ${path} is empty or not one word`);
  return value;
}

function portalConfig(path: string): SsoConfig {
  let site;
  try {
    site = readSiteSsoConf(path);
  } catch (error) {
    if (error instanceof SsoConfError) throw new GuardError('GUARD_CONFIG', error.message);
    throw error;
  }
  if (site === null)
    throw new GuardError('GUARD_CONFIG', `sso.conf ${path} is missing: no portal to watch`);
  const config: SsoConfig = { issuer: site.issuer, clientId: site.clientId, tls: { ...site.tls } };
  if (site.timeoutMs !== undefined) config.timeoutMs = site.timeoutMs;
  return config;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

function processStop(): AbortSignal {
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return abort.signal;
}

export async function bastionGuard(
  argv: readonly string[],
  io: CliIo,
  deps: GuardDeps = {},
): Promise<number> {
  const log = (line: string): void => io.err(`bastion-offline guard: ${line}`);
  let options: GuardOptions;
  try {
    options = parseGuardArgs(argv);
  } catch (error) {
    if (!(error instanceof GuardUsageError)) throw error;
    io.err(`bastion-offline: ${error.message}\n${GUARD_HELP.split('\n')[0]}`);
    return 2;
  }
  if (options.help) {
    io.out(GUARD_HELP);
    return 0;
  }
  const euid = (deps.euid ?? (() => process.geteuid?.() ?? -1))();
  if (euid !== 0) {
    log(
      `refused (${'GUARD_NOT_ROOT' satisfies GuardErrorCode}): the guard runs as root ` +
        '(bastion-session-guard.service); a guard the person could stop would enforce nothing',
    );
    return 2;
  }
  let portal: GuardPortal;
  let guard: SessionGuard;
  try {
    const config = { ...portalConfig(options.ssoConfig), log };
    const openBastion: GuardOpenBastionSecrets | null =
      options.serverTokenFile === undefined
        ? null
        : {
            serverToken: secretFile(options.serverTokenFile, 'server token file'),
            ...(options.signingSecretFile === undefined
              ? {}
              : { signingSecret: secretFile(options.signingSecretFile, 'signing secret file') }),
          };
    if (openBastion === null) {
      if (options.signingSecretFile !== undefined)
        throw new GuardError('GUARD_CONFIG', '--signing-secret-file needs --server-token-file');
      log(
        'no Open Bastion server token (--server-token-file): offline sessions cannot be ' +
          "revalidated root-side (a refresh grant needs the person's own tokens, which root " +
          'does not hold); only offline_max_sso_unreachable and offline_revalidation_grace apply',
      );
    }
    portal = await (deps.portal ?? sourcePortal)(config, openBastion);
    guard = new SessionGuard({
      sessions: new FileOfflineSessions(options.offlineSessions, log),
      revalidator: portal.revalidator,
      forceOnline: new FileForceOnlineList(options.forceOnline),
      ender: new LogindSessionEnder(
        options.systemBus === undefined ? {} : { systemBusAddress: options.systemBus },
        log,
      ),
      revalidationGraceMs: options.graceSeconds * 1000,
      maxSsoUnreachableMs: options.maxUnreachableSeconds * 1000,
      log,
    });
  } catch (error) {
    if (!(error instanceof GuardError)) throw error;
    log(`${error.code}: ${error.message}`);
    return 1;
  }
  const state = new FileGuardState(options.state, log);
  const stop =
    deps.stop ??
    (options.intervalSeconds === undefined ? new AbortController().signal : processStop());
  let status = 0;
  try {
    do {
      const result = await runGuardPass({
        networkUp: () => defaultRouteUp(options.procRoot),
        reach: portal.reach,
        state,
        guard,
        log,
      });
      for (const event of result.events)
        io.out(`bastion-offline guard: ${describeGuardEvent(event)}`);
      io.out(
        `bastion-offline guard: pass done: ${result.status.state} since ` +
          `${new Date(result.status.since).toISOString()}`,
      );
      status = result.stateSaveError === null ? 0 : 1;
      if (options.intervalSeconds === undefined) break;
      await sleep(options.intervalSeconds * 1000, stop);
    } while (!stop.aborted);
  } finally {
    await portal.close();
  }
  return status;
}
