// greetd's IPC as an AuthTransport (main/auth/transport.ts): the greeter side of greetd 0.9,
// over the AF_UNIX socket named by GREETD_SOCK. Wire and behaviour: ./codec.ts, ./index.ts.
//
// One connection for the greeter's life (made on first use, made again after a failure).
// greetd answers each request with exactly one reply, so at most one request is in flight;
// anything else from greetd (a reply nobody asked for, two at once, a reply of the wrong kind
// for the request) is a protocol violation. Every request has a reply deadline, and a reply
// that has started must complete within a short bound: greetd itself never times out a
// greeter, and a huge length prefix makes it wait forever, so the bounds are ours.
//
// Fail closed: only greetd's `success` to a create_session / post_auth_message_response
// chain is a success. A connection lost, a timeout, bytes the codec rejects, an unexpected
// reply, a cancel: failures, with a typed code.
import { createConnection, type Socket } from 'node:net';
import type {
  AuthConversation,
  AuthTransport,
  ConversationEvent,
  ConversationOutcome,
  ConversationResult,
  SessionRequest,
  SessionStartOutcome,
  TransportError,
} from '../../auth/transport';
import { ConversationEventQueue } from '../../auth/event-queue';
import {
  encodeRequest,
  GreetdCodecError,
  MAX_ANSWER_BYTES,
  ReplyDecoder,
  type GreetdCodecErrorCode,
  type GreetdReply,
  type GreetdRequest,
} from './codec';

export type GreetdClientErrorCode =
  | GreetdCodecErrorCode // the bytes from greetd (or a request of ours) were refused
  | 'NO_SOCKET' // GREETD_SOCK unset, relative, with a NUL or longer than sun_path
  | 'CONNECT_FAILED' // connect() failed (ENOENT, ECONNREFUSED, EACCES…) or timed out
  | 'CONNECTION_LOST' // greetd closed or reset the connection
  | 'REPLY_TIMEOUT' // no complete reply within the reply deadline
  | 'REPLY_STALLED' // a reply started but did not complete within the message bound
  | 'UNEXPECTED_REPLY' // a reply nobody asked for, or of a kind the request cannot get
  | 'GREETD_ERROR' // greetd's own `error` (not PAM's verdict): description in the message
  | 'TIMEOUT' // the conversation passed its deadline
  | 'CANCELLED' // cancel() was called
  | 'BUSY' // begin() while another conversation runs
  | 'SESSION_STARTED' // begin() after a session was started: the greeter must exit
  | 'NOT_AUTHENTICATED' // startSession() without a successful conversation before it
  | 'ANSWER_TOO_LARGE'
  | 'ANSWER_HAS_NUL'
  | 'NO_PENDING_PROMPT' // answer() without an unanswered prompt
  | 'TRANSACTION_OVER'; // answer() after the outcome is known

export class GreetdClientError extends Error implements TransportError {
  readonly code: GreetdClientErrorCode;
  constructor(code: GreetdClientErrorCode, message: string) {
    super(message);
    this.name = 'GreetdClientError';
    this.code = code;
  }
}

