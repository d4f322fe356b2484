// FakeElectronForTest: a stand-in for the few `electron` APIs app/ touches, recording every
// setting and handler so tests can assert them. Real Electron cannot load under plain Node.
import type * as ElectronModule from 'electron';
import type { AuthSnapshot, SecurityKeySnapshot } from '../../preload/api';
import type { GreeterBackend } from '../../main/ipc/backend';

type AnyListener = (...args: unknown[]) => unknown;

export class FakeEventForTest {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeFrameForTest {
  constructor(
    public url: string,
    public parent: FakeFrameForTest | null = null,
  ) {}
}

type ProtocolHandlerForTest = (request: Request) => Response | Promise<Response>;

/**
 * Electron's `protocol` (module-level: registerSchemesAsPrivileged) and `session.protocol`
 * (handle). Like Electron, it refuses privileges once the app is ready and a second handler
 * for one scheme.
 */
export class FakeProtocolForTest {
  readonly privilegedSchemes: ElectronModule.CustomScheme[][] = [];
  readonly handlers = new Map<string, ProtocolHandlerForTest>();
  /** Set by a test's `app.whenReady` stand-in. */
  appReady = false;
  registerSchemesAsPrivileged(schemes: ElectronModule.CustomScheme[]): void {
    if (this.appReady) throw new Error('registerSchemesAsPrivileged after ready');
    this.privilegedSchemes.push(schemes);
  }
  handle(scheme: string, handler: ProtocolHandlerForTest): void {
    if (this.handlers.has(scheme)) throw new Error(`scheme ${scheme} already handled`);
    this.handlers.set(scheme, handler);
  }
  isProtocolHandled(scheme: string): boolean {
    return this.handlers.has(scheme);
  }
  /** Sends a request through the scheme's handler, as Chromium would for a load. */
  async fetch(url: string, init?: RequestInit): Promise<Response> {
    const handler = this.handlers.get(new URL(url).protocol.slice(0, -1));
    if (!handler) throw new Error(`no handler for ${url}`);
    return handler(new Request(url, init));
  }
}

export class FakeSessionForTest {
  readonly protocol = new FakeProtocolForTest();
  headersListener: AnyListener | null = null;
  permissionRequestHandler: AnyListener | null = null;
  permissionCheckHandler: AnyListener | null = null;
  webRequest = {
    onHeadersReceived: (listener: AnyListener) => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: AnyListener): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: AnyListener): void {
    this.permissionCheckHandler = handler;
  }
  // TLS policy and session events (app/portal-window.ts).
  sslConfig: ElectronModule.Config | null = null;
  certificateVerifyProc: AnyListener | null = null;
  devicePermissionHandler: AnyListener | null = null;
  readonly sessionListeners = new Map<string, AnyListener[]>();
  setSSLConfig(config: ElectronModule.Config): void {
    this.sslConfig = config;
  }
  setCertificateVerifyProc(proc: AnyListener | null): void {
    this.certificateVerifyProc = proc;
  }
  setDevicePermissionHandler(handler: AnyListener | null): void {
    this.devicePermissionHandler = handler;
  }
  on(event: string, listener: AnyListener): this {
    this.sessionListeners.set(event, [...(this.sessionListeners.get(event) ?? []), listener]);
    return this;
  }
  /** Fires a session event like Electron would, returning the event object. */
  fireSession(event: string, ...args: unknown[]): FakeEventForTest {
    const fired = new FakeEventForTest();
    for (const listener of this.sessionListeners.get(event) ?? []) listener(fired, ...args);
    return fired;
  }
}

