// Runs authentication attempts, one at a time, through an AuthTransport (./transport: the PAM
// helper, LightDM or greetd) and publishes `AuthSnapshot`s built by the pure reducer of
// ./machine.
//
// Main mirrors the PAM side's lockouts (for the countdown, and persisted so a restarted
// greeter still shows it) and throttles its own retries. Neither can open a session: only
// the carrier's explicit success outcome leads to `success`.
import type { AuthMessage, AuthPrompt, AuthSnapshot } from '../../preload/api';
import { helperTransport } from './helper-transport';
import type { AuthConversation, AuthTransport, ConversationOutcome } from './transport';
import { parsePamText, describeOfflineError } from './conversation';
import { LIMITS } from '../offline/limits';
import { failureFromOutcome } from './failure';
import { systemClock, type Clock, type LockoutStore } from './lockout-store';
import {
  authReducer,
  COUNTED_FAILURES,
  DEFAULT_THROTTLE,
  INITIAL_SNAPSHOT,
  isRunning,
  throttleDelayMs,
  type AuthEvent,
  type ThrottlePolicy,
} from './machine';

/** Prepended to secret answers for pam_openbastion in offline mode (REFERENCES.md). */
export const OFFLINE_ANSWER_PREFIX = 'OFFLINE:';

export type AuthControllerErrorCode =
  | 'BUSY' // an attempt is already running
  | 'NOT_PROMPTING' // answer() while no prompt is open
  | 'ANSWER_REJECTED' // the client refused the answer (size/NUL after the prefix)
  | 'CLOSED';

export class AuthControllerError extends Error {
  readonly code: AuthControllerErrorCode;
  constructor(code: AuthControllerErrorCode, message: string) {
    super(message);
    this.name = 'AuthControllerError';
    this.code = code;
  }
}

export interface AuthControllerOptions {
  /**
   * What carries the conversations (LightDM, greetd). Unset: the PAM helper, from
   * `helperPath`, `socketPath`, `service`, `helperEnv` and `deadlineMs` below.
   */
  transport?: AuthTransport;
  /** Absolute path of bastion-pam-helper (setuid; the fallback when the socket is absent). */
  helperPath: string;
  /**
   * Socket of the socket-activated helper (`/run/bastion-pam-helper.sock` when installed),
   * tried first; null or unset: the setuid helper only. See PamTransactionOptions.socketPath.
   */
  socketPath?: string | null;
  /** PAM service passed to the helper (`bastion-greeter`). */
  service: string;
  /** The helper's environment (tests: pam_wrapper's); empty by default. */
  helperEnv?: Record<string, string>;
  /** Deadline of one attempt, in ms. */
  deadlineMs?: number;
  clock?: Clock;
  /** Persisted lockout mirror; null keeps lockouts in memory only. */
  lockoutStore?: LockoutStore | null;
  /** Prefix secret answers with `OFFLINE:` (pam_openbastion sites in offline mode). */
  offlineAnswerPrefix?: boolean;
  /** Whether the portal is believed unreachable at start (`AuthSnapshot.offline`). */
  offline?: boolean;
  throttle?: ThrottlePolicy;
  /** Cue texts meaning "touch your key" (pam_u2f `cue_prompt=`). */
  touchCues?: readonly string[];
  /** Whose lockout to show at start (the unlock screen's user); null shows the latest one. */
  initialUser?: string | null;
  /** Diagnostic lines (never answers or secrets). */
  log?: (line: string) => void;
}

export class AuthController {
  private state: AuthSnapshot = INITIAL_SNAPSHOT;
  private readonly listeners = new Set<(snapshot: AuthSnapshot) => void>();
  private readonly clock: Clock;
  private readonly store: LockoutStore | null;
  private readonly memoryLockouts = new Map<string, number>();
  private readonly throttle: ThrottlePolicy;
  private readonly log: (line: string) => void;
  private readonly transport: AuthTransport;
  private transaction: AuthConversation | null = null;
  /** Prompts received and not answered yet, oldest first (the helper answers in order). */
  private openPrompts: AuthPrompt[] = [];
  private running: Promise<void> | null = null;
  private consecutiveFailures = 0;
  private offlinePrefix: boolean;
  private closed = false;
  private readonly pendingEvents: AuthEvent[] = [];
  private dispatching = false;

  constructor(private readonly options: AuthControllerOptions) {
    this.transport =
      options.transport ??
      helperTransport({
        helperPath: options.helperPath,
        socketPath: options.socketPath ?? null,
        service: options.service,
        env: options.helperEnv ?? {},
        ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      });
    this.clock = options.clock ?? systemClock;
    this.store = options.lockoutStore ?? null;
    this.throttle = options.throttle ?? DEFAULT_THROTTLE;
    this.log = options.log ?? (() => undefined);
    this.offlinePrefix = options.offlineAnswerPrefix ?? false;
    if (options.offline) this.state = { ...INITIAL_SNAPSHOT, offline: true };
    this.restoreLockout(options.initialUser ?? null);
  }

