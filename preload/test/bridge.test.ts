import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IPC } from '../api';
import type { AuthSnapshot, BastionApi, SecurityKeySnapshot, SsoSnapshot } from '../api';
import { createBastionApi, ipcTransport } from '../bridge';
import { FakeIpcRendererForTest } from './fake-ipc-renderer';

function apiOver(ipc: FakeIpcRendererForTest): BastionApi {
  return createBastionApi(ipcTransport(ipc.asIpcRenderer()));
}

test('the API has exactly the BastionApi methods and cannot be modified', () => {
  const api = apiOver(new FakeIpcRendererForTest());
  assert.deepEqual(Object.keys(api).sort(), [
    'answer',
    'answerKeyPin',
    'cancelAuth',
    'cancelKey',
    'cancelSso',
    'getAuthSnapshot',
    'getInfo',
    'getKeySnapshot',
    'getScreenOptions',
    'getSsoSnapshot',
    'onAuthSnapshot',
    'onKeySnapshot',
    'onSsoSnapshot',
    'powerAction',
    'setKeyboardLayout',
    'startAssistiveTool',
    'startAuth',
    'startSso',
  ]);
  for (const value of Object.values(api)) assert.equal(typeof value, 'function');
  assert.ok(Object.isFrozen(api));
});

test('each call invokes its own named channel with the payload as given', async () => {
  const ipc = new FakeIpcRendererForTest();
  const api = apiOver(ipc);
  assert.equal(await api.getInfo(), `answer of ${IPC.getInfo}`);
  await api.getAuthSnapshot();
  await api.startAuth({ user: 'demo' });
  await api.answer({ text: 'pw' });
  await api.cancelAuth();
  assert.deepEqual(ipc.invoked, [
    { channel: IPC.getInfo, args: [] },
    { channel: IPC.getAuthSnapshot, args: [] },
    { channel: IPC.startAuth, args: [{ user: 'demo' }] },
    { channel: IPC.answer, args: [{ text: 'pw' }] },
    { channel: IPC.cancelAuth, args: [] },
  ]);
});

test("the page's arguments travel as given, for main to judge; trailing undefined is none", async () => {
  const ipc = new FakeIpcRendererForTest();
  const api = apiOver(ipc) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  await api.getInfo!(5);
  await api.cancelAuth!({ x: 1 }, 'two');
  await api.answer!({ text: 'a' }, 'second');
  await api.startAuth!();
  await api.startAuth!(undefined);
  await api.getAuthSnapshot!(undefined, undefined);
  await api.answer!(undefined, 'x');
  assert.deepEqual(ipc.invoked, [
    { channel: IPC.getInfo, args: [5] },
    { channel: IPC.cancelAuth, args: [{ x: 1 }, 'two'] },
    { channel: IPC.answer, args: [{ text: 'a' }, 'second'] },
    { channel: IPC.startAuth, args: [] },
    { channel: IPC.startAuth, args: [] },
    { channel: IPC.getAuthSnapshot, args: [] },
    { channel: IPC.answer, args: [undefined, 'x'] },
  ]);
});

test('commands resolve with nothing, whatever came back', async () => {
  const api = apiOver(new FakeIpcRendererForTest());
  assert.equal(await api.startAuth({ user: 'demo' }), undefined);
  assert.equal(await api.answer({ text: 'x' }), undefined);
  assert.equal(await api.cancelAuth(), undefined);
});

test('snapshot listener receives only the snapshot, never the IPC event; unsubscribe works', () => {
  const ipc = new FakeIpcRendererForTest();
  const seen: unknown[][] = [];
  const unsubscribe = apiOver(ipc).onAuthSnapshot((...args: unknown[]) => {
    seen.push(args);
  });
  const snapshot = { phase: 'idle' } as AuthSnapshot;
  ipc.emit(IPC.authSnapshot, snapshot);
  assert.deepEqual(seen, [[snapshot]]);
  unsubscribe();
  unsubscribe();
  ipc.emit(IPC.authSnapshot, snapshot);
  assert.equal(seen.length, 1);
  assert.equal(ipc.listeners.get(IPC.authSnapshot)?.size, 0);
});

test('onAuthSnapshot rejects a non-function listener without subscribing', () => {
  const ipc = new FakeIpcRendererForTest();
  const api = apiOver(ipc) as unknown as { onAuthSnapshot(x: unknown): unknown };
  assert.throws(() => api.onAuthSnapshot('not a function'), TypeError);
  assert.equal(ipc.listeners.size, 0);
});

test('the key calls use their own channels; key snapshots arrive without the IPC event', async () => {
  const ipc = new FakeIpcRendererForTest();
  const api = apiOver(ipc);
  await api.getKeySnapshot();
  await api.answerKeyPin({ pin: '2468' });
  await api.cancelKey();
  assert.deepEqual(ipc.invoked, [
    { channel: IPC.getKeySnapshot, args: [] },
    { channel: IPC.answerKeyPin, args: [{ pin: '2468' }] },
    { channel: IPC.cancelKey, args: [] },
  ]);
  const seen: unknown[][] = [];
  const unsubscribe = api.onKeySnapshot((...args: unknown[]) => {
    seen.push(args);
  });
  const key = { phase: 'touch' } as SecurityKeySnapshot;
  ipc.emit(IPC.keySnapshot, key);
  ipc.emit(IPC.authSnapshot, { phase: 'idle' } as AuthSnapshot); // not the key's channel
  assert.deepEqual(seen, [[key]]);
  unsubscribe();
  unsubscribe();
  ipc.emit(IPC.keySnapshot, key);
  assert.equal(seen.length, 1);
  assert.equal(ipc.listeners.get(IPC.keySnapshot)?.size, 0);
  assert.throws(() => (api as unknown as { onKeySnapshot(x: unknown): unknown }).onKeySnapshot(1));
});

test('the SSO calls use their own channels; SSO snapshots arrive without the IPC event', async () => {
  const ipc = new FakeIpcRendererForTest();
  const api = apiOver(ipc);
  await api.getSsoSnapshot();
  await api.startSso({ method: 'device' });
  await api.cancelSso();
  assert.deepEqual(ipc.invoked, [
    { channel: IPC.getSsoSnapshot, args: [] },
    { channel: IPC.startSso, args: [{ method: 'device' }] },
    { channel: IPC.cancelSso, args: [] },
  ]);
  const seen: unknown[][] = [];
  const unsubscribe = api.onSsoSnapshot((...args: unknown[]) => {
    seen.push(args);
  });
  const sso = { phase: 'device' } as SsoSnapshot;
  ipc.emit(IPC.ssoSnapshot, sso);
  ipc.emit(IPC.keySnapshot, { phase: 'touch' } as SecurityKeySnapshot); // not the SSO channel
  assert.deepEqual(seen, [[sso]]);
  unsubscribe();
  ipc.emit(IPC.ssoSnapshot, sso);
  assert.equal(seen.length, 1);
  assert.equal(ipc.listeners.get(IPC.ssoSnapshot)?.size, 0);
  assert.throws(() => (api as unknown as { onSsoSnapshot(x: unknown): unknown }).onSsoSnapshot(1));
});
