// bastion-offline: the OBCRED01 cache as a command for the PAM stack, run by
//   pam_exec.so seteuid expose_authtok [stdout] quiet <entry> verify|store|status
// The user comes from PAM_USER (set by pam_exec), the password from stdin (never argv/env).
// stdout is the greeter protocol, one line: OFFLINE_OK:<expires_at>, OFFLINE_ERROR:<code>[:<secs>]
// or OFFLINE_STATUS:<expires_at>:<locked_until>. The administrator gets one line with the real
// reason: on stderr, except under pam_exec (PAM_TYPE set), whose `stdout` option would show
// stderr on the login screen: there it goes to syslog (authpriv, tag bastion-offline).
// verify shows "no entry" exactly as "wrong password" (OFFLINE_ERROR:-8, same exit status, same
// Argon2id work): the login screen must not tell who has a cached login. LOCKED (-6) still
// differs — only an existing entry can be locked — and EXPIRED (-5) answers the right password.
// PAM_USER is read as bytes from the initial environment and must be valid UTF-8: Node's own
// decoding would turn every invalid byte into U+FFFD and give different names one entry.
// Exit status: 0 success, 1 refused (any OFFLINE_ERROR; an unsafe cache dir or key file is
// OFFLINE_ERROR:-2 with its reason for the administrator), 2 usage error.
import { DEFAULT_SYSLOG_SOCKET, logForAdmin, oneLine } from '../offline/admin-log';
import { OfflineCacheError, OfflineCode } from '../offline/codes';
import { DEFAULT_CACHE_DIR, OfflineCache } from '../offline/cache';
import { looksLikeToken, passwordFromStdin } from '../offline/password';
import { COMMON_OPTIONS_HELP, UsageError, parseArgs, type CliIo } from './args';
import type * as SsoModule from '../sso/index';
import {
  DEFAULT_FORCE_ONLINE_PATH,
  FileForceOnlineList,
  isForcedOnline,
} from '../monitor/force-online';
import { DEFAULT_OFFLINE_SESSIONS_DIR, FileOfflineSessions } from '../monitor/offline-sessions';
import type { GuardDeps } from './guard-command';
import type * as GuardCommandModule from './guard-command';
import {
  DEFAULT_SSO_CONF,
  SsoConfError,
  loadSsoConf,
  onlinePasswordGrant,
  type PasswordGrantClientFactory,
} from './sso-online';

/** Enough for PAM_MAX_RESP_SIZE plus prefix and terminator; more is not a PAM answer. */
const MAX_STDIN_BYTES = 4096;

export const OFFLINE_HELP = [
  'usage: bastion-offline verify|store|status|online [options]',
  '       bastion-offline guard [guard options]   (root only; see bastion-offline guard --help)',
  '  verify   check the password on stdin against the cached verifier of $PAM_USER; on',
  '           success, leave the offline-session marker for the guard',
  '           (pam_exec NUL/newline termination and an OFFLINE: prefix are handled)',
  '  store    record the password on stdin for $PAM_USER after an ONLINE success;',
  '           refuses token-looking answers (JWT, 64-hex, OFFLINE:)',
  '  status   print OFFLINE_STATUS:<expires_at>:<locked_until> for $PAM_USER',
  '  online   plain OIDC sites: OIDC password grant for $PAM_USER with the password on stdin,',
  '           then on success record it as store does (settings: --sso-config)',
  '  store and online, on success, take $PAM_USER off the force-online list and its marker away',
  'options:',
  ...COMMON_OPTIONS_HELP,
  `  --syslog-socket PATH     where reasons go under pam_exec (default ${DEFAULT_SYSLOG_SOCKET})`,
  `  --sso-config PATH        online: the site's SSO settings (default ${DEFAULT_SSO_CONF})`,
  `  --force-online PATH      verify: users who must sign in online (default ${DEFAULT_FORCE_ONLINE_PATH};`,
  '                           empty file = everyone): refused with OFFLINE_ERROR:-5',
  `  --offline-sessions DIR   verify: where the offline-session markers go (default ${DEFAULT_OFFLINE_SESSIONS_DIR},`,
  '                           or <cache-dir>.offline-sessions with --cache-dir); guard reads them',
].join('\n');

/** The process's initial environment block (NUL-separated NAME=value bytes), or null. */
export type EnvironReader = () => Buffer | null;

const PAM_USER_PREFIX = Buffer.from('PAM_USER=');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * PAM_USER from the raw environment bytes: exactly one, valid UTF-8 (an invalid sequence is
 * refused, never replaced), so the name keys its entry on its exact bytes.
 */
