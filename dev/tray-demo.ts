// The tray's monitor in `npm start -- --tray`: a STAND-IN for main/monitor, named as such, so
// the status view can be seen in every state on any machine without a portal to unplug. It
// plays scripted scenes (online, offline, portal unreachable, cached login expiring, locked
// out), each carrying the cache facts the monitor contract may carry, and never probes
// anything. "Retry now" plays "the portal answered": online again.
import type { TrayIconState, TrayMonitorStatus } from '../preload/tray-api';
import { TRAY_ICON_STATES } from '../preload/tray-api';
import type { TrayMonitorSource } from '../main/ipc/tray-backend';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The scene shown for each state, relative to `now` (epoch ms). */
export function demoScene(state: TrayIconState, now: number): TrayMonitorStatus {
  switch (state) {
    case 'online':
      return {
        state: 'online',
        since: now - 3 * HOUR,
        lastRevalidation: now - 4 * MIN,
        cachedLoginValidUntil: now + 7 * DAY,
        lockout: null,
      };
    case 'offline':
      return {
        state: 'offline',
        since: now - 25 * MIN,
        lastRevalidation: now - 31 * MIN,
        cachedLoginValidUntil: now + 6 * DAY,
        lockout: null,
      };
    case 'portal-unreachable':
      return {
        state: 'portal-unreachable',
        since: now - 12 * MIN,
        lastRevalidation: now - 15 * MIN,
        cachedLoginValidUntil: now + 6 * DAY,
        lockout: null,
      };
    case 'expiring':
      return {
        state: 'offline',
        since: now - 6 * DAY,
        lastRevalidation: now - 6 * DAY - 10 * MIN,
        cachedLoginValidUntil: now + 35 * MIN,
        lockout: null,
      };
    case 'locked-out':
      return {
        state: 'offline',
        since: now - 2 * HOUR,
        lastRevalidation: now - 2 * HOUR - 5 * MIN,
        cachedLoginValidUntil: now + 5 * DAY,
        lockout: { until: now + 4 * MIN, attempts: 5 },
      };
  }
}

export function isDemoState(value: string): value is TrayIconState {
  return (TRAY_ICON_STATES as readonly string[]).includes(value);
}

export class DemoTrayMonitorForPreview implements TrayMonitorSource {
  private status: TrayMonitorStatus;
  private index: number;
  private readonly listeners = new Set<(status: TrayMonitorStatus) => void>();
  private timer: NodeJS.Timeout | null = null;

  /** `cycleMs`: move to the next scene this often (null: stay). */
  constructor(
    first: TrayIconState,
    cycleMs: number | null,
    private readonly log: (line: string) => void = (line) => console.error(line),
    private readonly clock: () => number = Date.now,
  ) {
    this.index = TRAY_ICON_STATES.indexOf(first);
    this.status = demoScene(first, clock());
    if (cycleMs !== null) this.timer = setInterval(() => this.next(), cycleMs);
  }

  current(): TrayMonitorStatus {
    return this.status;
  }

  subscribe(listener: (status: TrayMonitorStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The scripted probe: the portal answers. */
  retryNow(): Promise<void> {
    this.log('bastion demo: (demo) retry: the scripted portal answers — online');
    this.show(TRAY_ICON_STATES.indexOf('online'));
    return new Promise((resolve) => setTimeout(resolve, 300));
  }

  next(): void {
    this.show((this.index + 1) % TRAY_ICON_STATES.length);
  }

  private show(index: number): void {
    this.index = index;
    const state = TRAY_ICON_STATES[index]!;
    this.status = demoScene(state, this.clock());
    this.log(`bastion demo: (demo) tray scene ${state}`);
    for (const listener of [...this.listeners]) listener(this.status);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
