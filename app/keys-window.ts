// `bastion-greeter --keys`: the key manager, run in the person's own session. An ordinary
// window (not fullscreen, not kiosk) with every hardening of the greeter's (./window:
// greeterWebPreferences, hardenWebContents, the app:// scheme), loading app://greeter/keys.html
// with a preload of its own (build/preload/keys.cjs: `window.bastionKeys` only), and IPC that
// answers that page alone. The wizard itself is main/keys/wizard.ts behind
// main/ipc/keys-backend.ts, the same backend `npm start -- --keys` bridges.
import type * as ElectronModule from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../preload/api';
import { KEYS_IPC } from '../preload/keys-api';
import type { KeysCall } from '../preload/keys-api';
import { listFidoDevices, openHidDevice } from '../main/fido2/hid-device';
import type { KeysBackend } from '../main/ipc/keys-backend';
import { createKeysBackend } from '../main/ipc/keys-backend';
import { helperPasswordCheck } from '../main/keys/wizard-password';
import { loadKeyPolicy } from '../main/screens/policy';
import { PUBLIC_HELPER_SOCKET, readGreeterConfig } from './config';
import { GREETER_ORIGIN, registerAppSchemeAsPrivileged } from './scheme';
import { createPageWindow } from './window';
import { isPageSender } from './ipc';

/** The one document of the key manager's window and the one URL its IPC trusts. */
export const KEYS_URL = `${GREETER_ORIGIN}/keys.html`;

export type KeysWindowElectron = Pick<typeof ElectronModule, 'BrowserWindow'>;

export interface KeysWindowOptions {
  /** Absolute path of build/preload/keys.cjs. */
  preloadPath: string;
  rendererDir: string;
  contentSecurityPolicy: string;
  onLoadFailed: (error: Error) => void;
}

export function createKeysWindow(
  electron: KeysWindowElectron,
  options: KeysWindowOptions,
): BrowserWindow {
  return createPageWindow(electron, {
    ...options,
    url: KEYS_URL,
    title: 'Security keys',
    size: { width: 640, height: 720, minWidth: 420, minHeight: 480 },
  });
}

export function isKeysSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  window: Pick<BrowserWindow, 'webContents' | 'isDestroyed'>,
): boolean {
  return isPageSender(event, window, KEYS_URL);
}

export class KeysIpcRefusedError extends Error {
  readonly code = 'IPC_SENDER_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'KeysIpcRefusedError';
  }
}

/** One handler per named channel; snapshots to our window only. Returns the unregister. */
export function registerKeysIpc(
  electron: Pick<typeof ElectronModule, 'ipcMain'>,
  window: BrowserWindow,
  backend: KeysBackend,
): () => void {
  const calls = Object.keys(KEYS_IPC).filter((k) => k !== 'snapshot') as KeysCall[];
  for (const call of calls) {
    electron.ipcMain.handle(KEYS_IPC[call], (event, ...args: unknown[]) => {
      if (!isKeysSender(event, window))
        throw new KeysIpcRefusedError(`${call}: sender is not the key manager page`);
      if (args.length > 1) throw new KeysIpcRefusedError(`${call}: at most one payload`);
      return backend.handle(call, args[0]);
    });
  }
  const unsubscribe = backend.subscribe((snapshot) => {
    if (!window.isDestroyed()) window.webContents.send(KEYS_IPC.snapshot, snapshot);
  });
  return () => {
    unsubscribe();
    for (const call of calls) electron.ipcMain.removeHandler(KEYS_IPC[call]);
  };
}

/** The `--keys` entry (app/main.ts). Never root: the person's own session, own keys file. */
export async function runKeyManager(
  electron: typeof ElectronModule,
  argv: readonly string[],
): Promise<void> {
  const { app } = electron;
  if (process.getuid?.() === 0) throw new Error('the key manager runs as you, not as root');
  const config = readGreeterConfig(
    argv.filter((a) => a !== '--keys'),
    // In a session the public helper socket (resources/systemd/), not the greeter's.
    {
      ...process.env,
      BASTION_HELPER_SOCKET: process.env.BASTION_HELPER_SOCKET ?? PUBLIC_HELPER_SOCKET,
    },
  );
  registerAppSchemeAsPrivileged(electron);
  app.enableSandbox();
  await app.whenReady();
  const log = (line: string): void => console.error(`bastion keys: ${line}`);
  const backend = createKeysBackend({
    locale: config.locale,
    host: 'electron',
    user: userInfo().username,
    home: homedir(),
    ...(process.env.XDG_CONFIG_HOME ? { xdgConfigHome: process.env.XDG_CONFIG_HOME } : {}),
    policy: loadKeyPolicy(undefined, log),
    checkPassword: helperPasswordCheck({
      helperPath: config.helperPath,
      socketPath: config.helperSocketPath,
    }),
    devices: { list: listFidoDevices, open: openHidDevice },
    log,
  });
  const window = createKeysWindow(electron, {
    preloadPath: join(__dirname, '..', 'preload', 'keys.cjs'),
    rendererDir: join(__dirname, '..', 'renderer'),
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    onLoadFailed: (error) => {
      log(`the key manager page did not load: ${error.message}`);
      app.exit(1);
    },
  });
  const unregister = registerKeysIpc(electron, window, backend);
  app.on('window-all-closed', () => {
    unregister();
    void backend.close().finally(() => app.quit());
  });
}
