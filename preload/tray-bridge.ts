// Builds `window.bastionTray` over a transport: Electron IPC (./tray-preload.ts) or the loopback
// bridge of the Chromium fallback (dev/tray-bridge-client.ts), so both expose the same object
// with the same argument handling as ./keys-bridge.ts: one method per named call, the page's
// arguments passed as they are (trailing `undefined`s dropped) for main to refuse, and the
// snapshot listener seeing only the snapshot. No value import of electron here.
import type { IpcRendererEvent, ipcRenderer } from 'electron';
import { TRAY_IPC } from './tray-api';
import type { BastionTrayApi, TrayCall, TrayInfo, TrayOpenResult, TraySnapshot } from './tray-api';

export interface TrayTransport {
  invoke(call: TrayCall, args: readonly unknown[]): Promise<unknown>;
  subscribe(listener: (snapshot: TraySnapshot) => void): () => void;
}

function trimmed(args: readonly unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

export function createTrayApi(transport: TrayTransport): BastionTrayApi {
  const call = (name: TrayCall, args: unknown[]): Promise<unknown> =>
    transport.invoke(name, trimmed(args));
  const api: BastionTrayApi = {
    getInfo: (...args: unknown[]) => call('getInfo', args) as Promise<TrayInfo>,
    getSnapshot: (...args: unknown[]) => call('getSnapshot', args) as Promise<TraySnapshot>,
    retryNow: (...args: unknown[]) => call('retryNow', args).then(() => undefined),
    openKeyManager: (...args: unknown[]) => call('openKeyManager', args) as Promise<TrayOpenResult>,
    onSnapshot: (listener: (snapshot: TraySnapshot) => void) => {
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

export type TrayIpcRenderer = Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>;

export function trayIpcTransport(ipc: TrayIpcRenderer): TrayTransport {
  return {
    invoke: (name, args) => ipc.invoke(TRAY_IPC[name], ...args),
    subscribe: (listener) => {
      const wrapper = (_event: IpcRendererEvent, snapshot: TraySnapshot): void =>
        listener(snapshot);
      ipc.on(TRAY_IPC.snapshot, wrapper);
      return () => {
        ipc.removeListener(TRAY_IPC.snapshot, wrapper);
      };
    },
  };
}
