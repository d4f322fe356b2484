// The greeter side of LightDM's pipe protocol: connect, hints, one PAM conversation at a time
// relayed as the AuthTransport of main/auth/transport.ts, session start, RESET and IDLE.
//
// Fail closed: the only success of a conversation is END_AUTHENTICATION with result 0 for
// its own sequence number (and, when a user was named, that same user). A malformed or
// unexpected message, a message that stalls half-written, the end of the pipes, SIGTERM, a
// RESET or our deadline end a running conversation as a client-error, never as a success;
// after a protocol error the connection is closed for good (`ended`), since a stream that
// lied once cannot be read any further.
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type {
  AuthConversation,
  AuthTransport,
  ConversationEvent,
  ConversationOutcome,
  SessionRequest,
  SessionStartOutcome,
} from '../../auth/transport';
import { ConversationEventQueue } from '../../auth/event-queue';
import {
  encodeAuthenticate,
  encodeCancel,
  encodeConnect,
  encodeContinue,
  encodeStartSession,
  LightdmCodecError,
  MAX_ANSWER_BYTES,
  MAX_GREETER_STRING_BYTES,
  PamStyle,
  ServerMessageDecoder,
  type PamMessage,
  type ServerMessage,
} from './codec';
import { readHints, type LightdmHints } from './hints';
import { pamCodeName } from './pam-codes';

export type LightdmClientErrorCode =
  | 'ENVIRONMENT_INVALID' // LIGHTDM_*_FD missing one of the two, not a number, or equal
  | 'CONNECT_TIMEOUT' // no CONNECTED within connectTimeoutMs
  | 'MALFORMED_MESSAGE' // the codec refused the stream (message carries the codec's code)
  | 'MESSAGE_TOO_LARGE' // LightDM cut a message over 1 KiB (a PAM text too long)
  | 'UNEXPECTED_MESSAGE' // a well-formed message out of place (order, sequence, user)
  | 'STALLED' // a message begun but not completed within stallTimeoutMs
  | 'CONNECTION_CLOSED' // the pipes ended or failed
  | 'TERMINATED' // SIGTERM from LightDM while this was running
  | 'RESET' // LightDM reset the greeter while this was running
  | 'TIMEOUT' // the conversation or the session start passed its deadline
  | 'CANCELLED' // cancel() was called
  | 'BUSY' // a conversation or session start already runs (LightDM has one PAM session)
  | 'INVALID_REQUEST' // a user or session name that cannot be sent
  | 'AUTOLOGIN_REFUSED' // the hints' autologin-user: LightDM would skip the password (hints.ts)
  | 'USER_CHANGED' // END_AUTHENTICATION named another user than the one asked for
  | 'NOT_AUTHENTICATED' // startSession() without a successful conversation first
  | 'SESSION_REFUSED' // SESSION_RESULT other than 0
  | 'ANSWER_TOO_LARGE'
  | 'ANSWER_HAS_NUL'
  | 'NO_PENDING_PROMPT' // answer() without an unanswered prompt
  | 'TRANSACTION_OVER'; // answer() after the outcome is known

export class LightdmClientError extends Error {
  readonly code: LightdmClientErrorCode;
  constructor(code: LightdmClientErrorCode, message: string) {
    super(message);
    this.name = 'LightdmClientError';
    this.code = code;
  }
}

/** Why the connection is over; `sessionStarted`: SESSION_RESULT 0 came first (the expected end). */
export interface LightdmEnd {
  reason: 'terminated' | 'closed' | 'protocol-error' | 'closed-by-us';
  sessionStarted: boolean;
  /** What broke, for 'protocol-error' (and 'closed' when it came mid-message). */
  error: LightdmClientError | null;
}

