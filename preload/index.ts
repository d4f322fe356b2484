// Electron preload entry, bundled to build/preload/index.cjs (CommonJS: sandboxed preloads
// cannot load ES modules). Exposes exactly `BastionApi` as `window.bastion` in the page's
// world; contextIsolation keeps this world and its `ipcRenderer` out of the page's reach.
// The logic lives in ./bridge so it can be tested under Node.
import { contextBridge, ipcRenderer } from 'electron';
import { createBastionApi, ipcTransport } from './bridge';

contextBridge.exposeInMainWorld('bastion', createBastionApi(ipcTransport(ipcRenderer)));
