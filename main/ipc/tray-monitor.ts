// The tray's monitor sources. monitorStatusSource (below): main/monitor's own status
// (OfflineModeMonitor: online / offline / portal-unreachable, revalidation), used whenever a
// portal URL is configured. portalMonitorSource: the older portal probe's verdict, kept for
// the no-URL case and for callers that still run that probe; there a failure to resolve the
// portal's name reads as "offline", any other failure as "portal unreachable".
import type { TrayConnection, TrayMonitorStatus } from '../../preload/tray-api';
import type { PortalMonitor, ProbeResult } from '../monitor/portal-probe';
import type { MonitorStatusSource } from '../monitor/status';
import type { TrayMonitorSource } from './tray-backend';

export function connectionOf(offline: boolean, result: ProbeResult | null): TrayConnection {
  if (!offline) return 'online';
  return result !== null && !result.ok && result.reason === 'dns'
    ? 'offline'
    : 'portal-unreachable';
}

/**
 * `monitor` null (no portal URL configured): nothing is ever probed, and the tray says what the
 * greeter's banner says then — online, since start.
 */
export function portalMonitorSource(
  monitor: PortalMonitor | null,
  clock: () => number = Date.now,
): TrayMonitorSource & { stop(): void } {
  let status: TrayMonitorStatus = {
    state: monitor?.offline ? 'portal-unreachable' : 'online',
    since: clock(),
    lastRevalidation: null,
  };
  const listeners = new Set<(status: TrayMonitorStatus) => void>();
  let lastFailure: ProbeResult | null = null;
  const set = (state: TrayConnection): void => {
    if (state === status.state) return;
    status = { ...status, state, since: clock() };
    for (const listener of [...listeners]) listener(status);
  };
  const offProbe =
    monitor?.onProbe((result) => {
      if (!result.ok) lastFailure = result;
      // Still offline, but now for another reason (the network came back, the portal not).
      else lastFailure = null;
      if (monitor.offline) set(connectionOf(true, lastFailure));
    }) ?? (() => undefined);
  const offChange =
    monitor?.onChange((offline, result) => set(connectionOf(offline, result))) ?? (() => undefined);
  return {
    current: () => status,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async retryNow() {
      await monitor?.probeNow();
    },
    stop() {
      offProbe();
      offChange();
      listeners.clear();
    },
  };
}

/** main/monitor's own status source (OfflineModeMonitor) as the tray's monitor. */
export function monitorStatusSource(source: MonitorStatusSource): TrayMonitorSource {
  return {
    current: () => source.snapshot(),
    subscribe: (listener) =>
      source.onEvent((event) => {
        if (event.type === 'status') listener(event.status);
      }),
    async retryNow() {
      await source.retryNow();
    },
  };
}