export interface GreetdTransportOptions {
  /** greetd's socket: the greeter's GREETD_SOCK (`/run/greetd-<pid>.sock`). */
  socketPath: string;
  /** Bound of connect(), in ms. */
  connectTimeoutMs?: number;
  /**
   * Bound of one reply, from the request's write, in ms. Generous: behind a reply PAM may
   * wait for a portal, a fail delay (~3 s after a wrong password) or a security key's touch.
   */
  replyTimeoutMs?: number;
  /** Once a reply's first byte arrived, the whole reply must be there within this, in ms. */
  messageTimeoutMs?: number;
  /** Overall deadline of one conversation (the person's typing included), in ms. */
  deadlineMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_REPLY_TIMEOUT_MS = 60_000;
export const DEFAULT_MESSAGE_TIMEOUT_MS = 2_000;
/** As the helper's (main/pam/helper-client.ts): an attempt left open ends as TIMEOUT. */
export const DEFAULT_DEADLINE_MS = 120_000;
/**
 * greetd kills a greeter still running 5 s after the success of start_session, and starts
 * the session only once the greeter has gone: exit at once after it (every ms counts).
 */
export const GREETER_EXIT_DEADLINE_MS = 5_000;
/** sockaddr_un's sun_path holds 108 bytes including the NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** The one success result: greetd's `success`, after PAM's authenticate and acct_mgmt. */
const SUCCESS_RESULT: ConversationResult = { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' };
/** greetd's auth_error when its description says nothing more precise. */
const AUTH_ERR_RESULT: ConversationResult = {
  code: 7,
  name: 'PAM_AUTH_ERR',
  stage: 'authenticate',
};

/** Linux-PAM's return codes (security/_pam_types.h), by name without the `PAM_` prefix. */
const PAM_CODES: Readonly<Record<string, number>> = {
  OPEN_ERR: 1,
  SYMBOL_ERR: 2,
  SERVICE_ERR: 3,
  SYSTEM_ERR: 4,
  BUF_ERR: 5,
  PERM_DENIED: 6,
  AUTH_ERR: 7,
  CRED_INSUFFICIENT: 8,
  AUTHINFO_UNAVAIL: 9,
  USER_UNKNOWN: 10,
  MAXTRIES: 11,
  NEW_AUTHTOK_REQD: 12,
  ACCT_EXPIRED: 13,
  SESSION_ERR: 14,
  CRED_UNAVAIL: 15,
  CRED_EXPIRED: 16,
  CRED_ERR: 17,
  NO_MODULE_DATA: 18,
  CONV_ERR: 19,
  AUTHTOK_ERR: 20,
  AUTHTOK_RECOVERY_ERR: 21,
  AUTHTOK_LOCK_BUSY: 22,
  AUTHTOK_DISABLE_AGING: 23,
  TRY_AGAIN: 24,
  ABORT: 26,
  AUTHTOK_EXPIRED: 27,
  MODULE_UNKNOWN: 28,
  BAD_ITEM: 29,
};
/** greetd 0.9 words a PAM failure as `pam_<function>: <NAME>` (`pam_authenticate: AUTH_ERR`). */
const PAM_FAILURE = /^pam_(authenticate|acct_mgmt|setcred|open_session|chauthtok): ([A-Z_]+)$/;

/**
 * PAM's verdict in a greetd error, when its description carries one: greetd 0.9 words it
 * `pam_<function>: <NAME>`. Null for anything else (greetd's own failures).
 */
export function pamResultFromDescription(description: string): ConversationResult | null {
  const match = PAM_FAILURE.exec(description);
  if (!match) return null;
  const code = PAM_CODES[match[2]!];
  if (code === undefined) return null;
  return { code, name: `PAM_${match[2]!}`, stage: match[1]! };
}

/** One line, printable, bounded: greetd's description as it may reach a log or a screen. */
export function cleanDescription(description: string): string {
  // eslint-disable-next-line no-control-regex
  const line = description.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || '(no description)';
}

function socketPathError(path: string): string | null {
  if (!path.startsWith('/') || path.includes('\0')) return 'must be an absolute path without NUL';
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    return `must be at most ${MAX_SOCKET_PATH_BYTES} bytes`;
  }
  return null;
}

// ---- the connection: requests, replies, bounds ----

interface PendingRequest {
  resolve: (reply: GreetdReply) => void;
  reject: (error: GreetdClientError) => void;
  timer: NodeJS.Timeout;
}

/** One connection to greetd. Broken for good after its first failure. */
class GreetdConnection {
  private readonly decoder = new ReplyDecoder();
  private pending: PendingRequest | null = null;
  private messageTimer: NodeJS.Timeout | null = null;
  private brokenBy: GreetdClientError | null = null;
  private resolveBroken!: (error: GreetdClientError) => void;
  /** Settles with the failure that broke the connection (unsolicited bytes, a close…). */
  readonly whenBroken: Promise<GreetdClientError> = new Promise(
    (resolve) => (this.resolveBroken = resolve),
  );

  private constructor(
    private readonly socket: Socket,
    private readonly messageTimeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {
      // 'close' follows and reports it.
    });
    socket.on('close', () => {
      if (this.brokenBy) return;
      try {
        this.decoder.end();
      } catch (error) {
        this.break(codecFailure(error));
        return;
      }
      this.break(new GreetdClientError('CONNECTION_LOST', 'greetd closed the connection'));
    });
  }

