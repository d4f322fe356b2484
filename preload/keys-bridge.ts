// Builds `window.bastionKeys` over a transport: Electron IPC (./keys-preload.ts) or the loopback
// bridge of the Chromium fallback (dev/keys-bridge-client.ts), so both expose the same object
// with the same argument handling as the greeter's ./bridge.ts: one method per named call, the
// page's arguments passed as they are (trailing `undefined`s dropped) for main to validate,
// and the snapshot listener seeing only the snapshot. No value import of electron here.
import type { IpcRendererEvent, ipcRenderer } from 'electron';
import { KEYS_IPC } from './keys-api';
import type { BastionKeysApi, KeysCall, KeysInfo, KeysSnapshot } from './keys-api';

export interface KeysTransport {
  invoke(call: KeysCall, args: readonly unknown[]): Promise<unknown>;
  subscribe(listener: (snapshot: KeysSnapshot) => void): () => void;
}

function trimmed(args: readonly unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

export function createKeysApi(transport: KeysTransport): BastionKeysApi {
  const call = (name: KeysCall, args: unknown[]): Promise<unknown> =>
    transport.invoke(name, trimmed(args));
  const command =
    (name: KeysCall) =>
    (...args: unknown[]): Promise<void> =>
      call(name, args).then(() => undefined);
  const api: BastionKeysApi = {
    getInfo: (...args: unknown[]) => call('getInfo', args) as Promise<KeysInfo>,
    getSnapshot: (...args: unknown[]) => call('getSnapshot', args) as Promise<KeysSnapshot>,
    submitPassword: command('submitPassword'),
    refreshDevices: command('refreshDevices'),
    chooseDevice: command('chooseDevice'),
    submitPin: command('submitPin'),
    submitName: command('submitName'),
    retry: command('retry'),
    enrollAnother: command('enrollAnother'),
    finish: command('finish'),
    cancel: command('cancel'),
    restart: command('restart'),
    onSnapshot: (listener: (snapshot: KeysSnapshot) => void) => {
      if (typeof listener !== 'function') throw new TypeError('onSnapshot needs a function');
      let subscribed = true;
      const unsubscribe = transport.subscribe((snapshot) => {
        if (subscribed) listener(snapshot);
      });
      return () => {
        if (!subscribed) return;
        subscribed = false;
        unsubscribe();
      };
    },
  };
  return Object.freeze(api);
}

export type KeysIpcRenderer = Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>;

export function keysIpcTransport(ipc: KeysIpcRenderer): KeysTransport {
  return {
    invoke: (name, args) => ipc.invoke(KEYS_IPC[name], ...args),
    subscribe: (listener) => {
      const wrapper = (_event: IpcRendererEvent, snapshot: KeysSnapshot): void =>
        listener(snapshot);
      ipc.on(KEYS_IPC.snapshot, wrapper);
      return () => {
        ipc.removeListener(KEYS_IPC.snapshot, wrapper);
      };
    },
  };
}
