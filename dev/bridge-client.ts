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

/** An error the trusted side returned, with its code (e.g. the backend's validation code). */
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

/**
 * JSON of the page's arguments. Values JSON would silently drop or change (functions,
 * symbols, `undefined` members) make the call fail here instead, as Electron's structured
 * clone fails on functions: the trusted side must see what the page passed, or nothing.
 */
function encodeArgs(args: readonly unknown[]): string {
  return JSON.stringify({ args }, (key, value: unknown) => {
    const kind = typeof value;
    if (kind === 'function' || kind === 'symbol' || (kind === 'undefined' && key !== '')) {
      throw new TypeError(`a ${kind} cannot be sent to the greeter`);
    }
    return value;
  });
}

function httpTransport(token: string): BastionTransport {
  const listeners = new Set<(snapshot: AuthSnapshot) => void>();
  const keyListeners = new Set<(snapshot: SecurityKeySnapshot) => void>();
  const ssoListeners = new Set<(snapshot: SsoSnapshot) => void>();
  let events: EventSource | null = null;

  // One event stream carries both kinds of snapshots; it lives while anyone listens.
  const open = (): void => {
    if (events) return;
    events = new EventSource(`/events?token=${token}`);
    events.addEventListener('snapshot', (event) => {
      const snapshot = JSON.parse((event as MessageEvent<string>).data) as AuthSnapshot;
      for (const each of listeners) each(snapshot);
    });
    events.addEventListener('key-snapshot', (event) => {
      const snapshot = JSON.parse((event as MessageEvent<string>).data) as SecurityKeySnapshot;
      for (const each of keyListeners) each(snapshot);
    });
    events.addEventListener('sso-snapshot', (event) => {
      const snapshot = JSON.parse((event as MessageEvent<string>).data) as SsoSnapshot;
      for (const each of ssoListeners) each(snapshot);
    });
  };
  const closeIfUnused = (): void => {
    if (listeners.size === 0 && keyListeners.size === 0 && ssoListeners.size === 0 && events) {
      events.close();
      events = null;
    }
  };

  return {
    invoke: async (channel, args) => {
      const body = encodeArgs(args);
      const response = await fetch(`/api/${CALL_OF_CHANNEL[channel]}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Bastion-Token': token },
        body,
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
      open();
      return () => {
        listeners.delete(listener);
        closeIfUnused();
      };
    },
    subscribeKey: (listener) => {
      keyListeners.add(listener);
      open();
      return () => {
        keyListeners.delete(listener);
        closeIfUnused();
      };
    },
    subscribeSso: (listener) => {
      ssoListeners.add(listener);
      open();
      return () => {
        ssoListeners.delete(listener);
        closeIfUnused();
      };
    },
  };
}

Object.defineProperty(window, 'bastion', {
  value: createBastionApi(httpTransport(takeTokenFromUrl())),
  writable: false,
  configurable: false,
  enumerable: true,
});
