// Creates the greeter window with every renderer hardening of DESIGN.md ("Renderer"), and
// nothing else. It takes the parts of the `electron` module it needs as an argument so the
// unit test can prove each setting with a stand-in (real Electron cannot load under Node).
// The page comes from app://greeter/ (./scheme), served by ./renderer-protocol on the
// window's own session, installed before the first load.
import type * as ElectronModule from 'electron';
import type { BrowserWindowConstructorOptions, WebContents } from 'electron';
import { createRendererHandler } from './renderer-protocol';
import { APP_SCHEME, GREETER_INDEX_URL } from './scheme';

export type WindowElectron = Pick<typeof ElectronModule, 'BrowserWindow'>;

export interface GreeterWindowOptions {
  /** Absolute path of build/preload/index.cjs. */
  preloadPath: string;
  /** Absolute path of build/renderer: the only directory app://greeter/ serves. */
  rendererDir: string;
  /** The Content-Security-Policy header value (the same policy as the page's meta tag). */
  contentSecurityPolicy: string;
  /** Fullscreen, frameless greeter (true in production; false only for debugging). */
  fullscreen: boolean;
  /**
   * Called when the page cannot be loaded (e.g. a missing or damaged renderer). A greeter
   * with no page is a blank screen nobody can sign in from: the entry exits non-zero so the
   * display manager notices and restarts or falls back.
   */
  onLoadFailed: (error: Error) => void;
}

/** The webPreferences of the greeter window: the single place they are decided. */
export function greeterWebPreferences(
  preloadPath: string,
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
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
  };
}

/**
 * Hardens one WebContents: CSP on every response, all permissions denied (requests and
 * checks), no new windows, no navigation or redirect at all, no <webview>.
 */
export function hardenWebContents(contents: WebContents, contentSecurityPolicy: string): void {
  const session = contents.session;
  // The app:// handler sets the CSP header itself; this covers any other response the
  // session might see (defence in depth, e.g. if a load ever bypassed the handler).
  session.webRequest.onHeadersReceived((details, callback) => {
    const responseHeaders: Record<string, string[]> = {};
    // Drop any CSP the response brought and put ours in its place (header names are
    // case-insensitive, so compare lowercased).
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() === 'content-security-policy') continue;
      responseHeaders[name] = value;
    }
    responseHeaders['Content-Security-Policy'] = [contentSecurityPolicy];
    callback({ responseHeaders });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // The greeter is one page, loaded by main with loadURL (which emits none of these). The
  // page itself never navigates, not even to GREETER_INDEX_URL: a page-initiated navigation
  // can only come from injected content, so every one is refused.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createGreeterWindow(
  electron: WindowElectron,
  options: GreeterWindowOptions,
): ElectronModule.BrowserWindow {
  const window = new electron.BrowserWindow({
    show: false,
    fullscreen: options.fullscreen,
    frame: !options.fullscreen,
    kiosk: options.fullscreen,
    autoHideMenuBar: true,
    backgroundColor: '#10141a',
    webPreferences: greeterWebPreferences(options.preloadPath),
  });
  hardenWebContents(window.webContents, options.contentSecurityPolicy);
  // On the window's session (not a global one) and before the first load, so the very first
  // request of the page already goes through the handler.
  window.webContents.session.protocol.handle(
    APP_SCHEME,
    createRendererHandler({
      rootDir: options.rendererDir,
      contentSecurityPolicy: options.contentSecurityPolicy,
    }),
  );
  window.once('ready-to-show', () => window.show());
  window
    .loadURL(GREETER_INDEX_URL)
    .catch((error: unknown) =>
      options.onLoadFailed(error instanceof Error ? error : new Error(String(error))),
    );
  return window;
}
