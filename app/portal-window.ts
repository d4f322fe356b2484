// The portal view of "Sign in with SSO" (issue #10 item 1, authorization code + S256 PKCE):
// the portal's own sign-in page in a window of its own, apart from the privileged greeter
// page in every way that matters:
//   * its own in-memory session (a fresh `bastion-portal-<random>` partition, never
//     `persist:`): no cookie, cache or storage shared with the greeter or kept afterwards;
//   * no preload (so no bridge), no Node, sandboxed, context isolation, no <webview>;
//   * navigation, redirects and every request limited to the portal's origin (the issuer's
//     and the authorization endpoint's); new windows and every permission denied;
//   * the redirect to the redirect URI is intercepted here, in main, before any request
//     leaves: it is never loaded, and never posted into the greeter's page. Only main's
//     portal flow (main/sso/portal-flow.ts) sees it, which checks it strictly;
//   * the site's TLS policy, as main/sso's client applies it (the person types their password
//     here): TLS 1.3 at least unless sso.conf says TLSv1.2 (`setSSLConfig`), the CA file
//     instead of the system roots, the SPKI pins on top (`setCertificateVerifyProc`, deciding
//     with main/sso/portal-certificate.ts);
//   * no downloads (cancelled), no device choosers (Bluetooth, HID, USB, serial), no modal
//     dialogs and no print dialog: every page gets a CSP `sandbox` without `allow-modals` or
//     `allow-downloads` (Electron has no hook to refuse `window.print()`; the sandbox flag is
//     Chromium's own refusal). A file chooser (`<input type=file>`) has no Electron hook and
//     no sandbox flag: it stays possible, shows the greeter account's files, and what is
//     chosen can only be sent to the portal's origin (every other request is dropped).
// The window closes on success, on cancel and on the flow's timeout. It takes the parts of
// the `electron` module it needs as an argument, as ./window does, for the unit test.
import { randomBytes } from 'node:crypto';
import type * as ElectronModule from 'electron';
import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents } from 'electron';
import type { PortalViewHost, PortalViewSession } from '../main/ipc/sso-signin';
import type { SsoTlsPolicy } from '../main/sso/config';
import {
  createPortalCertificateVerifier,
  portalMinTlsVersion,
  type PortalCertificateVerifier,
} from '../main/sso/portal-certificate';

export type PortalWindowElectron = Pick<typeof ElectronModule, 'BrowserWindow'>;

/**
 * The CSP added to every page and frame of the portal: scripts, forms and the portal's own
 * origin (its cookies) keep working; no modal dialog, print dialog, download or pop-up.
 */
export const PORTAL_SANDBOX_CSP = 'sandbox allow-forms allow-scripts allow-same-origin';

export class PortalViewError extends Error {
  readonly code: 'SSO_CANCELLED' | 'SSO_PORTAL_UNAVAILABLE';
  constructor(code: PortalViewError['code'], message: string) {
    super(message);
    this.name = 'PortalViewError';
    this.code = code;
  }
}

export interface PortalWindowOptions {
  /** The OIDC issuer (sso.conf `issuer`): its origin may be navigated to. */
  issuer: string;
  /** The greeter window, to keep the portal above it; null: a top-level window. */
  parent?: () => BrowserWindow | null;
  /**
   * The site's TLS policy (sso.conf `tls-min-version`, `ca-file`, `pins`: the SSO client's
   * `tls`). Unset: TLS 1.3 at least, the system roots, no pins.
   */
  tls?: SsoTlsPolicy;
  /** Diagnostic lines: origins only, never a query (codes and states live there). */
  log?: (line: string) => void;
}

/** Chromium's verify results for setCertificateVerifyProc: accept, refuse. */
const CERT_ACCEPT = 0;
const CERT_REFUSE = -2;

/** The portal window's webPreferences: no preload, isolated, sandboxed, its own session. */
export function portalWebPreferences(
  partition: string,
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    partition,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    devTools: false,
    // The portal's page is the portal's: its scripts run (sandboxed, in its own session).
    javascript: true,
  };
}

