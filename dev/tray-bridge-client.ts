// The tray status page's side of the Chromium fallback's loopback bridge (development only;
// never packaged): loaded before tray.js, it defines the same `window.bastionTray` as the
// Electron preload (preload/tray-preload.ts), built by the same preload/tray-bridge code, over
// `POST /api/<call>` (token header) and Server-Sent Events, exactly as ./bridge-client.ts does
// for the greeter (that file defines window.bastion on load, so it cannot be imported here).
import type { TraySnapshot } from '../preload/tray-api';
import { createTrayApi } from '../preload/tray-bridge';
import type { TrayTransport } from '../preload/tray-bridge';

class BridgeCallError extends Error {
  readonly code: string;
  constructor(name: string, code: string, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

function takeTokenFromUrl(): string {
  const match = /(?:^#|&)token=([0-9a-f]{64})(?:&|$)/.exec(window.location.hash);
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return match ? match[1]! : '';
}

interface WireAnswer {
  ok: boolean;
  value?: unknown;
  error?: { name?: string; code?: string; message?: string };
}

/** JSON of the arguments; what JSON would silently drop fails here instead (as IPC would). */
function encodeArgs(args: readonly unknown[]): string {
  return JSON.stringify({ args }, (key, value: unknown) => {
    const kind = typeof value;
    if (kind === 'function' || kind === 'symbol' || (kind === 'undefined' && key !== ''))
      throw new TypeError(`a ${kind} cannot be sent to the tray`);
    return value;
  });
}

function httpTransport(token: string): TrayTransport {
  const listeners = new Set<(snapshot: TraySnapshot) => void>();
  let events: EventSource | null = null;
  return {
    invoke: async (call, args) => {
      const response = await fetch(`/api/${call}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Bastion-Token': token },
        body: encodeArgs(args),
        cache: 'no-store',
        credentials: 'omit',
      });
      let answer: WireAnswer;
      try {
        answer = (await response.json()) as WireAnswer;
      } catch {
        throw new BridgeCallError('BridgeError', 'BRIDGE_BAD_ANSWER', `HTTP ${response.status}`);
      }
      if (!response.ok || !answer.ok) {
        const error = answer.error ?? {};
        throw new BridgeCallError(
          error.name ?? 'BridgeError',
          error.code ?? `HTTP_${response.status}`,
          error.message ?? `HTTP ${response.status}`,
        );
      }
      return answer.value;
    },
    subscribe: (listener) => {
      listeners.add(listener);
      if (!events) {
        events = new EventSource(`/events?token=${token}`);
        events.addEventListener('snapshot', (event) => {
          const snapshot = JSON.parse((event as MessageEvent<string>).data) as TraySnapshot;
          for (const each of listeners) each(snapshot);
        });
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && events) {
          events.close();
          events = null;
        }
      };
    },
  };
}

Object.defineProperty(window, 'bastionTray', {
  value: createTrayApi(httpTransport(takeTokenFromUrl())),
  writable: false,
  configurable: false,
  enumerable: true,
});