export class FakeWebContentsForTest {
  session = new FakeSessionForTest();
  readonly listeners = new Map<string, AnyListener[]>();
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: AnyListener | null = null;
  mainFrame: FakeFrameForTest;
  constructor(url: string) {
    this.mainFrame = new FakeFrameForTest(url);
  }
  on(event: string, listener: AnyListener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  setWindowOpenHandler(handler: AnyListener): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  /** Fires `event` like Electron would, returning the event object the listeners saw. */
  fire(event: string, ...args: unknown[]): FakeEventForTest {
    const fired = new FakeEventForTest();
    for (const listener of this.listeners.get(event) ?? []) listener(fired, ...args);
    return fired;
  }
}

export class FakeBrowserWindowForTest {
  static created: FakeBrowserWindowForTest[] = [];
  /**
   * Set by a test to model Electron's sessions: windows naming the same `partition` (none:
   * the default session) share one session, as in Electron. Null (default): a session each.
   */
  static sessionsByPartition: Map<string, FakeSessionForTest> | null = null;
  readonly webContents = new FakeWebContentsForTest('about:blank');
  /** The window's bounds: the constructor's x/y/width/height, then each setBounds. */
  bounds: ElectronModule.Rectangle | null = null;
  readonly boundsHistory: ElectronModule.Rectangle[] = [];
  shownInactive = false;
  private readonly listeners = new Map<string, AnyListener[]>();
  loadedUrl: string | null = null;
  /** The schemes the window's session handled when loadURL was called. */
  schemesHandledAtLoad: string[] | null = null;
  destroyed = false;
  shown = false;
  private readonly onceListeners = new Map<string, AnyListener>();
  constructor(public readonly options: ElectronModule.BrowserWindowConstructorOptions) {
    FakeBrowserWindowForTest.created.push(this);
    const { x, y, width, height } = options;
    if (x !== undefined && y !== undefined && width !== undefined && height !== undefined) {
      this.bounds = { x, y, width, height };
    }
    const sessions = FakeBrowserWindowForTest.sessionsByPartition;
    if (sessions) {
      const partition = options.webPreferences?.partition ?? '';
      const shared = sessions.get(partition) ?? this.webContents.session;
      sessions.set(partition, shared);
      this.webContents.session = shared;
    }
  }
  setBounds(bounds: ElectronModule.Rectangle): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.bounds = { ...bounds };
    this.boundsHistory.push({ ...bounds });
  }
  on(event: string, listener: AnyListener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  /** Like Electron's destroy(): no `close` event, but `closed` fires. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const listener of this.listeners.get('closed') ?? []) listener();
  }
  showInactive(): void {
    this.shownInactive = true;
  }
  // No loadFile: the greeter never loads a file:// URL, and a call would fail the test.
  /** Set by a test to make the next load fail (Electron rejects loadURL on ERR_* errors). */
  static nextLoadError: Error | null = null;
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.schemesHandledAtLoad = [...this.webContents.session.protocol.handlers.keys()];
    this.webContents.mainFrame.url = url;
    const error = FakeBrowserWindowForTest.nextLoadError;
    FakeBrowserWindowForTest.nextLoadError = null;
    return error ? Promise.reject(error) : Promise.resolve();
  }
  once(event: string, listener: AnyListener): this {
    this.onceListeners.set(event, listener);
    return this;
  }
  emitOnce(event: string): void {
    this.onceListeners.get(event)?.();
  }
  show(): void {
    this.shown = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** How many times moveTop() and focus() were called (app/displays.ts keeps the form on top). */
  moveTopCalls = 0;
  focusCalls = 0;
  moveTop(): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.moveTopCalls++;
  }
  focus(): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.focusCalls++;
  }
}

export class FakeIpcMainForTest {
  readonly handlers = new Map<string, AnyListener>();
  handle(channel: string, handler: AnyListener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Calls a handler like ipcRenderer.invoke would. */
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  }
}

