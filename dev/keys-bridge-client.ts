// The key manager page's side of the Chromium fallback's loopback bridge (development only;
// never packaged): loaded before keys.js, it defines the same `window.bastionKeys` as the
// Electron preload (preload/keys-preload.ts), built by the same preload/keys-bridge code, over
// `POST /api/<call>` (token header) and Server-Sent Events, with the pieces
// ./page-bridge shares with the greeter's ./bridge-client.
import type { KeysSnapshot } from '../preload/keys-api';
import { createKeysApi } from '../preload/keys-bridge';
import type { KeysTransport } from '../preload/keys-bridge';
import { createSnapshotEvents, postBridgeCall, takeTokenFromUrl } from './page-bridge';

function httpTransport(token: string): KeysTransport {
  const events = createSnapshotEvents(token, ['snapshot']);
  return {
    invoke: (call, args) => postBridgeCall(token, call, args, 'the key manager'),
    subscribe: events.subscribe<KeysSnapshot>('snapshot'),
  };
}

Object.defineProperty(window, 'bastionKeys', {
  value: createKeysApi(httpTransport(takeTokenFromUrl())),
  writable: false,
  configurable: false,
  enumerable: true,
});
