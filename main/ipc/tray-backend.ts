// The trusted side of the tray: one snapshot (preload/tray-api.ts TraySnapshot) merged from the
// online/offline monitor and the cache's own status (./tray-cache-status), pushed on every
// change to the Electron tray (app/tray.ts: icon, menu, status window) and to the Chromium
// fallback's bridge (dev/tray-server.ts); the expiry warning, once per expiry; and the page's
// calls, which carry no payload (anything else is refused before it runs).
import type {
  TrayInfo,
  TrayLockout,
  TrayMonitorStatus,
  TrayOpenResult,
  TraySnapshot,
} from '../../preload/tray-api';
import type { CacheStatusAnswer, CacheStatusQuery } from './tray-cache-status';

/** The monitor as the tray needs it (main/monitor's status, or ./tray-monitor's adapter). */
export interface TrayMonitorSource {
  current(): TrayMonitorStatus;
  subscribe(listener: (status: TrayMonitorStatus) => void): () => void;
  /** Probes now; resolves once the probe is over (whatever it found). */
  retryNow(): Promise<void>;
}

export interface TrayTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ExpiryWarning {
  /** Epoch ms: when the cached login stops being valid. */
  validUntil: number;
}

export interface TrayBackendOptions {
  user: string;
  info: TrayInfo;
  monitor: TrayMonitorSource;
  /** `bastion-status` through the helper; null: the monitor's fields alone. */
  cacheStatus: CacheStatusQuery | null;
  /** greeter.conf offline-expiry-warning-minutes, in ms. */
  warningLeadMs: number;
  openKeyManager(): Promise<TrayOpenResult>;
  /** The cache is asked again this often besides on every change (default 10 minutes). */
  refreshMs?: number;
  clock?: () => number;
  timers?: TrayTimers;
  log?: (line: string) => void;
}

export interface TrayBackend {
  /** Validates the call (no payload), then runs it; a bad call changes nothing. */
  handle(call: string, payload: unknown): Promise<unknown>;
  snapshot(): TraySnapshot;
  subscribe(listener: (snapshot: TraySnapshot) => void): () => void;
  /** Heard once per expiry (per `validUntil`), `warningLeadMs` before it, while not online. */
  onExpiryWarning(listener: (warning: ExpiryWarning) => void): () => void;
  /** Probes the portal and asks the cache again (the menu's and the page's "Retry now"). */
  retryNow(): Promise<void>;
  openKeyManager(): Promise<TrayOpenResult>;
  close(): Promise<void>;
}

export type TrayValidationErrorCode = 'UNKNOWN_CALL' | 'UNEXPECTED_PAYLOAD';

export class TrayValidationError extends Error {
  readonly code: TrayValidationErrorCode;
  constructor(code: TrayValidationErrorCode, message: string) {
    super(message);
    this.name = 'TrayValidationError';
    this.code = code;
  }
}

const CALLS: ReadonlySet<string> = new Set([
  'getInfo',
  'getSnapshot',
  'retryNow',
  'openKeyManager',
]);

/** Longest sleep between expiry checks: timers stop during suspend, the wall clock does not. */
export const MAX_WARNING_SLEEP_MS = 60_000;
export const DEFAULT_CACHE_REFRESH_MS = 10 * 60_000;

const realTimers: TrayTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The snapshot from the monitor's status and the cache's last useful answer. */
export function mergeTraySnapshot(
  user: string,
  status: TrayMonitorStatus,
  cache: CacheStatusAnswer | null,
  warningLeadMs: number,
  retrying: boolean,
): TraySnapshot {
  let cachedLogin: TraySnapshot['cachedLogin'] = { kind: 'unknown' };
  if (cache?.kind === 'known') cachedLogin = { kind: 'known', validUntil: cache.validUntil };
  else if (cache?.kind === 'none') cachedLogin = { kind: 'none' };
  else if (typeof status.cachedLoginValidUntil === 'number')
    cachedLogin = { kind: 'known', validUntil: status.cachedLoginValidUntil };
  const monitorLock = status.lockout ?? null;
  let lockout: TrayLockout | null = null;
  if (cache?.kind === 'known' && cache.lockedUntil !== null) {
    // The cache is the authority on the lock; the attempts behind it only the monitor knows.
    lockout = { until: cache.lockedUntil, attempts: monitorLock?.attempts ?? null };
  } else if (cache?.kind !== 'known' && cache?.kind !== 'none' && monitorLock !== null) {
    lockout = { until: monitorLock.until, attempts: monitorLock.attempts ?? null };
  }
  return {
    user,
    connection: status.state,
    since: status.since,
    lastRevalidation: status.lastRevalidation,
    cachedLogin,
    lockout,
    warningLeadMs,
    retrying,
  };
}

