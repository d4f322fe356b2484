// Runs authentication attempts, one at a time, through an AuthTransport (./transport: the PAM
// helper, LightDM or greetd) and publishes `AuthSnapshot`s built by the pure reducer of
// ./machine.
//
// Main mirrors the PAM side's lockouts (for the countdown, and persisted so a restarted
// greeter still shows it) and throttles its own retries. Neither can open a session: only
// the carrier's explicit success outcome leads to `success`.
import type { AuthMessage, AuthPrompt, AuthSnapshot, SecurityKeySnapshot } from '../../preload/api';
import { SECURITY_KEY_OFF } from '../../preload/api';
import { helperTransport } from './helper-transport';
import { PAM_U2F_PIN_PROMPT } from './pam-u2f';
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

export { PAM_U2F_PIN_PROMPT } from './pam-u2f';

/** Key conversation ends that are not a refusal (main/auth/method-route.ts). */
const QUIET_KEY_ENDS: ReadonlySet<string> = new Set(['KEY_PREEMPTED', 'KEY_NO_METHOD_CHOICE']);

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
  /**
   * The security key's carrier: the helper with the key service (`bastion-greeter-u2f`), run
   * beside the password conversation, first explicit success wins. Under LightDM and greetd
   * (one conversation at a time) both come from main/auth/method-route.ts, which takes turns
   * on the display manager. Null or unset: no key.
   */
  keyTransport?: AuthTransport | null;
  /**
   * Whether to start the key transaction for this attempt: the site enables keys and a FIDO
   * key is plugged in (listed, never touched). Unset: always, when `keyTransport` is set.
   */
  keyReady?: () => Promise<boolean>;
  /**
   * The plugged key's PIN retries, read without a touch and without a PIN (clientPIN
   * getRetries), or null when unknown (several keys, no access). Asked only while pam_u2f
   * waits for the PIN or after it refused one, never while it talks to the key.
   */
  keyPinRetries?: () => Promise<number | null>;
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
  // The key side: its own conversation, never the password's (answers are routed by which
  // conversation asked, not by prompt text).
  private keyState: SecurityKeySnapshot = SECURITY_KEY_OFF;
  private readonly keyListeners = new Set<(snapshot: SecurityKeySnapshot) => void>();
  private keyConversation: AuthConversation | null = null;
  private keyUser: string | null = null;
  private keyRunning: Promise<void> | null = null;
  /** Bumped by every key start or cancel: a late `keyReady` answer for an old one is dropped. */
  private keyGeneration = 0;
  /** The key transactions we ended ourselves (password won, "use password", close). */
  private readonly keyCancelledByUs = new WeakSet<AuthConversation>();
  private keyPinSent = false;
  /** "Use password instead" was chosen for this user: no new key transaction for them. */
  private keyDeclinedFor: string | null = null;
  /** The attempt was won by the key: the password side's end is not a failure. */
  private wonByKey = false;

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
    this.wonByKey = false;
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
    void this.startKey(user);
  }

  /** The key side's state, for the screen. */
  keySnapshot(): SecurityKeySnapshot {
    return this.keyState;
  }

  subscribeKey(listener: (snapshot: SecurityKeySnapshot) => void): () => void {
    this.keyListeners.add(listener);
    return () => this.keyListeners.delete(listener);
  }

  /**
   * Answers the key conversation's PIN prompt with what the person typed into the key's own
   * PIN field. The only way anything reaches the key conversation: `answer()` (the password
   * field) never does.
   */
  answerKeyPin(pin: string): void {
    const conversation = this.keyConversation;
    if (!conversation || this.keyState.phase !== 'pin') {
      throw new AuthControllerError('NOT_PROMPTING', 'the security key is not asking for a PIN');
    }
    try {
      conversation.answer(pin);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') {
        throw new AuthControllerError('ANSWER_REJECTED', `PIN refused (${code})`);
      }
      throw error;
    }
    this.keyPinSent = true;
    this.setKey({ ...this.keyState, phase: 'checking', pinPrompt: null, problem: null });
  }

  /**
   * "Use password instead": ends the key transaction (if any) and starts none for this user
   * until another user is chosen. The password conversation is not touched.
   */
  async cancelKey(): Promise<void> {
    this.keyDeclinedFor = this.keyUser ?? this.state.user;
    await this.stopKey();
    this.setKey(SECURITY_KEY_OFF);
  }

  /** Settles when the key transaction (if any) has ended. */
  async keyIdle(): Promise<void> {
    await this.keyRunning;
  }

  /** Answers the open prompt. Throws AuthControllerError without sending on misuse. */
  answer(text: string, options: { verbatim?: boolean } = {}): void {
    const transaction = this.transaction;
    const prompt = this.openPrompts[0];
    if (!transaction || this.state.phase !== 'prompting' || !prompt) {
      throw new AuthControllerError('NOT_PROMPTING', 'there is no prompt to answer');
    }
    // `verbatim`: an SSO access token (main/ipc/sso-signin.ts) is never an `OFFLINE:` answer.
    const payload =
      prompt.secret && this.offlinePrefix && options.verbatim !== true
        ? OFFLINE_ANSWER_PREFIX + text
        : text;
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
    await Promise.all([running, this.stopKey()]);
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

  private setKey(next: SecurityKeySnapshot): void {
    if (this.closed && next.phase !== 'off') return;
    this.keyState = next;
    for (const listener of this.keyListeners) {
      try {
        listener(next);
      } catch (error) {
        this.log(`key snapshot listener failed: ${(error as Error).message}`);
      }
    }
  }

  /** Ends the running key transaction as ours (not a refusal) and waits for it. */
  private async stopKey(): Promise<void> {
    this.keyGeneration += 1;
    const conversation = this.keyConversation;
    if (conversation) {
      this.keyCancelledByUs.add(conversation);
      conversation.cancel();
    }
    await this.keyRunning;
  }

  private async readPinRetries(): Promise<number | null> {
    if (!this.options.keyPinRetries) return null;
    try {
      return await this.options.keyPinRetries();
    } catch (error) {
      this.log(`key PIN retries not read: ${(error as Error).message}`);
      return null;
    }
  }

  /**
   * Starts the key transaction beside the password one when the site and the hardware allow.
   * One runs at a time: a retry of the password for the same user keeps the running one.
   */
  private async startKey(user: string): Promise<void> {
    const keyTransport = this.options.keyTransport;
    if (!keyTransport || this.closed) return;
    // The key's success must be the carrier's own: a helper key beside a display manager's
    // password would "succeed" where the display manager authenticated nobody.
    if (keyTransport.kind !== this.transport.kind) {
      this.log(`security key: a ${keyTransport.kind} key side beside ${this.transport.kind}: off`);
      return;
    }
    if (this.keyConversation && this.keyUser === user) return;
    if (this.keyDeclinedFor !== null && this.keyDeclinedFor !== user) this.keyDeclinedFor = null;
    if (this.keyDeclinedFor === user) return;
    await this.stopKey(); // another user's
    const generation = ++this.keyGeneration;
    let ready = true;
    try {
      ready = this.options.keyReady ? await this.options.keyReady() : true;
    } catch (error) {
      this.log(`security key readiness unknown: ${(error as Error).message}`);
      ready = false;
    }
    if (!ready || generation !== this.keyGeneration || this.closed) {
      if (generation === this.keyGeneration) this.setKey(SECURITY_KEY_OFF);
      return;
    }
    // The password may have won meanwhile.
    if (this.state.phase === 'success' || this.state.user !== user) return;
    const conversation = keyTransport.begin(user);
    this.keyConversation = conversation;
    this.keyUser = user;
    this.keyPinSent = false;
    this.setKey({ ...SECURITY_KEY_OFF, phase: 'waiting' });
    this.keyRunning = this.followKey(user, conversation)
      .catch((error: unknown) => {
        conversation.cancel();
        this.log(`key attempt for ${user}: internal error (${(error as Error).name})`);
        this.setKey({ ...SECURITY_KEY_OFF, phase: 'refused', problem: 'unavailable' });
      })
      .finally(() => {
        if (this.keyConversation === conversation) {
          this.keyConversation = null;
          this.keyUser = null;
          this.keyRunning = null;
        }
      });
  }

  private async followKey(user: string, conversation: AuthConversation): Promise<void> {
    let outcome: ConversationOutcome | null = null;
    let blocked = false;
    // Whether the key was used: pam_u2f's cue (the shipped stack sets `cue`; it comes right
    // before pam_u2f waits for the touch) or a PIN sent to it.
    let cued = false;
    for await (const event of conversation.events()) {
      switch (event.type) {
        case 'prompt': {
          if (!event.secret) {
            // pam_u2f's `interactive` / `manual` modes ask for visible input: not a thing a
            // login screen can answer safely. Ended, the password stays.
            this.log('key conversation: a visible prompt (pam_u2f interactive/manual?), ended');
            this.keyCancelledByUs.add(conversation);
            conversation.cancel();
            break;
          }
          if (event.text !== PAM_U2F_PIN_PROMPT) {
            // Not pam_u2f's PIN prompt (a missing or edited key service running a password
            // module): the key's PIN field must not answer it. Ended, the password stays.
            this.log(
              "key conversation: a masked prompt that is not pam_u2f's PIN prompt " +
                '(check /etc/pam.d/bastion-greeter-u2f), ended',
            );
            this.keyCancelledByUs.add(conversation);
            conversation.cancel();
            break;
          }
          // pam_u2f waits for the PIN and does not talk to the key now: its retries can be read.
          const retries = await this.readPinRetries();
          if (retries === 0) {
            // A blocked PIN: sending one could only fail; the person is told, no PIN is sent.
            blocked = true;
            conversation.cancel();
            break;
          }
          this.setKey({
            phase: 'pin',
            pinPrompt: event.text,
            pinRetries: retries,
            problem: this.keyPinSent ? 'pin-wrong' : null,
          });
          break;
        }
        case 'info':
        case 'error': {
          const message = parsePamText(event.type, event.text, {
            ...(this.options.touchCues ? { touchCues: this.options.touchCues } : {}),
          });
          if (message.kind === 'touch') {
            cued = true;
            this.setKey({ ...this.keyState, phase: 'touch' });
          }
          break;
        }
        case 'result':
          outcome = event.outcome;
          break;
      }
    }
    if (!outcome) return;
    if (!outcome.ok && outcome.kind === 'client-error' && QUIET_KEY_ENDS.has(outcome.error.code)) {
      // The display manager's one conversation went to the password, or cannot reach the key
      // (main/auth/method-route.ts): the key side steps aside, nothing was refused.
      this.log(`key attempt for ${user}: ${outcome.error.code} (${outcome.error.message})`);
      this.setKey(SECURITY_KEY_OFF);
      return;
    }
    if (outcome.ok && (cued || this.keyPinSent)) {
      await this.keyWon(user, conversation.transport);
      return;
    }
    if (outcome.ok && !this.keyCancelledByUs.has(conversation)) {
      // pam_u2f said yes without asking for a touch or a PIN: `alwaysok` or `nouserok` (or a
      // stack without pam_u2f, or without `cue`). No sign the key was used: no login.
      this.log(
        `key attempt for ${user}: success without pam_u2f's touch cue or a PIN, refused ` +
          '(alwaysok/nouserok, or no `cue`, in /etc/pam.d/bastion-greeter-u2f?)',
      );
      this.setKey({ phase: 'refused', pinPrompt: null, pinRetries: null, problem: 'unavailable' });
      return;
    }
    if (outcome.ok || this.keyCancelledByUs.has(conversation)) {
      this.setKey(SECURITY_KEY_OFF);
      return;
    }
    let problem: SecurityKeySnapshot['problem'] = 'refused';
    let pinRetries: number | null = null;
    if (blocked) problem = 'pin-blocked';
    else if (outcome.kind === 'client-error' || outcome.result.stage === 'helper') {
      problem = 'unavailable';
    } else if (this.keyPinSent) {
      pinRetries = await this.readPinRetries();
      problem = pinRetries === 0 ? 'pin-blocked' : 'pin-wrong';
    }
    this.log(
      `key attempt for ${user} via ${conversation.transport ?? 'no helper'}: ${problem}` +
        (outcome.kind === 'client-error'
          ? ` (${outcome.error.code})`
          : ` (${outcome.result.name})`),
    );
    this.setKey({ phase: 'refused', pinPrompt: null, pinRetries, problem });
  }

  /** The key's explicit success: the password transaction is cancelled, the attempt succeeds. */
  private async keyWon(user: string, transport: string | null): Promise<void> {
    // Both said yes at once and the password's success is already shown.
    if (this.state.phase === 'success' && this.state.user === user) {
      this.setKey({ ...SECURITY_KEY_OFF, phase: 'success' });
      return;
    }
    this.wonByKey = true;
    this.transaction?.cancel();
    this.setKey({ ...SECURITY_KEY_OFF, phase: 'success' });
    // The password attempt may have ended (a wrong password, then the touch): a new one.
    if (!isRunning(this.state) || this.state.user !== user) {
      this.dispatch({ type: 'started', user });
    }
    this.consecutiveFailures = 0;
    this.dispatch({ type: 'succeeded', offlineValidUntil: null });
    this.dispatch({ type: 'throttle', throttledUntil: null });
    this.log(`attempt for ${user} via ${transport} (security key): success`);
  }

  private async follow(user: string, transaction: AuthConversation): Promise<void> {
    const messages: AuthMessage[] = [];
    let outcome: ConversationOutcome | null = null;
    let keyPinAsked = false;
    for await (const event of transaction.events()) {
      switch (event.type) {
        case 'prompt': {
          if (event.secret && event.text === PAM_U2F_PIN_PROMPT) {
            // pam_u2f runs on the PASSWORD conversation (a stack with pam_u2f +pin where the
            // password is asked): whatever the password field holds must never reach a key's
            // PIN prompt (each wrong one spends a try, 8 block the key). Ended unanswered.
            keyPinAsked = true;
            this.log(
              `attempt for ${user}: pam_u2f's PIN prompt on the password conversation, not ` +
                'answered (its stack runs pam_u2f with a PIN there; README "Touch or type")',
            );
            transaction.cancel();
            break;
          }
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
    // The key won and cancelled us: that cancel is not a failure of the attempt.
    if (this.wonByKey) return;
    if (keyPinAsked && !outcome.ok) {
      outcome = {
        ok: false,
        kind: 'client-error',
        error: {
          code: 'KEY_PIN_ON_PASSWORD_SIDE',
          message: "pam_u2f's PIN prompt on the password conversation",
        },
        result: null,
      };
    }
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
      // The password won: the key transaction is cancelled (its end is not a refusal).
      await this.stopKey();
      if (this.wonByKey) return;
      this.setKey(SECURITY_KEY_OFF);
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
