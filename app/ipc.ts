// IPC wiring: one ipcMain.handle per named channel of the contract, each checking that the
// call comes from the main frame of our window showing our own app://greeter/index.html page
// (GREETER_INDEX_URL, never file://), then handing
// the raw, untrusted payload to the backend (which validates it per call). Snapshots go out
// to that window only.
import type * as ElectronModule from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { IPC } from '../preload/api';
import type { InvokeChannel } from '../preload/api';
import type { BackendCall, GreeterBackend } from '../main/ipc/backend';
import { GREETER_INDEX_URL } from './scheme';

export type IpcElectron = Pick<typeof ElectronModule, 'ipcMain'>;

/** Each request channel and the backend call it maps to; the only calls that exist. */
export const CHANNEL_CALLS: Readonly<Record<InvokeChannel, BackendCall>> = {
  [IPC.getInfo]: 'getInfo',
  [IPC.getAuthSnapshot]: 'getAuthSnapshot',
  [IPC.getScreenOptions]: 'getScreenOptions',
  [IPC.startAuth]: 'startAuth',
  [IPC.answer]: 'answer',
  [IPC.cancelAuth]: 'cancelAuth',
  [IPC.powerAction]: 'powerAction',
  [IPC.startAssistiveTool]: 'startAssistiveTool',
  [IPC.setKeyboardLayout]: 'setKeyboardLayout',
  [IPC.getKeySnapshot]: 'getKeySnapshot',
  [IPC.answerKeyPin]: 'answerKeyPin',
  [IPC.cancelKey]: 'cancelKey',
  [IPC.getSsoSnapshot]: 'getSsoSnapshot',
  [IPC.startSso]: 'startSso',
  [IPC.cancelSso]: 'cancelSso',
};

export type IpcRefusalCode = 'IPC_SENDER_REFUSED' | 'IPC_TOO_MANY_ARGUMENTS';

export class IpcRefusedError extends Error {
  readonly code: IpcRefusalCode;
  constructor(code: IpcRefusalCode, message: string) {
    super(message);
    this.name = 'IpcRefusedError';
    this.code = code;
  }
}

/**
 * The page URL without query or fragment (the page may change its own hash), serialised
 * whole: scheme, credentials, host, port and path must all be identical, so neither a
 * different scheme (file://, http://), another host (app://other/) nor `user@` passes.
 */
function documentUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return null;
  }
}

/**
 * True only when the sender is `window`'s WebContents, the frame is its main frame (not an
 * iframe) and that frame shows `pageUrl`. A null senderFrame (navigated or destroyed frame)
 * is refused. Shared by every window of the app (greeter, key manager, tray status).
 */
export function isPageSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  window: Pick<BrowserWindow, 'webContents' | 'isDestroyed'>,
  pageUrl: string,
): boolean {
  if (window.isDestroyed()) return false;
  const frame = event.senderFrame;
  if (!frame) return false;
  if (event.sender !== window.webContents) return false;
  if (frame !== window.webContents.mainFrame || frame.parent !== null) return false;
  return documentUrl(frame.url) === documentUrl(pageUrl);
}

/** The greeter's check: its window showing GREETER_INDEX_URL. */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  window: Pick<BrowserWindow, 'webContents' | 'isDestroyed'>,
): boolean {
  // A constant, not a parameter: there is no other page the greeter's IPC could be meant for.
  return isPageSender(event, window, GREETER_INDEX_URL);
}

/** Registers the handlers; returns a function that removes them and stops the snapshot feed. */
export function registerGreeterIpc(
  electron: IpcElectron,
  window: BrowserWindow,
  backend: GreeterBackend,
): () => void {
  const channels = Object.keys(CHANNEL_CALLS) as InvokeChannel[];
  for (const channel of channels) {
    const call = CHANNEL_CALLS[channel];
    electron.ipcMain.handle(channel, (event, ...args: unknown[]) => {
      if (!isTrustedSender(event, window)) {
        throw new IpcRefusedError(
          'IPC_SENDER_REFUSED',
          `${channel}: sender is not the greeter page`,
        );
      }
      // The preload forwards at most one payload; more means someone else is calling.
      if (args.length > 1) {
        throw new IpcRefusedError('IPC_TOO_MANY_ARGUMENTS', `${channel}: at most one payload`);
      }
      return backend.handle(call, args[0]);
    });
  }
  const unsubscribe = backend.subscribe((snapshot) => {
    if (!window.isDestroyed()) window.webContents.send(IPC.authSnapshot, snapshot);
  });
  const unsubscribeKey = backend.subscribeKey((snapshot) => {
    if (!window.isDestroyed()) window.webContents.send(IPC.keySnapshot, snapshot);
  });
  const unsubscribeSso =
    backend.subscribeSso?.((snapshot) => {
      if (!window.isDestroyed()) window.webContents.send(IPC.ssoSnapshot, snapshot);
    }) ?? (() => undefined);
  return () => {
    unsubscribe();
    unsubscribeKey();
    unsubscribeSso();
    for (const channel of channels) electron.ipcMain.removeHandler(channel);
  };
}