export interface LightdmGreeterOptions {
  /** LightDM → greeter (LIGHTDM_FROM_SERVER_FD). */
  input: Readable;
  /** Greeter → LightDM (LIGHTDM_TO_SERVER_FD). */
  output: Writable;
  /**
   * Resettable (default true): after a login LightDM keeps this greeter (IDLE) and reuses it
   * for the lock screen (RESET with lock-screen=true) instead of killing it and starting a
   * new one. Non-resettable greeters are SIGTERMed once the session is accepted.
   */
  resettable?: boolean;
  /** Sent in CONNECT, for LightDM's log. */
  version?: string;
  connectTimeoutMs?: number;
  /** One conversation, AUTHENTICATE to END_AUTHENTICATION (the helper's default: 120 s). */
  conversationDeadlineMs?: number;
  /** START_SESSION → SESSION_RESULT. */
  sessionTimeoutMs?: number;
  /** A message begun must be complete within this (LightDM writes each one at once). */
  stallTimeoutMs?: number;
  /** After SIGTERM: how long to keep reading for a SESSION_RESULT already on its way. */
  terminationDrainMs?: number;
  /**
   * Install a SIGTERM handler (default false; connectFromEnvironment: true). On SIGTERM the
   * client reads what LightDM already wrote, settles everything, resolves `ended` with reason
   * 'terminated', then calls `exitProcess(0)`: LightDM starts the session only once the
   * greeter process is gone, so a lingering greeter delays every login.
   */
  handleSigterm?: boolean;
  /** Called after a SIGTERM has been handled (default: process.exit). */
  exitProcess?: (code: number) => void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONVERSATION_DEADLINE_MS = 120_000;
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
export const DEFAULT_STALL_TIMEOUT_MS = 5_000;
export const DEFAULT_TERMINATION_DRAIN_MS = 300;

const SUCCESS = 0;
const FD_PATTERN = /^(0|[1-9][0-9]{0,6})$/;

/** LightDM's pipe numbers from the environment; null when this is not a LightDM greeter. */
export function lightdmPipesFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): { toServerFd: number; fromServerFd: number } | null {
  const to = env.LIGHTDM_TO_SERVER_FD;
  const from = env.LIGHTDM_FROM_SERVER_FD;
  if (to === undefined && from === undefined) return null;
  if (to === undefined || from === undefined || !FD_PATTERN.test(to) || !FD_PATTERN.test(from)) {
    throw new LightdmClientError(
      'ENVIRONMENT_INVALID',
      'LIGHTDM_TO_SERVER_FD and LIGHTDM_FROM_SERVER_FD must both be file descriptor numbers',
    );
  }
  if (to === from) {
    throw new LightdmClientError('ENVIRONMENT_INVALID', 'the two LightDM pipes are one fd');
  }
  return { toServerFd: Number(to), fromServerFd: Number(from) };
}

/** Connects over the pipes LightDM passed in the environment (see lightdmPipesFromEnvironment). */
export async function connectFromEnvironment(
  options: Omit<LightdmGreeterOptions, 'input' | 'output'> & {
    env?: Readonly<Record<string, string | undefined>>;
  } = {},
): Promise<LightdmGreeter> {
  const pipes = lightdmPipesFromEnvironment(options.env);
  if (!pipes) {
    throw new LightdmClientError('ENVIRONMENT_INVALID', 'no LIGHTDM_*_FD in the environment');
  }
  // net.Socket over a pipe fd: libuv reads it non-blocking on the event loop (fs streams would
  // park a thread-pool thread in a blocking read for the greeter's whole life).
  const input = new Socket({ fd: pipes.fromServerFd, readable: true, writable: false });
  const output = new Socket({ fd: pipes.toServerFd, readable: false, writable: true });
  return LightdmGreeter.connect({ handleSigterm: true, ...options, input, output });
}

type Listener<T> = (value: T) => void;

interface PendingSession {
  resolve: (outcome: SessionStartOutcome) => void;
  timer: NodeJS.Timeout;
}

