// The Electron tray (app/tray.ts) with the stand-in Electron and the REAL tray backend
// (main/ipc/tray-backend.ts) over a scripted monitor: icon per state, tooltip, menu and its
// actions, the expiry notification once per expiry; the status window's IPC answers only its
// page. And the committed icons: every state at every size, the right dimensions, not blank,
// and told apart without colour.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import type { BrowserWindow } from 'electron';
import type { TrayIconState, TrayMonitorStatus } from '../../preload/tray-api';
import { TRAY_ICON_STATES, TRAY_IPC } from '../../preload/tray-api';
import type { TrayMonitorSource } from '../../main/ipc/tray-backend';
import { createTrayBackend } from '../../main/ipc/tray-backend';
import { REPO_ROOT } from '../../testkit/paths';
import {
  registerTrayIpc,
  TRAY_URL,
  trayIconFile,
  TrayController,
  keyManagerCommand,
} from '../tray';
import {
  FakeFrameForTest,
  FakeNotificationForTest,
  FakeTrayElectronForTest,
  FakeTrayForTest,
  FakeWebContentsForTest,
} from './fake-electron';

const ICONS = join(REPO_ROOT, 'resources', 'icons');
const SIZES = [16, 22, 24, 32, 48, 64];
const MIN = 60_000;

/** A monitor whose status the test sets (a scripted stand-in: no portal is probed here). */
class ScriptedMonitorForTest implements TrayMonitorSource {
  retries = 0;
  private readonly listeners = new Set<(status: TrayMonitorStatus) => void>();
  constructor(public status: TrayMonitorStatus) {}
  current(): TrayMonitorStatus {
    return this.status;
  }
  subscribe(listener: (status: TrayMonitorStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  retryNow(): Promise<void> {
    this.retries++;
    return Promise.resolve();
  }
  set(status: TrayMonitorStatus): void {
    this.status = status;
    for (const listener of this.listeners) listener(status);
  }
}

/** Timers on a clock the test moves. */
class ManualClockForTest {
  now = Date.UTC(2026, 10, 23, 9, 0);
  private queue: { at: number; run: () => void; id: number }[] = [];
  private next = 1;
  readonly timers = {
    setTimeout: (run: () => void, ms: number): unknown => {
      const id = this.next++;
      this.queue.push({ at: this.now + ms, run, id });
      return id;
    },
    clearTimeout: (id: unknown): void => {
      this.queue = this.queue.filter((t) => t.id !== id);
    },
  };
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const due = this.queue[0];
      if (!due || due.at > end) break;
      this.queue.shift();
      this.now = due.at;
      due.run();
    }
    this.now = end;
  }
}

beforeEach(() => FakeTrayElectronForTest.reset());

function setup(status: TrayMonitorStatus, locale: 'en' | 'fr' = 'en') {
  const clock = new ManualClockForTest();
  const monitor = new ScriptedMonitorForTest(status);
  let opened = 0;
  const backend = createTrayBackend({
    user: 'alice',
    info: { locale, intlLocale: locale === 'fr' ? 'fr-FR' : 'en-GB', host: 'electron' },
    monitor,
    cacheStatus: null,
    warningLeadMs: 60 * MIN,
    openKeyManager: () => {
      opened++;
      return Promise.resolve({ opened: 'process' });
    },
    clock: () => clock.now,
    timers: clock.timers,
  });
  const electron = new FakeTrayElectronForTest();
  let details = 0;
  let quit = 0;
  const controller = new TrayController(electron.asTrayElectron(), {
    backend,
    iconsDir: ICONS,
    locale,
    intlLocale: locale === 'fr' ? 'fr-FR' : 'en-GB',
    showDetails: () => details++,
    quit: () => quit++,
    clock: () => clock.now,
    timers: clock.timers,
  });
  const tray = FakeTrayForTest.created.at(-1)!;
  /** Which state's 24 px PNG the tray shows now. */
  const shown = (): TrayIconState => {
    const image = tray.images.at(-1)!;
    const png = image.representations.find((r) => r.scaleFactor === 1)!.buffer;
    const match = TRAY_ICON_STATES.find((s) =>
      readFileSync(trayIconFile(ICONS, s, 24)).equals(png),
    );
    assert.ok(match, 'the icon is one of the committed PNGs');
    assert.ok(
      readFileSync(trayIconFile(ICONS, match, 48)).equals(
        image.representations.find((r) => r.scaleFactor === 2)!.buffer,
      ),
      '2x is the 48 px PNG of the same state',
    );
    return match;
  };
  return {
    clock,
    monitor,
    backend,
    controller,
    tray,
    shown,
    counts: () => ({ opened, details, quit }),
  };
}

