// One line for the administrator in the system log (syslog: journald's /dev/log or rsyslog),
// through util-linux logger(1): Node cannot send a datagram to a Unix socket. Used where stderr
// would reach the login screen (pam_exec's `stdout` option relays the command's stderr too).
// Never given a password: callers pass engine reasons, which never contain one.

const LOGGER = '/usr/bin/logger';
export const DEFAULT_SYSLOG_SOCKET = '/dev/log';
/** A syslog daemon that does not read its socket must not hold up a login. */
const LOGGER_TIMEOUT_MS = 2000;

/** Control characters would let a value forge log lines; the message stays one line. */
export function oneLine(text: string): string {
  return [...text].map((c) => (c < ' ' || c === '\u007f' ? '?' : c)).join('');
}

/**
 * Sends `message` as one authpriv.notice record tagged `tag[pid]`. Best effort: resolves
 * false when the line could not be delivered (no logger, no socket, timeout); never throws.
 */
export function logForAdmin(
  tag: string,
  message: string,
  socket: string = DEFAULT_SYSLOG_SOCKET,
): Promise<boolean> {
  return new Promise((resolve) => {
    let child;
    try {
      // Loaded on first use (bastion-offline only logs on a refusal or a failed write).
      const { spawn } = process.getBuiltinModule('node:child_process');
      child = spawn(
        LOGGER,
        [
          `--id=${process.pid}`,
          '-t',
          tag,
          '-p',
          'authpriv.notice',
          '-u',
          socket,
          '--socket-errors=on',
          '--',
          oneLine(message),
        ],
        { stdio: 'ignore', env: {} },
      );
    } catch {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), LOGGER_TIMEOUT_MS);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
