// The portal view's isolation and interception (app/portal-window.ts), proven on the
// Electron stand-ins of ./fake-electron (real Electron cannot load under Node), extended
// here with what only this window uses: webRequest.onBeforeRequest and the close event.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type * as ElectronModule from 'electron';
import { createPortalWindowHost, isRedirectTo } from '../portal-window';
import { FakeBrowserWindowForTest, FakeEventForTest, FakeSessionForTest } from './fake-electron';

type Listener = (...args: unknown[]) => unknown;

class PortalSessionForTest extends FakeSessionForTest {
  beforeRequest: Listener | null = null;
  constructor() {
    super();
    this.webRequest = Object.assign(this.webRequest, {
      onBeforeRequest: (listener: Listener) => {
        this.beforeRequest = listener;
      },
    });
  }
  /** A request as Chromium would issue it; returns what the listener answered. */
  request(url: string, resourceType = 'mainFrame'): { cancel?: boolean } {
    let answer: { cancel?: boolean } | null = null;
    this.beforeRequest?.({ url, resourceType }, (a: { cancel?: boolean }) => (answer = a));
    assert.ok(answer, `no answer for ${url}`);
    return answer;
  }
}

/** will-frame-navigate passes its details AS the event (Electron 25+), unlike `fire`'s events. */
function fireFrameNavigate(
  contents: FakeBrowserWindowForTest['webContents'],
  url: string,
  isMainFrame: boolean,
): FakeEventForTest {
  const event = Object.assign(new FakeEventForTest(), { url, isMainFrame });
  for (const listener of contents.listeners.get('will-frame-navigate') ?? []) listener(event);
  return event;
}

class PortalWindowForTest extends FakeBrowserWindowForTest {
  static windows: PortalWindowForTest[] = [];
  readonly session = new PortalSessionForTest();
  constructor(options: ElectronModule.BrowserWindowConstructorOptions) {
    super(options);
    this.webContents.session = this.session;
    PortalWindowForTest.windows.push(this);
  }
}

const ISSUER = 'https://auth.example.test';
const AUTHORIZE = `${ISSUER}/oauth2/authorize?client_id=bastion&state=s1&code_challenge=x`;
const REDIRECT = 'http://127.0.0.1/callback';

function host() {
  const lines: string[] = [];
  const electron = { BrowserWindow: PortalWindowForTest } as unknown as Pick<
    typeof ElectronModule,
    'BrowserWindow'
  >;
  return {
    host: createPortalWindowHost(electron, { issuer: ISSUER, log: (l) => lines.push(l) }),
    lines,
  };
}

async function open() {
  const { host: h, lines } = host();
  const session = await h.prepare(REDIRECT);
  const shown = session.show(AUTHORIZE, 's1');
  const window = PortalWindowForTest.windows.at(-1)!;
  return { session, shown, window, lines };
}

beforeEach(() => {
  PortalWindowForTest.windows.length = 0;
  FakeBrowserWindowForTest.created.length = 0;
});

test('its own in-memory session, no preload, no Node, sandboxed and isolated', async () => {
  const { window, session, shown } = await open();
  const prefs = window.options.webPreferences!;
  assert.equal(prefs.preload, undefined, 'no preload: no bridge in the portal');
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.webSecurity, true);
  assert.match(prefs.partition!, /^bastion-portal-[0-9a-f]{24}$/);
  assert.ok(!prefs.partition!.startsWith('persist:'));
  assert.equal(window.loadedUrl, AUTHORIZE);
  // A second sign-in gets another partition: nothing carried over.
  session.close();
  await assert.rejects(shown, (e) => (e as { code?: string }).code === 'SSO_CANCELLED');
  const second = await open();
  assert.notEqual(second.window.options.webPreferences!.partition, prefs.partition);
  second.session.close();
  await second.shown.catch(() => undefined);
});

