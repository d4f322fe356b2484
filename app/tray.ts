// `bastion-greeter --tray`: the offline-mode indicator in the person's own desktop session
// (resources/autostart/bastion-tray.desktop), never as root and never on the greeter. An
// Electron Tray whose icon, tooltip and menu follow main/ipc/tray-backend.ts's snapshot; a
// desktop notification before the cached login expires (once per expiry); and "Show details":
// a small ordinary window with the status page (app://greeter/tray.html, its own preload
// build/preload/tray.cjs: `window.bastionTray` only), hardened like every window of ours.
import type * as ElectronModule from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent, NativeImage } from 'electron';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Locale } from '../preload/api';
import { CONTENT_SECURITY_POLICY } from '../preload/api';
import type { TrayCall, TrayIconState, TrayOpenResult, TraySnapshot } from '../preload/tray-api';
import { TRAY_IPC, trayIconState, trayIconStateNextChange } from '../preload/tray-api';
import { httpPortalReach, OfflineModeMonitor } from '../main/monitor/offline-mode-monitor';
import type { TrayBackend } from '../main/ipc/tray-backend';
import { createTrayBackend } from '../main/ipc/tray-backend';
import { helperCacheStatus } from '../main/ipc/tray-cache-status';
import { monitorStatusSource, portalMonitorSource } from '../main/ipc/tray-monitor';
import { loadOfflineExpiryWarning } from '../main/screens/policy';
import { PUBLIC_HELPER_SOCKET, readGreeterConfig } from './config';
import { GREETER_ORIGIN, registerAppSchemeAsPrivileged } from './scheme';
import {
  formatTrayDate,
  sessionIntlLocale,
  sessionLocale,
  trayTexts,
  trayTooltip,
} from './tray-text';
import { createPageWindow } from './window';
import { isPageSender } from './ipc';

/** The status window's one document and the one URL its IPC trusts. */
export const TRAY_URL = `${GREETER_ORIGIN}/tray.html`;

/** Panels draw tray icons at 22-24 px; 48 px is the 2x representation for HiDPI panels. */
export const TRAY_ICON_SIZE = 24;
export const TRAY_ICON_SIZE_2X = 48;

export type TrayElectron = Pick<
  typeof ElectronModule,
  'Tray' | 'Menu' | 'Notification' | 'nativeImage'
>;

export function trayIconFile(iconsDir: string, state: TrayIconState, size: number): string {
  return join(iconsDir, `${size}x${size}`, `${state}.png`);
}

/** The PNGs of one state, 1x and 2x, in one image (resources/icons, scripts/render-icons.mjs). */
export function trayImage(
  nativeImage: TrayElectron['nativeImage'],
  iconsDir: string,
  state: TrayIconState,
): NativeImage {
  const image = nativeImage.createEmpty();
  for (const [size, scaleFactor] of [
    [TRAY_ICON_SIZE, 1],
    [TRAY_ICON_SIZE_2X, 2],
  ] as const) {
    image.addRepresentation({
      scaleFactor,
      width: size,
      height: size,
      buffer: readFileSync(trayIconFile(iconsDir, state, size)),
    });
  }
  return image;
}

export interface TrayTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TrayControllerOptions {
  backend: TrayBackend;
  iconsDir: string;
  locale: Locale;
  intlLocale: string;
  /** The menu's "Show details": the status window. */
  showDetails(): void;
  quit(): void;
  log?: (line: string) => void;
  clock?: () => number;
  timers?: TrayTimers;
}

/** Timers stop during suspend: the icon's next time-driven change is re-checked at least this often. */
export const MAX_ICON_SLEEP_MS = 60_000;

/** The tray icon and its menu, following the backend; the expiry notification. */
export class TrayController {
  readonly tray: ElectronModule.Tray;
  private shownState: TrayIconState | null = null;
  private shownKey = '';
  private timer: unknown = null;
  private readonly clock: () => number;
  private readonly timers: TrayTimers;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeWarning: () => void;

  constructor(
    private readonly electron: TrayElectron,
    private readonly options: TrayControllerOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    const snapshot = options.backend.snapshot();
    this.tray = new electron.Tray(
      trayImage(electron.nativeImage, options.iconsDir, trayIconState(snapshot, this.clock())),
    );
    this.render(snapshot);
    this.unsubscribe = options.backend.subscribe((next) => this.render(next));
    this.unsubscribeWarning = options.backend.onExpiryWarning(({ validUntil }) =>
      this.notifyExpiry(validUntil),
    );
  }

