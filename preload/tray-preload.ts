// Electron preload of the tray's status window, bundled to build/preload/tray.cjs: exposes
// exactly `BastionTrayApi` as `window.bastionTray`. A preload of its own, so the status page
// never holds the greeter's or the key manager's API.
import { contextBridge, ipcRenderer } from 'electron';
import { createTrayApi, trayIpcTransport } from './tray-bridge';

contextBridge.exposeInMainWorld('bastionTray', createTrayApi(trayIpcTransport(ipcRenderer)));
