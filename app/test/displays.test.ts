// One window per display (app/displays.ts) with FakeElectronForTest: real Electron cannot run
// here (no binary), so what is proven is what app/ asks of Electron — which windows, with
// which bounds, preloads and hardening — and how it follows display changes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../preload/api';
import { REPO_ROOT } from '../../testkit/paths';
import { openGreeterWindows, type GreeterWindows } from '../displays';
import {
  FakeBrowserWindowForTest,
  FakeElectronForTest,
  FakeSessionForTest,
  displayForTest,
} from './fake-electron';

const LEFT = { x: 0, y: 0, width: 1920, height: 1080 };
const RIGHT = { x: 1920, y: 0, width: 1280, height: 800 };

const OPTIONS = {
  preloadPath: '/opt/bastion/build/preload/index.cjs',
  rendererDir: join(REPO_ROOT, 'renderer/static'),
  contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  fullscreen: true,
  perDisplay: true,
  onLoadFailed: (error: Error): void => {
    throw new Error(`unexpected load failure: ${error.message}`);
  },
};

function setUp(perDisplay = true): {
  electron: FakeElectronForTest;
  windows: GreeterWindows;
} {
  const electron = new FakeElectronForTest();
  // Display 2 (the right one, HiDPI) is primary: the form goes there, not to display 1.
  electron.screen.displays = [displayForTest(1, LEFT), displayForTest(2, RIGHT, 2)];
  electron.screen.primaryId = 2;
  const windows = openGreeterWindows(electron.asDisplaysElectron(), { ...OPTIONS, perDisplay });
  return { electron, windows };
}

const fake = (window: unknown): FakeBrowserWindowForTest => window as FakeBrowserWindowForTest;
const live = () => FakeBrowserWindowForTest.created.filter((w) => !w.destroyed);

beforeEach(() => {
  FakeBrowserWindowForTest.created.length = 0;
  FakeBrowserWindowForTest.sessionsByPartition = new Map<string, FakeSessionForTest>();
});
afterEach(() => {
  FakeBrowserWindowForTest.sessionsByPartition = null;
});

test('two displays: the form on the primary with the preload, a background on the other', () => {
  const { windows } = setUp();
  assert.equal(live().length, 2);
  const greeter = fake(windows.greeter);
  assert.deepEqual(greeter.bounds, RIGHT);
  assert.equal(greeter.options.webPreferences?.preload, OPTIONS.preloadPath);
  assert.equal(greeter.loadedUrl, 'app://greeter/index.html');
  assert.equal(greeter.options.kiosk, true);
  const background = fake(windows.backgrounds().get(1));
  assert.ok(background);
  assert.deepEqual(background.bounds, LEFT);
  assert.equal(background.options.webPreferences?.preload, undefined, 'no preload, no bridge');
  assert.equal(background.options.focusable, false);
  assert.equal(background.options.fullscreen, true);
  assert.equal(background.loadedUrl, 'app://greeter/background.html');
  // No zoom is forced anywhere: Electron applies each display's scaleFactor itself.
  for (const window of live()) {
    assert.equal(window.options.webPreferences?.zoomFactor, undefined);
  }
  background.emitOnce('ready-to-show');
  assert.equal(background.shownInactive, true, 'shown without taking the focus');
  assert.equal(background.shown, false);
});

test('the background window has every hardening of the greeter window, and no script', async () => {
  const { windows } = setUp();
  const greeter = fake(windows.greeter);
  const background = fake(windows.backgrounds().get(1));
  const prefs = background.options.webPreferences!;
  const { preload: _p, ...greeterPrefs } = greeter.options.webPreferences!;
  for (const [key, value] of Object.entries(greeterPrefs)) {
    assert.deepEqual(prefs[key as keyof typeof prefs], value, key);
  }
  assert.equal(prefs.javascript, false);
  assert.equal(prefs.partition, 'bastion-background', 'its own in-memory session');
  const {
    webContents,
    webContents: { session },
  } = background;
  assert.notEqual(session, greeter.webContents.session);
  assert.ok(
    session.headersListener && session.permissionRequestHandler && session.permissionCheckHandler,
  );
  let headers: unknown = null;
  session.headersListener(
    { responseHeaders: { 'Content-Security-Policy': ['x'] } },
    (r: unknown) => (headers = r),
  );
  assert.deepEqual(headers, {
    responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
  });
  const answers: boolean[] = [];
  session.permissionRequestHandler(null, 'media', (granted: boolean) => answers.push(granted), {});
  assert.deepEqual(answers, [false]);
  assert.equal(session.permissionCheckHandler(null, 'hid', 'app://greeter', {}), false);
  assert.deepEqual(webContents.windowOpenHandler?.({ url: 'https://evil.example/' }), {
    action: 'deny',
  });
  for (const event of [
    'will-navigate',
    'will-frame-navigate',
    'will-redirect',
    'will-attach-webview',
  ]) {
    assert.equal(
      webContents.fire(event, { url: 'app://greeter/index.html' }).defaultPrevented,
      true,
      event,
    );
  }
  assert.deepEqual(background.schemesHandledAtLoad, ['app'], 'handler installed before the load');
  // The page it loads is the static background, served with our CSP.
  const page = await session.protocol.fetch('app://greeter/background.html');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('Content-Security-Policy'), CONTENT_SECURITY_POLICY);
  const html = await page.text();
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /<link rel="stylesheet" href="styles.css" \/>/);
});

