// The trusted side of the renderer contract, without Electron: app/ (ipcMain) and dev/ (the
// loopback bridge of the Chromium fallback) both forward raw, untrusted payloads here.
import type { AuthSnapshot, BastionApi, SecurityKeySnapshot, SsoSnapshot } from '../../preload/api';

/** Names of the request/response calls of `BastionApi` (events are separate). */
export type BackendCall = Exclude<
  keyof BastionApi,
  'onAuthSnapshot' | 'onKeySnapshot' | 'onSsoSnapshot'
>;

export interface GreeterBackend {
  /**
   * Validates `payload` for `call` (schema per call) and runs it. Rejects with an
   * `IpcValidationError` for an unknown call or a payload of the wrong shape, and changes
   * nothing in that case.
   */
  handle(call: string, payload: unknown): Promise<unknown>;
  /** Subscribes to auth snapshots; returns the unsubscribe function. */
  subscribe(listener: (snapshot: AuthSnapshot) => void): () => void;
  /** Subscribes to the security key's snapshots; returns the unsubscribe function. */
  subscribeKey(listener: (snapshot: SecurityKeySnapshot) => void): () => void;
  /**
   * Subscribes to the SSO sign-in's snapshots; returns the unsubscribe function. Optional:
   * a backend without it (test stand-ins) offers no SSO sign-in.
   */
  subscribeSso?(listener: (snapshot: SsoSnapshot) => void): () => void;
  /** Cancels any running attempt and releases resources. */
  close(): Promise<void>;
}
