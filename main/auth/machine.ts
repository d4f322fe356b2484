// The auth state machine: a pure reducer over events, producing the `AuthSnapshot`s the
// screens render (preload/api.ts).
//
//   idle ──started──▶ authenticating ◀──answered── prompting
//                        │   ▲──────prompted──────────▶│
//                        ▼                              ▼
//               success / failure / locked  (then `started` again, or `reset` to idle)
//
// Invalid transitions leave the state unchanged: the reducer never invents a success.
import type {
  AuthFailure,
  AuthFailureReason,
  AuthMessage,
  AuthPrompt,
  AuthSnapshot,
} from '../../preload/api';

export type AuthEvent =
  | { type: 'started'; user: string }
  | { type: 'prompted'; prompt: AuthPrompt }
  | { type: 'answered'; next: AuthPrompt | null }
  | { type: 'message'; message: AuthMessage }
  | { type: 'succeeded'; offlineValidUntil: number | null }
  | { type: 'failed'; failure: AuthFailure; lockedUntil: number | null }
  /** An attempt refused by main before it reached PAM (throttled, or a mirrored lockout). */
  | { type: 'rejected'; user: string; failure: AuthFailure; lockedUntil: number | null }
  | { type: 'throttle'; throttledUntil: number | null }
  /** Main's belief that the portal is unreachable changed (monitor or PAM evidence). */
  | { type: 'offline'; offline: boolean }
  /** After a success, the display manager did not start the session. */
  | { type: 'session-failed' }
  | { type: 'reset' };

export const INITIAL_SNAPSHOT: AuthSnapshot = Object.freeze({
  phase: 'idle',
  user: null,
  prompt: null,
  messages: [],
  failure: null,
  lockedUntil: null,
  throttledUntil: null,
  offlineValidUntil: null,
  offline: false,
});

const RUNNING = new Set<AuthSnapshot['phase']>(['authenticating', 'prompting']);

export function isRunning(state: AuthSnapshot): boolean {
  return RUNNING.has(state.phase);
}

function endPhase(failure: AuthFailure): AuthSnapshot['phase'] {
  return failure.reason === 'locked' ? 'locked' : 'failure';
}

export function authReducer(state: AuthSnapshot, event: AuthEvent): AuthSnapshot {
  switch (event.type) {
    case 'started':
      if (isRunning(state)) return state;
      return {
        ...INITIAL_SNAPSHOT,
        phase: 'authenticating',
        user: event.user,
        // Starting means the throttle (if any) has passed.
        throttledUntil: null,
        offline: state.offline,
      };
    case 'prompted':
      if (!isRunning(state)) return state;
      return { ...state, phase: 'prompting', prompt: event.prompt };
    case 'answered':
      if (state.phase !== 'prompting') return state;
      return event.next
        ? { ...state, prompt: event.next }
        : { ...state, phase: 'authenticating', prompt: null };
    case 'message':
      if (!isRunning(state)) return state;
      return { ...state, messages: [...state.messages, event.message] };
    case 'succeeded':
      if (!isRunning(state)) return state;
      return {
        ...state,
        phase: 'success',
        prompt: null,
        failure: null,
        lockedUntil: null,
        offlineValidUntil: event.offlineValidUntil,
      };
    case 'failed':
      if (!isRunning(state)) return state;
      return {
        ...state,
        phase: endPhase(event.failure),
        prompt: null,
        failure: event.failure,
        lockedUntil: event.lockedUntil,
        offlineValidUntil: null,
      };
    case 'rejected':
      if (isRunning(state)) return state;
      return {
        ...INITIAL_SNAPSHOT,
        phase: endPhase(event.failure),
        user: event.user,
        failure: event.failure,
        lockedUntil: event.lockedUntil,
        throttledUntil: state.throttledUntil,
        offline: state.offline,
      };
    case 'throttle':
      if (state.throttledUntil === event.throttledUntil) return state;
      return { ...state, throttledUntil: event.throttledUntil };
    case 'offline':
      // Any phase: the banner follows the portal, attempt or not.
      if (state.offline === event.offline) return state;
      return { ...state, offline: event.offline };
    case 'session-failed':
      if (state.phase !== 'success') return state;
      return {
        ...state,
        phase: 'failure',
        failure: { reason: 'session-failed', pamCode: null, pamName: null },
      };
    case 'reset':
      if (isRunning(state)) return state;
      return { ...INITIAL_SNAPSHOT, throttledUntil: state.throttledUntil, offline: state.offline };
  }
}

/** Main's own retry throttling, on top of whatever the PAM side does. */
export interface ThrottlePolicy {
  /** Consecutive counted failures after which each further attempt waits. */
  failuresBeforeDelay: number;
  /** Wait after reaching `failuresBeforeDelay`; doubles with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  failuresBeforeDelay: 3,
  baseDelayMs: 2_000,
  maxDelayMs: 60_000,
};

/** Delay before the next attempt after `consecutiveFailures` counted failures (0 = none). */
export function throttleDelayMs(policy: ThrottlePolicy, consecutiveFailures: number): number {
  if (consecutiveFailures < policy.failuresBeforeDelay) return 0;
  const doublings = Math.min(consecutiveFailures - policy.failuresBeforeDelay, 30);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

/**
 * Failures that count towards throttling: the ones a guesser causes. Cancels, timeouts and
 * an unavailable helper are not the person's doing and must not slow down the next try.
 */
export const COUNTED_FAILURES: ReadonlySet<AuthFailureReason> = new Set<AuthFailureReason>([
  'credentials',
  'account',
  'locked',
  'offline-cache',
  'refused',
  'new-password-required',
]);
