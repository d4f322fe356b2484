// Watches the signals of one object on the system bus with `gdbus monitor` (an ordinary match
// rule: `busctl monitor` needs BecomeMonitor, which the system bus grants to root only).
// Shared by the sleep guard (PrepareForSleep) and the session locker (main/lock: Lock, Unlock,
// PropertiesChanged of the person's logind session).
//
// `--dest` makes gdbus match the sender too: only the owner of that well-known name (logind)
// can produce the lines seen here, so no other client of the bus can fake an Unlock.
// No shell; the child's environment is the bus address only.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { busctlEnv } from './busctl';

/** Longest line considered; longer ones are dropped unread (nothing we watch is that long). */
export const MAX_MONITOR_LINE = 4096;

export interface GdbusMonitorOptions {
  /** The system bus address (DBUS_SYSTEM_BUS_ADDRESS) of the child; unset: the default. */
  systemBusAddress?: string;
  gdbusPath?: string;
  dest: string;
  objectPath: string;
  onLine: (line: string) => void;
  /** The monitor ended while not closed (the watcher is blind from then on). */
  onExit?: (why: string) => void;
}

export interface GdbusMonitor {
  readonly child: ChildProcess;
  close(): void;
}

export function startGdbusMonitor(options: GdbusMonitorOptions): GdbusMonitor {
  const child = spawn(
    options.gdbusPath ?? '/usr/bin/gdbus',
    ['monitor', '--system', '--dest', options.dest, '--object-path', options.objectPath],
    {
      env: busctlEnv({ systemBusAddress: options.systemBusAddress }),
      shell: false,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let closed = false;
  const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.length > MAX_MONITOR_LINE) return;
    options.onLine(line);
  });
  child.on('error', (error) => {
    if (!closed) options.onExit?.(`gdbus monitor: ${error.message}`);
    closed = true;
  });
  child.on('exit', (code, signal) => {
    if (!closed) options.onExit?.(`gdbus monitor exited (${signal ?? code})`);
    closed = true;
  });
  return {
    child,
    close() {
      closed = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** One signal line of `gdbus monitor`: `<path>: <interface>.<member> (<args>)`. */
export interface MonitorSignal {
  path: string;
  iface: string;
  member: string;
  /** The GVariant text of the arguments, without the outer parentheses. */
  args: string;
}

export function parseMonitorSignal(line: string): MonitorSignal | null {
  const match = /^(\/[A-Za-z0-9_/]*): ([A-Za-z0-9_.]+)\.([A-Za-z0-9_]+) \((.*)\)$/.exec(
    line.trim(),
  );
  if (!match) return null;
  return { path: match[1]!, iface: match[2]!, member: match[3]!, args: match[4]! };
}

export interface SupervisedMonitorOptions extends Omit<GdbusMonitorOptions, 'onExit'> {
  /** One line per restart and per stop (stderr style). */
  log: (line: string) => void;
  /**
   * Called once per start when gdbus is subscribed: its first line (`The name … is owned by
   * …` or `… does not have an owner`) comes after its AddMatch went to the bus, on the same
   * connection, so every signal sent from then on is seen. What was missed while it was down
   * can be read back here (e.g. logind's LockedHint).
   */
  onSubscribed?: () => void;
  /** Called when the monitor ends unasked: blind until it runs again. */
  onDown?: (why: string) => void;
  /** First delay before a restart, in ms (default 250); doubled after each quick exit. */
  restartMinMs?: number;
  /** Longest delay between restarts, in ms (default 10 000). */
  restartMaxMs?: number;
}

export interface SupervisedMonitor {
  /** Whether a monitor runs and is subscribed right now. */
  readonly up: boolean;
  /** The running gdbus child, if any (tests kill it to prove the restart). */
  current(): GdbusMonitor | null;
  close(): void;
}

/**
 * A `gdbus monitor` that is started again whenever it ends (killed, crashed, bus restarted):
 * the one restart helper of the session locker and the sleep guard. Backoff: restartMinMs,
 * doubled while it keeps ending within 10 s of its start, at most restartMaxMs.
 */
export function superviseGdbusMonitor(options: SupervisedMonitorOptions): SupervisedMonitor {
  const { log, onSubscribed, onDown, restartMinMs = 250, restartMaxMs = 10_000, ...rest } = options;
  let closed = false;
  let monitor: GdbusMonitor | null = null;
  let subscribed = false;
  let delay = restartMinMs;
  let timer: NodeJS.Timeout | null = null;
  const start = (): void => {
    if (closed) return;
    const startedAt = Date.now();
    subscribed = false;
    monitor = startGdbusMonitor({
      ...rest,
      onLine: (line) => {
        if (!subscribed && line.startsWith('The name ')) {
          subscribed = true;
          onSubscribed?.();
          return;
        }
        rest.onLine(line);
      },
      onExit: (why) => {
        if (closed) return;
        monitor = null;
        subscribed = false;
        delay = Date.now() - startedAt > 10_000 ? restartMinMs : delay;
        log(`${why}: watching again in ${delay} ms`);
        onDown?.(why);
        timer = setTimeout(() => {
          timer = null;
          start();
        }, delay);
        timer.unref();
        delay = Math.min(delay * 2, restartMaxMs);
      },
    });
  };
  start();
  return {
    get up() {
      return monitor !== null && subscribed;
    },
    current: () => monitor,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      monitor?.close();
    },
  };
}