/** A fresh in-memory partition per window: Electron keeps a session in memory unless `persist:`. */
export function newPortalPartition(): string {
  return `bastion-portal-${randomBytes(12).toString('hex')}`;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Whether `url` is the redirect URI (scheme, host, port and path; the query is the answer). */
export function isRedirectTo(url: string, redirectUri: string): boolean {
  const target = parse(url);
  const expected = parse(redirectUri);
  if (target === null || expected === null) return false;
  return (
    target.protocol === expected.protocol &&
    target.host === expected.host &&
    target.pathname === expected.pathname
  );
}

/**
 * Installs the portal window's rules on its WebContents. `allowed`: the origins it may load;
 * `onCallback`: called once with the intercepted redirect.
 */
export function guardPortalContents(
  contents: WebContents,
  rules: {
    allowed: ReadonlySet<string>;
    redirectUri: string;
    verifyCertificate: PortalCertificateVerifier;
    minTlsVersion: 'tls1.2' | 'tls1.3';
  },
  onCallback: (url: string) => void,
  log: (line: string) => void,
): void {
  let delivered = false;
  const deliver = (url: string): void => {
    if (delivered) return;
    delivered = true;
    onCallback(url);
  };
  const allowedOrigin = (url: string): boolean => {
    const parsed = parse(url);
    return parsed !== null && rules.allowed.has(parsed.origin);
  };
  /** The one decision for a navigation or redirect: callback, allowed, or refused. */
  const decide = (event: { preventDefault(): void }, url: string, mainFrame: boolean): void => {
    if (isRedirectTo(url, rules.redirectUri)) {
      event.preventDefault();
      // Only the top-level page's redirect is the answer; a frame's is refused.
      if (mainFrame) deliver(url);
      else log('portal view: a frame tried to load the redirect URI; refused');
      return;
    }
    if (!allowedOrigin(url)) {
      event.preventDefault();
      log(`portal view: navigation to ${parse(url)?.origin ?? 'a bad URL'} refused`);
    }
  };
  const session = contents.session;
  // TLS first: nothing may load before the policy is in place.
  session.setSSLConfig({ minVersion: rules.minTlsVersion });
  session.setCertificateVerifyProc((request, callback) => {
    const chainPem: string[] = [];
    for (let cert = request.certificate; cert && chainPem.length < 8; cert = cert.issuerCert) {
      chainPem.push(cert.data);
      if (cert.issuerCert === cert) break;
    }
    let verdict: ReturnType<PortalCertificateVerifier>;
    try {
      verdict = rules.verifyCertificate({
        hostname: request.hostname,
        chainPem,
        chromiumErrorCode: request.errorCode,
      });
    } catch {
      verdict = { ok: false, reason: 'the check failed' };
    }
    if (!verdict.ok)
      log(`portal view: certificate of ${request.hostname} refused (${verdict.reason})`);
    callback(verdict.ok ? CERT_ACCEPT : CERT_REFUSE);
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.on('will-download', (event, item) => {
    event.preventDefault();
    item.cancel();
    log('portal view: a download was refused');
  });
  for (const chooser of ['select-hid-device', 'select-usb-device', 'select-serial-port'] as const) {
    session.on(chooser as 'select-hid-device', (event, _details, callback) => {
      event.preventDefault();
      (callback as () => void)();
    });
  }
  // Without a handler Electron picks the first Bluetooth device found: refuse instead.
  contents.on('select-bluetooth-device', (event, _devices, callback) => {
    event.preventDefault();
    callback('');
  });
  // The sandbox CSP on every document (see the header comment), beside the portal's own CSP
  // (several policies are all enforced).
  session.webRequest.onHeadersReceived((details, callback) => {
    if (details.resourceType !== 'mainFrame' && details.resourceType !== 'subFrame') {
      callback({});
      return;
    }
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          ...(details.responseHeaders?.['Content-Security-Policy'] ?? []),
          PORTAL_SANDBOX_CSP,
        ],
      },
    });
  });
  // Every request, before it leaves: the redirect URI is caught (and cancelled: a loopback
  // listener or a custom scheme handler must never see it), anything off the portal dropped.
  session.webRequest.onBeforeRequest((details, callback) => {
    if (isRedirectTo(details.url, rules.redirectUri)) {
      callback({ cancel: true });
      if (details.resourceType === 'mainFrame') deliver(details.url);
      return;
    }
    if (allowedOrigin(details.url) || /^(data|blob):/.test(details.url)) {
      callback({});
      return;
    }
    log(`portal view: request to ${parse(details.url)?.origin ?? 'a bad URL'} dropped`);
    callback({ cancel: true });
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => decide(event, url, true));
  contents.on('will-redirect', (event, url, _inPlace, isMainFrame) =>
    decide(event, url, isMainFrame),
  );
  contents.on('will-frame-navigate', (event) => decide(event, event.url, event.isMainFrame));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The Electron PortalViewHost: one window per sign-in. */
export function createPortalWindowHost(
  electron: PortalWindowElectron,
  options: PortalWindowOptions,
): PortalViewHost {
  const log = options.log ?? (() => undefined);
  const issuerOrigin = parse(options.issuer)?.origin ?? null;
  const minTlsVersion = portalMinTlsVersion(options.tls);
  return {
    prepare(configuredRedirectUri: string): Promise<PortalViewSession> {
      let verifyCertificate: PortalCertificateVerifier;
      try {
        // Read now (the CA file): a policy that cannot be applied opens no window.
        verifyCertificate = createPortalCertificateVerifier(options.tls);
      } catch (error) {
        log(`portal view: the TLS policy cannot be applied (${(error as Error).message})`);
        return Promise.reject(
          new PortalViewError('SSO_PORTAL_UNAVAILABLE', 'the TLS policy cannot be applied'),
        );
      }
      let window: BrowserWindow | null = null;
      let settle: { resolve(url: string): void; reject(error: Error): void } | null = null;
      const close = (): void => {
        const w = window;
        window = null;
        if (w !== null && !w.isDestroyed()) w.destroy();
        settle?.reject(new PortalViewError('SSO_CANCELLED', 'the portal view was closed'));
        settle = null;
      };
      const session: PortalViewSession = {
        redirectUri: configuredRedirectUri,
        show(url: string): Promise<string> {
          return new Promise<string>((resolve, reject) => {
            if (window !== null) {
              reject(new PortalViewError('SSO_PORTAL_UNAVAILABLE', 'a portal view is open'));
              return;
            }
            const authorization = parse(url);
            if (authorization === null || issuerOrigin === null) {
              reject(new PortalViewError('SSO_PORTAL_UNAVAILABLE', 'not a portal URL'));
              return;
            }
            settle = { resolve, reject };
            const parent = options.parent?.() ?? null;
            const w = new electron.BrowserWindow({
              show: false,
              width: 520,
              height: 720,
              ...(parent && !parent.isDestroyed() ? { parent, modal: true } : {}),
              alwaysOnTop: true,
              autoHideMenuBar: true,
              minimizable: false,
              fullscreenable: false,
              title: authorization.host,
              backgroundColor: '#ffffff',
              webPreferences: portalWebPreferences(newPortalPartition()),
            });
            window = w;
            guardPortalContents(
              w.webContents,
              {
                allowed: new Set([issuerOrigin, authorization.origin]),
                redirectUri: configuredRedirectUri,
                verifyCertificate,
                minTlsVersion,
              },
              (callback) => {
                const pending = settle;
                settle = null;
                log('portal view: redirect intercepted; closing');
                close();
                pending?.resolve(callback);
              },
              log,
            );
            // Closed by the person (its close button): the sign-in is cancelled.
            w.on('closed', () => {
              if (window === w) window = null;
              settle?.reject(new PortalViewError('SSO_CANCELLED', 'the portal view was closed'));
              settle = null;
            });
            w.once('ready-to-show', () => {
              if (!w.isDestroyed()) w.show();
            });
            log(`portal view: opening ${authorization.origin}`);
            w.loadURL(url).catch((error: unknown) => {
              // A callback cancels its own load (ERR_ABORTED): that is no failure.
              if (settle === null) return;
              log(
                `portal view: the portal did not load (${(error as Error).message.slice(0, 80)})`,
              );
            });
          });
        },
        close,
      };
      return Promise.resolve(session);
    },
  };
}
