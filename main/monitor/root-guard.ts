// One pass of the ROOT session guard (`bastion-offline guard`, run every 60 s by
// bastion-session-guard.timer, as Open Bastion's ob-session-monitor is): connectivity now
// (a default route, then one probe of the portal), "since when" carried over from the last
// pass (./guard-state.ts), then the SessionGuard rules (./session-guard.ts) on every offline
// session marker: revalidation, offline_max_sso_unreachable, offline_revalidation_grace,
// force-online, logind TerminateSession. Everything it reads and writes is root's: markers
// written by `bastion-offline verify`, the force-online list `verify` reads, its own state.
// The tray's monitor runs as the person and only shows status: a user can kill it, so it
// decides nothing.
import type { GuardStateStore } from './guard-state';
import type { PortalReach } from './offline-mode-monitor';
import type { SessionGuard } from './session-guard';
import type { ConnectivityState, MonitorEvent, MonitorStatus } from './status';

/** Deadline of the pass's one portal probe, ms. */
export const GUARD_PROBE_TIMEOUT_MS = 10_000;

export interface GuardPassOptions {
  networkUp: () => boolean;
  reach: PortalReach;
  state: GuardStateStore;
  guard: SessionGuard;
  probeTimeoutMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface GuardPassResult {
  status: MonitorStatus;
  events: MonitorEvent[];
  /** The state could not be saved: the next pass restarts the unreachable clock. */
  stateSaveError: string | null;
}

async function probe(reach: PortalReach, timeoutMs: number): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const aborted = new Promise<boolean>((resolve) =>
    abort.signal.addEventListener('abort', () => resolve(false), { once: true }),
  );
  try {
    return await Promise.race([reach(abort.signal).catch(() => false), aborted]);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

export async function runGuardPass(options: GuardPassOptions): Promise<GuardPassResult> {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  let state: ConnectivityState;
  if (!options.networkUp()) state = 'offline';
  else
    state = (await probe(options.reach, options.probeTimeoutMs ?? GUARD_PROBE_TIMEOUT_MS))
      ? 'online'
      : 'portal-unreachable';
  const previous = options.state.load();
  const at = now();
  const since = previous !== null && previous.state === state ? previous.since : at;
  if (previous?.state !== state) log(`connectivity: ${previous?.state ?? 'unknown'} → ${state}`);
  let stateSaveError: string | null = null;
  try {
    options.state.save({ state, since });
  } catch (error) {
    // The rules still run with what this pass knows; the caller reports the failure.
    stateSaveError = (error as Error).message;
    log(`session guard state not saved: ${stateSaveError}`);
  }
  const status: MonitorStatus = {
    state,
    since,
    lastRevalidation: null,
    nextCheckAt: null,
  };
  const events: MonitorEvent[] = [];
  const off = options.guard.onEvent((event) => events.push(event));
  try {
    await options.guard.check(status);
  } finally {
    off();
  }
  return {
    status: { ...status, lastRevalidation: options.guard.lastRevalidation },
    events,
    stateSaveError,
  };
}

/** One line per event, for the journal (user names JSON-quoted: they are not ours). */
export function describeGuardEvent(event: MonitorEvent): string {
  switch (event.type) {
    case 'status':
      return `status ${event.status.state} since ${new Date(event.status.since).toISOString()}`;
    case 'revalidated':
      return `revalidated ${JSON.stringify(event.user)}`;
    case 'force-online':
      return `force-online ${JSON.stringify(event.user)} (${event.reason})`;
    case 'session-ended':
      return `session-ended ${JSON.stringify(event.user)} (${event.reason}, ${event.sessions} session(s))`;
  }
}
