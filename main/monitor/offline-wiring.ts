// How the monitor's verdict reaches the greeter backend. Two sources decide "offline":
//  * the portal monitor (./portal-probe), when a URL is configured;
//  * PAM evidence: an attempt whose conversation carried OFFLINE_ERROR/OFFLINE_OK took the
//    offline path, whatever the monitor thought (main/auth/controller marks it).
// The PAM verdict holds until the monitor next sees the portal: every successful probe says
// "online", while going offline still needs the monitor's hysteresis. Without a URL nothing
// clears PAM evidence but a restart, which keeps a pam_openbastion site's `OFFLINE:` prefix
// on the side that the PAM stack itself last chose.
import { PortalMonitor, type PortalMonitorOptions } from './portal-probe';

/** What the wiring drives: BastionGreeterBackend fits. */
export interface OfflineSink {
  setOffline(offline: boolean): void;
}

/** Feeds `monitor` verdicts to `sink`; returns the disconnect function. */
export function connectPortalMonitor(monitor: PortalMonitor, sink: OfflineSink): () => void {
  const offProbe = monitor.onProbe((result) => {
    if (result.ok) sink.setOffline(false);
  });
  const offChange = monitor.onChange((offline) => {
    if (offline) sink.setOffline(true);
  });
  return () => {
    offProbe();
    offChange();
  };
}

export interface RunningPortalMonitor {
  /** Null when no URL is configured (nothing is probed). */
  monitor: PortalMonitor | null;
  /** Disconnects and stops the monitor (no timer or socket left). */
  stop(): Promise<void>;
}

/**
 * What app/ and dev/ call at start: a monitor on `url` feeding `sink`, already started.
 * With no URL nothing is created and the sink hears only PAM evidence.
 */
export function startPortalMonitor(
  url: URL | null,
  sink: OfflineSink,
  options: Omit<PortalMonitorOptions, 'url'> = {},
): RunningPortalMonitor {
  if (url === null) return { monitor: null, stop: async () => undefined };
  const monitor = new PortalMonitor({ ...options, url });
  const disconnect = connectPortalMonitor(monitor, sink);
  monitor.start();
  return {
    monitor,
    stop: async () => {
      disconnect();
      await monitor.stop();
    },
  };
}
