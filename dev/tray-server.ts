// The tray's status view in the Chromium fallback (`npm start -- --tray`; development and e2e
// only, never packaged): the same Electron-free backend as `bastion-greeter --tray`
// (main/ipc/tray-backend.ts) behind the loopback bridge, serving tray.html. Started by
// dev/server.ts when BASTION_DEV_TRAY=1; prints `BASTION_DEV_URL <url>` like the greeter.
//
// With BASTION_PORTAL_URL set, the monitor is main/monitor's own OfflineModeMonitor probing
// that URL, as `bastion-greeter --tray` runs it (TEST/DEV: BASTION_DEV_PROBE_INTERVAL_MS sets
// its interval online and the start of its backoff otherwise; BASTION_DEV_TRAY_REVALIDATE
// adds the session guard, ./tray-revalidation.ts). A portal on loopback needs no default
// route, so "network up" is not asked then. Without a portal URL the monitor is the demo's
// stand-in (./tray-demo.ts DemoTrayMonitorForPreview): BASTION_DEV_TRAY_STATE picks the
// first scene (online by default) and BASTION_DEV_TRAY_CYCLE_MS, when set, moves to the next
// one that often. BASTION_USER names the account shown (default: this process's).
// "Open the key manager" starts the key manager's own dev server (`BASTION_DEV_KEYS=1`,
// once) and hands its page URL back.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../preload/api';
import type { TrayCall, TrayOpenResult } from '../preload/tray-api';
import { Backoff } from '../main/monitor/backoff';
import { httpPortalReach, OfflineModeMonitor } from '../main/monitor/offline-mode-monitor';
import { isLoopbackHost } from '../main/monitor/portal-url';
import { createTrayBackend, type TrayMonitorSource } from '../main/ipc/tray-backend';
import { monitorStatusSource } from '../main/ipc/tray-monitor';
import { DEFAULT_POLICY_PATH, loadOfflineExpiryWarning } from '../main/screens/policy';
import { startDevBridge } from './bridge-server';
import { readDevServerConfig } from './config';
import { DemoTrayMonitorForPreview, isDemoState } from './tray-demo';
import { trayRevalidationGuard } from './tray-revalidation';

export const TRAY_BRIDGE_CALLS: readonly TrayCall[] = [
  'getInfo',
  'getSnapshot',
  'retryNow',
  'openKeyManager',
];

