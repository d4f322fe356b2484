// The in-session parts of the light-locker model under Electron (main/lock/README.md):
// * `bastion-greeter --session-locker`: main/lock's locker, whose blanker is a second process,
// * `bastion-greeter --session-blanker --blanker-title=<t>`: that blanker: one black, fullscreen,
//   kiosk window per display, always on top at the 'screen-saver' level, with no preload, no
//   page (nothing loaded: the background colour is all it shows), no navigation, no new
//   windows. A window closed or a display added is covered again at once. It prints
//   BLANKER_READY_LINE once every display is covered, and quits on SIGTERM (hide) or when the
//   session's X server goes away.
// Its own process, so that the locker dying does not take the blanker with it.
import type * as ElectronModule from 'electron';
import type { BrowserWindowConstructorOptions, Rectangle } from 'electron';
import { ProcessBlanker, startSessionLocker, type BlankerCommand } from '../main/lock';

export const BLANKER_READY_LINE = 'BASTION_BLANKER_READY';

export type BlankerElectron = Pick<typeof ElectronModule, 'BrowserWindow' | 'screen'>;

/** The options of one display's blanker window: the single place they are decided. */
export function blankerWindowOptions(
  bounds: Rectangle,
  title: string,
): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    title,
    show: true,
    fullscreen: true,
    kiosk: true,
    frame: false,
    alwaysOnTop: true,
    skipTaskbar: true,
    resizable: false,
    movable: false,
    minimizable: false,
    maximizable: false,
    closable: false,
    backgroundColor: '#000000',
    webPreferences: {
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      javascript: false,
      webSecurity: true,
      webviewTag: false,
      devTools: false,
      spellcheck: false,
    },
  };
}

export interface BlankerWindows {
  /** How many displays are covered now. */
  count(): number;
  close(): void;
}

/** Covers every display; re-covers one whose window closed, and displays added later. */
export function showBlankerWindows(
  electron: BlankerElectron,
  title: string,
  onAllShown: () => void = () => undefined,
): BlankerWindows {
  const windows = new Map<number, ElectronModule.BrowserWindow>();
  let closing = false;
  const cover = (display: ElectronModule.Display): void => {
    const window = new electron.BrowserWindow(blankerWindowOptions(display.bounds, title));
    window.setAlwaysOnTop(true, 'screen-saver');
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    window.webContents.on('will-redirect', (event) => event.preventDefault());
    window.on('closed', () => {
      windows.delete(display.id);
      if (!closing) cover(display);
    });
    windows.set(display.id, window);
  };
  for (const display of electron.screen.getAllDisplays()) cover(display);
  electron.screen.on('display-added', (_event, display) => cover(display));
  onAllShown();
  return {
    count: () => windows.size,
    close() {
      closing = true;
      for (const window of windows.values()) if (!window.isDestroyed()) window.destroy();
      windows.clear();
    },
  };
}

/** The blanker's title from `--blanker-title=<t>` (only the shape the locker generates). */
export function blankerTitle(argv: readonly string[]): string | null {
  for (const arg of argv) {
    const match = /^--blanker-title=(bastion-blanker-[0-9a-f]{12})$/.exec(arg);
    if (match) return match[1]!;
  }
  return null;
}

/** How the locker starts the Electron blanker: this same executable (and app path, in dev). */
export function electronBlankerCommand(appArgs: readonly string[]): BlankerCommand {
  return ({ title }) => ({
    path: appArgs[0]!,
    args: [...appArgs.slice(1), '--session-blanker', `--blanker-title=${title}`],
  });
}

/** `--session-blanker`: the blanker process. */
export async function runSessionBlanker(
  electron: BlankerElectron & Pick<typeof ElectronModule, 'app'>,
  argv: readonly string[],
): Promise<void> {
  const title = blankerTitle(argv);
  if (title === null) throw new Error('--session-blanker needs --blanker-title');
  await electron.app.whenReady();
  const windows = showBlankerWindows(electron, title, () =>
    process.stdout.write(`${BLANKER_READY_LINE}\n`),
  );
  process.once('SIGTERM', () => {
    windows.close();
    electron.app.exit(0);
  });
}

/** `--session-locker`: main/lock's locker with the Electron blanker. */
export async function runSessionLocker(
  electron: Pick<typeof ElectronModule, 'app'>,
  appArgs: readonly string[],
): Promise<void> {
  await electron.app.whenReady();
  const log = (line: string): void => console.error(`bastion-session-locker: ${line}`);
  const display = process.env.DISPLAY ?? '';
  const running = await startSessionLocker({
    env: process.env,
    log,
    blanker: new ProcessBlanker({
      display,
      ...(process.env.XAUTHORITY ? { xauthority: process.env.XAUTHORITY } : {}),
      command: electronBlankerCommand(appArgs),
      readyLine: BLANKER_READY_LINE,
    }),
  });
  process.once('SIGTERM', () => {
    log(`SIGTERM: stopping${running.locker.isLocked ? ' (locked: the blanker stays up)' : ''}`);
    void running.close().finally(() => electron.app.exit(0));
  });
}
