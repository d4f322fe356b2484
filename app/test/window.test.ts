import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../preload/api';
import { createGreeterWindow } from '../window';
import { FakeBrowserWindowForTest, FakeElectronForTest } from './fake-electron';

const OPTIONS = {
  preloadPath: '/opt/bastion/build/preload/index.cjs',
  rendererDir: '/opt/bastion/build/renderer',
  contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  fullscreen: true,
  onLoadFailed: (error: Error): void => {
    throw new Error(`unexpected load failure: ${error.message}`);
  },
};

function openWindow(options = OPTIONS): FakeBrowserWindowForTest {
  const electron = new FakeElectronForTest();
  createGreeterWindow(electron.asWindowElectron(), options);
  const window = FakeBrowserWindowForTest.created.at(-1);
  assert.ok(window);
  return window;
}

beforeEach(() => {
  FakeBrowserWindowForTest.created.length = 0;
});

test('webPreferences isolate and sandbox the renderer, with our preload', () => {
  const window = openWindow();
  const prefs = window.options.webPreferences;
  assert.ok(prefs);
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.allowRunningInsecureContent, false);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.devTools, false);
  assert.equal(prefs.preload, OPTIONS.preloadPath);
});

test('the greeter is a fullscreen kiosk window loading app://greeter/, shown when ready', () => {
  const window = openWindow();
  assert.equal(window.options.fullscreen, true);
  assert.equal(window.options.kiosk, true);
  assert.equal(window.options.frame, false);
  assert.equal(window.options.show, false);
  assert.equal(window.loadedUrl, 'app://greeter/index.html');
  assert.deepEqual(window.schemesHandledAtLoad, ['app'], 'handler installed before the load');
  assert.equal(window.shown, false);
  window.emitOnce('ready-to-show');
  assert.equal(window.shown, true);
  const windowed = openWindow({ ...OPTIONS, fullscreen: false });
  assert.equal(windowed.options.fullscreen, false);
  assert.equal(windowed.options.kiosk, false);
});

test('every response gets our CSP header, replacing any CSP it carried', () => {
  const window = openWindow();
  const listener = window.webContents.session.headersListener;
  assert.ok(listener, 'onHeadersReceived is set');
  let result: { responseHeaders?: Record<string, string[]> } | null = null;
  listener(
    {
      url: 'app://greeter/index.html',
      responseHeaders: {
        'content-security-policy': ["script-src 'unsafe-inline'"],
        'X-Other': ['1'],
      },
    },
    (response: { responseHeaders?: Record<string, string[]> }) => {
      result = response;
    },
  );
  assert.deepEqual(result, {
    responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
  });
  let bare: unknown = null;
  listener({ url: 'app://greeter/app.js' }, (response: unknown) => {
    bare = response;
  });
  assert.deepEqual(bare, {
    responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
  });
});

test("the window's session serves the renderer directory over app:// with our CSP", async (t) => {
  const rendererDir = mkdtempSync(join(tmpdir(), 'bastion-window-'));
  t.after(() => rmSync(rendererDir, { recursive: true, force: true }));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>');
  const policy = "default-src 'none'";
  const window = openWindow({ ...OPTIONS, rendererDir, contentSecurityPolicy: policy });
  const { protocol } = window.webContents.session;
  const page = await protocol.fetch(window.loadedUrl!);
  assert.equal(page.status, 200);
  assert.equal(await page.text(), '<!doctype html>');
  assert.equal(page.headers.get('Content-Security-Policy'), policy);
  assert.equal(page.headers.get('X-Content-Type-Options'), 'nosniff');
  assert.equal((await protocol.fetch('app://greeter/other.html')).status, 404);
  assert.equal((await protocol.fetch('app://other/index.html')).status, 404);
});

test('every permission request and check is denied', () => {
  const { session } = openWindow().webContents;
  assert.ok(session.permissionRequestHandler && session.permissionCheckHandler);
  for (const permission of [
    'media',
    'geolocation',
    'notifications',
    'hid',
    'usb',
    'clipboard-read',
    'fullscreen',
  ]) {
    const answers: boolean[] = [];
    session.permissionRequestHandler(
      null,
      permission,
      (granted: boolean) => answers.push(granted),
      {},
    );
    assert.deepEqual(answers, [false], permission);
    assert.equal(
      session.permissionCheckHandler(null, permission, 'app://greeter', {}),
      false,
      permission,
    );
  }
});

test('window.open is denied for any URL', () => {
  const { webContents } = openWindow();
  assert.ok(webContents.windowOpenHandler);
  for (const url of ['https://evil.example/', 'file:///etc/passwd', 'about:blank']) {
    assert.deepEqual(webContents.windowOpenHandler({ url }), { action: 'deny' });
  }
});

test('navigation, frame navigation, redirects and webview attachment are prevented', () => {
  const { webContents } = openWindow();
  for (const event of [
    'will-navigate',
    'will-frame-navigate',
    'will-redirect',
    'will-attach-webview',
  ]) {
    assert.equal(
      webContents.fire(event, { url: 'https://evil.example/' }).defaultPrevented,
      true,
      event,
    );
    // Not even to our own page or another host of our scheme: the page never navigates.
    for (const url of [
      'app://greeter/index.html',
      'app://other/index.html',
      'file:///opt/bastion/build/renderer/index.html',
      'http://127.0.0.1/',
    ]) {
      assert.equal(webContents.fire(event, { url }).defaultPrevented, true, `${event} ${url}`);
    }
  }
  // A sanity check of the fake itself: an event nobody listens to is not prevented.
  assert.equal(webContents.fire('did-finish-load').defaultPrevented, false);
});

test('a page that fails to load is reported, not left as an unhandled rejection', async () => {
  const failures: string[] = [];
  FakeBrowserWindowForTest.nextLoadError = new Error('ERR_FILE_NOT_FOUND (-6)');
  openWindow({ ...OPTIONS, onLoadFailed: (error) => failures.push(error.message) });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(failures, ['ERR_FILE_NOT_FOUND (-6)']);
});
