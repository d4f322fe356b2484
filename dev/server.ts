// Entry of the Chromium fallback's server (build/dev/server.mjs; development only, never
// packaged): the same Electron-free backend as the Electron entry, behind the loopback
// bridge. Prints one line `BASTION_DEV_URL <url-with-token>` on stdout for scripts/start.mjs,
// then serves until SIGINT/SIGTERM. With BASTION_PORTAL_URL set, the offline monitor probes
// it (the banner follows); unset (the `npm start` demo's default), nothing is probed.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../preload/api';
import { connectDisplayManager, displayManagerChoices } from '../main/dm';
import { createGreeterBackend } from '../main/ipc/greeter-backend';
import { startPortalMonitor } from '../main/monitor/offline-wiring';
import { startDevBridge } from './bridge-server';
import { readDevServerConfig } from './config';
import { prepareDemoEnvironment } from './demo-stack';

async function main(): Promise<void> {
  const config = readDevServerConfig(process.env);
  // build/dev/server.mjs → build/renderer, build/dev/bridge-client.js
  const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  const demo = config.demoDir ? prepareDemoEnvironment(config.demoDir, config.demoPolicy) : null;
  // The Chromium fallback under a display manager (tests start it from LightDM and greetd).
  const dm = await connectDisplayManager(process.env);
  const choices = dm
    ? displayManagerChoices(dm, { mode: config.mode, currentUser: config.currentUser })
    : null;
  const backend = createGreeterBackend({
    mode: choices?.mode ?? config.mode,
    locale: config.locale,
    helperPath: config.helperPath,
    helperSocketPath: config.helperSocketPath,
    currentUser: choices ? choices.currentUser : config.currentUser,
    host: 'dev-chromium',
    ...(demo ? { helperEnv: demo.helperEnv, stateDir: demo.greeterStateDir } : {}),
    ...(choices ? { transport: choices.transport } : {}),
    screen: {
      ...demo?.screen,
      ...(config.sessionDirs ? { sessionDirs: config.sessionDirs } : {}),
      ...(config.policyPath ? { policyPath: config.policyPath } : {}),
      ...choices?.screen,
    },
  });
  void dm?.exit.then((status) => process.exit(status));
  const portal = startPortalMonitor(config.portalUrl, backend, {
    log: (line) => console.error(`bastion monitor: ${line}`),
    ...(config.probeIntervalMs === null
      ? {}
      : { intervalMs: config.probeIntervalMs, offlineIntervalMs: config.probeIntervalMs }),
  });
  const bridge = await startDevBridge({
    backend,
    rendererDir: join(buildDir, 'renderer'),
    bridgeClientPath: join(buildDir, 'dev', 'bridge-client.js'),
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    port: config.port,
  });
  console.log(`BASTION_DEV_URL ${bridge.pageUrl}`);
  const stop = (): void => {
    void Promise.allSettled([portal.stop(), bridge.close(), backend.close()]).finally(() =>
      process.exit(0),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`bastion dev server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
