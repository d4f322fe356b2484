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
import { keyboardSwitcherFromEnvironment } from '../main/screens/keyboard-switch';
import { firstPaintFromFile } from '../main/screens/first-paint';
import { listFidoDevices, openHidDevice } from '../main/fido2/hid-device';
import { sessionLockFromEnvironment } from '../main/ipc/security-keys';
import { startDevBridge } from './bridge-server';
import { readDevServerConfig } from './config';
import { runKeysDevServer } from './keys-server';
import { createDevPortalHost } from './sso-portal';
import { loadSsoSettings } from '../main/ipc/sso-settings';
import { runTrayDevServer } from './tray-server';
import {
  DemoKeyboardSwitchForPreview,
  DemoPowerActionsForPreview,
  helperTestEnv,
  prepareDemoEnvironment,
} from './demo-stack';

async function main(): Promise<void> {
  // `npm start -- --keys`: the key manager's page instead of the greeter (./keys-server).
  if (process.env.BASTION_DEV_KEYS === '1') return runKeysDevServer(process.env, import.meta.url);
  // `npm start -- --tray`: the tray's status view (./tray-server).
  if (process.env.BASTION_DEV_TRAY === '1') return runTrayDevServer(process.env, import.meta.url);
  const config = readDevServerConfig(process.env);
  // build/dev/server.mjs → build/renderer, build/dev/bridge-client.js
  const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  // The Chromium fallback under a display manager (tests start it from LightDM and greetd).
  const dm = await connectDisplayManager(process.env);
  // The demo (its PAM stack for the helper, its stand-in sessions) is for `npm start` alone:
  // under a display manager the conversation goes through the display manager.
  if (dm && config.demoDir) console.error('bastion dev server: display manager found, no demo');
  const demo =
    config.demoDir && !dm ? prepareDemoEnvironment(config.demoDir, config.demoPolicy) : null;
  const choices = dm
    ? displayManagerChoices(dm, { mode: config.mode, currentUser: config.currentUser })
    : null;
  let helperEnv = demo?.helperEnv;
  if (demo && config.pamDir) {
    helperEnv = helperTestEnv(
      config.pamDir,
      join(config.pamDir, 'passdb'),
      demo.helperEnv.BASTION_TEST_STATE_DIR!,
    );
  }
  if (helperEnv && config.fakeHidraw) {
    // Test rig only: the helper's pam_u2f sees the software keys node-hid sees here.
    helperEnv = {
      ...helperEnv,
      LD_PRELOAD: `${helperEnv.LD_PRELOAD ?? ''} ${config.fakeHidraw.library}`.trim(),
      BASTION_FAKE_HIDRAW_DIR: config.fakeHidraw.dir,
    };
  }
  const mode = choices?.mode ?? config.mode;
  // "Sign in with SSO": BASTION_DEV_SSO_CONF (absolute; tests and the demo) or, outside the
  // demo, /etc/bastion-greeter/sso.conf. The portal opens in a Chromium of its own with a
  // loopback redirect (./sso-portal); BASTION_DEV_PORTAL_CHROMIUM_ARGS adds its flags (tests:
  // headless and a DevTools port, announced as `BASTION_DEV_PORTAL_DEVTOOLS <ws-url>`).
  const ssoConf = process.env.BASTION_DEV_SSO_CONF ?? '';
  const ssoSettings =
    ssoConf.startsWith('/') || !demo
      ? loadSsoSettings(ssoConf.startsWith('/') ? ssoConf : undefined, (line) =>
          console.error(`bastion ${line}`),
        )
      : null;
  const backend = createGreeterBackend({
    sso: {
      settings: ssoSettings,
      portal: createDevPortalHost({
        extraArgs: (process.env.BASTION_DEV_PORTAL_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean),
        onDevTools: (ws) => console.log(`BASTION_DEV_PORTAL_DEVTOOLS ${ws}`),
        log: (line) => console.error(`bastion ${line}`),
      }),
    },
    mode,
    locale: config.locale,
    helperPath: config.helperPath,
    helperSocketPath: config.helperSocketPath,
    currentUser: choices ? choices.currentUser : config.currentUser,
    host: 'dev-chromium',
    ...(demo && helperEnv ? { helperEnv, stateDir: demo.greeterStateDir } : {}),
    // Touch to sign in, as in the Electron entry; greeter.conf `security-keys` decides (the
    // demo's policy leaves it off: its stack has no key service and the demo has no key).
    securityKeys: {
      devices: { list: listFidoDevices, open: openHidDevice },
      lockSession: sessionLockFromEnvironment(mode, process.env, (line) =>
        console.error(`bastion ${line}`),
      ),
    },
    // The demo's power menu goes to a stand-in that only logs; outside the demo, none.
    ...(demo ? { power: new DemoPowerActionsForPreview() } : {}),
    // Layout switch: the demo's stand-in (never the developer's own keyboard); under a display
    // manager setxkbmap on its X display, none under Wayland.
    keyboard: demo
      ? new DemoKeyboardSwitchForPreview()
      : dm
        ? keyboardSwitcherFromEnvironment(process.env, {
            log: (line) => console.error(`bastion ${line}`),
          })
        : null,
    ...(choices ? { transport: choices.transport, seatLocked: choices.seatLocked } : {}),
    screen: {
      ...demo?.screen,
      ...(config.sessionDirs ? { sessionDirs: config.sessionDirs } : {}),
      ...(config.policyPath ? { policyPath: config.policyPath } : {}),
      ...choices?.screen,
    },
  });
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
    // The page with its first paint, as Electron serves it (main/screens/first-paint.ts).
    renderPage: firstPaintFromFile(backend, join(buildDir, 'app', 'first-paint.cjs'), (line) =>
      console.error(`bastion ${line}`),
    ),
    port: config.port,
  });
  console.log(`BASTION_DEV_URL ${bridge.pageUrl}`);
  // Ends the bridge first (its event streams end after what they were sent: the page still
  // shows "Signing in…" once the display manager says to go), bounded in time: greetd kills a
  // greeter still there 5 s after start_session.
  let stopping = false;
  const stop = (status: number): void => {
    if (stopping) return;
    stopping = true;
    const bound = new Promise<void>((resolve) => setTimeout(resolve, STOP_BOUND_MS));
    void Promise.race([
      Promise.allSettled([portal.stop(), bridge.close(), backend.close()]),
      bound,
    ]).finally(() => process.exit(status));
  };
  void dm?.exit.then((status) => stop(status));
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
}

/** How long stopping may take before the process exits anyway. */
const STOP_BOUND_MS = 1_000;

main().catch((error: unknown) => {
  console.error(`bastion dev server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
