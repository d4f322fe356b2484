// The key manager's window (app/keys-window.ts) with the stand-in Electron: hardened like the
// greeter's but an ordinary window, its own preload and page, IPC for that page only; and
// keys.html carries the same CSP as every page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import type { BrowserWindow } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../../preload/api';
import { KEYS_IPC } from '../../preload/keys-api';
import type { KeysBackend } from '../../main/ipc/keys-backend';
import { REPO_ROOT } from '../../testkit/paths';
import { createKeysWindow, KEYS_URL, registerKeysIpc } from '../keys-window';
import {
  FakeBrowserWindowForTest,
  FakeElectronForTest,
  FakeFrameForTest,
  FakeWebContentsForTest,
} from './fake-electron';

beforeEach(() => {
  FakeBrowserWindowForTest.created.length = 0;
});

test('an ordinary hardened window with the keys preload, loading app://greeter/keys.html', () => {
  const electron = new FakeElectronForTest();
  createKeysWindow(electron.asWindowElectron(), {
    preloadPath: '/opt/bastion/build/preload/keys.cjs',
    rendererDir: '/opt/bastion/build/renderer',
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    onLoadFailed: (error) => assert.fail(error.message),
  });
  const window = FakeBrowserWindowForTest.created.at(-1)!;
  assert.equal(window.options.fullscreen, false);
  assert.equal(window.options.kiosk, false);
  assert.equal(window.options.frame, true);
  const prefs = window.options.webPreferences!;
  assert.equal(prefs.preload, '/opt/bastion/build/preload/keys.cjs');
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.devTools, false);
  assert.equal(window.loadedUrl, KEYS_URL);
  assert.deepEqual(window.schemesHandledAtLoad, ['app'], 'handler installed before the load');
});

class RecordingKeysBackendForTest implements KeysBackend {
  readonly calls: { call: string; payload: unknown }[] = [];
  listener: ((snapshot: never) => void) | null = null;
  handle(call: string, payload: unknown): Promise<unknown> {
    this.calls.push({ call, payload });
    return Promise.resolve({ handled: call });
  }
  subscribe(listener: (snapshot: never) => void): () => void {
    this.listener = listener;
    return () => (this.listener = null);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

test('IPC: one handler per call, only for our window main frame showing keys.html', async () => {
  const electron = new FakeElectronForTest();
  const window = new FakeBrowserWindowForTest({});
  window.webContents.mainFrame.url = KEYS_URL;
  const backend = new RecordingKeysBackendForTest();
  const unregister = registerKeysIpc(
    electron.asIpcElectron(),
    window as unknown as BrowserWindow,
    backend,
  );
  const channels = Object.entries(KEYS_IPC)
    .filter(([k]) => k !== 'snapshot')
    .map(([, v]) => v)
    .sort();
  assert.deepEqual([...electron.ipcMain.handlers.keys()].sort(), channels);
  const trusted = { sender: window.webContents, senderFrame: window.webContents.mainFrame };
  assert.deepEqual(await electron.ipcMain.invoke(KEYS_IPC.submitPin, trusted, { pin: '1234' }), {
    handled: 'submitPin',
  });
  assert.deepEqual(backend.calls, [{ call: 'submitPin', payload: { pin: '1234' } }]);
  // The greeter's page, an iframe, another window, two payloads: refused before the backend.
  window.webContents.mainFrame.url = 'app://greeter/index.html';
  await assert.rejects(electron.ipcMain.invoke(KEYS_IPC.cancel, trusted), /not the key manager/);
  window.webContents.mainFrame.url = KEYS_URL;
  const iframe = new FakeFrameForTest(KEYS_URL, window.webContents.mainFrame);
  await assert.rejects(
    electron.ipcMain.invoke(KEYS_IPC.cancel, { sender: window.webContents, senderFrame: iframe }),
    /not the key manager/,
  );
  const other = new FakeWebContentsForTest(KEYS_URL);
  await assert.rejects(
    electron.ipcMain.invoke(KEYS_IPC.cancel, { sender: other, senderFrame: other.mainFrame }),
    /not the key manager/,
  );
  await assert.rejects(electron.ipcMain.invoke(KEYS_IPC.cancel, trusted, 1, 2), /at most one/);
  assert.equal(backend.calls.length, 1);
  unregister();
  assert.equal(electron.ipcMain.handlers.size, 0);
  assert.equal(backend.listener, null);
});

test('keys.html has the same Content-Security-Policy meta as every page', () => {
  const html = readFileSync(join(REPO_ROOT, 'renderer/keys/static/keys.html'), 'utf8');
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
  assert.equal(meta?.[1], CONTENT_SECURITY_POLICY);
  assert.match(html, /<script src="keys.js" defer><\/script>/);
  assert.doesNotMatch(html, /<script>|style=/);
});