/** A connected greeter. Create with LightdmGreeter.connect() or connectFromEnvironment(). */
export class LightdmGreeter {
  /** Resolves once, when the connection is over (see LightdmEnd). */
  readonly ended: Promise<LightdmEnd>;
  /** The carrier for main/auth: kind 'lightdm'. */
  readonly transport: AuthTransport;

  private readonly input: Readable;
  private readonly output: Writable;
  private readonly options: LightdmGreeterOptions;
  private readonly decoder = new ServerMessageDecoder();
  private state: 'connecting' | 'ready' | 'terminating' | 'ended' = 'connecting';
  private connected: ((message: ServerMessage) => void) | null = null;
  private currentHints: LightdmHints | null = null;
  private serverVersion = '';
  private serverApi = 0;
  private sequence = 0;
  private active: LightdmConversation | null = null;
  /** The user whose conversation succeeded last, until a session is requested or a reset. */
  private authenticatedUser: string | null = null;
  private pendingSession: PendingSession | null = null;
  private sessionStarted = false;
  private stallTimer: NodeJS.Timeout | null = null;
  private resolveEnded!: (end: LightdmEnd) => void;
  private readonly resetListeners = new Set<Listener<LightdmHints>>();
  private readonly idleListeners = new Set<Listener<void>>();
  private sigtermHandler: (() => void) | null = null;

  private constructor(options: LightdmGreeterOptions) {
    this.options = options;
    this.input = options.input;
    this.output = options.output;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.input.on('data', (chunk: Buffer) => this.onData(chunk));
    this.input.on('end', () => this.onInputEnd());
    this.input.on('close', () => this.onInputEnd());
    this.input.on('error', () => this.onInputEnd());
    this.output.on('error', () => this.onInputEnd());
    this.transport = {
      kind: 'lightdm',
      begin: (user: string): AuthConversation => this.begin(user),
      startSession: (session: SessionRequest): Promise<SessionStartOutcome> =>
        this.startSession(session.name),
      close: (): void => this.close(),
    };
  }

  /** Sends CONNECT and waits for CONNECTED(_V2). Throws LightdmClientError. */
  static connect(options: LightdmGreeterOptions): Promise<LightdmGreeter> {
    const greeter = new LightdmGreeter(options);
    return greeter.handshake();
  }

  /** The hints of the last CONNECTED or RESET. */
  get hints(): LightdmHints {
    return this.currentHints!;
  }

  /** LightDM's version string and the API version it answered with (1 for CONNECTED_V2). */
  get server(): { version: string; apiVersion: number } {
    return { version: this.serverVersion, apiVersion: this.serverApi };
  }

  /** RESET: LightDM reuses this (resettable) greeter, e.g. to unlock (hints.lockScreen). */
  onReset(listener: Listener<LightdmHints>): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** IDLE: the session started; a resettable greeter should hide until a RESET. */
  onIdle(listener: Listener<void>): () => void {
    this.idleListeners.add(listener);
    return () => this.idleListeners.delete(listener);
  }

  /**
   * SIGTERM from LightDM (called by the handler handleSigterm installs, or by the app's own):
   * drains what is already in the pipe for a pending START_SESSION, then ends everything.
   */
  handleTermination(): void {
    if (this.state === 'ended' || this.state === 'terminating') return;
    this.state = 'terminating';
    const finish = (): void =>
      this.end(
        { reason: 'terminated', sessionStarted: this.sessionStarted, error: null },
        new LightdmClientError('TERMINATED', 'LightDM stopped the greeter'),
      );
    if (!this.pendingSession) {
      finish();
      return;
    }
    const timer = setTimeout(
      finish,
      this.options.terminationDrainMs ?? DEFAULT_TERMINATION_DRAIN_MS,
    );
    void this.ended.then(() => clearTimeout(timer));
    const pending = this.pendingSession;
    const resolve = pending.resolve;
    pending.resolve = (outcome) => {
      resolve(outcome);
      finish();
    };
  }

