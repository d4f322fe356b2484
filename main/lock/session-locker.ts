// The in-session locker's decisions (see README.md): blank first, then ask LightDM to lock;
// unblank only on logind's Unlock for this session (what root LightDM sends after a success in
// its greeter); a session switched to while locked stays blank and is sent back to the greeter;
// a blanker that dies while locked is shown again at once, and LightDM is asked for its greeter
// in parallel (the session's VT is then not the one shown while the new blanker comes up).
//
// Events are handled one after another (a queue), so a Lock and an Unlock that arrive together
// are applied in the order logind sent them.
import type { Blanker } from './blanker';
import type { DisplayManagerLock } from './display-manager';
import type { SessionEvent } from './logind-session';

export type LockReason = 'logind Lock' | 'logind LockedHint' | 'before sleep';

export interface SessionLockerDeps {
  blanker: Blanker;
  dm: DisplayManagerLock;
  /** One line per event (stderr / syslog style). */
  log: (line: string) => void;
  /** Minimum time between two "back to the greeter" requests, in ms (default 2 000). */
  switchBackIntervalMs?: number;
  now?: () => number;
  /** Told each time the locked state changes (to publish it as logind's LockedHint). */
  onLockedChanged?: (locked: boolean) => void;
}

export class SessionLocker {
  private locked = false;
  /** The last request to LightDM failed: the next lock event or session switch asks again. */
  private dmLockPending = false;
  private queue: Promise<void> = Promise.resolve();
  private lastSwitchBack = -Infinity;
  /** Restarts in the last 10 s: past 5, their log lines are summed up, never the restarts. */
  private restarts: number[] = [];
  private quietRestarts = 0;
  private closed = false;
  private readonly stopWatching: () => void;

  constructor(private readonly deps: SessionLockerDeps) {
    this.stopWatching = deps.blanker.onDied((why) => {
      if (!this.locked || this.closed) return;
      // Not queued: a lock step waiting for LightDM must not delay the new blanker. Both at
      // once, neither rate-limited: the new blanker, and LightDM's greeter on the seat.
      void this.restartBlanker(why);
      void this.askDm('greeter');
    });
  }

  get isLocked(): boolean {
    return this.locked;
  }

  /** Applies one logind event of the session. */
  handle(event: SessionEvent): Promise<void> {
    if (event.kind === 'lock') return this.lock('logind Lock');
    if (event.kind === 'unlock') return this.enqueue(() => this.unlockNow());
    if (event.active) return this.enqueue(() => this.sessionShownAgain());
    return Promise.resolve();
  }

  /** Blanks, then asks LightDM to lock; resolves once both were attempted (never rejects). */
  lock(reason: LockReason): Promise<void> {
    return this.enqueue(() => this.lockNow(reason));
  }

  /** Stops reacting; the blanker is left as it is (up while locked: fail closed). */
  close(): void {
    this.closed = true;
    this.stopWatching();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return this.queue;
  }

  private async showBlanker(): Promise<boolean> {
    try {
      await this.deps.blanker.show();
      return true;
    } catch (error) {
      this.deps.log(`blanker failed: ${(error as Error).message}`);
      if (this.locked && !this.closed) {
        setTimeout(() => void this.restartBlanker('failed to start'), 1_000).unref();
      }
      return false;
    }
  }

  /** `pid N, input grabbed` for the logs: a blanker without the grabs is up but weaker. */
  private blankerState(): string {
    const grabbed = this.deps.blanker.inputGrabbed();
    const input =
      grabbed === false
        ? 'input NOT grabbed: another client holds a grab; retrying'
        : 'input grabbed';
    return `pid ${this.deps.blanker.pid()}, ${input}`;
  }

  private async askDm(what: 'lock' | 'greeter'): Promise<void> {
    try {
      if (what === 'lock' || this.dmLockPending) {
        const called = await this.deps.dm.lock();
        this.dmLockPending = false;
        this.deps.log(`asked LightDM to lock: ${called}`);
      } else {
        await this.deps.dm.switchToGreeter();
        this.deps.log('asked LightDM for its greeter again: SwitchToGreeter');
      }
    } catch (error) {
      if (what === 'lock') this.dmLockPending = true;
      // Refused or unanswered: the blanker stays up (fail closed) and the next lock event or
      // session switch asks again.
      this.deps.log(`refused: LightDM did not lock (${(error as Error).message}); blanker kept`);
    }
  }

  private async lockNow(reason: LockReason): Promise<void> {
    if (this.closed) return;
    const already = this.locked;
    this.locked = true;
    if (!already) this.deps.onLockedChanged?.(true);
    const shown = await this.showBlanker();
    if (already && !this.dmLockPending) {
      this.deps.log(`lock (${reason}): already locked, blanker ${shown ? 'up' : 'DOWN'}`);
      return;
    }
    this.deps.log(`lock (${reason}): blanker ${shown ? `up (${this.blankerState()})` : 'DOWN'}`);
    await this.askDm('lock');
  }

  private async unlockNow(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    this.dmLockPending = false;
    this.deps.onLockedChanged?.(false);
    await this.deps.blanker.hide();
    this.deps.log('unlock (logind Unlock): blanker hidden');
  }

  private async sessionShownAgain(): Promise<void> {
    if (!this.locked || this.closed) return;
    // A VT switch back to the locked session: it stays blank (only Unlock unblanks), and the
    // person is sent back to the greeter, as light-locker does.
    await this.showBlanker();
    const now = (this.deps.now ?? Date.now)();
    if (now - this.lastSwitchBack < (this.deps.switchBackIntervalMs ?? 2_000)) return;
    this.lastSwitchBack = now;
    this.deps.log('session shown while locked: blanker kept');
    await this.askDm('greeter');
  }

  private async restartBlanker(why: string): Promise<void> {
    if (!this.locked || this.closed) return;
    // Always at once: a pause here is a moment with the session's windows on the screen. A
    // blanker that cannot even start is retried every second by showBlanker(); one that
    // starts and is killed again costs a fork per kill, which its killer pays for as well.
    const now = (this.deps.now ?? Date.now)();
    this.restarts = [...this.restarts.filter((t) => now - t < 10_000), now];
    const loud = this.restarts.length <= 5;
    if (loud) {
      if (this.quietRestarts > 0) {
        this.deps.log(`blanker restarted ${this.quietRestarts} more times (not logged)`);
        this.quietRestarts = 0;
      }
      this.deps.log(`blanker ${why} while locked: showing it again`);
    } else {
      this.quietRestarts++;
    }
    if ((await this.showBlanker()) && loud) {
      this.deps.log(`blanker restarted (${this.blankerState()})`);
    }
  }
}