test('icon, tooltip and menu follow the monitor: online → portal unreachable → offline', async () => {
  const t0 = Date.UTC(2026, 10, 23, 9, 0);
  const { monitor, tray, shown, clock } = setup({
    state: 'online',
    since: t0,
    lastRevalidation: t0,
    cachedLoginValidUntil: t0 + 3 * 24 * 60 * MIN,
  });
  assert.equal(shown(), 'online');
  assert.equal(tray.tooltip, 'Bastion — Online');
  assert.deepEqual(tray.menu!.labels(), [
    'Online',
    '—',
    'Retry now',
    'Open the key manager',
    'Show details',
    '—',
    'Quit',
  ]);
  monitor.set({
    state: 'portal-unreachable',
    since: clock.now,
    lastRevalidation: t0,
    cachedLoginValidUntil: t0 + 3 * 24 * 60 * MIN,
  });
  assert.equal(shown(), 'portal-unreachable');
  assert.match(
    tray.tooltip,
    /^Bastion — Sign-in portal unreachable\nCached login valid until 26 Nov 2026, \d\d:00$/,
  );
  assert.equal(tray.menu!.labels()[1], tray.tooltip.split('\n')[1], 'the status line in the menu');
  monitor.set({ state: 'offline', since: clock.now, lastRevalidation: t0 });
  assert.equal(shown(), 'offline');
});

test('locked out, then the lock ends by time alone; expiring as the lead time is reached', () => {
  const t0 = Date.UTC(2026, 10, 23, 9, 0);
  const { shown, clock, tray } = setup({
    state: 'offline',
    since: t0,
    lastRevalidation: null,
    cachedLoginValidUntil: t0 + 90 * MIN,
    lockout: { until: t0 + 4 * MIN, attempts: 5 },
  });
  assert.equal(shown(), 'locked-out');
  assert.match(tray.tooltip, /Offline sign-in locked until/);
  clock.advance(4 * MIN + 5);
  assert.equal(shown(), 'offline', 'the lock is over: no event needed');
  clock.advance(26 * MIN);
  assert.equal(shown(), 'expiring', 'an hour before the cached login expires');
});

test('the expiry notification: once per expiry, again for a renewed one, never online', () => {
  const t0 = Date.UTC(2026, 10, 23, 9, 0);
  const { monitor, clock } = setup(
    {
      state: 'offline',
      since: t0,
      lastRevalidation: null,
      cachedLoginValidUntil: t0 + 2 * 60 * MIN,
    },
    'fr',
  );
  assert.equal(FakeNotificationForTest.shown.length, 0);
  clock.advance(59 * MIN);
  assert.equal(FakeNotificationForTest.shown.length, 0, 'not before the lead time');
  clock.advance(2 * MIN);
  assert.equal(FakeNotificationForTest.shown.length, 1);
  const note = FakeNotificationForTest.shown[0]!;
  assert.equal(note.options.title, 'Connexion en cache bientôt expirée');
  assert.match(note.options.body ?? '', /valable jusqu'au 23 nov\. 2026, \d\d:00/);
  // Monitor ticks and the same answer again: no second notification.
  for (let i = 0; i < 5; i++) {
    monitor.set({ ...monitor.status, since: monitor.status.since });
    monitor.set({ ...monitor.status, state: 'portal-unreachable' });
    monitor.set({ ...monitor.status, state: 'offline' });
    clock.advance(5 * MIN);
  }
  assert.equal(FakeNotificationForTest.shown.length, 1, 'once per expiry');
  // Renewed (a new validUntil): a new warning in due time; online: none.
  monitor.set({ ...monitor.status, cachedLoginValidUntil: clock.now + 30 * MIN });
  assert.equal(FakeNotificationForTest.shown.length, 2);
  monitor.set({
    state: 'online',
    since: clock.now,
    lastRevalidation: clock.now,
    cachedLoginValidUntil: clock.now + 20 * MIN,
  });
  clock.advance(10 * MIN);
  assert.equal(FakeNotificationForTest.shown.length, 2, 'online: no warning');
});

test('menu actions: Retry now probes, Open the key manager starts it, Show details, Quit', async () => {
  const t0 = Date.UTC(2026, 10, 23, 9, 0);
  const { tray, monitor, counts } = setup({ state: 'offline', since: t0, lastRevalidation: null });
  tray.menu!.click('Retry now');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(monitor.retries, 1);
  tray.menu!.click('Open the key manager');
  tray.menu!.click('Show details');
  tray.menu!.click('Quit');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(counts(), { opened: 1, details: 1, quit: 1 });
});

test('`bastion-greeter --keys` is the same executable (with the app path when unpackaged)', () => {
  assert.deepEqual(keyManagerCommand('/opt/Bastion/bastion-greeter', true, '/x/app.asar'), {
    command: '/opt/Bastion/bastion-greeter',
    args: ['--keys'],
  });
  assert.deepEqual(keyManagerCommand('/usr/bin/electron', false, '/src/build/app'), {
    command: '/usr/bin/electron',
    args: ['/src/build/app', '--keys'],
  });
});

test('the status window IPC answers only its own page; the page cannot send a payload', async () => {
  const t0 = Date.UTC(2026, 10, 23, 9, 0);
  const { backend } = setup({ state: 'offline', since: t0, lastRevalidation: null });
  const electron = new FakeTrayElectronForTest();
  const webContents = new FakeWebContentsForTest(TRAY_URL);
  const window = { webContents, isDestroyed: () => false } as unknown as BrowserWindow;
  registerTrayIpc(electron.asIpcElectron(), window, backend);
  const ok = { sender: webContents, senderFrame: webContents.mainFrame };
  const snapshot = (await electron.ipcMain.invoke(TRAY_IPC.getSnapshot, ok)) as { user: string };
  assert.equal(snapshot.user, 'alice');
  const other = new FakeWebContentsForTest('app://greeter/index.html');
  await assert.rejects(
    electron.ipcMain.invoke(TRAY_IPC.getSnapshot, { sender: other, senderFrame: other.mainFrame }),
    { code: 'IPC_SENDER_REFUSED' },
  );
  const child = new FakeFrameForTest(TRAY_URL, webContents.mainFrame);
  await assert.rejects(
    electron.ipcMain.invoke(TRAY_IPC.retryNow, { sender: webContents, senderFrame: child }),
    { code: 'IPC_SENDER_REFUSED' },
  );
  await assert.rejects(electron.ipcMain.invoke(TRAY_IPC.retryNow, ok, { evil: 1 }), {
    code: 'UNEXPECTED_PAYLOAD',
  });
  await backend.close();
});

// ---- the committed icons ----

/** RGBA pixels of an 8-bit RGBA, non-interlaced PNG (what Chromium writes). */
function decodePng(file: string): { width: number; height: number; rgba: Buffer } {
  const data = readFileSync(file);
  assert.ok(data.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), file);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.deepEqual(
        [body[8], body[9], body[12]],
        [8, 6, 0],
        `${file}: 8-bit RGBA, no interlace`,
      );
    } else if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const byte = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      assert.ok(predictor !== undefined, `${file}: filter ${filter}`);
      rgba[y * stride + x] = (byte + predictor) & 0xff;
    }
  }
  return { width, height, rgba };
}