export function pamUserFromEnviron(environ: Buffer): string | undefined {
  const values: Buffer[] = [];
  let start = 0;
  while (start < environ.length) {
    let end = environ.indexOf(0, start);
    if (end < 0) end = environ.length;
    const item = environ.subarray(start, end);
    if (item.subarray(0, PAM_USER_PREFIX.length).equals(PAM_USER_PREFIX))
      values.push(item.subarray(PAM_USER_PREFIX.length));
    start = end + 1;
  }
  if (values.length === 0) return undefined;
  if (values.length > 1)
    throw new OfflineCacheError(OfflineCode.INVALID, 'PAM_USER appears twice in the environment');
  try {
    return strictUtf8.decode(values[0]);
  } catch {
    throw new OfflineCacheError(OfflineCode.INVALID, 'PAM_USER is not valid UTF-8');
  }
}

/**
 * `name PATH` or `name=PATH` (ours, not a cache option): removed from argv before parseArgs,
 * which knows only the cache's options. The path must be absolute.
 */
function takePath(
  argv: readonly string[],
  name: string,
): { argv: string[]; path: string | undefined } {
  const rest: string[] = [];
  let path: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === name || arg.startsWith(`${name}=`)) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (value === undefined || !value.startsWith('/'))
        throw new UsageError(`${name} needs an absolute path`);
      path = value;
    } else rest.push(arg);
  }
  return { argv: rest, path };
}

/**
 * Open Bastion's force-online semantics (REFERENCES.md, main/monitor/force-online.ts): a user
 * on the list (or everyone, for an empty file) must sign in online; the offline path refuses
 * them before any password work with EXPIRED (-5), whose meaning on screen is "sign in
 * online". A list that exists but cannot be read safely refuses too (fail closed).
 */
function refuseIfForcedOnline(path: string, user: string): void {
  let text: string | null;
  try {
    text = new FileForceOnlineList(path).read();
  } catch (error) {
    throw new OfflineCacheError(
      OfflineCode.INVALID,
      `force-online list ${path} unreadable (${(error as Error).message}): offline login refused`,
    );
  }
  if (isForcedOnline(text, user)) {
    throw new OfflineCacheError(
      OfflineCode.EXPIRED,
      `on the force-online list ${path}${text !== null && text.trim() === '' ? ' (empty: everyone)' : ''}: online sign-in required`,
    );
  }
}

/**
 * An offline success leaves the user's marker (Open Bastion's model) for the root guard
 * (`guard`): revalidation, offline_max_sso_unreachable, the grace. Written before OFFLINE_OK is
 * printed, and a marker that cannot be written refuses the login: an offline session the guard
 * cannot see is one it can never end.
 */
async function markOfflineSession(dir: string, user: string): Promise<void> {
  try {
    await new FileOfflineSessions(dir).mark(user, Date.now());
  } catch (error) {
    throw new OfflineCacheError(
      OfflineCode.IO,
      `offline session marker not written in ${dir} (${(error as Error).message}): offline login refused`,
    );
  }
}

/** Extra parts of `online` (injected by tests; the installed entry uses the defaults). */
export interface OfflineCommandDeps {
  /** Builds the SSO client for `online` (main/sso's createSsoClient). */
  ssoClient?: PasswordGrantClientFactory;
  /** `guard`'s command (./guard-command.ts); the installed entry loads it from its bundle. */
  guardCommand?: () => Promise<Pick<typeof GuardCommandModule, 'bastionGuard'>>;
  /** `guard`'s portal and process hooks (tests). */
  guard?: GuardDeps;
}

/**
 * `guard` is root's periodic pass, loaded only when asked for: its SSO transport, logind and
 * state code stay out of verify's start-up. Not a literal specifier, as for SSO_MODULE.
 */
const GUARD_COMMAND = './guard-command';
const sourceGuardCommand = async (): Promise<Pick<typeof GuardCommandModule, 'bastionGuard'>> =>
  (await import(GUARD_COMMAND)) as typeof GuardCommandModule;

/**
 * main/sso's real client, loaded only by `online`: verify, store and status (the offline
 * path, run at every offline login) do not pay for loading the OIDC stack. The installed
 * entry (./bastion-offline.ts) passes a loader of its own bundle (build/cli/
 * bastion-sso-online.cjs); this default serves the sources (tsx). The specifier is not a
 * literal so that no bundler pulls main/sso into the offline CLI's bundle.
 */
const SSO_MODULE = '../sso/index';
const realSsoClient: PasswordGrantClientFactory = async (config) => {
  const sso = (await import(SSO_MODULE)) as typeof SsoModule;
  return sso.createSsoClient(config);
};

/** Where the administrator's one-line reason goes: stderr, or syslog under pam_exec. */
interface AdminSink {
  report(reason: string): Promise<void>;
}

