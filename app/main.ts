// Electron entry (bundled to build/app/main.cjs): reads the configuration, builds the
// Electron-free backend of main/, opens the hardened greeter window and wires IPC.
// Everything with a decision in it lives in ./window, ./ipc and ./config, which are tested.
import * as electron from 'electron';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../preload/api';
import { connectDisplayManager, displayManagerChoices } from '../main/dm';
import { createGreeterBackend } from '../main/ipc/greeter-backend';
import { startPortalMonitor } from '../main/monitor/offline-wiring';
import { LogindPowerActions } from '../main/power';
import { keyboardSwitcherFromEnvironment } from '../main/screens/keyboard-switch';
import { firstPaintFromFile } from '../main/screens/first-paint';
import { listFidoDevices, openHidDevice } from '../main/fido2/hid-device';
import { sessionLockFromEnvironment } from '../main/ipc/security-keys';
import { readGreeterConfig } from './config';
import { registerGreeterIpc } from './ipc';
import { registerAppSchemeAsPrivileged } from './scheme';
import { runSessionLocker } from './session-locker';
import { openGreeterWindows } from './displays';
import { runKeyManager } from './keys-window';
import { createPortalWindowHost } from './portal-window';
import { loadSsoSettings } from '../main/ipc/sso-settings';
import { runTray } from './tray';

const { app } = electron;

/** A reason not to start; the entry prints it and exits with status 1. */
class StartupError extends Error {}

async function start(): Promise<void> {
  // Chromium refuses a sandboxed renderer as root, and main must never be root (DESIGN.md).
  if (process.getuid?.() === 0) {
    throw new StartupError('refusing to run as root; run as the greeter account');
  }
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  const config = readGreeterConfig(process.argv.slice(1), process.env);
  // Electron accepts scheme privileges only before `ready` (app://greeter/, ./scheme).
  registerAppSchemeAsPrivileged(electron);
  app.enableSandbox();
  await app.whenReady();

  // build/app/main.cjs → build/preload, build/renderer (also inside app.asar).
  const preloadPath = join(__dirname, '..', 'preload', 'index.cjs');
  const rendererDir = join(__dirname, '..', 'renderer');
  // LightDM or greetd started us: they carry the conversation and start the session; else the
  // PAM helper does (main/dm). The display manager decides the mode (LightDM's lock hint).
  const dm = await connectDisplayManager(process.env);
  const choices = dm
    ? displayManagerChoices(dm, { mode: config.mode, currentUser: config.currentUser })
    : null;
  // "Sign in with SSO" (/etc/bastion-greeter/sso.conf): the portal in its own isolated
  // window above the greeter's (./portal-window); the redirect never reaches the page.
  const ssoSettings = loadSsoSettings(undefined, (line) => console.error(`bastion ${line}`));
  let greeterWindow: electron.BrowserWindow | null = null;
  const backend = createGreeterBackend({
    sso: {
      settings: ssoSettings,
      portal: ssoSettings
        ? createPortalWindowHost(electron, {
            issuer: ssoSettings.client.issuer,
            // The site's TLS policy (minimum version, CA file, pins) for the page where the
            // person types their password, the same as the SSO client's.
            tls: ssoSettings.client.tls,
            parent: () => greeterWindow,
            log: (line) => console.error(`bastion ${line}`),
          })
        : null,
    },
    mode: choices?.mode ?? config.mode,
    locale: config.locale,
    helperPath: config.helperPath,
    helperSocketPath: config.helperSocketPath,
    currentUser: choices ? choices.currentUser : config.currentUser,
    host: 'electron',
    // logind over the system bus (DBUS_SYSTEM_BUS_ADDRESS when the display manager sets one).
    power: new LogindPowerActions({
      ...(process.env.DBUS_SYSTEM_BUS_ADDRESS
        ? { systemBusAddress: process.env.DBUS_SYSTEM_BUS_ADDRESS }
        : {}),
      log: (line) => console.error(`bastion power: ${line}`),
    }),
    ...(choices
      ? { transport: choices.transport, screen: choices.screen, seatLocked: choices.seatLocked }
      : {}),
    // setxkbmap on the greeter's X display (LightDM); none under Wayland (main/screens).
    keyboard: keyboardSwitcherFromEnvironment(process.env, {
      log: (line) => console.error(`bastion ${line}`),
    }),
    // Touch to sign in (greeter.conf `security-keys`; the helper carrier only): keys listed
    // with node-hid, and on the unlock screen (in the person's session) logind locks the
    // session again when the key that unlocked it is unplugged (`lock-on-key-removal`).
    securityKeys: {
      devices: { list: listFidoDevices, open: openHidDevice },
      lockSession: sessionLockFromEnvironment(choices?.mode ?? config.mode, process.env, (line) =>
        console.error(`bastion ${line}`),
      ),
    },
  });
  // The session starts once we are gone (LightDM, greetd): exit when the display manager says.
  void dm?.exit.then((status) => app.exit(status));
  // BASTION_PORTAL_URL: the offline banner and the `OFFLINE:` prefix follow the portal.
  const portal = startPortalMonitor(config.portalUrl, backend, {
    log: (line) => console.error(`bastion monitor: ${line}`),
  });
  // The form on the primary display, a background on every other one (X11 only: ./displays).
  const x11 = Boolean(process.env.DISPLAY) && !process.env.WAYLAND_DISPLAY;
  const { greeter: window } = openGreeterWindows(electron, {
    preloadPath,
    rendererDir,
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    // The page served with its first paint (build/app/first-paint.cjs beside this entry).
    renderIndex: firstPaintFromFile(backend, join(__dirname, 'first-paint.cjs'), (line) =>
      console.error(`bastion-greeter: ${line}`),
    ),
    fullscreen: !config.windowed,
    perDisplay: x11 && !config.windowed,
    log: (line) => console.error(`bastion-greeter: ${line}`),
    onLoadFailed: (error) => {
      console.error(`bastion-greeter: the greeter page did not load: ${error.message}`);
      app.exit(1);
    },
  });
  greeterWindow = window;
  const unregister = registerGreeterIpc(electron, window, backend);

  app.on('second-instance', () => {
    if (!window.isDestroyed()) window.focus();
  });
  app.on('window-all-closed', () => {
    unregister();
    void Promise.allSettled([portal.stop(), backend.close()]).finally(() => app.quit());
  });
}

// `--session-locker`: the in-session locker of the light-locker model (./session-locker,
// main/lock), run in the person's session, never as the greeter. Its blanker is
// native-helper/bastion-session-blanker, not this executable.
// `--keys`: the key manager in the person's session (./keys-window).
// `--tray`: the offline-mode indicator in the person's session (./tray).
const entry = process.argv.includes('--keys')
  ? () => runKeyManager(electron, process.argv.slice(1))
  : process.argv.includes('--tray')
    ? () => runTray(electron, process.argv.slice(1))
    : process.argv.includes('--session-locker')
      ? () => runSessionLocker(electron)
      : start;
entry().catch((error: unknown) => {
  console.error(`bastion-greeter: ${error instanceof Error ? error.message : String(error)}`);
  app.exit(1);
  process.exit(1);
});
