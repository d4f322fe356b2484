import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../preload/api';
import { createGreeterWindow } from '../window';
import { FakeBrowserWindowForTest, FakeElectronForTest } from './fake-electron';

const OPTIONS = {
  preloadPath: '/opt/bastion/build/preload/index.cjs',
  indexPath: '/opt/bastion/build/renderer/index.html',
  contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  fullscreen: true,
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

test('the greeter is a fullscreen kiosk window loading our file, shown when ready', () => {
  const window = openWindow();
  assert.equal(window.options.fullscreen, true);
  assert.equal(window.options.kiosk, true);
  assert.equal(window.options.frame, false);
  assert.equal(window.options.show, false);
  assert.equal(window.loadedFile, OPTIONS.indexPath);
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
      url: 'file:///opt/bastion/build/renderer/index.html',
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
  listener({ url: 'file:///x' }, (response: unknown) => {
    bare = response;
  });
  assert.deepEqual(bare, {
    responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
  });
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
      session.permissionCheckHandler(null, permission, 'file://', {}),
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
  }
  // A sanity check of the fake itself: an event nobody listens to is not prevented.
  assert.equal(webContents.fire('did-finish-load').defaultPrevented, false);
});
