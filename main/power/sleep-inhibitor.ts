// Lock before suspend: a logind *delay* inhibitor on sleep, held while the screen is
// unlocked, released once the lock screen is up after PrepareForSleep(true) (logind waits
// up to InhibitDelayMaxSec for it), taken again on PrepareForSleep(false) (resume).
//
// busctl cannot keep the fd Inhibit returns, so a child holds it:
//   systemd-inhibit --what=sleep --mode=delay --who=bastion-greeter --why=… /usr/bin/cat
// `cat` echoes what we write on its stdin (that echo proves the inhibitor is taken, since
// systemd-inhibit takes it before starting cat) and exits when we close its stdin: that is
// the release. Should this process die, the pipe closes and the inhibitor goes with it.
// No shell anywhere; the child's environment is the bus address only.
//
// PrepareForSleep is watched with `gdbus monitor` (an ordinary match rule; `busctl monitor`
// needs BecomeMonitor, which the system bus grants to root only).
import { spawn, type ChildProcess } from 'node:child_process';
import { LOGIND_DEST, LOGIND_PATH, busctlEnv } from './busctl';
import { parseMonitorSignal, superviseGdbusMonitor, type SupervisedMonitor } from './gdbus-monitor';

export interface SleepInhibitorOptions {
  /** The system bus address (DBUS_SYSTEM_BUS_ADDRESS) of the child; unset: the default. */
  systemBusAddress?: string;
  systemdInhibitPath?: string;
  catPath?: string;
  /** How long take() waits for the inhibitor, in ms (default 5000). */
  timeoutMs?: number;
  who?: string;
  why?: string;
}

export type SleepInhibitorErrorCode = 'INHIBIT_FAILED' | 'INHIBIT_TIMEOUT';

export class SleepInhibitorError extends Error {
  readonly code: SleepInhibitorErrorCode;
  constructor(code: SleepInhibitorErrorCode, message: string) {
    super(message);
    this.name = 'SleepInhibitorError';
    this.code = code;
  }
}

/** One delay inhibitor on sleep, held by a child process. */
export class SleepInhibitor {
  private child: ChildProcess | null = null;
  /** A take() under way: a second caller waits for the same answer. */
  private taking: Promise<void> | null = null;

  constructor(private readonly options: SleepInhibitorOptions = {}) {}

  get held(): boolean {
    return this.child !== null;
  }

  /** Takes the inhibitor (no-op when held); resolves once logind lists it. */
  take(): Promise<void> {
    if (this.taking) return this.taking;
    if (this.child) return Promise.resolve();
    this.taking = this.spawnHolder().finally(() => (this.taking = null));
    return this.taking;
  }

  private spawnHolder(): Promise<void> {
    const child = spawn(
      this.options.systemdInhibitPath ?? '/usr/bin/systemd-inhibit',
      [
        '--what=sleep',
        '--mode=delay',
        `--who=${this.options.who ?? 'bastion-greeter'}`,
        `--why=${this.options.why ?? 'lock the screen first'}`,
        this.options.catPath ?? '/usr/bin/cat',
      ],
      {
        env: busctlEnv({ systemBusAddress: this.options.systemBusAddress }),
        shell: false,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (error: SleepInhibitorError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new SleepInhibitorError('INHIBIT_TIMEOUT', 'the inhibitor was not taken')),
        this.options.timeoutMs ?? 5_000,
      );
      let seen = 0;
      child.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (!done && seen >= 6) {
          done = true;
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.resume();
      child.on('error', (error) =>
        fail(new SleepInhibitorError('INHIBIT_FAILED', `systemd-inhibit: ${error.message}`)),
      );
      child.on('exit', (code) => {
        if (this.child === child) this.child = null;
        fail(new SleepInhibitorError('INHIBIT_FAILED', `systemd-inhibit exited (${code})`));
      });
      child.stdin!.on('error', () => undefined);
      child.stdin!.write('ready\n');
    });
  }

  /** Releases the inhibitor (no-op when not held); resolves once the holder has exited. */
  release(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.child = null;
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin!.end(); // cat exits at EOF, systemd-inhibit closes the fd and exits
    });
  }
}

/** Parses one `gdbus monitor` line; true/false for PrepareForSleep, null for anything else. */
export function parsePrepareForSleep(line: string): boolean | null {
  const signal = parseMonitorSignal(line);
  if (
    !signal ||
    signal.path !== LOGIND_PATH ||
    signal.iface !== 'org.freedesktop.login1.Manager' ||
    signal.member !== 'PrepareForSleep'
  ) {
    return null;
  }
  return signal.args === 'true,' ? true : signal.args === 'false,' ? false : null;
}

