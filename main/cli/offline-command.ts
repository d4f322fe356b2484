// bastion-offline: the OBCRED01 cache as a command for the PAM stack, run by
//   pam_exec.so seteuid expose_authtok [stdout] quiet <entry> verify|store|status
// The user comes from PAM_USER (set by pam_exec), the password from stdin (never argv/env).
// stdout is the greeter protocol, one line: OFFLINE_OK:<expires_at>, OFFLINE_ERROR:<code>[:<secs>]
// or OFFLINE_STATUS:<expires_at>:<locked_until>. stderr gets one line for the administrator,
// except under pam_exec (PAM_TYPE set), whose `stdout` option would show it on the login screen.
// Exit status: 0 success, 1 refused (any OFFLINE_ERROR; an unsafe cache dir or key file is
// OFFLINE_ERROR:-2 with its reason on stderr), 2 usage error.
import { OfflineCacheError, OfflineCode } from '../offline/codes';
import { OfflineCache } from '../offline/cache';
import { looksLikeToken, passwordFromStdin } from '../offline/password';
import { COMMON_OPTIONS_HELP, UsageError, parseArgs, type CliIo } from './args';

/** Enough for PAM_MAX_RESP_SIZE plus prefix and terminator; more is not a PAM answer. */
const MAX_STDIN_BYTES = 4096;

export const OFFLINE_HELP = [
  'usage: bastion-offline verify|store|status [options]',
  '  verify   check the password on stdin against the cached verifier of $PAM_USER',
  '           (pam_exec NUL/newline termination and an OFFLINE: prefix are handled)',
  '  store    record the password on stdin for $PAM_USER after an ONLINE success;',
  '           refuses token-looking answers (JWT, 64-hex, OFFLINE:)',
  '  status   print OFFLINE_STATUS:<expires_at>:<locked_until> for $PAM_USER',
  'options:',
  ...COMMON_OPTIONS_HELP,
].join('\n');

export function offlineErrorLine(error: OfflineCacheError): string {
  return error.code === OfflineCode.LOCKED && error.lockRemaining !== null
    ? `OFFLINE_ERROR:${error.code}:${error.lockRemaining}`
    : `OFFLINE_ERROR:${error.code}`;
}

/** pam_exec sets PAM_TYPE for its command. */
function underPamExec(io: CliIo): boolean {
  return io.env.PAM_TYPE !== undefined && io.env.PAM_TYPE !== '';
}

function pamUser(io: CliIo): string {
  const user = io.env.PAM_USER;
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

async function runCommand(command: string, cache: OfflineCache, io: CliIo): Promise<number> {
  const user = pamUser(io);
  switch (command) {
    case 'verify': {
      const password = await readPassword(io, true);
      try {
        const ok = await cache.verify(user, password);
        io.out(`OFFLINE_OK:${ok.expiresAt}`);
        return 0;
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

export async function bastionOffline(argv: readonly string[], io: CliIo): Promise<number> {
  let cache: OfflineCache | null = null;
  try {
    const args = parseArgs(argv, false);
    if (args.help) {
      io.out(OFFLINE_HELP);
      return 0;
    }
    const [command, ...rest] = args.positionals;
    if (command === undefined || rest.length > 0)
      throw new UsageError('expected exactly one command');
    cache = new OfflineCache(args.cache);
    return await runCommand(command, cache, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`bastion-offline: ${error.message}\n${OFFLINE_HELP.split('\n')[0]}`);
      return 2;
    }
    if (error instanceof OfflineCacheError) {
      io.out(offlineErrorLine(error));
      // pam_exec's `stdout` relays stderr to the login screen too: under PAM the code is all
      // the greeter gets (the administrator reads reasons with `bastion-keys cache list`).
      if (!underPamExec(io)) io.err(`bastion-offline: ${error.reason}`);
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