test('navigation stays on the portal; new windows, webviews and permissions are denied', async () => {
  const { window, session, shown } = await open();
  const contents = window.webContents;
  const nav = (event: string, url: string, mainFrame = true): boolean =>
    event === 'will-frame-navigate'
      ? fireFrameNavigate(contents, url, mainFrame).defaultPrevented
      : contents.fire(event, url, false, mainFrame).defaultPrevented;
  for (const event of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
    assert.equal(nav(event, `${ISSUER}/login?x=1`), false, `${event}: the portal is allowed`);
    assert.equal(
      nav(event, 'https://evil.example.test/phish'),
      true,
      `${event}: elsewhere refused`,
    );
    assert.equal(nav(event, 'http://auth.example.test/'), true, `${event}: http downgrade refused`);
    assert.equal(nav(event, 'file:///etc/passwd'), true, `${event}: file refused`);
    assert.equal(nav(event, 'app://greeter/index.html'), true, `${event}: the greeter refused`);
  }
  assert.deepEqual(contents.windowOpenHandler?.({ url: `${ISSUER}/x` }), { action: 'deny' });
  assert.equal(contents.fire('will-attach-webview').defaultPrevented, true);
  let granted: boolean | null = null;
  window.session.permissionRequestHandler?.(contents, 'media', (ok: boolean) => (granted = ok));
  assert.equal(granted, false);
  assert.equal(window.session.permissionCheckHandler?.(contents, 'notifications'), false);
  // Requests: the portal's pass; anything else is dropped before it leaves.
  assert.deepEqual(window.session.request(`${ISSUER}/static/app.js`, 'script'), {});
  assert.deepEqual(window.session.request('https://tracker.example.test/p.gif', 'image'), {
    cancel: true,
  });
  session.close();
  await shown.catch(() => undefined);
});

test('the redirect is intercepted by main, never loaded, and the window closes', async () => {
  const { window, shown } = await open();
  const callback = `${REDIRECT}?code=c0de&state=s1`;
  // The portal's 302 to the redirect URI: refused as a navigation, delivered to main.
  const event = window.webContents.fire('will-redirect', callback, false, true);
  assert.equal(event.defaultPrevented, true, 'not followed');
  assert.equal(await shown, callback);
  assert.equal(window.destroyed, true, 'closed on success');
  assert.equal(window.loadedUrl, AUTHORIZE, 'the callback was never loaded');
  assert.deepEqual(window.webContents.sent, [], 'nothing was sent to any page');
});

test('the redirect as a request is cancelled and delivered; a frame never delivers it', async () => {
  const { window, shown, session } = await open();
  const callback = `${REDIRECT}?code=c0de&state=s1`;
  assert.deepEqual(window.session.request(callback, 'subFrame'), { cancel: true });
  const frame = fireFrameNavigate(window.webContents, callback, false);
  assert.equal(frame.defaultPrevented, true);
  assert.equal(window.destroyed, false, 'a frame does not end the sign-in');
  assert.deepEqual(window.session.request(callback, 'mainFrame'), { cancel: true });
  assert.equal(await shown, callback);
  assert.equal(window.destroyed, true);
  session.close(); // idempotent after success
});

test('closed by the person or by cancel/timeout: the sign-in is cancelled', async () => {
  const first = await open();
  first.window.destroy(); // the window's close button
  await assert.rejects(first.shown, (e) => (e as { code?: string }).code === 'SSO_CANCELLED');
  const second = await open();
  second.session.close(); // cancel, or the flow's timeout
  await assert.rejects(second.shown, (e) => (e as { code?: string }).code === 'SSO_CANCELLED');
  assert.equal(second.window.destroyed, true);
});

test('isRedirectTo compares scheme, host, port and path', () => {
  assert.equal(isRedirectTo(`${REDIRECT}?code=1`, REDIRECT), true);
  assert.equal(isRedirectTo('http://127.0.0.1:8080/callback', REDIRECT), false);
  assert.equal(isRedirectTo('https://127.0.0.1/callback', REDIRECT), false);
  assert.equal(isRedirectTo('http://127.0.0.1/callback2', REDIRECT), false);
  assert.equal(
    isRedirectTo('com.example.bastion:/callback?code=1', 'com.example.bastion:/callback'),
    true,
  );
  assert.equal(isRedirectTo('nonsense', REDIRECT), false);
});
