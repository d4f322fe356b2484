// The online/offline monitor: probes the configured SSO portal URL periodically and decides
// whether the portal is reachable. Only that one URL is ever contacted; with no URL configured
// the monitor does nothing (main then learns "offline" only from PAM evidence, see
// ./offline-wiring).
//
// Verdict of one probe: any HTTP answer below 500 means the portal is there (a 3xx is not
// followed: the portal answered). Connection, DNS and TLS errors, the deadline and 5xx mean
// it is not. Hysteresis: `failuresBeforeOffline` failed probes in a row before going
// offline (one lost packet must not flip the screen), one success to go back online; while
// offline, or while a failure is being confirmed, probes come faster.
import {
  classifyProbeError,
  createUndiciProbeFetch,
  type ProbeFetch,
  type ProbeNetworkReason,
} from './probe-request';

/** Timers the monitor schedules with (injectable for tests). */
export interface MonitorTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface MonitorClock {
  /** Epoch ms. */
  now(): number;
}

export type ProbeFailureReason = ProbeNetworkReason | 'server-error';

export type ProbeResult =
  | { ok: true; status: number; at: number; elapsedMs: number }
  | {
      ok: false;
      reason: ProbeFailureReason;
      /** The HTTP status for `server-error`, else null. */
      status: number | null;
      /** System/library error code (ECONNREFUSED, ENOTFOUND…), if any. */
      detail: string | null;
      at: number;
      elapsedMs: number;
    };

export interface PortalMonitorOptions {
  /** The URL to probe (e.g. `<portal>/.well-known/openid-configuration`); null: never probe. */
  url: URL | null;
  /** Delay between probes while online, in ms. Default 30 000. */
  intervalMs?: number;
  /** Delay between probes while offline or confirming a failure, in ms. Default 5 000. */
  offlineIntervalMs?: number;
  /** Deadline of one probe (connect, headers and the bounded body read), in ms. Default 4 000. */
  timeoutMs?: number;
  /** Failed probes in a row before the verdict turns to offline. Default 2. */
  failuresBeforeOffline?: number;
  /** Whether the portal is believed unreachable before the first probe. Default false. */
  initiallyOffline?: boolean;
  /** Sends one probe. Default: undici on the monitor's own connection pool. */
  fetch?: ProbeFetch;
  timers?: MonitorTimers;
  clock?: MonitorClock;
  /** Transition lines (never contain anything secret). Default: none. */
  log?: (line: string) => void;
}

export type PortalMonitorErrorCode =
  | 'MONITOR_CONFIG' // an option is out of range or the URL is unusable
  | 'MONITOR_STOPPED'; // start() after stop(): its connection pool is closed

export class PortalMonitorError extends Error {
  readonly code: PortalMonitorErrorCode;
  constructor(code: PortalMonitorErrorCode, message: string) {
    super(message);
    this.name = 'PortalMonitorError';
    this.code = code;
  }
}

/** Abort reasons, told apart from whatever else could abort the signal. */
const STOPPED = Symbol('monitor stopped');
const TIMED_OUT = Symbol('probe deadline');

const realTimers: MonitorTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result <= 0) {
    throw new PortalMonitorError('MONITOR_CONFIG', `${name} must be a positive integer`);
  }
  return result;
}

export class PortalMonitor {
  private readonly url: URL | null;
  private readonly intervalMs: number;
  private readonly offlineIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly failuresBeforeOffline: number;
  private readonly fetch: ProbeFetch;
  private readonly closeFetch: () => Promise<void>;
  private readonly timers: MonitorTimers;
  private readonly clock: MonitorClock;
  private readonly log: (line: string) => void;
  private readonly changeListeners = new Set<(offline: boolean, result: ProbeResult) => void>();
  private readonly probeListeners = new Set<(result: ProbeResult) => void>();
  private isOffline: boolean;
  private failures = 0;
  private started = false;
  private stopped = false;
  private timer: unknown = null;
  private inFlight: { promise: Promise<ProbeResult>; abort: AbortController } | null = null;

