// IPC wiring: one ipcMain.handle per named channel of the contract, each checking that the
// call comes from the main frame of our window showing our own file:// page, then handing
// the raw, untrusted payload to the backend (which validates it per call). Snapshots go out
// to that window only.
import type * as ElectronModule from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { IPC } from '../preload/api';
import type { InvokeChannel } from '../preload/api';
import type { BackendCall, GreeterBackend } from '../main/ipc/backend';

export type IpcElectron = Pick<typeof ElectronModule, 'ipcMain'>;

/** Each request channel and the backend call it maps to; the only calls that exist. */
export const CHANNEL_CALLS: Readonly<Record<InvokeChannel, BackendCall>> = {
  [IPC.getInfo]: 'getInfo',
  [IPC.getAuthSnapshot]: 'getAuthSnapshot',
  [IPC.startAuth]: 'startAuth',
  [IPC.answer]: 'answer',
  [IPC.cancelAuth]: 'cancelAuth',
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

/** The page URL without query or fragment; the page may change its own hash. */
function documentUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return null;
  }
}

/**
 * True only when the sender is our window's WebContents, the frame is its main frame (not an
 * iframe) and that frame shows our index page. A null senderFrame (navigated or destroyed
 * frame) is refused.
 */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  window: Pick<BrowserWindow, 'webContents' | 'isDestroyed'>,
  indexUrl: string,
): boolean {
  if (window.isDestroyed()) return false;
  const frame = event.senderFrame;
  if (!frame) return false;
  if (event.sender !== window.webContents) return false;
  if (frame !== window.webContents.mainFrame || frame.parent !== null) return false;
  const expected = documentUrl(indexUrl);
  return expected !== null && documentUrl(frame.url) === expected;
}

/** Registers the handlers; returns a function that removes them and stops the snapshot feed. */
export function registerGreeterIpc(
  electron: IpcElectron,
  window: BrowserWindow,
  backend: GreeterBackend,
  indexUrl: string,
): () => void {
  const channels = Object.keys(CHANNEL_CALLS) as InvokeChannel[];
  for (const channel of channels) {
    const call = CHANNEL_CALLS[channel];
    electron.ipcMain.handle(channel, (event, ...args: unknown[]) => {
      if (!isTrustedSender(event, window, indexUrl)) {
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
  return () => {
    unsubscribe();
    for (const channel of channels) electron.ipcMain.removeHandler(channel);
  };
}