export function offlineErrorLine(error: OfflineCacheError): string {
  return error.code === OfflineCode.LOCKED && error.lockRemaining !== null
    ? `OFFLINE_ERROR:${error.code}:${error.lockRemaining}`
    : `OFFLINE_ERROR:${error.code}`;
}

/** pam_exec sets PAM_TYPE for its command. */
function underPamExec(io: CliIo): boolean {
  return io.env.PAM_TYPE !== undefined && io.env.PAM_TYPE !== '';
}

function pamUser(io: CliIo, environ: EnvironReader | undefined): string {
  let user = io.env.PAM_USER;
  if (environ !== undefined) {
    const raw = environ();
    if (raw === null)
      throw new OfflineCacheError(OfflineCode.IO, 'cannot read the environment as bytes');
    try {
      user = pamUserFromEnviron(raw);
    } finally {
      raw.fill(0);
    }
  }
  if (user === undefined || user === '')
    throw new UsageError('PAM_USER is not set (run me from pam_exec)');
  return user;
}

async function readPassword(io: CliIo, stripOfflinePrefix: boolean): Promise<Buffer> {
  const raw = await io.readStdin(MAX_STDIN_BYTES);
  try {
    return passwordFromStdin(raw, stripOfflinePrefix);
  } finally {
    raw.fill(0);
  }
}

/**
 * `online`: exit 0 when the portal accepted the password (its verifier then recorded; a store
 * that fails does not fail the login, the administrator is told), 1 otherwise. It prints no
 * OFFLINE_* line: the greeter must not read an online attempt as the offline path.
 */
async function runOnline(
  cache: OfflineCache,
  io: CliIo,
  user: string,
  admin: AdminSink,
  ssoConfigPath: string,
  factory: PasswordGrantClientFactory,
): Promise<number> {
  const password = await readPassword(io, false);
  try {
    if (password.length === 0) {
      await admin.report('online: empty password refused');
      return 1;
    }
    let config;
    try {
      config = loadSsoConf(ssoConfigPath);
    } catch (error) {
      if (!(error instanceof SsoConfError)) throw error;
      await admin.report(`online: ${error.message}`);
      return 1;
    }
    const outcome = await onlinePasswordGrant(config, factory, user, password);
    if (!outcome.ok) {
      await admin.report(`online: ${outcome.reason} (${outcome.code})`);
      return 1;
    }
    try {
      await cache.store(user, password);
    } catch (error) {
      if (!(error instanceof OfflineCacheError)) throw error;
      await admin.report(`online: signed in; offline verifier not recorded: ${error.reason}`);
    }
    return 0;
  } finally {
    password.fill(0);
  }
}

/** Where this run's files are (the installed defaults, or the options). */
interface CommandPaths {
  ssoConfigPath: string;
  factory: PasswordGrantClientFactory;
  forceOnlinePath: string;
  offlineSessionsDir: string;
}

/**
 * The markers' default: root's /var/lib/bastion-greeter/offline-sessions, where `guard`
 * looks, for the installed cache; beside the cache given with --cache-dir otherwise (a test's
 * or a second cache's markers never land in the machine's). A site that moves its cache must
 * give `verify` and `guard` the same --offline-sessions.
 */
function offlineSessionsBeside(cacheDir: string | undefined): string {
  return cacheDir === undefined || cacheDir === DEFAULT_CACHE_DIR
    ? DEFAULT_OFFLINE_SESSIONS_DIR
    : `${cacheDir.replace(/\/+$/, '')}.offline-sessions`;
}

/**
 * An online success (store, online) did what force-online asked and ends any offline session
 * the guard was watching for this user: their line and marker go. Best effort: a failure is the
 * administrator's to see, never the login's.
 */
async function signedInOnline(paths: CommandPaths, user: string, admin: AdminSink): Promise<void> {
  try {
    await new FileOfflineSessions(paths.offlineSessionsDir).remove(user);
  } catch (error) {
    await admin.report(`offline session marker not removed: ${(error as Error).message}`);
  }
  try {
    await new FileForceOnlineList(paths.forceOnlinePath).remove(user);
  } catch (error) {
    await admin.report(`force-online line not removed: ${(error as Error).message}`);
  }
}