  static open(
    path: string,
    timeoutMs: number,
    messageTimeoutMs: number,
  ): Promise<GreetdConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path, allowHalfOpen: false });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new GreetdClientError('CONNECT_FAILED', `no connection to greetd in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new GreetdConnection(socket, messageTimeoutMs));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new GreetdClientError(
            'CONNECT_FAILED',
            `cannot connect to greetd's socket (${error.code ?? 'unknown'})`,
          ),
        );
      });
    });
  }

  get broken(): GreetdClientError | null {
    return this.brokenBy;
  }

  /** Sends one request and resolves with its reply. Rejects with GreetdClientError. */
  request(request: GreetdRequest, timeoutMs: number): Promise<GreetdReply> {
    if (this.brokenBy) return Promise.reject(this.brokenBy);
    if (this.pending) {
      return Promise.reject(new GreetdClientError('BUSY', 'a request is already in flight'));
    }
    let bytes: Buffer;
    try {
      bytes = encodeRequest(request);
    } catch (error) {
      return Promise.reject(codecFailure(error));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.break(
            new GreetdClientError('REPLY_TIMEOUT', `no reply from greetd within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      this.pending = { resolve, reject, timer };
      // The buffer may hold an answer: zeroed once the kernel has it.
      this.socket.write(bytes, () => bytes.fill(0));
    });
  }

  destroy(): void {
    this.break(new GreetdClientError('CONNECTION_LOST', 'the connection was closed'));
  }

  private onData(chunk: Buffer): void {
    if (this.brokenBy) return;
    let replies: GreetdReply[];
    try {
      replies = this.decoder.push(chunk);
    } catch (error) {
      this.break(codecFailure(error));
      return;
    }
    if (replies.length > 0 && this.messageTimer) {
      clearTimeout(this.messageTimer);
      this.messageTimer = null;
    }
    if (replies.length > 1 || (replies.length === 1 && !this.pending)) {
      this.break(new GreetdClientError('UNEXPECTED_REPLY', 'a reply nobody asked for'));
      return;
    }
    if (this.decoder.pendingBytes > 0 && !this.messageTimer) {
      if (!this.pending) {
        this.break(new GreetdClientError('UNEXPECTED_REPLY', 'bytes nobody asked for'));
        return;
      }
      this.messageTimer = setTimeout(
        () =>
          this.break(
            new GreetdClientError(
              'REPLY_STALLED',
              `a reply from greetd did not complete within ${this.messageTimeoutMs} ms`,
            ),
          ),
        this.messageTimeoutMs,
      );
    }
    const reply = replies[0];
    if (reply && this.pending) {
      const { resolve, timer } = this.pending;
      clearTimeout(timer);
      this.pending = null;
      resolve(reply);
    }
  }

  private break(error: GreetdClientError): void {
    if (this.brokenBy) return;
    this.brokenBy = error;
    this.resolveBroken(error);
    if (this.messageTimer) clearTimeout(this.messageTimer);
    this.messageTimer = null;
    this.socket.destroy();
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}

function codecFailure(error: unknown): GreetdClientError {
  if (error instanceof GreetdClientError) return error;
  if (error instanceof GreetdCodecError) return new GreetdClientError(error.code, error.message);
  return new GreetdClientError('UNEXPECTED_REPLY', 'internal codec failure');
}

function asClientError(error: unknown): GreetdClientError {
  return codecFailure(error);
}

// ---- one conversation ----

type AnswerOrStop = { answer: string } | { stop: GreetdClientError };

/** One create_session … success/error exchange, seen as AuthConversation events. */
class GreetdConversation implements AuthConversation {
  readonly transport = 'greetd';
  /** Resolves once, with the final outcome (also the last event). */
  readonly outcome: Promise<ConversationOutcome>;
  private resolveOutcome!: (outcome: ConversationOutcome) => void;
  private readonly queue = new ConversationEventQueue();
  private answerWaiter: ((value: AnswerOrStop) => void) | null = null;
  private stoppedBy: GreetdClientError | null = null;
  private finished = false;
  private deadlineTimer: NodeJS.Timeout | null = null;

  constructor(deadlineMs: number) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
    this.deadlineTimer = setTimeout(
      () => this.stop(new GreetdClientError('TIMEOUT', 'the attempt passed its deadline')),
      deadlineMs,
    );
  }

  events(): AsyncGenerator<ConversationEvent> {
    return this.queue.events();
  }

  answer(text: string): void {
    if (this.finished) throw new GreetdClientError('TRANSACTION_OVER', 'the attempt is over');
    const waiter = this.answerWaiter;
    if (!waiter) throw new GreetdClientError('NO_PENDING_PROMPT', 'no prompt to answer');
    if (text.includes('\0')) {
      throw new GreetdClientError('ANSWER_HAS_NUL', 'answers may not contain NUL');
    }
    if (Buffer.byteLength(text, 'utf8') > MAX_ANSWER_BYTES) {
      throw new GreetdClientError(
        'ANSWER_TOO_LARGE',
        `answers are limited to ${MAX_ANSWER_BYTES} bytes`,
      );
    }
    this.answerWaiter = null;
    waiter({ answer: text });
  }

  cancel(): void {
    this.stop(new GreetdClientError('CANCELLED', 'the attempt was cancelled'));
  }

  /** Why it was stopped (cancel, deadline), or null. */
  get stopped(): GreetdClientError | null {
    return this.stoppedBy;
  }

  /** Its outcome is told (the screen's side is over; greetd's may still be cleaned up). */
  get ended(): boolean {
    return this.finished;
  }

  /** Waits for the person's answer, or for a stop. */
  waitAnswer(): Promise<AnswerOrStop> {
    if (this.stoppedBy) return Promise.resolve({ stop: this.stoppedBy });
    return new Promise((resolve) => (this.answerWaiter = resolve));
  }

  emit(event: Exclude<ConversationEvent, { type: 'result' }>): void {
    if (!this.finished) this.push(event);
  }

  finish(outcome: ConversationOutcome): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const waiter = this.answerWaiter;
    this.answerWaiter = null;
    waiter?.({ stop: this.stoppedBy ?? new GreetdClientError('TRANSACTION_OVER', 'over') });
    this.push({ type: 'result', outcome });
    this.resolveOutcome(outcome);
  }

  fail(error: GreetdClientError): void {
    this.finish({ ok: false, kind: 'client-error', error, result: null });
  }

  /** Ends the attempt now (the screen must not wait); the driver cleans up greetd's side. */
  private stop(error: GreetdClientError): void {
    if (this.finished || this.stoppedBy) return;
    this.stoppedBy = error;
    const waiter = this.answerWaiter;
    this.answerWaiter = null;
    waiter?.({ stop: error });
    this.fail(error);
  }

  private push(event: ConversationEvent): void {
    this.queue.push(event);
  }
}

// ---- the transport ----

/**
 * What greetd holds for us: nothing; a session being configured (create_session sent);
 * an authenticated one waiting for start_session; a started one; or not known (after a
 * failure: the next conversation sends cancel_session first).
 */
type SessionState = 'none' | 'configuring' | 'authenticated' | 'started' | 'unknown';

export class GreetdTransport implements AuthTransport {
  readonly kind = 'greetd' as const;
  private readonly options: Required<GreetdTransportOptions>;
  private connection: GreetdConnection | null = null;
  /** Conversations, cleanups and session starts, one after the other. */
  private serial: Promise<void> = Promise.resolve();
  private running: GreetdConversation | null = null;
  private state: SessionState = 'none';
  private exitBy: number | null = null;
  private readonly startedListeners = new Set<(mustExitBy: number) => void>();
  private closed = false;

  constructor(options: GreetdTransportOptions) {
    this.options = {
      socketPath: options.socketPath,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      replyTimeoutMs: options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
      messageTimeoutMs: options.messageTimeoutMs ?? DEFAULT_MESSAGE_TIMEOUT_MS,
      deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    };
  }

  /**
   * After start_session's success: the time (Date.now() scale) by which this process must
   * have exited, else greetd kills it. Null before. The session starts when we are gone.
   */
  get mustExitBy(): number | null {
    return this.exitBy;
  }

  /** Called once start_session succeeded, with `mustExitBy`: the app exits right away. */
  onSessionStarted(listener: (mustExitBy: number) => void): () => void {
    this.startedListeners.add(listener);
    return () => this.startedListeners.delete(listener);
  }

  begin(user: string): AuthConversation {
    const conversation = new GreetdConversation(this.options.deadlineMs);
    const refuse = this.closed
      ? new GreetdClientError('CONNECTION_LOST', 'the greetd transport is closed')
      : this.state === 'started'
        ? new GreetdClientError('SESSION_STARTED', 'a session was started: the greeter must exit')
        : // An attempt whose outcome is told is over for the caller, even before the outcome's
          // listener below clears it: a cancel then an immediate begin (the method route's
          // turns) is not BUSY, and greetd's side is cleaned up first (the queue below).
          this.running && !this.running.ended
          ? new GreetdClientError('BUSY', 'an attempt is already running')
          : null;
    if (refuse) {
      conversation.fail(refuse);
      return conversation;
    }
    // Running until its outcome is told; greetd's side may be cleaned up after that
    // (cancel_session once a reply in flight arrives), which the next attempt waits for.
    this.running = conversation;
    void conversation.outcome.then(() => {
      if (this.running === conversation) this.running = null;
    });
    this.enqueue(async () => {
      try {
        await this.converse(conversation, user);
      } catch (error) {
        // Every failure inside is a typed one; anything else is ours, and still a failure.
        this.state = 'unknown';
        conversation.fail(asClientError(error));
      }
    });
    return conversation;
  }

  async startSession(session: SessionRequest): Promise<SessionStartOutcome> {
    let outcome: SessionStartOutcome = {
      ok: false,
      error: new GreetdClientError('NOT_AUTHENTICATED', 'no successful attempt to start'),
    };
    await this.enqueue(async () => {
      if (this.closed || this.state !== 'authenticated' || this.running) return;
      const request: GreetdRequest = {
        type: 'start_session',
        cmd: session.command,
        env: session.env,
      };
      try {
        const connection = await this.connect();
        const reply = await connection.request(request, this.options.replyTimeoutMs);
        if (reply.type === 'success') {
          this.state = 'started';
          this.exitBy = Date.now() + GREETER_EXIT_DEADLINE_MS;
          outcome = { ok: true };
          for (const listener of this.startedListeners) listener(this.exitBy);
          return;
        }
        if (reply.type === 'error') {
          this.state = 'unknown';
          outcome = {
            ok: false,
            error: new GreetdClientError(
              'GREETD_ERROR',
              `greetd refused the session: ${cleanDescription(reply.description)}`,
            ),
          };
          return;
        }
        this.dropConnection();
        outcome = {
          ok: false,
          error: new GreetdClientError('UNEXPECTED_REPLY', 'an auth_message to start_session'),
        };
      } catch (error) {
        // An invalid request (bad env entry…) changed nothing at greetd; anything else may have.
        const failure = asClientError(error);
        if (failure.code !== 'INVALID_REQUEST') this.state = 'unknown';
        outcome = { ok: false, error: failure };
      }
    });
    return outcome;
  }

  close(): void {
    this.closed = true;
    this.dropConnection();
  }

  // ---- internals ----

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.serial.then(task, task);
    this.serial = next.catch(() => undefined);
    return next;
  }

  private async connect(): Promise<GreetdConnection> {
    if (this.connection && !this.connection.broken) return this.connection;
    this.connection = null;
    const invalid = socketPathError(this.options.socketPath);
    if (invalid) throw new GreetdClientError('NO_SOCKET', `GREETD_SOCK ${invalid}`);
    this.connection = await GreetdConnection.open(
      this.options.socketPath,
      this.options.connectTimeoutMs,
      this.options.messageTimeoutMs,
    );
    return this.connection;
  }

  private dropConnection(): void {
    this.connection?.destroy();
    this.connection = null;
  }

  /** A request whose reply must be `success` or `error` (cancel_session, start_session). */
  private async cancelSession(connection: GreetdConnection): Promise<void> {
    const reply = await connection.request({ type: 'cancel_session' }, this.options.replyTimeoutMs);
    if (reply.type === 'auth_message') {
      this.dropConnection();
      throw new GreetdClientError('UNEXPECTED_REPLY', 'an auth_message to cancel_session');
    }
    // `error` too resets greetd's state: "unable to send message: Connection refused" when
    // the PAM worker had already exited.
    this.state = 'none';
  }

  private async converse(conversation: GreetdConversation, user: string): Promise<void> {
    let connection: GreetdConnection;
    try {
      connection = await this.connect();
      // Whatever a failed attempt left at greetd ("a session is already being configured").
      if (this.state !== 'none') await this.cancelSession(connection);
    } catch (error) {
      conversation.fail(asClientError(error));
      return;
    }
    if (conversation.stopped) return;
    this.state = 'configuring';
    let reply: GreetdReply;
    try {
      reply = await connection.request(
        { type: 'create_session', username: user },
        this.options.replyTimeoutMs,
      );
      for (;;) {
        if (conversation.stopped) {
          await this.cancelSession(connection);
          return;
        }
        if (reply.type === 'success') {
          this.state = 'authenticated';
          conversation.finish({ ok: true, result: SUCCESS_RESULT });
          return;
        }
        if (reply.type === 'error') {
          await this.concludeError(conversation, connection, reply);
          return;
        }
        let response: string | null = null;
        switch (reply.authMessageType) {
          case 'visible':
          case 'secret': {
            conversation.emit({
              type: 'prompt',
              secret: reply.authMessageType === 'secret',
              text: reply.authMessage,
            });
            // greetd may break the link while the person types: fail now, not at the answer.
            const next = await Promise.race([
              conversation.waitAnswer(),
              connection.whenBroken.then((error): never => {
                throw error;
              }),
            ]);
            if ('stop' in next) {
              await this.cancelSession(connection);
              return;
            }
            response = next.answer;
            break;
          }
          case 'info':
          case 'error':
            // PAM_TEXT_INFO / PAM_ERROR_MSG need no answer; greetd waits for an empty one.
            conversation.emit({ type: reply.authMessageType, text: reply.authMessage });
            break;
        }
        reply = await connection.request(
          { type: 'post_auth_message_response', response },
          this.options.replyTimeoutMs,
        );
        response = null;
      }
    } catch (error) {
      // The connection broke (or an answer was refused before sending): greetd's side is
      // unknown; the next attempt cancels first on a new connection.
      this.state = 'unknown';
      if (!(error instanceof GreetdClientError) || error.code !== 'INVALID_REQUEST') {
        this.dropConnection();
      }
      conversation.fail(asClientError(error));
    }
  }

  /**
   * greetd's `error`. PAM's verdict (auth_error, or a `pam_<fn>: <NAME>` description) is a
   * refusal; greetd's own failure is a client error. Either way greetd keeps the half-made
   * session until cancel_session, which is sent before the outcome is told.
   */
  private async concludeError(
    conversation: GreetdConversation,
    connection: GreetdConnection,
    reply: Extract<GreetdReply, { type: 'error' }>,
  ): Promise<void> {
    const pam = pamResultFromDescription(reply.description);
    const result = pam ?? (reply.errorType === 'auth_error' ? AUTH_ERR_RESULT : null);
    try {
      await this.cancelSession(connection);
    } catch {
      this.state = 'unknown';
      this.dropConnection();
    }
    if (result) {
      conversation.finish({ ok: false, kind: 'refused', result, exitCode: null });
    } else {
      conversation.fail(
        new GreetdClientError('GREETD_ERROR', `greetd: ${cleanDescription(reply.description)}`),
      );
    }
  }
}

/** The transport on greetd's socket. */
export function greetdTransport(options: GreetdTransportOptions): GreetdTransport {
  return new GreetdTransport(options);
}

/** True when greetd started this process as its greeter (GREETD_SOCK is set). */
export function isGreetdEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env.GREETD_SOCK === 'string' && env.GREETD_SOCK !== '';
}

/** The transport from GREETD_SOCK, or null when greetd did not start us. */
export function greetdTransportFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<GreetdTransportOptions, 'socketPath'> = {},
): GreetdTransport | null {
  if (!isGreetdEnvironment(env)) return null;
  return new GreetdTransport({ ...options, socketPath: env.GREETD_SOCK! });
}
