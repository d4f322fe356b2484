// The bundled preload as Electron's sandbox runs it: CommonJS whose only require is
// `electron`, exposing exactly `bastion`. Built here from preload/index.ts with the same
// esbuild options as scripts/build.mjs, then run in a fresh V8 context with a stand-in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC } from '../api';
import { FakeIpcRendererForTest } from './fake-ipc-renderer';

test('the CJS preload bundle requires only electron and exposes only window.bastion', async () => {
  const result = await build({
    entryPoints: [join(dirname(fileURLToPath(import.meta.url)), '..', 'index.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  const required: string[] = [];
  const exposed = new Map<string, unknown>();
  const ipc = new FakeIpcRendererForTest();
  const fakeElectronForTest = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: ipc,
  };
  const module = { exports: {} };
  runInNewContext(code, {
    module,
    exports: module.exports,
    require: (name: string) => {
      required.push(name);
      if (name !== 'electron') throw new Error(`sandboxed preload cannot require ${name}`);
      return fakeElectronForTest;
    },
  });
  assert.deepEqual(required, ['electron']);
  assert.deepEqual([...exposed.keys()], ['bastion']);
  const api = exposed.get('bastion') as { startAuth(r: unknown): Promise<unknown> };
  await api.startAuth({ user: 'demo' });
  assert.deepEqual(ipc.invoked, [{ channel: IPC.startAuth, args: [{ user: 'demo' }] }]);
});