async function runCommand(
  command: string,
  cache: OfflineCache,
  io: CliIo,
  user: string,
  admin: AdminSink,
  paths: CommandPaths,
): Promise<number> {
  switch (command) {
    case 'online': {
      const status = await runOnline(cache, io, user, admin, paths.ssoConfigPath, paths.factory);
      if (status === 0) await signedInOnline(paths, user, admin);
      return status;
    }
    case 'verify': {
      refuseIfForcedOnline(paths.forceOnlinePath, user);
      // PBKDF2 and loading the Argon2id backend run while stdin is read and the entry locked.
      cache.prepareVerify();
      const password = await readPassword(io, true);
      try {
        const ok = await cache.verify(user, password);
        await markOfflineSession(paths.offlineSessionsDir, user);
        io.out(`OFFLINE_OK:${ok.expiresAt}`);
        if (ok.bookkeepingError !== undefined) await admin.report(ok.bookkeepingError);
        return 0;
      } catch (error) {
        // No entry looks exactly like a wrong password on the screen; the log says which.
        if (error instanceof OfflineCacheError && error.code === OfflineCode.NOTFOUND) {
          io.out(`OFFLINE_ERROR:${OfflineCode.PASSWORD}`);
          await admin.report(error.reason);
          return 1;
        }
        throw error;
      } finally {
        password.fill(0);
      }
    }
    case 'store': {
      const password = await readPassword(io, false);
      try {
        if (looksLikeToken(password)) {
          // Not an error of the login: the online module decided. We just do not record.
          if (!underPamExec(io))
            io.err(
              'bastion-offline: store: the answer looks like a token, not a password; nothing recorded',
            );
          return 1;
        }
        await cache.store(user, password);
        await signedInOnline(paths, user, admin);
        return 0;
      } finally {
        password.fill(0);
      }
    }
    case 'status': {
      const state = cache.get(user);
      io.out(`OFFLINE_STATUS:${state.expiresAt}:${state.lockedUntil}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

/**
 * `environ`: the process's initial environment as bytes (bastion-offline.ts reads
 * /proc/self/environ); PAM_USER is taken from it. Without it, from `io.env` (already decoded).
 */
export async function bastionOffline(
  argv: readonly string[],
  io: CliIo,
  environ?: EnvironReader,
  deps: OfflineCommandDeps = {},
): Promise<number> {
  let cache: OfflineCache | null = null;
  let user: string | null = null;
  let command: string | undefined;
  let syslogSocket = DEFAULT_SYSLOG_SOCKET;
  const admin: AdminSink = {
    report: async (reason) => {
      if (!underPamExec(io)) io.err(`bastion-offline: ${oneLine(reason)}`);
      else {
        const who = user === null ? '' : ` user=${JSON.stringify(user)}`;
        await logForAdmin(
          'bastion-offline',
          `${command ?? '-'}${who} service=${io.env.PAM_SERVICE ?? '-'}: ${reason}`,
          syslogSocket,
        );
      }
    },
  };
  try {
    if (argv[0] === 'guard') {
      // Root's periodic pass, not a PAM command: no PAM_USER, no password, no cache.
      command = 'guard';
      const guard = await (deps.guardCommand ?? sourceGuardCommand)();
      return await guard.bastionGuard(argv.slice(1), io, deps.guard);
    }
    const taken = takePath(argv, '--syslog-socket');
    syslogSocket = taken.path ?? DEFAULT_SYSLOG_SOCKET;
    const forced = takePath(taken.argv, '--force-online');
    const marked = takePath(forced.argv, '--offline-sessions');
    const sso = takePath(marked.argv, '--sso-config');
    const args = parseArgs(sso.argv, false);
    if (args.help) {
      io.out(OFFLINE_HELP);
      return 0;
    }
    const [first, ...rest] = args.positionals;
    command = first;
    if (command === undefined || rest.length > 0)
      throw new UsageError('expected exactly one command');
    user = pamUser(io, environ);
    cache = new OfflineCache(args.cache);
    return await runCommand(command, cache, io, user, admin, {
      ssoConfigPath: sso.path ?? DEFAULT_SSO_CONF,
      factory: deps.ssoClient ?? realSsoClient,
      forceOnlinePath: forced.path ?? DEFAULT_FORCE_ONLINE_PATH,
      offlineSessionsDir: marked.path ?? offlineSessionsBeside(args.cache.cacheDir),
    });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`bastion-offline: ${error.message}\n${OFFLINE_HELP.split('\n')[0]}`);
      return 2;
    }
    if (error instanceof OfflineCacheError) {
      io.out(offlineErrorLine(error));
      // pam_exec's `stdout` relays stderr to the login screen too: under PAM the code is all
      // the greeter gets, and the reason goes to syslog.
      await admin.report(error.reason);
      return 1;
    }
    // Unexpected: fail closed with an IO code; the message carries no secret (none reaches here).
    io.out(`OFFLINE_ERROR:${OfflineCode.IO}`);
    io.err(
      `bastion-offline: internal error: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  } finally {
    cache?.close();
  }
}