  /** Icon, tooltip and menu for `snapshot` now; re-armed for the next change by time alone. */
  render(snapshot: TraySnapshot): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const now = this.clock();
    const state = trayIconState(snapshot, now);
    const texts = trayTexts(this.options.locale);
    if (state !== this.shownState) {
      this.tray.setImage(trayImage(this.electron.nativeImage, this.options.iconsDir, state));
      this.shownState = state;
    }
    const tooltip = trayTooltip(texts, state, snapshot, this.options.intlLocale);
    const key = `${tooltip}\u0000${snapshot.retrying}`;
    if (key !== this.shownKey) {
      this.shownKey = key;
      this.tray.setToolTip(tooltip);
      this.tray.setContextMenu(this.menu(tooltip, snapshot));
    }
    const next = trayIconStateNextChange(snapshot, now);
    if (next !== null) {
      this.timer = this.timers.setTimeout(
        () => {
          this.timer = null;
          this.render(this.options.backend.snapshot());
        },
        Math.min(Math.max(next - now, 0) + 1, MAX_ICON_SLEEP_MS),
      );
    }
  }

  private menu(tooltip: string, snapshot: TraySnapshot): ElectronModule.Menu {
    const texts = trayTexts(this.options.locale);
    const { backend, log } = this.options;
    const status: ElectronModule.MenuItemConstructorOptions[] = tooltip
      .split('\n')
      .slice(1)
      .map((label) => ({ label, enabled: false }));
    return this.electron.Menu.buildFromTemplate([
      { label: texts.state[this.shownState ?? 'online'], enabled: false },
      ...status,
      { type: 'separator' },
      {
        label: texts.retryNow,
        enabled: !snapshot.retrying,
        click: () => void backend.retryNow(),
      },
      {
        label: texts.openKeyManager,
        click: () =>
          void backend.openKeyManager().catch((error: unknown) => {
            log?.(`the key manager did not start: ${(error as Error).message}`);
          }),
      },
      { label: texts.showDetails, click: () => this.options.showDetails() },
      { type: 'separator' },
      { label: texts.quit, click: () => this.options.quit() },
    ]);
  }

  private notifyExpiry(validUntil: number): void {
    const texts = trayTexts(this.options.locale);
    if (!this.electron.Notification.isSupported()) {
      this.options.log?.('desktop notifications are not supported here; expiry warning not shown');
      return;
    }
    const notification = new this.electron.Notification({
      title: texts.warningTitle,
      body: texts.warningBody(formatTrayDate(validUntil, this.options.intlLocale)),
      urgency: 'normal',
    });
    notification.on('click', () => this.options.showDetails());
    notification.show();
  }

  destroy(): void {
    this.unsubscribe();
    this.unsubscribeWarning();
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.tray.destroy();
  }
}

export interface TrayWindowOptions {
  /** Absolute path of build/preload/tray.cjs. */
  preloadPath: string;
  rendererDir: string;
  contentSecurityPolicy: string;
  onLoadFailed: (error: Error) => void;
}

export function createTrayWindow(
  electron: Pick<typeof ElectronModule, 'BrowserWindow'>,
  options: TrayWindowOptions,
): BrowserWindow {
  return createPageWindow(electron, {
    ...options,
    url: TRAY_URL,
    title: 'Connection status',
    size: { width: 520, height: 560, minWidth: 360, minHeight: 400 },
  });
}

export function isTraySender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  window: Pick<BrowserWindow, 'webContents' | 'isDestroyed'>,
): boolean {
  return isPageSender(event, window, TRAY_URL);
}

export class TrayIpcRefusedError extends Error {
  readonly code = 'IPC_SENDER_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'TrayIpcRefusedError';
  }
}

/** One handler per named channel; snapshots to our window only. Returns the unregister. */
export function registerTrayIpc(
  electron: Pick<typeof ElectronModule, 'ipcMain'>,
  window: BrowserWindow,
  backend: Pick<TrayBackend, 'handle' | 'subscribe'>,
): () => void {
  const calls = Object.keys(TRAY_IPC).filter((k) => k !== 'snapshot') as TrayCall[];
  for (const call of calls) {
    electron.ipcMain.handle(TRAY_IPC[call], (event, ...args: unknown[]) => {
      if (!isTraySender(event, window))
        throw new TrayIpcRefusedError(`${call}: sender is not the tray status page`);
      if (args.length > 1) throw new TrayIpcRefusedError(`${call}: at most one payload`);
      return backend.handle(call, args[0]);
    });
  }
  const unsubscribe = backend.subscribe((snapshot) => {
    if (!window.isDestroyed()) window.webContents.send(TRAY_IPC.snapshot, snapshot);
  });
  return () => {
    unsubscribe();
    for (const call of calls) electron.ipcMain.removeHandler(TRAY_IPC[call]);
  };
}

