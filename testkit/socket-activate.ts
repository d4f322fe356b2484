// The socket-activated helper without PID-1 systemd (tests and bench): `systemd-socket-activate --accept
// --inetd` (systemd's own tool) listens on an AF_UNIX socket and, like the `Accept=yes` unit
// in resources/systemd/, starts one helper per connection with the connection on fds 0 and 1.
// The socket file gets the unit's SocketMode=0666, in a directory anyone may traverse, so a
// test can connect as another uid.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './require';

export const SOCKET_ACTIVATE = findExecutable('systemd-socket-activate');

export interface SocketActivatedHelper {
  /** The listening socket (what `socketPath` points at). */
  path: string;
  /** systemd-socket-activate's and the helpers' stderr so far (sanitizer reports land here). */
  log(): string;
  /** Process ids of the helpers running now (children of systemd-socket-activate). */
  helperPids(): number[];
  /** Ends the listener and any helper still running, removes the socket. */
  stop(): Promise<void>;
}

export interface SocketActivateOptions {
  /** The helper binary (the test build, or a test double). */
  binary: string;
  /** Its arguments; the helper's socket mode by default. */
  args?: string[];
  /** The helper's environment (systemd-socket-activate -E NAME=value). */
  env?: Record<string, string>;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter((s) => s.trim() !== '')
      .map(Number);
  } catch {
    return [];
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startSocketActivatedHelper(
  options: SocketActivateOptions,
): Promise<SocketActivatedHelper> {
  if (!SOCKET_ACTIVATE) throw new Error('systemd-socket-activate is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'bastion-sa-'));
  chmodSync(dir, 0o755);
  const path = join(dir, 'helper.sock');
  const envArgs = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-E', `${k}=${v}`]);
  const child = spawn(
    SOCKET_ACTIVATE,
    [
      '--accept',
      '--inetd',
      '-l',
      path,
      ...envArgs,
      options.binary,
      ...(options.args ?? ['--socket']),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (log += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening: ${log}`)), 10_000);
    const check = () => {
      if (log.includes('Listening on')) {
        clearTimeout(timer);
        child.stderr!.off('data', check);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`systemd-socket-activate exited (${code}): ${log}`));
    });
    check();
  });
  chmodSync(path, 0o666); // the unit's SocketMode=0666
  const pid = child.pid!;
  return {
    path,
    log: () => log,
    helperPids: () => childrenOf(pid),
    async stop(): Promise<void> {
      for (const helper of childrenOf(pid)) {
        try {
          process.kill(helper, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