export function createTrayBackend(options: TrayBackendOptions): TrayBackend {
  const clock = options.clock ?? Date.now;
  const timers = options.timers ?? realTimers;
  const log = options.log ?? (() => undefined);
  const refreshMs = options.refreshMs ?? DEFAULT_CACHE_REFRESH_MS;
  const listeners = new Set<(snapshot: TraySnapshot) => void>();
  const warningListeners = new Set<(warning: ExpiryWarning) => void>();
  let status = options.monitor.current();
  let cache: CacheStatusAnswer | null = null;
  let retrying = false;
  let closed = false;
  let current = mergeTraySnapshot(options.user, status, cache, options.warningLeadMs, retrying);
  let warnedFor: number | null = null;
  let warningTimer: unknown = null;
  let refreshTimer: unknown = null;
  const abort = new AbortController();

  const publish = (): void => {
    const next = mergeTraySnapshot(options.user, status, cache, options.warningLeadMs, retrying);
    if (JSON.stringify(next) === JSON.stringify(current)) return;
    current = next;
    for (const listener of [...listeners]) listener(current);
    checkWarning();
  };

  // Once per expiry: a renewed cached login (a new validUntil) earns a new warning, a monitor
  // tick or a re-asked cache with the same answer does not.
  const checkWarning = (): void => {
    if (warningTimer !== null) timers.clearTimeout(warningTimer);
    warningTimer = null;
    // Nobody to tell yet (start-up): the first listener's arrival checks again.
    if (closed || warningListeners.size === 0) return;
    const cached = current.cachedLogin;
    if (current.connection === 'online' || cached.kind !== 'known') return;
    const now = clock();
    if (now >= cached.validUntil || warnedFor === cached.validUntil) return;
    const warnAt = cached.validUntil - options.warningLeadMs;
    if (now >= warnAt) {
      warnedFor = cached.validUntil;
      for (const listener of [...warningListeners]) listener({ validUntil: cached.validUntil });
      return;
    }
    warningTimer = timers.setTimeout(
      () => {
        warningTimer = null;
        checkWarning();
      },
      Math.min(warnAt - now, MAX_WARNING_SLEEP_MS),
    );
  };

  // One query at a time; triggers that arrive meanwhile make one more run afterwards.
  let querying: Promise<void> | null = null;
  let again = false;
  const askCache = (): Promise<void> => {
    if (options.cacheStatus === null || closed) return Promise.resolve();
    if (querying) {
      again = true;
      return querying;
    }
    const query = options.cacheStatus;
    querying = (async () => {
      do {
        again = false;
        let answer: CacheStatusAnswer;
        try {
          answer = await query(options.user, abort.signal);
        } catch (error) {
          answer = { kind: 'unknown', reason: error instanceof Error ? error.message : 'error' };
        }
        if (closed) return;
        // A passing failure (busy, a helper restart) keeps what the cache last said.
        if (answer.kind === 'unknown') log(`cached login status unknown: ${answer.reason}`);
        if (answer.kind !== 'unknown' || cache === null || cache.kind === 'unknown') cache = answer;
        publish();
      } while (again && !closed);
    })().finally(() => {
      querying = null;
    });
    return querying;
  };

  const scheduleRefresh = (): void => {
    if (closed) return;
    refreshTimer = timers.setTimeout(() => {
      refreshTimer = null;
      void askCache().finally(scheduleRefresh);
    }, refreshMs);
  };

  const unsubscribeMonitor = options.monitor.subscribe((next) => {
    const changed = next.state !== status.state;
    status = next;
    publish();
    // A new state is when the cache's answer matters most (going offline: until when?).
    if (changed) void askCache();
  });
  checkWarning();
  void askCache();
  scheduleRefresh();

  const retryNow = async (): Promise<void> => {
    if (closed) return;
    retrying = true;
    publish();
    try {
      await Promise.allSettled([options.monitor.retryNow(), askCache()]);
    } finally {
      retrying = false;
      status = options.monitor.current();
      publish();
    }
  };

  return {
    async handle(call: string, payload: unknown): Promise<unknown> {
      if (!CALLS.has(call)) throw new TrayValidationError('UNKNOWN_CALL', `no call ${call}`);
      if (payload !== undefined)
        throw new TrayValidationError('UNEXPECTED_PAYLOAD', `${call} takes no payload`);
      switch (call) {
        case 'getInfo':
          return { ...options.info };
        case 'getSnapshot':
          return current;
        case 'retryNow':
          // Answers once the retry is over: the page keeps its button's state meanwhile.
          return retryNow();
        default:
          return options.openKeyManager();
      }
    },
    snapshot: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onExpiryWarning(listener) {
      warningListeners.add(listener);
      checkWarning();
      return () => warningListeners.delete(listener);
    },
    retryNow,
    openKeyManager: () => options.openKeyManager(),
    async close() {
      closed = true;
      abort.abort();
      unsubscribeMonitor();
      if (warningTimer !== null) timers.clearTimeout(warningTimer);
      if (refreshTimer !== null) timers.clearTimeout(refreshTimer);
      listeners.clear();
      warningListeners.clear();
      await querying;
    },
  };
}
