// The tray status page's side of the Chromium fallback's loopback bridge (development only;
// never packaged): loaded before tray.js, it defines the same `window.bastionTray` as the
// Electron preload (preload/tray-preload.ts), built by the same preload/tray-bridge code, over
// `POST /api/<call>` (token header) and Server-Sent Events, with the pieces
// ./page-bridge shares with the greeter's ./bridge-client.
import type { TraySnapshot } from '../preload/tray-api';
import { createTrayApi } from '../preload/tray-bridge';
import type { TrayTransport } from '../preload/tray-bridge';
import { createSnapshotEvents, postBridgeCall, takeTokenFromUrl } from './page-bridge';

function httpTransport(token: string): TrayTransport {
  const events = createSnapshotEvents(token, ['snapshot']);
  return {
    invoke: (call, args) => postBridgeCall(token, call, args, 'the tray'),
    subscribe: events.subscribe<TraySnapshot>('snapshot'),
  };
}

Object.defineProperty(window, 'bastionTray', {
  value: createTrayApi(httpTransport(takeTokenFromUrl())),
  writable: false,
  configurable: false,
  enumerable: true,
});