  /** Closes the pipes; a running conversation ends as CONNECTION_CLOSED. */
  close(): void {
    this.end(
      { reason: 'closed-by-us', sessionStarted: this.sessionStarted, error: null },
      new LightdmClientError('CONNECTION_CLOSED', 'the greeter closed its connection'),
    );
  }

  // ---- conversations ----

  private begin(user: string): AuthConversation {
    const fail = (code: LightdmClientErrorCode, message: string): LightdmConversation =>
      LightdmConversation.failed(new LightdmClientError(code, message));
    if (this.state !== 'ready') return fail('CONNECTION_CLOSED', 'LightDM is not connected');
    if (this.active || this.pendingSession) {
      return fail('BUSY', 'LightDM runs one authentication at a time');
    }
    if (user.includes('\0') || Buffer.byteLength(user) > MAX_GREETER_STRING_BYTES) {
      return fail('INVALID_REQUEST', 'the user name cannot be sent');
    }
    const autologin = this.hints.autologin;
    if ((autologin.user !== null && autologin.user === user) || (autologin.guest && user === '')) {
      return fail(
        'AUTOLOGIN_REFUSED',
        'LightDM would log this account in without a password (autologin-user); refused',
      );
    }
    this.authenticatedUser = null;
    this.sequence = (this.sequence + 1) >>> 0;
    const conversation = new LightdmConversation(
      this,
      this.sequence,
      user,
      this.options.conversationDeadlineMs ?? DEFAULT_CONVERSATION_DEADLINE_MS,
    );
    this.active = conversation;
    this.send(encodeAuthenticate(this.sequence, user));
    return conversation;
  }

  /** @internal LightdmConversation → connection. */
  conversationEnded(conversation: LightdmConversation, succeededAs: string | null): void {
    if (this.active !== conversation) return;
    this.active = null;
    this.authenticatedUser = succeededAs;
  }

  /** @internal */
  send(message: Buffer, secret = false): void {
    if (this.output.destroyed || this.output.writableEnded || this.state === 'ended') {
      if (secret) message.fill(0);
      return;
    }
    this.output.write(message, () => {
      if (secret) message.fill(0);
    });
  }

