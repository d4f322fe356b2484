// Small selectors: each component subscribes to the few values it renders.
import type { AuthPrompt } from '../../preload/api';
import type { GreeterState } from './state';

/** The PAM prompt waiting for the person, or null when none is (or it was just answered). */
export function selectOpenPrompt(state: GreeterState): AuthPrompt | null {
  const { phase, prompt } = state.snapshot;
  return phase === 'prompting' && !state.promptAnswered ? prompt : null;
}

/** An attempt is running: the PAM stack is working or waiting for us. */
export function selectAttemptActive(state: GreeterState): boolean {
  const phase = state.snapshot.phase;
  return phase === 'authenticating' || phase === 'prompting';
}

/** Main is working and nothing is asked of the person right now. */
export function selectBusy(state: GreeterState): boolean {
  return selectAttemptActive(state) && selectOpenPrompt(state) === null;
}

export const selectPhase = (state: GreeterState) => state.snapshot.phase;
export const selectMessages = (state: GreeterState) => state.snapshot.messages;
export const selectFailure = (state: GreeterState) => state.snapshot.failure;
export const selectLockedUntil = (state: GreeterState) => state.snapshot.lockedUntil;
export const selectThrottledUntil = (state: GreeterState) => state.snapshot.throttledUntil;
export const selectOfflineValidUntil = (state: GreeterState) => state.snapshot.offlineValidUntil;
export const selectSnapshotUser = (state: GreeterState) => state.snapshot.user;
export const selectRequestFailed = (state: GreeterState) => state.requestFailed;
export const selectInfo = (state: GreeterState) => state.info;

/**
 * Main believes the SSO portal is unreachable: live from the snapshot, which main pushes on
 * every change; `info.offline` only until the first snapshot has arrived.
 */
export function selectOffline(state: GreeterState): boolean {
  if (state.snapshotReceived) return state.snapshot.offline;
  return state.info?.offline ?? false;
}
export const selectStartup = (state: GreeterState) => state.startup;

export const selectScreen = (state: GreeterState) => state.screen;
export const selectNoticeAcknowledged = (state: GreeterState) => state.noticeAcknowledged;
export const selectChosenUser = (state: GreeterState) => state.chosenUser;
export const selectOtherUser = (state: GreeterState) => state.otherUser;
export const selectSession = (state: GreeterState) => state.session;

/** The security key's side of the attempt. */
export const selectKey = (state: GreeterState) => state.key;
/** Main's first snapshot has arrived (before it, the idle snapshot is a placeholder). */
export const selectSnapshotReceived = (state: GreeterState) => state.snapshotReceived;

/** The SSO sign-in's state ("Sign in with SSO", the QR code, the portal view). */
export const selectSso = (state: GreeterState) => state.sso;
