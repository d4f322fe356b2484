// The Electron blanker's windows (app/session-blanker.ts) with the electron stand-ins of
// ./fake-electron.ts, extended here by what the blanker uses (screen, always-on-top, closing).
// Real Electron cannot load under Node and no Electron binary exists here; the Chromium
// blanker of the same model runs for real in main/lock/test and e2e/dm-lock-safety.test.ts.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type * as ElectronModule from 'electron';
import {
  blankerTitle,
  blankerWindowOptions,
  electronBlankerCommand,
  showBlankerWindows,
  type BlankerElectron,
} from '../session-blanker';
import { FakeWebContentsForTest } from './fake-electron';

type Listener = (...args: unknown[]) => void;

/** A BrowserWindow stand-in for the blanker (the web contents are fake-electron's). */
class FakeBlankerWindowForTest {
  static all: FakeBlankerWindowForTest[] = [];
  readonly webContents = new FakeWebContentsForTest('about:blank');
  loadedUrl: string | null = null;
  destroyed = false;
  alwaysOnTop: { flag: boolean; level: string | undefined } | null = null;
  private readonly events = new Map<string, Listener[]>();
  constructor(readonly options: ElectronModule.BrowserWindowConstructorOptions) {
    FakeBlankerWindowForTest.all.push(this);
  }
  setAlwaysOnTop(flag: boolean, level?: string): void {
    this.alwaysOnTop = { flag, level };
  }
  on(event: string, listener: Listener): this {
    this.events.set(event, [...(this.events.get(event) ?? []), listener]);
    return this;
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Closed from outside (Alt+F4, its renderer gone): 'closed' fires. */
  closeForTest(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const listener of this.events.get('closed') ?? []) listener();
  }
  destroy(): void {
    this.closeForTest();
  }
}

class BlankerScreenForTest {
  displays = [
    { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } },
    { id: 2, bounds: { x: 1920, y: 0, width: 1280, height: 1024 } },
  ];
  private added: Listener[] = [];
  getAllDisplays() {
    return this.displays;
  }
  on(event: string, listener: Listener): void {
    if (event === 'display-added') this.added.push(listener);
  }
  addDisplayForTest(display: { id: number; bounds: ElectronModule.Rectangle }): void {
    this.displays.push(display);
    for (const listener of this.added) listener({}, display);
  }
}

function fakeElectron(screen: BlankerScreenForTest): BlankerElectron {
  return { BrowserWindow: FakeBlankerWindowForTest, screen } as unknown as BlankerElectron;
}

beforeEach(() => {
  FakeBlankerWindowForTest.all.length = 0;
});

const TITLE = 'bastion-blanker-0123456789ab';

test('one black fullscreen kiosk window per display, on top at the screen-saver level', () => {
  const screen = new BlankerScreenForTest();
  let shown = 0;
  const windows = showBlankerWindows(fakeElectron(screen), TITLE, () => (shown += 1));
  assert.equal(shown, 1);
  assert.equal(windows.count(), 2);
  const [first, second] = FakeBlankerWindowForTest.all;
  assert.deepEqual(
    [first!.options.x, first!.options.width, second!.options.x, second!.options.width],
    [0, 1920, 1920, 1280],
  );
  for (const window of FakeBlankerWindowForTest.all) {
    assert.equal(window.options.fullscreen, true);
    assert.equal(window.options.kiosk, true);
    assert.equal(window.options.frame, false);
    assert.equal(window.options.backgroundColor, '#000000');
    assert.equal(window.options.title, TITLE);
    assert.deepEqual(window.alwaysOnTop, { flag: true, level: 'screen-saver' });
  }
});

test('no preload, no script, no page, no navigation, no new windows', () => {
  const options = blankerWindowOptions({ x: 0, y: 0, width: 10, height: 10 }, TITLE);
  const prefs = options.webPreferences!;
  assert.equal(prefs.preload, undefined);
  assert.equal(prefs.javascript, false);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.devTools, false);
  showBlankerWindows(fakeElectron(new BlankerScreenForTest()), TITLE);
  const window = FakeBlankerWindowForTest.all[0]!;
  assert.equal(window.loadedUrl, null, 'nothing is loaded: the background colour is the page');
  assert.equal(window.webContents.fire('will-navigate').defaultPrevented, true);
  assert.equal(window.webContents.fire('will-redirect').defaultPrevented, true);
  assert.deepEqual(window.webContents.windowOpenHandler?.(), { action: 'deny' });
});

test('a window closed from outside is replaced at once; a display added is covered; close() ends all', () => {
  const screen = new BlankerScreenForTest();
  const windows = showBlankerWindows(fakeElectron(screen), TITLE);
  FakeBlankerWindowForTest.all[1]!.closeForTest();
  assert.equal(windows.count(), 2);
  assert.equal(FakeBlankerWindowForTest.all.length, 3);
  assert.equal(FakeBlankerWindowForTest.all[2]!.options.x, 1920, 'the same display again');
  screen.addDisplayForTest({ id: 3, bounds: { x: 0, y: 1080, width: 800, height: 600 } });
  assert.equal(windows.count(), 3);
  windows.close();
  assert.equal(windows.count(), 0);
  assert.equal(FakeBlankerWindowForTest.all.length, 4, 'nothing re-created after close()');
});

test('the blanker command: this executable with --session-blanker and a checked title', () => {
  const command = electronBlankerCommand(['/usr/lib/electron/electron', '/opt/app']);
  const spec = {
    title: TITLE,
    root: { x: 0, y: 0, width: 1, height: 1, viewable: true },
    profileDir: '/tmp/x',
  };
  assert.deepEqual(command(spec), {
    path: '/usr/lib/electron/electron',
    args: ['/opt/app', '--session-blanker', `--blanker-title=${TITLE}`],
  });
  assert.equal(blankerTitle(['x', `--blanker-title=${TITLE}`]), TITLE);
  assert.equal(blankerTitle(['--blanker-title=evil; rm -rf /']), null);
  assert.equal(blankerTitle([]), null);
});