  private startSession(name: string): Promise<SessionStartOutcome> {
    const refuse = (code: LightdmClientErrorCode, message: string): Promise<SessionStartOutcome> =>
      Promise.resolve({ ok: false, error: new LightdmClientError(code, message) });
    if (this.state !== 'ready') return refuse('CONNECTION_CLOSED', 'LightDM is not connected');
    if (this.pendingSession || this.active) return refuse('BUSY', 'a request is already running');
    if (this.authenticatedUser === null) {
      return refuse('NOT_AUTHENTICATED', 'no successful authentication to start a session for');
    }
    let message: Buffer;
    try {
      message = encodeStartSession(name);
    } catch (error) {
      return refuse('INVALID_REQUEST', `session name: ${(error as Error).message}`);
    }
    this.authenticatedUser = null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingSession = null;
        resolve({
          ok: false,
          error: new LightdmClientError('TIMEOUT', 'no SESSION_RESULT in time'),
        });
      }, this.options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS);
      this.pendingSession = { resolve, timer };
      this.send(message);
    });
  }

  private settleSession(outcome: SessionStartOutcome): void {
    const pending = this.pendingSession;
    if (!pending) return;
    this.pendingSession = null;
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  // ---- the stream ----

  private handshake(): Promise<LightdmGreeter> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new LightdmClientError(
          'CONNECT_TIMEOUT',
          'no CONNECTED from LightDM in time',
        );
        this.end({ reason: 'protocol-error', sessionStarted: false, error }, error);
        reject(error);
      }, this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
      void this.ended.then((end) => {
        clearTimeout(timer);
        if (this.currentHints === null) {
          reject(
            end.error ?? new LightdmClientError('CONNECTION_CLOSED', 'LightDM closed the pipes'),
          );
        }
      });
      this.connected = (message) => {
        if (message.type !== 'connected') return;
        clearTimeout(timer);
        this.serverVersion = message.version;
        this.serverApi = message.apiVersion;
        this.currentHints = readHints(message.hints);
        this.state = 'ready';
        resolve(this);
      };
      if (this.options.handleSigterm) {
        this.sigtermHandler = () => this.handleTermination();
        process.on('SIGTERM', this.sigtermHandler);
      }
      try {
        this.send(
          encodeConnect(this.options.version ?? 'bastion-greeter', this.options.resettable ?? true),
        );
      } catch (error) {
        reject(error);
      }
    });
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'ended') return;
    let messages: readonly ServerMessage[];
    let fault: LightdmCodecError | null = null;
    try {
      messages = this.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof LightdmCodecError)) throw error;
      messages = error.messagesBefore;
      fault = error;
    }
    for (const message of messages) {
      if (this.isEnded()) return;
      this.onMessage(message);
    }
    if (fault) {
      this.protocolError(
        fault.code === 'MESSAGE_TOO_LARGE' ? 'MESSAGE_TOO_LARGE' : 'MALFORMED_MESSAGE',
        `${fault.code}: ${fault.message}`,
      );
      return;
    }
    this.armStallTimer(messages.length > 0);
  }

  private armStallTimer(progressed: boolean): void {
    if (this.decoder.partialBytes === 0) {
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.stallTimer = null;
      return;
    }
    if (this.stallTimer && !progressed) return;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(
      () => this.protocolError('STALLED', 'LightDM began a message and never finished it'),
      this.options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
    );
  }

  private onMessage(message: ServerMessage): void {
    if (this.state === 'connecting') {
      if (message.type !== 'connected') {
        this.protocolError('UNEXPECTED_MESSAGE', `${message.type} before CONNECTED`);
        return;
      }
      this.connected?.(message);
      return;
    }
    switch (message.type) {
      case 'connected':
        this.protocolError('UNEXPECTED_MESSAGE', 'a second CONNECTED');
        return;
      case 'prompt-authentication':
      case 'end-authentication': {
        const active = this.active;
        if (active && message.sequence === active.sequence) {
          const problem =
            message.type === 'prompt-authentication'
              ? active.onPrompt(message.messages)
              : active.onEnd(message.user, message.result);
          if (problem) this.protocolError('UNEXPECTED_MESSAGE', problem);
          return;
        }
        // A late message of a conversation we cancelled, timed out or replaced (LightDM sends
        // nothing after CANCEL, but one may already be in the pipe, also once the next
        // AUTHENTICATE is sent: the method route takes turns at once). Sequences only grow, and
        // LightDM drops an old PAM session when a new AUTHENTICATE comes: dropped, never taken
        // for the running conversation's.
        if (
          message.sequence !== 0 &&
          message.sequence <= this.sequence &&
          message.sequence !== active?.sequence
        ) {
          return;
        }
        this.protocolError(
          'UNEXPECTED_MESSAGE',
          `${message.type} for sequence ${message.sequence}`,
        );
        return;
      }
      case 'session-result':
        if (!this.pendingSession) {
          this.protocolError('UNEXPECTED_MESSAGE', 'SESSION_RESULT without START_SESSION');
          return;
        }
        if (message.code === SUCCESS) {
          this.sessionStarted = true;
          this.settleSession({ ok: true });
        } else {
          this.settleSession({
            ok: false,
            error: new LightdmClientError(
              'SESSION_REFUSED',
              `LightDM refused the session (${message.code})`,
            ),
          });
        }
        return;
      case 'shared-dir-result':
        this.protocolError('UNEXPECTED_MESSAGE', 'SHARED_DIR_RESULT never asked for');
        return;
      case 'idle':
        for (const listener of [...this.idleListeners]) listener();
        return;
      case 'reset': {
        this.currentHints = readHints(message.hints);
        this.authenticatedUser = null;
        this.sessionStarted = false;
        // End LightDM's side of a conversation in flight too (its PAM run would otherwise stay
        // half-open until the next AUTHENTICATE), as a cancel or the deadline does.
        if (this.active !== null) this.send(encodeCancel());
        this.active?.fail(new LightdmClientError('RESET', 'LightDM reset the greeter'));
        this.settleSession({
          ok: false,
          error: new LightdmClientError('RESET', 'LightDM reset the greeter'),
        });
        const hints = this.currentHints;
        for (const listener of [...this.resetListeners]) listener(hints);
        return;
      }
    }
  }

  private onInputEnd(): void {
    if (this.state === 'ended') return;
    let error: LightdmClientError | null = null;
    try {
      this.decoder.end();
    } catch (fault) {
      const code = fault instanceof LightdmCodecError ? fault.code : 'unknown';
      error = new LightdmClientError(
        'CONNECTION_CLOSED',
        `the pipes ended inside a message (${code})`,
      );
    }
    this.end(
      { reason: 'closed', sessionStarted: this.sessionStarted, error },
      error ?? new LightdmClientError('CONNECTION_CLOSED', 'LightDM closed the pipes'),
    );
  }

  private isEnded(): boolean {
    return this.state === 'ended';
  }

  private protocolError(code: LightdmClientErrorCode, message: string): void {
    const error = new LightdmClientError(code, message);
    this.end({ reason: 'protocol-error', sessionStarted: this.sessionStarted, error }, error);
  }

  /** The single way out: fails what runs with `cause`, closes the pipes, resolves `ended`. */
  private end(end: LightdmEnd, cause: LightdmClientError): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.active?.fail(cause);
    this.active = null;
    this.authenticatedUser = null;
    this.settleSession({ ok: false, error: cause });
    if (!this.input.destroyed) this.input.destroy();
    if (!this.output.destroyed) this.output.end(() => this.output.destroy());
    this.resolveEnded(end);
    if (this.sigtermHandler) {
      process.off('SIGTERM', this.sigtermHandler);
      this.sigtermHandler = null;
      if (end.reason === 'terminated') {
        const exit = this.options.exitProcess ?? ((code: number) => process.exit(code));
        // After the `ended` callbacks (microtasks) have run.
        setImmediate(() => exit(0));
      }
    }
  }
}

