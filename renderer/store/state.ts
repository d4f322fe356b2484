// The greeter's UI state and its pure reducers. Secrets never enter this state: a typed
// password lives only in the form component until it is handed to `answer`.
import type { AuthSnapshot, GreeterInfo } from '../../preload/api';

export type StartupStatus = 'loading' | 'ready' | 'failed';

export interface GreeterState {
  info: GreeterInfo | null;
  startup: StartupStatus;
  snapshot: AuthSnapshot;
  /** A pushed snapshot is always newer than the one fetched at start-up. */
  pushedSnapshotSeen: boolean;
  /** Main's snapshot (fetched or pushed) has arrived; until then `snapshot` is IDLE_SNAPSHOT. */
  snapshotReceived: boolean;
  /**
   * We answered the open prompt and main has not pushed since. Main pushes only when its
   * state changes, so the next push is the answer's consequence: the next prompt (possibly
   * with the same text, e.g. a queued second prompt), `authenticating`, or the verdict.
   */
  promptAnswered: boolean;
  /** The last API call was rejected by main (validation, bridge gone). */
  requestFailed: boolean;
}

export const IDLE_SNAPSHOT: AuthSnapshot = Object.freeze({
  phase: 'idle',
  user: null,
  prompt: null,
  messages: [],
  failure: null,
  lockedUntil: null,
  throttledUntil: null,
  offlineValidUntil: null,
  offline: false,
}) as AuthSnapshot;

export function initialState(): GreeterState {
  return {
    info: null,
    startup: 'loading',
    snapshot: IDLE_SNAPSHOT,
    pushedSnapshotSeen: false,
    snapshotReceived: false,
    promptAnswered: false,
    requestFailed: false,
  };
}

export function withInfo(state: GreeterState, info: GreeterInfo): GreeterState {
  return { ...state, info, startup: 'ready' };
}

export function withStartupFailed(state: GreeterState): GreeterState {
  return { ...state, startup: 'failed' };
}

export function withPushedSnapshot(state: GreeterState, snapshot: AuthSnapshot): GreeterState {
  return {
    ...state,
    snapshot,
    pushedSnapshotSeen: true,
    snapshotReceived: true,
    promptAnswered: false,
  };
}

/** The start-up fetch may resolve after a push; then the push wins. */
export function withFetchedSnapshot(state: GreeterState, snapshot: AuthSnapshot): GreeterState {
  return state.pushedSnapshotSeen
    ? state
    : { ...state, snapshot, snapshotReceived: true, promptAnswered: false };
}

export function withAnswerSent(state: GreeterState): GreeterState {
  return { ...state, promptAnswered: true, requestFailed: false };
}

export function withRequestStarted(state: GreeterState): GreeterState {
  return state.requestFailed ? { ...state, requestFailed: false } : state;
}

/** A rejected call: show the error, and show the prompt again if the answer was the one lost. */
export function withRequestFailed(state: GreeterState): GreeterState {
  return { ...state, requestFailed: true, promptAnswered: false };
}
