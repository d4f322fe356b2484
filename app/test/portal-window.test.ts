// The portal view's isolation and interception (app/portal-window.ts), proven on the
// Electron stand-ins of ./fake-electron (real Electron cannot load under Node), extended
// here with what only this window uses: webRequest.onBeforeRequest and the close event.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type * as ElectronModule from 'electron';
import type { SsoTlsPolicy } from '../../main/sso/config';
import { createTlsFixtures, type TlsFixtures } from '../../testkit/sso/tls-fixtures';
import { createPortalWindowHost, isRedirectTo, PORTAL_SANDBOX_CSP } from '../portal-window';
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

function host(tls?: SsoTlsPolicy) {
  const lines: string[] = [];
  const electron = { BrowserWindow: PortalWindowForTest } as unknown as Pick<
    typeof ElectronModule,
    'BrowserWindow'
  >;
  return {
    host: createPortalWindowHost(electron, {
      issuer: ISSUER,
      ...(tls ? { tls } : {}),
      log: (l) => lines.push(l),
    }),
    lines,
  };
}

async function open(tls?: SsoTlsPolicy) {
  const { host: h, lines } = host(tls);
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

// Certificates made at run time with openssl (testkit/sso/tls-fixtures): a private CA and a
// server certificate for auth.example.com; a second, unrelated CA and its own server cert.
let pki: TlsFixtures;
let otherPki: TlsFixtures;
before(() => {
  pki = createTlsFixtures(['auth.example.test']);
  otherPki = createTlsFixtures(['auth.example.test']);
});
after(() => {
  pki.cleanup();
  otherPki.cleanup();
});

/** Runs the window's certificate verify proc as Chromium would; returns its verdict. */
function verify(
  window: PortalWindowForTest,
  chain: string[],
  errorCode = 0,
  hostname = 'auth.example.test',
): number {
  const proc = window.session.certificateVerifyProc;
  assert.ok(proc, 'a certificate verify proc is installed');
  type Cert = { data: string; issuerCert?: Cert };
  let certificate: Cert | undefined;
  for (const pem of [...chain].reverse()) certificate = { data: pem, issuerCert: certificate };
  let result: number | null = null;
  proc({ hostname, certificate, errorCode }, (r: number) => (result = r));
  assert.notEqual(result, null);
  return result!;
}

test('TLS: at least 1.3 by default, 1.2 only when the site says so', async () => {
  const first = await open();
  assert.deepEqual(first.window.session.sslConfig, { minVersion: 'tls1.3' });
  first.session.close();
  await first.shown.catch(() => undefined);
  const second = await open({ minVersion: 'TLSv1.2' });
  assert.deepEqual(second.window.session.sslConfig, { minVersion: 'tls1.2' });
  second.session.close();
  await second.shown.catch(() => undefined);
});

test('TLS: the CA file replaces the system roots; the pins are enforced on top', async () => {
  const { window, session, shown, lines } = await open({ caFile: pki.caFile, pins: [pki.pin] });
  // Chromium does not know the private CA (its error code): the CA file decides.
  assert.equal(verify(window, [pki.certPem], -202), 0, 'signed by the CA file, pinned key');
  assert.equal(verify(window, [otherPki.certPem], 0), -2, 'another CA, even if Chromium trusts it');
  assert.equal(
    verify(window, [pki.certPem], -202, 'evil.example.test'),
    -2,
    'the certificate names another host',
  );
  assert.equal(verify(window, [], 0), -2, 'no certificate');
  assert.ok(lines.some((l) => /certificate of auth\.example\.test refused/.test(l)));
  session.close();
  await shown.catch(() => undefined);

  // Pins alone (system roots): Chromium's verdict must be OK AND the key pinned.
  const pinned = await open({ pins: [pki.otherPin] });
  assert.equal(verify(pinned.window, [pki.certPem], 0), -2, "Chromium's OK, but no pin matches");
  pinned.session.close();
  await pinned.shown.catch(() => undefined);
  const roots = await open({ pins: [pki.pin] });
  assert.equal(verify(roots.window, [pki.certPem], 0), 0);
  assert.equal(verify(roots.window, [pki.certPem], -202), -2, "Chromium's refusal stands");
  roots.session.close();
  await roots.shown.catch(() => undefined);
});

test('TLS: a CA file that cannot be read opens no portal window', async () => {
  const { host: h } = host({ caFile: '/nonexistent/ca.pem' });
  await assert.rejects(
    h.prepare(REDIRECT),
    (e) => (e as { code?: string }).code === 'SSO_PORTAL_UNAVAILABLE',
  );
  assert.equal(PortalWindowForTest.windows.length, 0);
});

test('no downloads, no device choosers, no print or modal dialogs', async () => {
  const { window, session, shown } = await open();
  let cancelled = false;
  const download = window.session.fireSession('will-download', {
    cancel: () => (cancelled = true),
  });
  assert.equal(download.defaultPrevented, true);
  assert.equal(cancelled, true);
  assert.equal(window.session.devicePermissionHandler?.({ deviceType: 'hid' }), false);
  for (const chooser of ['select-hid-device', 'select-usb-device', 'select-serial-port']) {
    let answered: unknown = 'not called';
    const event = window.session.fireSession(chooser, {}, (...args: unknown[]) => {
      answered = args[0];
    });
    assert.equal(event.defaultPrevented, true, chooser);
    assert.equal(answered, undefined, `${chooser}: nothing chosen`);
  }
  let bluetooth: unknown = null;
  const bt = window.webContents.fire(
    'select-bluetooth-device',
    [{ deviceId: 'aa' }],
    (id: string) => {
      bluetooth = id;
    },
  );
  assert.equal(bt.defaultPrevented, true);
  assert.equal(bluetooth, '', 'no device picked (Electron would pick the first)');
  // Every document gets the sandbox CSP (no allow-modals: window.print() and alert refused),
  // beside the portal's own policy.
  let answer: { responseHeaders?: Record<string, string[]> } | null = null;
  window.session.headersListener?.(
    {
      resourceType: 'mainFrame',
      responseHeaders: { 'Content-Security-Policy': ["default-src 'self'"] },
    },
    (a: typeof answer) => (answer = a),
  );
  assert.deepEqual(answer!.responseHeaders!['Content-Security-Policy'], [
    "default-src 'self'",
    PORTAL_SANDBOX_CSP,
  ]);
  assert.doesNotMatch(PORTAL_SANDBOX_CSP, /allow-modals|allow-downloads|allow-popups/);
  window.session.headersListener?.({ resourceType: 'script' }, (a: typeof answer) => (answer = a));
  assert.deepEqual(answer, {}, 'scripts and images unchanged');
  session.close();
  await shown.catch(() => undefined);
});