export interface SleepLockGuardOptions extends SleepInhibitorOptions {
  /** Shows the lock screen; the inhibitor is released once it resolves (or fails). */
  lock: () => Promise<void>;
  gdbusPath?: string;
  log?: (line: string) => void;
  /**
   * How long the inhibitor is kept after `lock()` resolved, in ms (default 300, at most 500):
   * `lock()` resolves when the blanker said it covers and LightDM answered its Lock call, but
   * the picture reaches the panel a little later (a compositor's next frames, LightDM's switch
   * to its greeter's VT). Suspending at once could freeze a frame of the session, which the
   * panel shows again on resume before the lock is drawn. Bounded: logind's InhibitDelayMaxSec
   * (5 s by default) is the real limit, and suspend must not feel slow.
   */
  settleMs?: number;
  /** Retries of a failed take() after resume: first delay in ms (default 1 000), doubled. */
  retryMinMs?: number;
  /** First delay before the PrepareForSleep monitor is started again, in ms (default 250). */
  restartMinMs?: number;
}

export interface SleepLockGuard {
  readonly inhibitor: SleepInhibitor;
  /** The PrepareForSleep watch (restarted whenever it ends). */
  readonly monitor: SupervisedMonitor;
  /** Stops watching and releases the inhibitor. */
  close(): Promise<void>;
}

export const MAX_SETTLE_MS = 500;

/**
 * Holds the delay inhibitor and watches PrepareForSleep: on `true` it locks, then releases
 * (suspend proceeds); on `false` (resume) it takes the inhibitor again, retrying with backoff
 * until it holds it. The watch is restarted whenever it ends; while it is down the inhibitor
 * is released (held without a watch, it would only delay every suspend by InhibitDelayMaxSec
 * with no lock), and taken again once the watch is back.
 */
export async function startSleepLockGuard(options: SleepLockGuardOptions): Promise<SleepLockGuard> {
  const log = options.log ?? (() => undefined);
  const settleMs = Math.min(Math.max(options.settleMs ?? 300, 0), MAX_SETTLE_MS);
  const inhibitor = new SleepInhibitor(options);
  let closed = false;
  let sleeping = false;
  let retry: NodeJS.Timeout | null = null;
  let retryDelay = options.retryMinMs ?? 1_000;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  /** Takes the inhibitor, retrying with backoff while the watch runs and we are awake. */
  const takeWithRetry = (): void => {
    if (retry) return;
    const attempt = (): void => {
      retry = null;
      if (closed || sleeping || !monitor.up) return;
      inhibitor.take().then(
        () => {
          retryDelay = options.retryMinMs ?? 1_000;
        },
        (error: unknown) => {
          if (closed) return;
          log(`inhibitor: ${(error as Error).message}; trying again in ${retryDelay} ms`);
          retry = setTimeout(attempt, retryDelay);
          retry.unref();
          retryDelay = Math.min(retryDelay * 2, 30_000);
        },
      );
    };
    attempt();
  };

  let firstSubscribed: () => void = () => undefined;
  const subscribedOnce = new Promise<void>((resolve) => (firstSubscribed = resolve));
  const monitor: SupervisedMonitor = superviseGdbusMonitor({
    systemBusAddress: options.systemBusAddress,
    gdbusPath: options.gdbusPath,
    dest: LOGIND_DEST,
    objectPath: LOGIND_PATH,
    restartMinMs: options.restartMinMs,
    log,
    onSubscribed: () => {
      firstSubscribed();
      if (!sleeping) takeWithRetry();
    },
    onDown: () => {
      if (!inhibitor.held) return;
      log('PrepareForSleep not watched: inhibitor released until the watch is back');
      void inhibitor.release();
    },
    onLine: (line) => {
      const start = parsePrepareForSleep(line);
      if (start === true) {
        sleeping = true;
        options
          .lock()
          .then(
            () => sleep(settleMs),
            (error: unknown) => log(`lock before suspend failed: ${(error as Error).message}`),
          )
          .finally(() => void inhibitor.release());
      } else if (start === false && !closed) {
        sleeping = false;
        takeWithRetry();
      }
    },
  });
  // The first take is awaited: a guard that cannot hold the inhibitor is refused to the caller.
  await Promise.race([subscribedOnce, sleep(options.timeoutMs ?? 5_000)]);
  try {
    await inhibitor.take();
  } catch (error) {
    closed = true;
    monitor.close();
    throw error;
  }
  return {
    inhibitor,
    monitor,
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      monitor.close();
      await inhibitor.release();
    },
  };
}
