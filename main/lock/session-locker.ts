// The in-session locker's decisions (see README.md): blank first, then ask LightDM to lock;
// unblank only on logind's Unlock for this session (what root LightDM sends after a success in
// its greeter); a session switched to while locked stays blank and is sent back to the greeter;
// a blanker that dies while locked is shown again at once.
//
// Events are handled one after another (a queue), so a Lock and an Unlock that arrive together
// are applied in the order logind sent them.
import type { Blanker } from './blanker';
import type { DisplayManagerLock } from './display-manager';
import type { SessionEvent } from './logind-session';

export type LockReason = 'logind Lock' | 'before sleep';

export interface SessionLockerDeps {
  blanker: Blanker;
  dm: DisplayManagerLock;
  /** One line per event (stderr / syslog style). */
  log: (line: string) => void;
  /** Minimum time between two "back to the greeter" requests, in ms (default 2 000). */
  switchBackIntervalMs?: number;
  now?: () => number;
}

export class SessionLocker {
  private locked = false;
  /** The last request to LightDM failed: the next lock event or session switch asks again. */
  private dmLockPending = false;
  private queue: Promise<void> = Promise.resolve();
  private lastSwitchBack = -Infinity;
  private restarts: number[] = [];
  private closed = false;
  private readonly stopWatching: () => void;

  constructor(private readonly deps: SessionLockerDeps) {
    this.stopWatching = deps.blanker.onDied((why) => {
      if (!this.locked || this.closed) return;
      this.deps.log(`blanker ${why} while locked: showing it again`);
      void this.enqueue(() => this.restartBlanker());
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
        setTimeout(() => void this.enqueue(() => this.restartBlanker()), 1_000).unref();
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

  private async restartBlanker(): Promise<void> {
    if (!this.locked || this.closed) return;
    const now = (this.deps.now ?? Date.now)();
    this.restarts = [...this.restarts.filter((t) => now - t < 10_000), now];
    // A blanker that cannot stay up must not spin the CPU: past 5 restarts in 10 s, pace them.
    if (this.restarts.length > 5) await new Promise((r) => setTimeout(r, 1_000));
    if (!this.locked || this.closed) return;
    if (await this.showBlanker()) {
      this.deps.log(`blanker restarted (${this.blankerState()})`);
    }
  }
}
