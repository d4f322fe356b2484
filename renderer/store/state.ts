// The greeter's UI state and its pure reducers. Secrets never enter this state: a typed
// password lives only in the form component until it is handed to `answer`.
import type {
  AuthSnapshot,
  GreeterInfo,
  ScreenOptions,
  SecurityKeySnapshot,
  SsoSnapshot,
} from '../../preload/api';
import { SECURITY_KEY_OFF, SSO_OFF } from '../../preload/api';

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
  /** Sessions, user list and site policy (main sends them once); null until they arrive. */
  screen: ScreenOptions | null;
  /** The site's legal notice has been acknowledged (or there is none). */
  noticeAcknowledged: boolean;
  /** The user picked in the list; null with none picked. */
  chosenUser: string | null;
  /** "Other user…" was picked: the name is typed. */
  otherUser: boolean;
  /** The desktop session selected in the chooser; null when none is offered. */
  session: string | null;
  /** The security key's side of the attempt (main pushes it on its own channel). */
  key: SecurityKeySnapshot;
  /** A pushed key snapshot is always newer than the one fetched at start-up. */
  keyPushedSeen: boolean;
  /** "Sign in with SSO" (main pushes it on its own channel; never a token). */
  sso: SsoSnapshot;
  ssoPushedSeen: boolean;
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
    screen: null,
    noticeAcknowledged: false,
    chosenUser: null,
    otherUser: false,
    session: null,
    key: SECURITY_KEY_OFF,
    keyPushedSeen: false,
    sso: SSO_OFF,
    ssoPushedSeen: false,
  };
}

/** Screen options arrived: preselect the remembered user and the default session. */
export function withScreen(state: GreeterState, screen: ScreenOptions): GreeterState {
  const listed = screen.users?.some((user) => user.name === screen.lastUser) ?? false;
  return {
    ...state,
    screen,
    noticeAcknowledged: screen.notice === null,
    chosenUser: listed ? screen.lastUser : null,
    session: screen.defaultSession,
  };
}

export function withNoticeAcknowledged(state: GreeterState): GreeterState {
  return { ...state, noticeAcknowledged: true };
}

/** A user picked in the list (their last session comes with them), or null for "Other user…". */
export function withChosenUser(state: GreeterState, name: string | null): GreeterState {
  if (name === null) return { ...state, chosenUser: null, otherUser: true };
  const user = state.screen?.users?.find((u) => u.name === name);
  if (user === undefined) return state;
  return { ...state, chosenUser: name, otherUser: false, session: user.session ?? state.session };
}

/** Back to the whole user list ("Choose another account"). */
export function withUserListShown(state: GreeterState): GreeterState {
  return { ...state, chosenUser: null, otherUser: false };
}

export function withSession(state: GreeterState, id: string): GreeterState {
  return state.screen?.sessions.some((s) => s.id === id) ? { ...state, session: id } : state;
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

export function withPushedKeySnapshot(state: GreeterState, key: SecurityKeySnapshot): GreeterState {
  return { ...state, key, keyPushedSeen: true };
}

/** The start-up fetch may resolve after a push; then the push wins. */
export function withFetchedKeySnapshot(
  state: GreeterState,
  key: SecurityKeySnapshot,
): GreeterState {
  return state.keyPushedSeen ? state : { ...state, key };
}

export function withPushedSsoSnapshot(state: GreeterState, sso: SsoSnapshot): GreeterState {
  return { ...state, sso, ssoPushedSeen: true };
}

/** The start-up fetch may resolve after a push; then the push wins. */
export function withFetchedSsoSnapshot(state: GreeterState, sso: SsoSnapshot): GreeterState {
  return state.ssoPushedSeen ? state : { ...state, sso };
}
