// FakeElectronForTest: a stand-in for the few `electron` APIs app/ touches, recording every
// setting and handler so tests can assert them. Real Electron cannot load under plain Node.
import type * as ElectronModule from 'electron';
import type { AuthSnapshot } from '../../preload/api';
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

export class FakeSessionForTest {
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
}

export class FakeWebContentsForTest {
  readonly session = new FakeSessionForTest();
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
  readonly webContents = new FakeWebContentsForTest('about:blank');
  loadedFile: string | null = null;
  destroyed = false;
  shown = false;
  private readonly onceListeners = new Map<string, AnyListener>();
  constructor(public readonly options: ElectronModule.BrowserWindowConstructorOptions) {
    FakeBrowserWindowForTest.created.push(this);
  }
  loadFile(path: string): Promise<void> {
    this.loadedFile = path;
    this.webContents.mainFrame.url = `file://${path}`;
    return Promise.resolve();
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

/** The `electron` module as app/ sees it, made of the fakes above. */
export class FakeElectronForTest {
  readonly BrowserWindow = FakeBrowserWindowForTest;
  readonly ipcMain = new FakeIpcMainForTest();
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
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