/**
 * One AUTHENTICATE … END_AUTHENTICATION exchange. LightDM relays each PAM conversation call as
 * one PROMPT_AUTHENTICATION carrying several messages; the events come out one per message, in
 * order, and CONTINUE_AUTHENTICATION goes back once every prompt of the batch is answered,
 * with exactly as many answers as prompts (another count makes LightDM fail PAM with
 * PAM_CONV_ERR). Info/error-only batches need no reply: LightDM answers PAM itself.
 */
class LightdmConversation implements AuthConversation {
  readonly transport = 'lightdm';
  /** Resolves once, with the outcome (also the last event). */
  readonly outcome: Promise<ConversationOutcome>;
  /** The account END_AUTHENTICATION named on success (useful when begun with ''). */
  authenticatedUser: string | null = null;

  private readonly queue = new ConversationEventQueue();
  private batch: { expected: number; answers: Buffer[] } | null = null;
  private finished = false;
  private resolveOutcome!: (outcome: ConversationOutcome) => void;
  private deadline: NodeJS.Timeout | null = null;

  constructor(
    private readonly connection: LightdmGreeter | null,
    readonly sequence: number,
    private readonly user: string,
    deadlineMs: number,
  ) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
    if (connection) {
      this.deadline = setTimeout(() => {
        connection.send(encodeCancel());
        this.fail(new LightdmClientError('TIMEOUT', 'the authentication passed its deadline'));
      }, deadlineMs);
    }
  }

  static failed(error: LightdmClientError): LightdmConversation {
    const conversation = new LightdmConversation(null, 0, '', 0);
    conversation.fail(error);
    return conversation;
  }

  events(): AsyncGenerator<ConversationEvent> {
    return this.queue.events();
  }

  answer(text: string): void {
    if (this.finished) throw new LightdmClientError('TRANSACTION_OVER', 'the conversation is over');
    const batch = this.batch;
    if (!batch || batch.answers.length >= batch.expected) {
      throw new LightdmClientError('NO_PENDING_PROMPT', 'no prompt to answer');
    }
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.includes(0)) {
      bytes.fill(0);
      throw new LightdmClientError('ANSWER_HAS_NUL', 'answers may not contain NUL');
    }
    if (bytes.length > MAX_ANSWER_BYTES) {
      bytes.fill(0);
      throw new LightdmClientError(
        'ANSWER_TOO_LARGE',
        `answers are limited to ${MAX_ANSWER_BYTES} bytes`,
      );
    }
    batch.answers.push(bytes);
    if (batch.answers.length < batch.expected) return;
    this.batch = null;
    try {
      this.connection?.send(encodeContinue(batch.answers), true);
    } finally {
      for (const answer of batch.answers) answer.fill(0);
    }
  }

  /** CANCEL_AUTHENTICATION; LightDM never answers it, so the outcome (CANCELLED) is local. */
  cancel(): void {
    if (this.finished) return;
    this.connection?.send(encodeCancel());
    this.fail(new LightdmClientError('CANCELLED', 'the attempt was cancelled'));
  }

  /** @internal A PROMPT batch for this sequence; returns a protocol problem or null. */
  onPrompt(messages: readonly PamMessage[]): string | null {
    if (this.batch) return 'a new PROMPT before the previous one was answered';
    let prompts = 0;
    for (const m of messages) {
      switch (m.style) {
        case PamStyle.PROMPT_ECHO_OFF:
        case PamStyle.PROMPT_ECHO_ON:
          prompts += 1;
          this.emit({ type: 'prompt', secret: m.style === PamStyle.PROMPT_ECHO_OFF, text: m.text });
          break;
        case PamStyle.ERROR_MSG:
          this.emit({ type: 'error', text: m.text });
          break;
        case PamStyle.TEXT_INFO:
          this.emit({ type: 'info', text: m.text });
          break;
      }
    }
    if (prompts > 0) this.batch = { expected: prompts, answers: [] };
    return null;
  }

  /** @internal END_AUTHENTICATION for this sequence; returns a protocol problem or null. */
  onEnd(user: string, result: number): string | null {
    if (result === SUCCESS) {
      if (this.batch) return 'END_AUTHENTICATION success while prompts were unanswered';
      if (this.user !== '' && user !== this.user) {
        this.fail(new LightdmClientError('USER_CHANGED', 'LightDM authenticated another user'));
        return null;
      }
      this.authenticatedUser = user;
      this.finish(
        { ok: true, result: { code: 0, name: 'PAM_SUCCESS', stage: 'authenticate' } },
        user,
      );
      return null;
    }
    this.finish(
      {
        ok: false,
        kind: 'refused',
        result: { code: result, name: pamCodeName(result), stage: 'authenticate' },
        exitCode: null,
      },
      null,
    );
    return null;
  }

  /** @internal */
  fail(error: LightdmClientError): void {
    this.finish({ ok: false, kind: 'client-error', error, result: null }, null);
  }

  private emit(event: ConversationEvent): void {
    this.queue.push(event);
  }

  private finish(outcome: ConversationOutcome, succeededAs: string | null): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadline) clearTimeout(this.deadline);
    if (this.batch) for (const answer of this.batch.answers) answer.fill(0);
    this.batch = null;
    this.connection?.conversationEnded(this, succeededAs);
    this.emit({ type: 'result', outcome });
    this.resolveOutcome(outcome);
  }
}

export type { LightdmConversation };