test('background.html carries the same CSP meta tag as index.html', () => {
  const meta = (file: string) =>
    /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(
      readFileSync(join(REPO_ROOT, 'renderer/static', file), 'utf8'),
    )?.[1];
  assert.ok(meta('background.html'));
  assert.equal(meta('background.html'), meta('index.html'));
});

test('display added, changed, removed: background windows follow, the form stays one window', () => {
  const { electron, windows } = setUp();
  const greeter = fake(windows.greeter);
  // Added: a third display gets its own background.
  const third = { x: 3200, y: 0, width: 1024, height: 768 };
  electron.screen.displays.push(displayForTest(3, third));
  electron.screen.emit('display-added', displayForTest(3, third));
  assert.equal(live().length, 3);
  assert.deepEqual(fake(windows.backgrounds().get(3)).bounds, third);
  // Two backgrounds share one session: the app:// handler was installed once, not twice.
  assert.equal(
    fake(windows.backgrounds().get(3)).webContents.session,
    fake(windows.backgrounds().get(1)).webContents.session,
  );
  // Metrics changed (resolution): the window takes the new bounds.
  const smaller = { x: 0, y: 0, width: 1280, height: 720 };
  electron.screen.displays[0] = displayForTest(1, smaller);
  electron.screen.emit('display-metrics-changed', displayForTest(1, smaller), ['bounds']);
  assert.deepEqual(fake(windows.backgrounds().get(1)).bounds, smaller);
  // Removed: its background is destroyed.
  const left = fake(windows.backgrounds().get(1));
  electron.screen.displays.splice(0, 1);
  electron.screen.emit('display-removed', displayForTest(1, smaller));
  assert.equal(left.destroyed, true);
  assert.equal(windows.backgrounds().has(1), false);
  assert.equal(live().length, 2);
  // The primary display goes away: the form moves to the new primary, whose background closes.
  const third3 = fake(windows.backgrounds().get(3));
  electron.screen.displays = [displayForTest(3, third)];
  electron.screen.primaryId = 3;
  electron.screen.emit('display-removed', displayForTest(2, RIGHT));
  assert.deepEqual(greeter.bounds, third);
  assert.equal(greeter.destroyed, false, 'the form window is never recreated');
  assert.equal(third3.destroyed, true);
  assert.equal(live().length, 1);
  assert.equal(
    FakeBrowserWindowForTest.created.filter((w) => w.options.webPreferences?.preload).length,
    1,
  );
});

test('the form window closing closes the backgrounds and stops following displays', () => {
  const { electron, windows } = setUp();
  const background = fake(windows.backgrounds().get(1));
  assert.equal(electron.screen.listenerCount('display-added'), 1);
  fake(windows.greeter).destroy();
  assert.equal(background.destroyed, true);
  for (const event of ['display-added', 'display-removed', 'display-metrics-changed']) {
    assert.equal(electron.screen.listenerCount(event), 0, event);
  }
});

test('not per display (Wayland, --windowed): the greeter window alone, no display tracking', () => {
  const { electron, windows } = setUp(false);
  assert.equal(live().length, 1);
  assert.equal(fake(windows.greeter).bounds, null, 'placed by Electron/the compositor');
  assert.equal(electron.screen.listenerCount('display-added'), 0);
});

test('clone mode: a display overlapping the form’s gets no background; the form is moved on top and focused after each relayout', () => {
  const electron = new FakeElectronForTest();
  const mirror = { x: 0, y: 0, width: 1280, height: 1024 };
  electron.screen.displays = [displayForTest(1, LEFT), displayForTest(2, mirror)];
  electron.screen.primaryId = 2;
  const windows = openGreeterWindows(electron.asDisplaysElectron(), OPTIONS);
  const greeter = fake(windows.greeter);
  assert.equal(windows.backgrounds().size, 0, 'no window over the form on the mirrored display');
  assert.equal(live().length, 1);
  assert.ok(greeter.moveTopCalls >= 1 && greeter.focusCalls >= 1);
  // The mirror ends (extended layout): display 1 gets its background, the form stays on top.
  const calls = greeter.moveTopCalls;
  electron.screen.displays = [displayForTest(1, { ...LEFT, x: 1280 }), displayForTest(2, mirror)];
  electron.screen.emit('display-metrics-changed', displayForTest(1, LEFT), ['bounds']);
  assert.equal(windows.backgrounds().size, 1);
  assert.ok(greeter.moveTopCalls > calls, 'moveTop after the relayout');
  // Mirrored again: that background is closed.
  const background = fake(windows.backgrounds().get(1));
  electron.screen.displays = [displayForTest(1, LEFT), displayForTest(2, mirror)];
  electron.screen.emit('display-metrics-changed', displayForTest(1, LEFT), ['bounds']);
  assert.equal(background.destroyed, true);
  assert.equal(windows.backgrounds().size, 0);
});