/** The key manager's dev server, started on the first "Open the key manager". */
function keyManagerStarter(
  serverPath: string,
  env: NodeJS.ProcessEnv,
  demoDir: string | null,
): { open(): Promise<TrayOpenResult>; stop(): void } {
  let child: ChildProcess | null = null;
  let url: Promise<string> | null = null;
  return {
    open() {
      url ??= new Promise<string>((resolve, reject) => {
        const keysDemo = demoDir ? join(demoDir, 'keys') : null;
        if (keysDemo) mkdirSync(keysDemo, { recursive: true, mode: 0o700 });
        const started = spawn(process.execPath, [serverPath], {
          env: {
            ...env,
            BASTION_DEV_TRAY: '',
            BASTION_DEV_KEYS: '1',
            BASTION_DEV_PORT: '0',
            ...(keysDemo ? { BASTION_DEV_DEMO_DIR: keysDemo } : {}),
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        child = started;
        started.once('exit', (code) => {
          url = null;
          reject(new Error(`the key manager's server exited (${code})`));
        });
        createInterface({ input: started.stdout! }).on('line', (line) => {
          const match = /^BASTION_DEV_URL (\S+)$/.exec(line);
          if (match) resolve(match[1]!);
        });
      });
      return url.then((pageUrl) => ({ opened: 'url', url: pageUrl }));
    },
    stop() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

function cycleMs(env: NodeJS.ProcessEnv): number | null {
  const raw = env.BASTION_DEV_TRAY_CYCLE_MS;
  if (!raw) return null;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 500)
    throw new Error('BASTION_DEV_TRAY_CYCLE_MS must be >= 500');
  return value;
}

/** main/monitor's OfflineModeMonitor on `portalUrl`, with the dev guard when configured. */
function startRealMonitor(
  portalUrl: URL,
  intervalMs: number | null,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): { source: TrayMonitorSource & { stop(): void }; stop(): Promise<void> } {
  const http = httpPortalReach(portalUrl);
  const revalidate = env.BASTION_DEV_TRAY_REVALIDATE || null;
  if (revalidate !== null && !revalidate.startsWith('/'))
    throw new Error('BASTION_DEV_TRAY_REVALIDATE must be absolute');
  const guard = revalidate ? trayRevalidationGuard(revalidate, (l) => log(`guard: ${l}`)) : null;
  const monitor = new OfflineModeMonitor({
    reach: http.reach,
    ...(isLoopbackHost(portalUrl.hostname) ? { networkUp: () => true } : {}),
    ...(guard ? { guard: guard.guard } : {}),
    ...(intervalMs === null
      ? {}
      : {
          intervalMs,
          backoff: new Backoff({ baseMs: intervalMs, maxMs: intervalMs * 4 }),
          timeoutMs: Math.max(intervalMs, 1_000),
        }),
    log: (line) => log(`monitor: ${line}`),
  });
  const base = monitorStatusSource(monitor);
  let unsubscribed: (() => void)[] = [];
  const source: TrayMonitorSource & { stop(): void } = {
    ...base,
    subscribe(listener) {
      const off = base.subscribe(listener);
      unsubscribed.push(off);
      return off;
    },
    stop() {
      for (const off of unsubscribed) off();
      unsubscribed = [];
    },
  };
  monitor.start();
  return {
    source,
    stop: async () => {
      await monitor.stop();
      await http.close();
    },
  };
}

/** Runs until SIGINT/SIGTERM. `entryUrl`: import.meta.url of build/dev/server.mjs. */
export async function runTrayDevServer(env: NodeJS.ProcessEnv, entryUrl: string): Promise<void> {
  const config = readDevServerConfig(env);
  const serverPath = fileURLToPath(entryUrl);
  const buildDir = join(dirname(serverPath), '..');
  const log = (line: string): void => console.error(`bastion tray: ${line}`);
  const first = env.BASTION_DEV_TRAY_STATE || 'online';
  if (!isDemoState(first)) throw new Error(`BASTION_DEV_TRAY_STATE: no scene ${first}`);
  let monitor: TrayMonitorSource & { stop(): void };
  let portalStop: () => Promise<void> = async () => undefined;
  if (config.portalUrl !== null) {
    const real = startRealMonitor(config.portalUrl, config.probeIntervalMs, env, log);
    monitor = real.source;
    portalStop = real.stop;
  } else {
    monitor = new DemoTrayMonitorForPreview(first, cycleMs(env), log);
  }
  const keys = keyManagerStarter(serverPath, env, config.demoDir);
  const backend = createTrayBackend({
    user: config.currentUser ?? userInfo().username,
    info: {
      locale: config.locale,
      intlLocale: config.locale === 'fr' ? 'fr-FR' : 'en-GB',
      host: 'dev-chromium',
    },
    monitor,
    // The demo's cache facts come with its scenes; no helper is asked here.
    cacheStatus: null,
    warningLeadMs: loadOfflineExpiryWarning(config.policyPath ?? DEFAULT_POLICY_PATH, log) * 60_000,
    openKeyManager: () => keys.open(),
    log,
  });
  backend.onExpiryWarning(({ validUntil }) =>
    log(
      `(demo) a desktop notification would say: cached login valid until ${new Date(validUntil).toISOString()}`,
    ),
  );
  const bridge = await startDevBridge({
    backend,
    rendererDir: join(buildDir, 'renderer'),
    bridgeClientPath: join(buildDir, 'dev', 'tray-bridge-client.js'),
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    port: config.port,
    calls: TRAY_BRIDGE_CALLS,
    page: { html: 'tray.html', script: 'tray.js' },
  });
  console.log(`BASTION_DEV_URL ${bridge.pageUrl}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    keys.stop();
    monitor.stop();
    const bound = new Promise<void>((resolve) => setTimeout(resolve, 1_000));
    void Promise.race([
      Promise.allSettled([bridge.close(), backend.close(), portalStop()]),
      bound,
    ]).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
