import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrowserWindow } from 'electron';
import { IPC, SECURITY_KEY_OFF, SSO_OFF } from '../../preload/api';
import type { AuthSnapshot, SecurityKeySnapshot, SsoSnapshot } from '../../preload/api';
import { IpcRefusedError, registerGreeterIpc } from '../ipc';
import {
  FakeBrowserWindowForTest,
  FakeElectronForTest,
  FakeFrameForTest,
  FakeWebContentsForTest,
  RecordingBackendForTest,
} from './fake-electron';

const INDEX_URL = 'app://greeter/index.html';

function setUp() {
  const electron = new FakeElectronForTest();
  const window = new FakeBrowserWindowForTest({});
  window.webContents.mainFrame.url = INDEX_URL;
  const backend = new RecordingBackendForTest();
  const unregister = registerGreeterIpc(
    electron.asIpcElectron(),
    window as unknown as BrowserWindow,
    backend,
  );
  const trusted = () => ({ sender: window.webContents, senderFrame: window.webContents.mainFrame });
  return { electron, window, backend, unregister, trusted };
}

test('exactly the fifteen request channels of the contract get a handler', () => {
  const { electron } = setUp();
  assert.deepEqual(
    [...electron.ipcMain.handlers.keys()].sort(),
    [
      IPC.answer,
      IPC.answerKeyPin,
      IPC.cancelAuth,
      IPC.cancelKey,
      IPC.getAuthSnapshot,
      IPC.getKeySnapshot,
      IPC.getInfo,
      IPC.getScreenOptions,
      IPC.powerAction,
      IPC.setKeyboardLayout,
      IPC.startAssistiveTool,
      IPC.startAuth,
      IPC.getSsoSnapshot,
      IPC.startSso,
      IPC.cancelSso,
    ].sort(),
  );
});

test('a call from our main frame reaches the backend under its call name, payload untouched', async () => {
  const { electron, backend, trusted } = setUp();
  const payload = { user: 'demo', extra: 1 };
  assert.deepEqual(await electron.ipcMain.invoke(IPC.startAuth, trusted(), payload), {
    handled: 'startAuth',
  });
  await electron.ipcMain.invoke(IPC.getInfo, trusted());
  await electron.ipcMain.invoke(IPC.answer, trusted(), { text: 'x' });
  await electron.ipcMain.invoke(IPC.cancelAuth, trusted());
  await electron.ipcMain.invoke(IPC.getAuthSnapshot, trusted());
  assert.deepEqual(backend.calls, [
    { call: 'startAuth', payload },
    { call: 'getInfo', payload: undefined },
    { call: 'answer', payload: { text: 'x' } },
    { call: 'cancelAuth', payload: undefined },
    { call: 'getAuthSnapshot', payload: undefined },
  ]);
});

test('the page may change its own fragment or query and still be trusted', async () => {
  const { electron, window, backend, trusted } = setUp();
  window.webContents.mainFrame.url = `${INDEX_URL}#unlock`;
  await electron.ipcMain.invoke(IPC.getInfo, trusted());
  window.webContents.mainFrame.url = `${INDEX_URL}?mode=unlock`;
  await electron.ipcMain.invoke(IPC.getInfo, trusted());
  assert.equal(backend.calls.length, 2);
});

async function assertRefused(
  electron: FakeElectronForTest,
  backend: RecordingBackendForTest,
  event: unknown,
  code: string,
  ...args: unknown[]
) {
  await assert.rejects(
    () => electron.ipcMain.invoke(IPC.startAuth, event, ...args),
    (error: unknown) => error instanceof IpcRefusedError && error.code === code,
  );
  assert.equal(backend.calls.length, 0, 'backend untouched');
}

test('a sub-frame of our window is refused', async () => {
  const { electron, window, backend } = setUp();
  const iframe = new FakeFrameForTest(INDEX_URL, window.webContents.mainFrame);
  await assertRefused(
    electron,
    backend,
    { sender: window.webContents, senderFrame: iframe },
    'IPC_SENDER_REFUSED',
    { user: 'a' },
  );
});

