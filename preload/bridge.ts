// Builds `window.bastion` over a transport. Two transports exist: Electron IPC (the preload,
// preload/index.ts) and the loopback HTTP bridge of the Chromium fallback
// (dev/bridge-client.ts). Sharing this file keeps both exposing exactly the same API with
// the same argument handling. No value import of `electron` here, so tests run under Node.
//
// Each method is bound to its one named channel; there is no generic invoke passthrough.
// The arguments the page passes travel as they are (trailing `undefined`s dropped, so
// `f(undefined)` is `f()`): main, not this file, decides whether they are acceptable, and
// rejects a payload on a call that takes none, more than one argument, or a payload of the
// wrong shape. The snapshot listener sees only the snapshot, never an IpcRendererEvent (its
// `sender` would hand the page an IPC handle).
import type { IpcRendererEvent, ipcRenderer } from 'electron';
import { IPC } from './api';
import type {
  AnswerRequest,
  AssistiveToolRequest,
  AuthSnapshot,
  BastionApi,
  GreeterInfo,
  InvokeChannel,
  KeyboardLayoutRequest,
  KeyPinRequest,
  PowerActionRequest,
  ScreenOptions,
  SecurityKeySnapshot,
  SsoSnapshot,
  StartAuthRequest,
  StartSsoRequest,
} from './api';

/** How calls and snapshot events travel to and from the trusted side. */
export interface BastionTransport {
  /** Sends the call with the page's arguments; the trusted side validates them. */
  invoke(channel: InvokeChannel, args: readonly unknown[]): Promise<unknown>;
  subscribe(listener: (snapshot: AuthSnapshot) => void): () => void;
  /** The security key's snapshots (a channel of their own). */
  subscribeKey(listener: (snapshot: SecurityKeySnapshot) => void): () => void;
  /** The SSO sign-in's snapshots (a channel of their own). */
  subscribeSso(listener: (snapshot: SsoSnapshot) => void): () => void;
}

// The trusted side validates what it returns; the page gets typed values.
const as = <T>(promise: Promise<unknown>): Promise<T> => promise as Promise<T>;
// Commands resolve with nothing, whatever the transport carried back.
const done = (promise: Promise<unknown>): Promise<void> => promise.then(() => undefined);

/** The arguments without trailing `undefined`s. */
function trimmed(args: readonly unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

/** Subscribes `listener`; the returned unsubscribe is idempotent and stops delivery at once. */
function guarded<T>(
  subscribe: (listener: (value: T) => void) => () => void,
  listener: (value: T) => void,
): () => void {
  let subscribed = true;
  const unsubscribe = subscribe((value) => {
    if (subscribed) listener(value);
  });
  return () => {
    if (!subscribed) return;
    subscribed = false;
    unsubscribe();
  };
}

export function createBastionApi(transport: BastionTransport): BastionApi {
  const call = (channel: InvokeChannel, args: unknown[]): Promise<unknown> =>
    transport.invoke(channel, trimmed(args));
  const api: BastionApi = {
    getInfo: (...args: unknown[]) => as<GreeterInfo>(call(IPC.getInfo, args)),
    getAuthSnapshot: (...args: unknown[]) => as<AuthSnapshot>(call(IPC.getAuthSnapshot, args)),
    getScreenOptions: (...args: unknown[]) => as<ScreenOptions>(call(IPC.getScreenOptions, args)),
    startAuth: (...args: [StartAuthRequest, ...unknown[]]) => done(call(IPC.startAuth, args)),
    answer: (...args: [AnswerRequest, ...unknown[]]) => done(call(IPC.answer, args)),
    cancelAuth: (...args: unknown[]) => done(call(IPC.cancelAuth, args)),
    powerAction: (...args: [PowerActionRequest, ...unknown[]]) => done(call(IPC.powerAction, args)),
    startAssistiveTool: (...args: [AssistiveToolRequest, ...unknown[]]) =>
      done(call(IPC.startAssistiveTool, args)),
    setKeyboardLayout: (...args: [KeyboardLayoutRequest, ...unknown[]]) =>
      done(call(IPC.setKeyboardLayout, args)),
    onAuthSnapshot: (listener: (snapshot: AuthSnapshot) => void) => {
      if (typeof listener !== 'function') throw new TypeError('onAuthSnapshot needs a function');
      return guarded(transport.subscribe.bind(transport), listener);
    },
    getKeySnapshot: (...args: unknown[]) => as<SecurityKeySnapshot>(call(IPC.getKeySnapshot, args)),
    answerKeyPin: (...args: [KeyPinRequest, ...unknown[]]) => done(call(IPC.answerKeyPin, args)),
    cancelKey: (...args: unknown[]) => done(call(IPC.cancelKey, args)),
    onKeySnapshot: (listener: (snapshot: SecurityKeySnapshot) => void) => {
      if (typeof listener !== 'function') throw new TypeError('onKeySnapshot needs a function');
      return guarded(transport.subscribeKey.bind(transport), listener);
    },
    getSsoSnapshot: (...args: unknown[]) => as<SsoSnapshot>(call(IPC.getSsoSnapshot, args)),
    startSso: (...args: [StartSsoRequest, ...unknown[]]) => done(call(IPC.startSso, args)),
    cancelSso: (...args: unknown[]) => done(call(IPC.cancelSso, args)),
    onSsoSnapshot: (listener: (snapshot: SsoSnapshot) => void) => {
      if (typeof listener !== 'function') throw new TypeError('onSsoSnapshot needs a function');
      return guarded(transport.subscribeSso.bind(transport), listener);
    },
  };
  return Object.freeze(api);
}

/** The parts of Electron's ipcRenderer the preload uses. */
export type PreloadIpcRenderer = Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>;

export function ipcTransport(ipc: PreloadIpcRenderer): BastionTransport {
  return {
    invoke: (channel, args) => ipc.invoke(channel, ...args),
    subscribe: (listener) => {
      // Drops the event object: only the snapshot crosses into the page.
      const wrapper = (_event: IpcRendererEvent, snapshot: AuthSnapshot): void =>
        listener(snapshot);
      ipc.on(IPC.authSnapshot, wrapper);
      return () => {
        ipc.removeListener(IPC.authSnapshot, wrapper);
      };
    },
    subscribeKey: (listener) => {
      const wrapper = (_event: IpcRendererEvent, snapshot: SecurityKeySnapshot): void =>
        listener(snapshot);
      ipc.on(IPC.keySnapshot, wrapper);
      return () => {
        ipc.removeListener(IPC.keySnapshot, wrapper);
      };
    },
    subscribeSso: (listener) => {
      const wrapper = (_event: IpcRendererEvent, snapshot: SsoSnapshot): void => listener(snapshot);
      ipc.on(IPC.ssoSnapshot, wrapper);
      return () => {
        ipc.removeListener(IPC.ssoSnapshot, wrapper);
      };
    },
  };
}
