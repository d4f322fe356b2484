// Creates the greeter window with every renderer hardening of DESIGN.md ("Renderer"), and
// nothing else. It takes the parts of the `electron` module it needs as an argument so the
// unit test can prove each setting with a stand-in (real Electron cannot load under Node).
// The page comes from app://greeter/ (./scheme), served by ./renderer-protocol on the
// window's own session, installed before the first load.
import type * as ElectronModule from 'electron';
import type { BrowserWindowConstructorOptions, Rectangle, WebContents } from 'electron';
import { createRendererHandler } from './renderer-protocol';
import { APP_SCHEME, BACKGROUND_URL, GREETER_INDEX_URL } from './scheme';

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
  /**
   * Where the window goes: its display's bounds (./displays). Unset: Electron's default
   * placement (one window, e.g. `--windowed` debugging).
   */
  bounds?: Rectangle;
  /**
   * index.html → the document served (main/screens/first-paint.ts: the screen's first paint).
   * Unset: the plain page.
   */
  renderIndex?: (html: string) => Promise<string>;
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
    ...options.bounds,
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
  handleAppScheme(
    window.webContents,
    options.rendererDir,
    options.contentSecurityPolicy,
    options.renderIndex,
  );
  window.once('ready-to-show', () => window.show());
  window
    .loadURL(GREETER_INDEX_URL)
    .catch((error: unknown) =>
      options.onLoadFailed(error instanceof Error ? error : new Error(String(error))),
    );
  return window;
}

/**
 * Installs the app:// handler on the WebContents' session before its first load, once per
 * session: background windows share one in-memory session (BACKGROUND_PARTITION), and a
 * second `protocol.handle` for one scheme on one session throws.
 */
function handleAppScheme(
  contents: WebContents,
  rendererDir: string,
  contentSecurityPolicy: string,
  renderIndex?: (html: string) => Promise<string>,
): void {
  const { protocol } = contents.session;
  if (protocol.isProtocolHandled(APP_SCHEME)) return;
  protocol.handle(
    APP_SCHEME,
    createRendererHandler({
      rootDir: rendererDir,
      contentSecurityPolicy,
      ...(renderIndex ? { renderIndex } : {}),
    }),
  );
}

/**
 * The session of every background window: in memory (no `persist:`), apart from the greeter
 * page's, so nothing the background page's session holds is shared with the form's.
 */
export const BACKGROUND_PARTITION = 'bastion-background';

/** The webPreferences of a background window: the greeter's hardening, and no preload. */
export function backgroundWebPreferences(): NonNullable<
  BrowserWindowConstructorOptions['webPreferences']
> {
  const { preload: _none, ...hardened } = greeterWebPreferences('');
  return { ...hardened, partition: BACKGROUND_PARTITION, javascript: false };
}

export interface BackgroundWindowOptions {
  rendererDir: string;
  contentSecurityPolicy: string;
  /** Its display's bounds. */
  bounds: Rectangle;
  /** A background that cannot load is only a blank display: logged, the greeter goes on. */
  onLoadFailed: (error: Error) => void;
}

/**
 * A window of a display other than the greeter's: the same background as the greeter page
 * (app://greeter/background.html, no script), covering the display, with no preload (so no
 * bridge, and app/ipc.ts refuses its WebContents anyway), not focusable (keyboard input always
 * reaches the form), hardened like the greeter window.
 */
export function createBackgroundWindow(
  electron: WindowElectron,
  options: BackgroundWindowOptions,
): ElectronModule.BrowserWindow {
  const window = new electron.BrowserWindow({
    show: false,
    ...options.bounds,
    frame: false,
    fullscreen: true,
    focusable: false,
    skipTaskbar: true,
    resizable: false,
    movable: false,
    autoHideMenuBar: true,
    backgroundColor: '#10141a',
    webPreferences: backgroundWebPreferences(),
  });
  hardenWebContents(window.webContents, options.contentSecurityPolicy);
  handleAppScheme(window.webContents, options.rendererDir, options.contentSecurityPolicy);
  window.once('ready-to-show', () => window.showInactive());
  window
    .loadURL(BACKGROUND_URL)
    .catch((error: unknown) =>
      options.onLoadFailed(error instanceof Error ? error : new Error(String(error))),
    );
  return window;
}

export interface PageWindowOptions {
  /** The one document the window loads (an app://greeter/ URL). */
  url: string;
  title: string;
  size: { width: number; height: number; minWidth: number; minHeight: number };
  /** Absolute path of the page's own preload (build/preload/*.cjs). */
  preloadPath: string;
  rendererDir: string;
  contentSecurityPolicy: string;
  onLoadFailed: (error: Error) => void;
}

/**
 * An ordinary window (not fullscreen, not kiosk) of the app in the person's session (the key
 * manager, the tray's status view) with every hardening of the greeter's: the same
 * webPreferences, hardenWebContents, and pages only from the app:// handler.
 */
export function createPageWindow(
  electron: WindowElectron,
  options: PageWindowOptions,
): ElectronModule.BrowserWindow {
  const window = new electron.BrowserWindow({
    show: false,
    ...options.size,
    fullscreen: false,
    kiosk: false,
    frame: true,
    autoHideMenuBar: true,
    backgroundColor: '#10141a',
    title: options.title,
    webPreferences: greeterWebPreferences(options.preloadPath),
  });
  hardenWebContents(window.webContents, options.contentSecurityPolicy);
  const { protocol } = window.webContents.session;
  if (!protocol.isProtocolHandled(APP_SCHEME))
    protocol.handle(
      APP_SCHEME,
      createRendererHandler({
        rootDir: options.rendererDir,
        contentSecurityPolicy: options.contentSecurityPolicy,
      }),
    );
  window.once('ready-to-show', () => window.show());
  window
    .loadURL(options.url)
    .catch((error: unknown) =>
      options.onLoadFailed(error instanceof Error ? error : new Error(String(error))),
    );
  return window;
}