/** Electron's `screen`: displays a test sets and changes, with its three change events. */
export class FakeScreenForTest {
  displays: ElectronModule.Display[] = [];
  primaryId = 0;
  private readonly listeners = new Map<string, AnyListener[]>();
  getAllDisplays(): ElectronModule.Display[] {
    return this.displays.map((d) => ({ ...d, bounds: { ...d.bounds } }));
  }
  getPrimaryDisplay(): ElectronModule.Display {
    const primary = this.getAllDisplays().find((d) => d.id === this.primaryId);
    if (!primary) throw new Error('no primary display');
    return primary;
  }
  on(event: string, listener: AnyListener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  removeListener(event: string, listener: AnyListener): this {
    this.listeners.set(
      event,
      (this.listeners.get(event) ?? []).filter((l) => l !== listener),
    );
    return this;
  }
  listenerCount(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
  /** Fires `event` as Electron does: (event, display[, changedMetrics]). */
  emit(event: string, display: ElectronModule.Display, ...rest: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener({}, display, ...rest);
  }
}

/** A display as Electron describes it; only what app/ reads is meaningful. */
export function displayForTest(
  id: number,
  bounds: ElectronModule.Rectangle,
  scaleFactor = 1,
): ElectronModule.Display {
  return {
    id,
    bounds,
    workArea: bounds,
    size: { width: bounds.width, height: bounds.height },
    workAreaSize: { width: bounds.width, height: bounds.height },
    scaleFactor,
    rotation: 0,
    internal: false,
    touchSupport: 'unknown',
    monochrome: false,
    accelerometerSupport: 'unknown',
    colorDepth: 24,
    colorSpace: '',
    depthPerComponent: 8,
    displayFrequency: 60,
    label: `display-${id}`,
    detected: true,
    maximumCursorSize: { width: 0, height: 0 },
    nativeOrigin: { x: bounds.x, y: bounds.y },
  };
}

/** The `electron` module as app/ sees it, made of the fakes above. */
export class FakeElectronForTest {
  readonly BrowserWindow = FakeBrowserWindowForTest;
  readonly ipcMain = new FakeIpcMainForTest();
  readonly protocol = new FakeProtocolForTest();
  readonly screen = new FakeScreenForTest();
  asDisplaysElectron(): Pick<typeof ElectronModule, 'BrowserWindow' | 'screen'> {
    return this as unknown as Pick<typeof ElectronModule, 'BrowserWindow' | 'screen'>;
  }
  asSchemeElectron(): Pick<typeof ElectronModule, 'protocol'> {
    return this as unknown as Pick<typeof ElectronModule, 'protocol'>;
  }
  asWindowElectron(): Pick<typeof ElectronModule, 'BrowserWindow'> {
    return this as unknown as Pick<typeof ElectronModule, 'BrowserWindow'>;
  }
  asIpcElectron(): Pick<typeof ElectronModule, 'ipcMain'> {
    return this as unknown as Pick<typeof ElectronModule, 'ipcMain'>;
  }
}

/** A GreeterBackend that records calls; the real one is tested in main/ and in e2e/. */
export class RecordingBackendForTest implements GreeterBackend {
  readonly calls: { call: string; payload: unknown }[] = [];
  readonly listeners = new Set<(snapshot: AuthSnapshot) => void>();
  closed = false;
  handle(call: string, payload: unknown): Promise<unknown> {
    this.calls.push({ call, payload });
    return Promise.resolve({ handled: call });
  }
  subscribe(listener: (snapshot: AuthSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  push(snapshot: AuthSnapshot): void {
    for (const listener of this.listeners) listener(snapshot);
  }
  readonly keyListeners = new Set<(snapshot: SecurityKeySnapshot) => void>();
  subscribeKey(listener: (snapshot: SecurityKeySnapshot) => void): () => void {
    this.keyListeners.add(listener);
    return () => this.keyListeners.delete(listener);
  }
  pushKey(snapshot: SecurityKeySnapshot): void {
    for (const listener of this.keyListeners) listener(snapshot);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

// ---- The tray (app/tray.ts): Tray, Menu, Notification and nativeImage, recorded. ----

/** nativeImage: the representations added (which PNG at which scale). */
export class FakeNativeImageForTest {
  readonly representations: {
    scaleFactor: number;
    width: number;
    height: number;
    buffer: Buffer;
  }[] = [];
  addRepresentation(options: {
    scaleFactor: number;
    width: number;
    height: number;
    buffer: Buffer;
  }): void {
    this.representations.push({ ...options });
  }
}

export class FakeMenuForTest {
  static built: FakeMenuForTest[] = [];
  constructor(readonly template: ElectronModule.MenuItemConstructorOptions[]) {}
  static buildFromTemplate(template: ElectronModule.MenuItemConstructorOptions[]): FakeMenuForTest {
    const menu = new FakeMenuForTest(template);
    FakeMenuForTest.built.push(menu);
    return menu;
  }
  /** Clicks the item labelled `label`, as the desktop would. */
  click(label: string): void {
    const item = this.template.find((i) => i.label === label);
    if (!item?.click) throw new Error(`no clickable item ${label}`);
    if (item.enabled === false) throw new Error(`item ${label} is disabled`);
    (item.click as () => void)();
  }
  labels(): string[] {
    return this.template.map((i) => (i.type === 'separator' ? '—' : (i.label ?? '')));
  }
}

export class FakeTrayForTest {
  static created: FakeTrayForTest[] = [];
  readonly images: FakeNativeImageForTest[] = [];
  tooltip = '';
  menu: FakeMenuForTest | null = null;
  destroyed = false;
  constructor(image: FakeNativeImageForTest) {
    this.images.push(image);
    FakeTrayForTest.created.push(this);
  }
  setImage(image: FakeNativeImageForTest): void {
    this.images.push(image);
  }
  setToolTip(tooltip: string): void {
    this.tooltip = tooltip;
  }
  setContextMenu(menu: FakeMenuForTest): void {
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export class FakeNotificationForTest {
  static shown: FakeNotificationForTest[] = [];
  static supported = true;
  private readonly listeners = new Map<string, AnyListener>();
  constructor(readonly options: ElectronModule.NotificationConstructorOptions) {}
  static isSupported(): boolean {
    return FakeNotificationForTest.supported;
  }
  on(event: string, listener: AnyListener): this {
    this.listeners.set(event, listener);
    return this;
  }
  show(): void {
    FakeNotificationForTest.shown.push(this);
  }
  click(): void {
    this.listeners.get('click')?.();
  }
}

/** The `electron` module for app/tray.ts: the fakes above plus the tray's four. */
export class FakeTrayElectronForTest extends FakeElectronForTest {
  readonly Tray = FakeTrayForTest;
  readonly Menu = FakeMenuForTest;
  readonly Notification = FakeNotificationForTest;
  readonly nativeImage = { createEmpty: () => new FakeNativeImageForTest() };
  static reset(): void {
    FakeTrayForTest.created.length = 0;
    FakeMenuForTest.built.length = 0;
    FakeNotificationForTest.shown.length = 0;
    FakeNotificationForTest.supported = true;
  }
  asTrayElectron(): Pick<typeof ElectronModule, 'Tray' | 'Menu' | 'Notification' | 'nativeImage'> {
    return this as unknown as Pick<
      typeof ElectronModule,
      'Tray' | 'Menu' | 'Notification' | 'nativeImage'
    >;
  }
}