  constructor(options: PortalMonitorOptions) {
    if (options.url !== null) {
      if (options.url.protocol !== 'https:' && options.url.protocol !== 'http:') {
        throw new PortalMonitorError('MONITOR_CONFIG', 'the portal URL must be http(s)');
      }
      if (options.url.username !== '' || options.url.password !== '') {
        throw new PortalMonitorError('MONITOR_CONFIG', 'the portal URL must not carry credentials');
      }
    }
    this.url = options.url === null ? null : new URL(options.url.href);
    this.intervalMs = positiveInteger('intervalMs', options.intervalMs, 30_000);
    this.offlineIntervalMs = positiveInteger('offlineIntervalMs', options.offlineIntervalMs, 5_000);
    this.timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, 4_000);
    this.failuresBeforeOffline = positiveInteger(
      'failuresBeforeOffline',
      options.failuresBeforeOffline,
      2,
    );
    if (options.fetch) {
      this.fetch = options.fetch;
      this.closeFetch = async () => undefined;
    } else {
      // The monitor's own pool; it opens no socket before the first probe.
      const undici = createUndiciProbeFetch();
      this.fetch = undici.fetch;
      this.closeFetch = undici.close;
    }
    this.timers = options.timers ?? realTimers;
    this.clock = options.clock ?? Date;
    this.log = options.log ?? (() => undefined);
    this.isOffline = options.initiallyOffline ?? false;
  }

  /** The current verdict: true while the portal is believed unreachable. */
  get offline(): boolean {
    return this.isOffline;
  }

  /** Whether a URL is configured (without one the monitor never probes). */
  get enabled(): boolean {
    return this.url !== null;
  }

  /** Called on every verdict change, with the probe that caused it. Returns the unsubscribe. */
  onChange(listener: (offline: boolean, result: ProbeResult) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called after every probe (before any onChange it causes). Returns the unsubscribe. */
  onProbe(listener: (result: ProbeResult) => void): () => void {
    this.probeListeners.add(listener);
    return () => this.probeListeners.delete(listener);
  }

  /** Starts probing: the first probe runs at once, then on the interval. No-op without URL. */
  start(): void {
    if (this.stopped) throw new PortalMonitorError('MONITOR_STOPPED', 'the monitor was stopped');
    if (this.started || this.url === null) return;
    this.started = true;
    this.schedule(0);
  }

  /**
   * Probes now (joining a probe already in flight) and restarts the interval from here.
   * Resolves to null when no URL is configured.
   */
  probeNow(): Promise<ProbeResult | null> {
    if (this.stopped) {
      return Promise.reject(new PortalMonitorError('MONITOR_STOPPED', 'the monitor was stopped'));
    }
    if (this.url === null) return Promise.resolve(null);
    if (this.inFlight) return this.inFlight.promise;
    this.clearTimer();
    const abort = new AbortController();
    const promise = this.probe(this.url, abort).then((result) => {
      this.inFlight = null;
      // A probe cut short by stop() says nothing about the portal.
      if (abort.signal.reason !== STOPPED) this.apply(result);
      if (this.started) this.schedule(this.nextDelay());
      return result;
    });
    this.inFlight = { promise, abort };
    return promise;
  }

  /**
   * Stops probing for good: no timer stays armed, an in-flight probe is aborted (its result is
   * dropped), the connection pool is closed.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.started = false;
    this.clearTimer();
    const running = this.inFlight;
    if (running) {
      running.abort.abort(STOPPED);
      await running.promise;
    }
    await this.closeFetch();
  }

  private nextDelay(): number {
    return this.isOffline || this.failures > 0 ? this.offlineIntervalMs : this.intervalMs;
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.probeNow();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private async probe(url: URL, abort: AbortController): Promise<ProbeResult> {
    const at = this.clock.now();
    const deadline = this.timers.setTimeout(() => abort.abort(TIMED_OUT), this.timeoutMs);
    // An injected fetch that ignores the signal must not hold the monitor past its deadline.
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abort.signal.reason);
      abort.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const answer = await Promise.race([this.fetch(url, abort.signal), aborted]);
      const elapsedMs = this.clock.now() - at;
      if (answer.status < 500) return { ok: true, status: answer.status, at, elapsedMs };
      return {
        ok: false,
        reason: 'server-error',
        status: answer.status,
        detail: null,
        at,
        elapsedMs,
      };
    } catch (error) {
      const failure = classifyProbeError(error, abort.signal.aborted);
      return {
        ok: false,
        reason: failure.reason,
        status: null,
        detail: failure.detail,
        at,
        elapsedMs: this.clock.now() - at,
      };
    } finally {
      this.timers.clearTimeout(deadline);
      abort.signal.removeEventListener('abort', onAbort);
    }
  }

  private apply(result: ProbeResult): void {
    for (const listener of this.probeListeners) this.call(() => listener(result));
    let changed = false;
    if (result.ok) {
      this.failures = 0;
      if (this.isOffline) {
        this.isOffline = false;
        changed = true;
        this.log(`portal reachable again (HTTP ${result.status})`);
      }
    } else {
      this.failures += 1;
      if (!this.isOffline && this.failures >= this.failuresBeforeOffline) {
        this.isOffline = true;
        changed = true;
        this.log(
          `portal unreachable after ${this.failures} failed probes ` +
            `(${result.reason}${result.status ? ` ${result.status}` : ''}` +
            `${result.detail ? ` ${result.detail}` : ''})`,
        );
      }
    }
    if (!changed) return;
    for (const listener of this.changeListeners) {
      this.call(() => listener(this.isOffline, result));
    }
  }

  private call(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.log(`monitor listener failed: ${(error as Error).message}`);
    }
  }
}
