// The page side of the Chromium fallback's loopback bridge (development only; never
// packaged). Loaded by the dev server's index.html before app.js, it defines the same
// `window.bastion` as Electron's preload, built by the same preload/bridge code, over
// `POST /api/<call>` (token in the X-Bastion-Token header) and Server-Sent Events.
//
// The token arrives in the URL fragment (browsers never send fragments to the server) and
// is removed from the address bar and history at once.
import { IPC } from '../preload/api';
import type { AuthSnapshot, InvokeChannel, SecurityKeySnapshot, SsoSnapshot } from '../preload/api';
import { createBastionApi } from '../preload/bridge';
import type { BastionTransport } from '../preload/bridge';
import { createSnapshotEvents, postBridgeCall, takeTokenFromUrl } from './page-bridge';

const CALL_OF_CHANNEL: Readonly<Record<InvokeChannel, string>> = {
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

function httpTransport(token: string): BastionTransport {
  // One event stream carries the three kinds of snapshots; it lives while anyone listens.
  const events = createSnapshotEvents(token, ['snapshot', 'key-snapshot', 'sso-snapshot']);
  return {
    invoke: (channel, args) => postBridgeCall(token, CALL_OF_CHANNEL[channel], args, 'the greeter'),
    subscribe: events.subscribe<AuthSnapshot>('snapshot'),
    subscribeKey: events.subscribe<SecurityKeySnapshot>('key-snapshot'),
    subscribeSso: events.subscribe<SsoSnapshot>('sso-snapshot'),
  };
}

Object.defineProperty(window, 'bastion', {
  value: createBastionApi(httpTransport(takeTokenFromUrl())),
  writable: false,
  configurable: false,
  enumerable: true,
});
