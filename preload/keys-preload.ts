// Electron preload of the key manager's window, bundled to build/preload/keys.cjs: exposes
// exactly `BastionKeysApi` as `window.bastionKeys`. A preload of its own, so the key manager's
// page never holds the greeter's API and the greeter's page never holds this one.
import { contextBridge, ipcRenderer } from 'electron';
import { createKeysApi, keysIpcTransport } from './keys-bridge';

contextBridge.exposeInMainWorld('bastionKeys', createKeysApi(keysIpcTransport(ipcRenderer)));