  snapshot(): AuthSnapshot {
    return this.state;
  }

  subscribe(listener: (snapshot: AuthSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Switches the `OFFLINE:` answer prefix (the online/offline monitor calls this). */
  setOfflineAnswerPrefix(enabled: boolean): void {
    this.offlinePrefix = enabled;
  }

  /**
   * Main's belief that the portal is unreachable (the monitor's verdict), published in the
   * snapshot. PAM evidence sets it too: see `follow`.
   */
  setOffline(offline: boolean): void {
    if (this.closed) return;
    this.dispatch({ type: 'offline', offline });
  }

  /**
   * Starts an attempt for `user`. Resolves once it is under way (or refused locally because
   * of throttling or a mirrored lockout); the outcome arrives as snapshots.
   */
  async start(user: string): Promise<void> {
    if (this.closed) throw new AuthControllerError('CLOSED', 'the controller is closed');
    if (this.running) throw new AuthControllerError('BUSY', 'an attempt is already running');
    const now = this.clock.now();
    if (this.state.throttledUntil !== null && this.state.throttledUntil > now) {
      this.dispatch({
        type: 'rejected',
        user,
        failure: { reason: 'throttled', pamCode: null, pamName: null },
        lockedUntil: null,
      });
      return;
    }
    // A mirrored lockout comes from the offline cache, which only binds the offline path:
    // while the portal is believed reachable the attempt goes to PAM, which stays the
    // authority (and answers with the remaining seconds if the lock still applies).
    const lockedUntil = this.state.offline ? this.lockedUntil(user) : null;
    if (lockedUntil !== null) {
      this.dispatch({
        type: 'rejected',
        user,
        failure: { reason: 'locked', pamCode: null, pamName: null },
        lockedUntil,
      });
      return;
    }
    this.dispatch({ type: 'started', user });
    this.openPrompts = [];
    const transaction = this.transport.begin(user);
    this.transaction = transaction;
    this.running = this.follow(user, transaction)
      .catch((error: unknown) => {
        // A bug of ours must not leave the screen spinning, nor look like a success.
        transaction.cancel();
        this.log(`attempt for ${user}: internal error (${(error as Error).name})`);
        this.dispatch({
          type: 'failed',
          failure: { reason: 'internal', pamCode: null, pamName: null },
          lockedUntil: null,
        });
      })
      .finally(() => {
        this.transaction = null;
        this.running = null;
        this.openPrompts = [];
      });
  }

  /** Answers the open prompt. Throws AuthControllerError without sending on misuse. */
  answer(text: string): void {
    const transaction = this.transaction;
    const prompt = this.openPrompts[0];
    if (!transaction || this.state.phase !== 'prompting' || !prompt) {
      throw new AuthControllerError('NOT_PROMPTING', 'there is no prompt to answer');
    }
    const payload = prompt.secret && this.offlinePrefix ? OFFLINE_ANSWER_PREFIX + text : text;
    try {
      transaction.answer(payload);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') {
        throw new AuthControllerError('ANSWER_REJECTED', `answer refused (${code})`);
      }
      throw error;
    }
    this.openPrompts.shift();
    this.dispatch({ type: 'answered', next: this.openPrompts[0] ?? null });
  }

  /** Cancels the running attempt (if any) and waits for it to end. */
  async cancel(): Promise<void> {
    const running = this.running;
    this.transaction?.cancel();
    await running;
  }

  /**
   * The display manager refused or failed to start the session after a success: the screen
   * says so and the form comes back (the person is not signed in to anything).
   */
  sessionStartFailed(): void {
    if (!this.closed) this.dispatch({ type: 'session-failed' });
  }

  /** Back to the idle screen after an ended attempt (keeps throttling). */
  reset(): void {
    if (!isRunning(this.state)) this.dispatch({ type: 'reset' });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.cancel();
    this.listeners.clear();
  }

  /** Settles when the running attempt (if any) has ended. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async follow(user: string, transaction: AuthConversation): Promise<void> {
    const messages: AuthMessage[] = [];
    let outcome: ConversationOutcome | null = null;
    for await (const event of transaction.events()) {
      switch (event.type) {
        case 'prompt': {
          const prompt = { secret: event.secret, text: event.text };
          this.openPrompts.push(prompt);
          if (this.openPrompts.length === 1) this.dispatch({ type: 'prompted', prompt });
          break;
        }
        case 'info':
        case 'error': {
          const message = parsePamText(event.type, event.text, {
            ...(this.options.touchCues ? { touchCues: this.options.touchCues } : {}),
          });
          messages.push(message);
          if (message.kind === 'offline-error') {
            const description = describeOfflineError(message.code);
            this.log(
              `offline cache: ${description.name} (${message.code}): ${description.happened}`,
            );
          }
          this.dispatch({ type: 'message', message });
          // PAM evidence: the stack took its offline path, so the portal was unreachable to
          // it. This holds until the monitor next reaches the portal (main/monitor).
          if (message.kind === 'offline-error' || message.kind === 'offline-ok') {
            if (!this.state.offline) this.log('the PAM stack took the offline path');
            this.dispatch({ type: 'offline', offline: true });
          }
          break;
        }
        case 'result':
          outcome = event.outcome;
          break;
      }
    }
    if (!outcome) return; // unreachable: events() always ends with a result
    await this.conclude(user, transaction.transport, outcome, messages);
  }

  private async conclude(
    user: string,
    transport: string | null,
    outcome: ConversationOutcome,
    messages: AuthMessage[],
  ): Promise<void> {
    const now = this.clock.now();
    if (outcome.ok) {
      this.consecutiveFailures = 0;
      const offlineOk = messages.filter((m) => m.kind === 'offline-ok').at(-1);
      this.dispatch({
        type: 'succeeded',
        offlineValidUntil: offlineOk?.kind === 'offline-ok' ? offlineOk.expiresAt : null,
      });
      this.dispatch({ type: 'throttle', throttledUntil: null });
      this.log(`attempt for ${user} via ${transport}: success`);
      const hadLockout = this.memoryLockouts.delete(user);
      if (hadLockout || (this.store !== null && this.store.lockedUntil(user) !== null)) {
        await this.persistLockout(user, null);
      }
      return;
    }
    const failure = failureFromOutcome(outcome, messages)!;
    this.log(
      `attempt for ${user} via ${transport ?? 'no helper'}: ${failure.reason}` +
        (outcome.kind === 'client-error'
          ? ` (${outcome.error.code}: ${outcome.error.message})`
          : ` (${failure.pamName})`),
    );
    let lockedUntil: number | null = null;
    if (failure.reason === 'locked') {
      const lock = messages.filter((m) => m.kind === 'offline-error' && m.name === 'LOCKED').at(-1);
      const seconds = lock?.kind === 'offline-error' ? lock.lockSeconds : null;
      // Bounded by the longest lockout the cache can be configured with.
      if (seconds !== null) {
        lockedUntil = now + Math.min(seconds, LIMITS.lockoutSeconds.max) * 1000;
      }
    }
    if (COUNTED_FAILURES.has(failure.reason)) this.consecutiveFailures += 1;
    const delay = throttleDelayMs(this.throttle, this.consecutiveFailures);
    this.dispatch({ type: 'failed', failure, lockedUntil });
    this.dispatch({ type: 'throttle', throttledUntil: delay > 0 ? now + delay : null });
    if (lockedUntil !== null) {
      this.memoryLockouts.set(user, lockedUntil);
      await this.persistLockout(user, lockedUntil);
    }
  }

  private lockedUntil(user: string): number | null {
    const now = this.clock.now();
    const memory = this.memoryLockouts.get(user);
    const stored = this.store?.lockedUntil(user) ?? null;
    const until = Math.max(memory ?? 0, stored ?? 0);
    return until > now ? until : null;
  }

  private restoreLockout(initialUser: string | null): void {
    if (!this.store) return;
    try {
      this.store.load();
    } catch (error) {
      // The PAM side still enforces the lock; only the countdown is lost.
      this.log(`lockout store not loaded: ${(error as Error).message}`);
      return;
    }
    // Only the unlock screen's own user: the login screen must not show who else is locked
    // out to whoever sits down (their countdown comes back with their next attempt).
    if (initialUser === null) return;
    const lockedUntil = this.store.lockedUntil(initialUser);
    if (lockedUntil === null) return;
    this.dispatch({
      type: 'rejected',
      user: initialUser,
      failure: { reason: 'locked', pamCode: null, pamName: null },
      lockedUntil,
    });
  }

  private async persistLockout(user: string, lockedUntil: number | null): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.set(user, lockedUntil);
    } catch (error) {
      this.log(`lockout store not written: ${(error as Error).message}`);
    }
  }

  /**
   * Applies events in order. A listener may call back into the controller (e.g. answer a
   * prompt from inside its callback): such events are queued, so every listener sees every
   * snapshot in the same order.
   */
  private dispatch(event: AuthEvent): void {
    this.pendingEvents.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.pendingEvents.shift(); next; next = this.pendingEvents.shift()) {
        const state = authReducer(this.state, next);
        if (state === this.state) continue;
        this.state = state;
        for (const listener of this.listeners) {
          try {
            listener(state);
          } catch (error) {
            this.log(`snapshot listener failed: ${(error as Error).message}`);
          }
        }
      }
    } finally {
      this.dispatching = false;
    }
  }
}