test('every state has an SVG and a PNG per size, of the right size and not blank', () => {
  for (const state of TRAY_ICON_STATES) {
    assert.match(
      readFileSync(join(ICONS, `${state}.svg`), 'utf8'),
      /^<svg [^>]*viewBox="0 0 64 64"/,
    );
    for (const size of SIZES) {
      const file = trayIconFile(ICONS, state, size);
      const { width, height, rgba } = decodePng(file);
      assert.deepEqual([width, height], [size, size], file);
      let opaque = 0;
      let clear = 0;
      const colours = new Set<number>();
      for (let i = 0; i < rgba.length; i += 4) {
        if (rgba[i + 3]! > 200) opaque++;
        if (rgba[i + 3]! < 20) clear++;
        colours.add(rgba.readUInt32BE(i));
      }
      assert.ok(opaque > size * size * 0.2, `${file}: a drawn shape (${opaque} opaque px)`);
      assert.ok(clear > 0, `${file}: a transparent background`);
      assert.ok(colours.size > 3, `${file}: more than a flat block`);
    }
  }
});

test('at 16 px every pair of states differs in shape and lightness, not only in hue', () => {
  // Grey level of each pixel composited on mid-grey: what a colour-blind eye (or a
  // monochrome panel) still tells apart.
  const grey = (state: TrayIconState): number[] => {
    const { rgba } = decodePng(trayIconFile(ICONS, state, 16));
    const out: number[] = [];
    for (let i = 0; i < rgba.length; i += 4) {
      const alpha = rgba[i + 3]! / 255;
      const luma = 0.2126 * rgba[i]! + 0.7152 * rgba[i + 1]! + 0.0722 * rgba[i + 2]!;
      out.push(luma * alpha + 128 * (1 - alpha));
    }
    return out;
  };
  const levels = new Map(TRAY_ICON_STATES.map((s) => [s, grey(s)]));
  for (const a of TRAY_ICON_STATES)
    for (const b of TRAY_ICON_STATES) {
      if (a >= b) continue;
      const pa = levels.get(a)!;
      const pb = levels.get(b)!;
      const differing = pa.filter((v, i) => Math.abs(v - pb[i]!) > 48).length;
      assert.ok(differing >= 30, `${a} vs ${b}: only ${differing} of 256 px differ in grey`);
    }
});