test('another WebContents is refused, even one showing the same file', async () => {
  const { electron, backend } = setUp();
  const other = new FakeWebContentsForTest(INDEX_URL);
  await assertRefused(
    electron,
    backend,
    { sender: other, senderFrame: other.mainFrame },
    'IPC_SENDER_REFUSED',
    { user: 'a' },
  );
});

test('our main frame showing another URL is refused', async () => {
  const { electron, window, backend, trusted } = setUp();
  for (const url of [
    'https://evil.example/',
    'file:///tmp/index.html',
    // The old file:// page, the same path on other schemes and hosts, other paths.
    'file:///opt/bastion/build/renderer/index.html',
    'app://other/index.html',
    'app://greeter.evil/index.html',
    'app://GREETER/index.html',
    'app://user@greeter/index.html',
    'app://greeter:8080/index.html',
    'app://greeter/',
    'app://greeter/other.html',
    'app://greeter/index.html/',
    'http://greeter/index.html',
    'https://greeter/index.html',
    'http://127.0.0.1/index.html',
    'about:blank',
    'not a url',
  ]) {
    window.webContents.mainFrame.url = url;
    await assertRefused(electron, backend, trusted(), 'IPC_SENDER_REFUSED', { user: 'a' });
  }
});

test('a missing sender frame or a destroyed window is refused', async () => {
  const { electron, window, backend } = setUp();
  await assertRefused(
    electron,
    backend,
    { sender: window.webContents, senderFrame: null },
    'IPC_SENDER_REFUSED',
    { user: 'a' },
  );
  const trustedEvent = { sender: window.webContents, senderFrame: window.webContents.mainFrame };
  window.destroyed = true;
  await assertRefused(electron, backend, trustedEvent, 'IPC_SENDER_REFUSED', { user: 'a' });
});

test('more than one payload argument is refused', async () => {
  const { electron, backend, trusted } = setUp();
  await assertRefused(
    electron,
    backend,
    trusted(),
    'IPC_TOO_MANY_ARGUMENTS',
    { user: 'a' },
    { user: 'b' },
  );
});

test('snapshots go to our window only while registered; unregister removes every handler', async () => {
  const { electron, window, backend, unregister, trusted } = setUp();
  const snapshot = { phase: 'prompting' } as AuthSnapshot;
  backend.push(snapshot);
  assert.deepEqual(window.webContents.sent, [{ channel: IPC.authSnapshot, args: [snapshot] }]);
  window.destroyed = true;
  backend.push(snapshot);
  assert.equal(window.webContents.sent.length, 1, 'nothing sent to a destroyed window');
  window.destroyed = false;
  unregister();
  backend.push(snapshot);
  assert.equal(window.webContents.sent.length, 1);
  assert.equal(backend.listeners.size, 0);
  assert.equal(backend.keyListeners.size, 0);
  assert.equal(electron.ipcMain.handlers.size, 0);
  await assert.rejects(() => electron.ipcMain.invoke(IPC.getInfo, trusted()));
});

test('key snapshots go to our window on their own channel, never after unregister', () => {
  const { window, backend, unregister } = setUp();
  const key = { ...SECURITY_KEY_OFF, phase: 'touch' } as SecurityKeySnapshot;
  backend.pushKey(key);
  assert.deepEqual(window.webContents.sent, [{ channel: IPC.keySnapshot, args: [key] }]);
  unregister();
  backend.pushKey(key);
  assert.equal(window.webContents.sent.length, 1);
});

test('SSO snapshots go to our window on their own channel, never after unregister', () => {
  const electron = new FakeElectronForTest();
  const window = new FakeBrowserWindowForTest({});
  const listeners = new Set<(snapshot: SsoSnapshot) => void>();
  const backend = Object.assign(new RecordingBackendForTest(), {
    subscribeSso(listener: (snapshot: SsoSnapshot) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  const unregister = registerGreeterIpc(
    electron.asIpcElectron(),
    window as unknown as BrowserWindow,
    backend,
  );
  const sso: SsoSnapshot = { ...SSO_OFF, phase: 'idle', methods: ['device'] };
  for (const listener of listeners) listener(sso);
  assert.deepEqual(window.webContents.sent, [{ channel: IPC.ssoSnapshot, args: [sso] }]);
  unregister();
  assert.equal(listeners.size, 0);
});
