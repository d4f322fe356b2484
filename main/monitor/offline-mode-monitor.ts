// The online / offline / portal-unreachable state machine (./status.ts) that the tray shows
// and the session guard acts on. Each check: no default route → offline; else one probe of
// the portal → online, or portal-unreachable after `failuresBeforeUnreachable` failed probes
// in a row (one lost packet must not flip the tray). While online the next check comes after
// `intervalMs`; otherwise after the backoff's next delay (exponential, capped, jittered),
// reset once the portal answers. "Retry now" checks at once (joining a check in flight).
// After every check the session guard applies revalidation, grace and max-unreachable.
import { Backoff } from './backoff';
import { defaultRouteUp } from './network';
import type { MonitorClock, MonitorTimers } from './portal-probe';
import { createUndiciProbeFetch } from './probe-request';
import type { SessionGuard } from './session-guard';
import {
  parseOfflineStatusLine,
  type ConnectivityState,
  type MonitorEvent,
  type MonitorStatus,
  type MonitorStatusSource,
} from './status';

/** One probe of the portal: true when it answered (any HTTP status below 500). */
export type PortalReach = (signal: AbortSignal) => Promise<boolean>;

export interface OfflineModeMonitorOptions {
  reach: PortalReach;
  /** Default: a default route in /proc/net/route or /proc/net/ipv6_route (./network.ts). */
  networkUp?: () => boolean;
  guard?: SessionGuard;
  /** The person's `bastion-offline status` line (through the helper), for the snapshot. */
  cachedLogin?: () => Promise<string | null>;
  /** Between checks while online, ms (default 60 000, ob-session-monitor's period). */
  intervalMs?: number;
  backoff?: Backoff;
  /** Deadline of one probe, ms (default 4 000). */
  timeoutMs?: number;
  /** Failed probes in a row before online turns portal-unreachable (default 2). */
  failuresBeforeUnreachable?: number;
  timers?: MonitorTimers;
  clock?: MonitorClock;
  log?: (line: string) => void;
}

const realTimers: MonitorTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The real probe: undici GET of `url` on its own pool, no redirect followed, body bounded. */
export function httpPortalReach(url: URL): { reach: PortalReach; close(): Promise<void> } {
  const probe = createUndiciProbeFetch();
  return {
    reach: async (signal) => {
      try {
        return (await probe.fetch(url, signal)).status < 500;
      } catch {
        return false;
      }
    },
    close: probe.close,
  };
}

export class OfflineModeMonitor implements MonitorStatusSource {
  private readonly options: OfflineModeMonitorOptions;
  private readonly timers: MonitorTimers;
  private readonly clock: MonitorClock;
  private readonly backoff: Backoff;
  private readonly log: (line: string) => void;
  private readonly listeners = new Set<(event: MonitorEvent) => void>();
  private status: MonitorStatus;
  private failures = 0;
  private timer: unknown = null;
  private inFlight: Promise<MonitorStatus> | null = null;
  private started = false;
  private stopped = false;
  private readonly offGuard: () => void;

  constructor(options: OfflineModeMonitorOptions) {
    this.options = options;
    this.timers = options.timers ?? realTimers;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.backoff = options.backoff ?? new Backoff();
    this.log = options.log ?? (() => undefined);
    // Until the first check nothing is known; "online" would promise too much, and the guard
    // only acts on a check's result, never on this placeholder.
    this.status = {
      state: 'portal-unreachable',
      since: this.clock.now(),
      lastRevalidation: null,
      nextCheckAt: null,
    };
    this.offGuard = options.guard?.onEvent((event) => this.emit(event)) ?? (() => undefined);
  }

  snapshot(): MonitorStatus {
    return { ...this.status, lockout: this.status.lockout && { ...this.status.lockout } };
  }

  onEvent(listener: (event: MonitorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.retryNow();
  }

  retryNow(): Promise<MonitorStatus> {
    if (this.stopped) return Promise.resolve(this.snapshot());
    if (this.inFlight) return this.inFlight;
    this.clearTimer();
    this.inFlight = this.check().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.offGuard();
    await this.inFlight?.catch(() => undefined);
    this.status = { ...this.status, nextCheckAt: null };
  }

  private emit(event: MonitorEvent): void {
    if (event.type === 'revalidated') {
      this.status = { ...this.status, lastRevalidation: event.at };
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log(`monitor listener failed: ${(error as Error).message}`);
      }
    }
  }

  private async probe(): Promise<boolean> {
    const abort = new AbortController();
    const deadline = this.timers.setTimeout(() => abort.abort(), this.options.timeoutMs ?? 4_000);
    const aborted = new Promise<boolean>((resolve) =>
      abort.signal.addEventListener('abort', () => resolve(false), { once: true }),
    );
    try {
      return await Promise.race([this.options.reach(abort.signal).catch(() => false), aborted]);
    } finally {
      this.timers.clearTimeout(deadline);
      abort.abort();
    }
  }

  private async check(): Promise<MonitorStatus> {
    const networkUp = (this.options.networkUp ?? (() => defaultRouteUp()))();
    let next: ConnectivityState;
    if (!networkUp) {
      next = 'offline';
      this.failures = 0;
    } else if (await this.probe()) {
      next = 'online';
      this.failures = 0;
    } else {
      this.failures++;
      const confirming =
        this.status.state === 'online' &&
        this.failures < (this.options.failuresBeforeUnreachable ?? 2);
      next = confirming ? 'online' : 'portal-unreachable';
    }
    if (this.stopped) return this.snapshot();
    const now = this.clock.now();
    const changed = next !== this.status.state;
    if (changed) {
      this.log(`connectivity: ${this.status.state} → ${next}`);
      this.status = { ...this.status, state: next, since: now };
    }
    await this.refreshCachedLogin(now);
    if (this.options.guard) {
      await this.options.guard.check(this.snapshot());
      this.status = { ...this.status, lastRevalidation: this.options.guard.lastRevalidation };
    }
    if (this.stopped) return this.snapshot();
    let delay: number;
    if (next === 'online' && this.failures === 0) {
      this.backoff.reset();
      delay = this.options.intervalMs ?? 60_000;
    } else {
      delay = this.backoff.next();
    }
    this.status = { ...this.status, nextCheckAt: this.clock.now() + delay };
    if (this.started) this.schedule(delay);
    this.emit({ type: 'status', status: this.snapshot() });
    return this.snapshot();
  }

  private async refreshCachedLogin(now: number): Promise<void> {
    if (!this.options.cachedLogin) return;
    try {
      const line = await this.options.cachedLogin();
      const parsed = line === null ? null : parseOfflineStatusLine(line, now);
      const { cachedLoginValidUntil: _c, lockout: _l, ...rest } = this.status;
      this.status = { ...rest, ...(parsed ?? {}) };
    } catch (error) {
      this.log(`cached login status unavailable: ${(error as Error).message}`);
    }
  }

  private schedule(delay: number): void {
    this.clearTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.retryNow();
    }, delay);
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