/**
 * `bastion-greeter --keys` as a process of its own: this executable again (with the app path
 * when run unpackaged, `electron build/app/main.cjs`), detached, so closing the tray never
 * closes the key manager.
 */
export function keyManagerCommand(
  execPath: string,
  packaged: boolean,
  appPath: string,
): { command: string; args: string[] } {
  return { command: execPath, args: [...(packaged ? [] : [appPath]), '--keys'] };
}

export function startKeyManager(
  execPath: string,
  packaged: boolean,
  appPath: string,
): Promise<TrayOpenResult> {
  const { command, args } = keyManagerCommand(execPath, packaged, appPath);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve({ opened: 'process' });
    });
  });
}

/** The `--tray` entry (app/main.ts). Never root: the person's own session and account. */
export async function runTray(
  electron: typeof ElectronModule,
  argv: readonly string[],
): Promise<void> {
  const { app } = electron;
  if (process.getuid?.() === 0) throw new Error('the tray runs as you, not as root');
  const env = {
    ...process.env,
    // The session's language when BASTION_LOCALE does not say (a person's tray, not a greeter).
    BASTION_LOCALE: process.env.BASTION_LOCALE ?? sessionLocale(process.env),
    BASTION_HELPER_SOCKET: process.env.BASTION_HELPER_SOCKET ?? PUBLIC_HELPER_SOCKET,
  };
  const config = readGreeterConfig(
    argv.filter((a) => a !== '--tray'),
    env,
  );
  // One tray per session: its own profile dir, so the lock is not the greeter's or the key
  // manager's (those run elsewhere or may run beside it).
  app.setPath('userData', join(app.getPath('appData'), 'bastion-greeter-tray'));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppSchemeAsPrivileged(electron);
  app.enableSandbox();
  await app.whenReady();
  const log = (line: string): void => console.error(`bastion tray: ${line}`);
  // main/monitor's status when a portal is configured; without one nothing is probed. No
  // session guard here, by design: this process is the person's and they can kill it, so it
  // only SHOWS status. Revalidation, force-online and ending offline sessions are root's:
  // `bastion-offline guard` under bastion-session-guard.timer (main/monitor/README.md).
  const reach = config.portalUrl ? httpPortalReach(config.portalUrl) : null;
  const offlineMode = reach
    ? new OfflineModeMonitor({ reach: reach.reach, log: (line) => log(`monitor: ${line}`) })
    : null;
  const idle = portalMonitorSource(null);
  const monitor = offlineMode ? monitorStatusSource(offlineMode) : idle;
  offlineMode?.start();
  const intlLocale = sessionIntlLocale(config.locale, process.env);
  const backend = createTrayBackend({
    user: userInfo().username,
    info: { locale: config.locale, intlLocale, host: 'electron' },
    monitor,
    cacheStatus: helperCacheStatus({
      helperPath: config.helperPath,
      socketPath: config.helperSocketPath,
    }),
    warningLeadMs: loadOfflineExpiryWarning(undefined, log) * 60_000,
    openKeyManager: () => startKeyManager(process.execPath, app.isPackaged, app.getAppPath()),
    log,
  });
  const iconsDir = app.isPackaged
    ? join(process.resourcesPath, 'resources', 'icons')
    : join(__dirname, '..', '..', 'resources', 'icons');
  let details: { window: BrowserWindow; unregister: () => void } | null = null;
  const showDetails = (): void => {
    if (details && !details.window.isDestroyed()) {
      details.window.show();
      details.window.focus();
      return;
    }
    const window = createTrayWindow(electron, {
      preloadPath: join(__dirname, '..', 'preload', 'tray.cjs'),
      rendererDir: join(__dirname, '..', 'renderer'),
      contentSecurityPolicy: CONTENT_SECURITY_POLICY,
      onLoadFailed: (error) => log(`the status page did not load: ${error.message}`),
    });
    const unregister = registerTrayIpc(electron, window, backend);
    window.on('closed', () => {
      unregister();
      details = null;
    });
    details = { window, unregister };
  };
  const controller = new TrayController(electron, {
    backend,
    iconsDir,
    locale: config.locale,
    intlLocale,
    showDetails,
    quit: () => app.quit(),
    log,
  });
  app.on('second-instance', showDetails);
  // The tray outlives its status window.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => {
    controller.destroy();
    idle.stop();
    void Promise.allSettled([offlineMode?.stop(), reach?.close(), backend.close()]);
  });
}
