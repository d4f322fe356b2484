// Client of the PAM helper (native-helper/PROTOCOL.md): one helper per transaction, reached
// over one of two transports that carry the same frames:
//
// * `socket`: a connection to the socket-activated helper (resources/systemd/,
//   `Accept=yes`): systemd starts one helper per connection in the system slice, and the
//   helper identifies the caller by SO_PEERCRED. Preferred: no caller can freeze, signal or
//   limit it. There is no exit status to read in this mode.
// * `spawn`: the setuid binary as our child, frames on its stdin/stdout.
//
// With `socketPath` set the client connects first; only a socket that is not there (ENOENT),
// not listening (ECONNREFUSED) or flooded (EAGAIN: its backlog is full) falls back to spawning
// `helperPath`. Any other connect error fails closed.
//
// The client relays the conversation as typed events and decides the outcome. It fails
// closed: the transaction succeeds only when the helper sent exactly one RESULT frame
// `0:PAM_SUCCESS:acct_mgmt`, then ended the stream cleanly, and (spawn) exited with status 0.
// Every other path (malformed or unexpected frame, missing or second result, trailing bytes,
// a signal, a nonzero exit, a broken connection, a spawn or connect error, the deadline, a
// cancel) is a failure.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  FrameType,
  MAX_ANSWER_PAYLOAD,
  MAX_FRAME_PAYLOAD,
  type Frame,
} from './frames';

export type PamClientErrorCode =
  | 'HELPER_NOT_FOUND' // spawn ENOENT
  | 'HELPER_NOT_EXECUTABLE' // spawn EACCES
  | 'SPAWN_FAILED' // any other spawn error
  | 'SOCKET_CONNECT_FAILED' // connect error other than ENOENT/ECONNREFUSED/EAGAIN (no fallback)
  | 'SOCKET_BROKEN' // the connection failed (ECONNRESET…) after a success RESULT, not a clean end
  | 'MALFORMED_FRAME' // the frame codec rejected the stream (FrameError)
  | 'MALFORMED_TEXT' // payload not UTF-8, or a NUL where none is allowed
  | 'UNEXPECTED_FRAME' // a main → helper frame type arriving from the helper
  | 'MALFORMED_RESULT' // RESULT payload not `<code>:<NAME>:<stage>`
  | 'DUPLICATE_RESULT' // a second RESULT frame
  | 'TRAILING_DATA' // bytes after the RESULT frame
  | 'MISSING_RESULT' // stream ended without a RESULT frame (socket: also a unit limit)
  | 'INCONSISTENT_EXIT' // RESULT and exit status disagree (spawn only)
  | 'KILLED' // the helper ended by a signal (spawn only)
  | 'TIMEOUT' // the client's deadline passed
  | 'CANCELLED' // cancel() was called
  | 'ANSWER_TOO_LARGE'
  | 'ANSWER_HAS_NUL'
  | 'NO_PENDING_PROMPT' // answer() without an unanswered prompt
  | 'TRANSACTION_OVER' // answer() after the outcome is known
  | 'INVALID_REQUEST'; // empty service/user, a NUL in them, or an unusable socket path

export class PamClientError extends Error {
  readonly code: PamClientErrorCode;
  constructor(code: PamClientErrorCode, message: string) {
    super(message);
    this.name = 'PamClientError';
    this.code = code;
  }
}

export type PamStage = 'helper' | 'authenticate' | 'chauthtok' | 'acct_mgmt';

/** The helper's RESULT frame, parsed. */
export interface PamResult {
  code: number;
  name: string;
  stage: PamStage;
}

/** How the client reached the helper: the socket-activated unit, or the spawned setuid binary. */
export type PamTransport = 'socket' | 'spawn';

export type PamOutcome =
  /**
   * The only success: RESULT 0:PAM_SUCCESS:acct_mgmt, then a clean end of stream, and (spawn)
   * exit status 0.
   */
  | { ok: true; result: PamResult }
  /**
   * The PAM stack or the helper said no, by the protocol. `exitCode` is the helper's exit
   * status (spawn), or null over the socket, where the client cannot see it.
   */
  | { ok: false; kind: 'refused'; result: PamResult; exitCode: number | null }
  /** Anything else: the transaction broke. `result` is the RESULT frame if one arrived. */
  | { ok: false; kind: 'client-error'; error: PamClientError; result: PamResult | null };

export type PamEvent =
  | { type: 'prompt'; secret: boolean; text: string }
  | { type: 'info'; text: string }
  | { type: 'error'; text: string }
  /** Always the last event, exactly once. */
  | { type: 'result'; outcome: PamOutcome };

export interface PamTransactionOptions {
  /**
   * Absolute path of the setuid helper binary: the transport when `socketPath` is unset, or
   * the fallback when nothing listens there (ENOENT, ECONNREFUSED) or it is flooded (EAGAIN).
   */
  helperPath: string;
  /**
   * Absolute path of the socket-activated helper's AF_UNIX socket (installed:
   * `/run/bastion-pam-helper-greeter.sock` for the login screen, `/run/bastion-pam-helper.sock`
   * in a session; resources/systemd/), at most 107 bytes. When set, the client connects there
   * first and spawns `helperPath` only if the socket does not exist (ENOENT), nothing listens
   * on it (ECONNREFUSED) or its backlog is full (EAGAIN: a flood, which must not lock everyone
   * out); any other connect error (EACCES…) is SOCKET_CONNECT_FAILED, never a silent
   * fallback. Unset or null: spawn only.
   */
  socketPath?: string | null;
  /** PAM service (the helper accepts only its allowlist). */
  service: string;
  user: string;
  /**
   * The spawned helper's whole environment (tests pass pam_wrapper's); empty by default.
   * Unused over the socket: there the unit (systemd) sets the helper's environment.
   */
  env?: Record<string, string>;
  /** Overall deadline in ms (connecting included), after which it is cancelled as TIMEOUT. */
  deadlineMs?: number;
  /**
   * Grace after a cancel (CANCEL frame, end of our side) before the helper is forced away:
   * SIGKILL for a spawned helper, closing the connection for the socket. In ms.
   */
  killGraceMs?: number;
}

export const DEFAULT_DEADLINE_MS = 120_000;
export const DEFAULT_KILL_GRACE_MS = 1_000;
/** sockaddr_un's sun_path holds 108 bytes including the NUL; longer paths get truncated. */
export const MAX_SOCKET_PATH_BYTES = 107;

const SUCCESS_RESULT = '0:PAM_SUCCESS:acct_mgmt';
const RESULT_PATTERN =
  /^(0|[1-9][0-9]{0,4}):([A-Z][A-Z0-9_]{0,63}):(helper|authenticate|chauthtok|acct_mgmt)$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Connect errors meaning "no socket-activated helper here": the setuid binary is used. */
/** EAGAIN: the backlog is full, e.g. a local user flooding the socket with connections; the
 *  setuid helper is as safe (no lock is shared between callers) and cannot be crowded out. */
const FALLBACK_CONNECT_ERRORS: ReadonlySet<string> = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);

function decodeText(payload: Buffer): string {
  if (payload.includes(0)) throw new PamClientError('MALFORMED_TEXT', 'NUL byte in a text payload');
  try {
    return strictUtf8.decode(payload);
  } catch {
    throw new PamClientError('MALFORMED_TEXT', 'payload is not valid UTF-8');
  }
}

export function parseResult(payload: string): PamResult {
  const match = RESULT_PATTERN.exec(payload);
  if (!match) {
    throw new PamClientError('MALFORMED_RESULT', 'RESULT payload does not match the grammar');
  }
  return { code: Number(match[1]), name: match[2]!, stage: match[3] as PamStage };
}

function spawnError(error: NodeJS.ErrnoException): PamClientError {
  if (error.code === 'ENOENT') {
    return new PamClientError('HELPER_NOT_FOUND', 'the PAM helper is not installed');
  }
  if (error.code === 'EACCES') {
    return new PamClientError('HELPER_NOT_EXECUTABLE', 'the PAM helper is not executable');
  }
  return new PamClientError(
    'SPAWN_FAILED',
    `the PAM helper could not start (${error.code ?? 'unknown'})`,
  );
}

function requestError(options: PamTransactionOptions, startPayload: Buffer): string | null {
  if (
    options.service.length === 0 ||
    options.user.length === 0 ||
    options.service.includes('\0') ||
    options.user.includes('\0') ||
    startPayload.length > MAX_FRAME_PAYLOAD
  ) {
    return 'service and user must be non-empty, without NUL';
  }
  const socketPath = options.socketPath ?? null;
  if (
    socketPath !== null &&
    (!socketPath.startsWith('/') ||
      socketPath.includes('\0') ||
      Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES)
  ) {
    return `socketPath must be absolute, without NUL, at most ${MAX_SOCKET_PATH_BYTES} bytes`;
  }
  return null;
}

/** The link to the helper: the same frames in and out whatever the transport. */
type HelperLink =
  | { transport: 'spawn'; child: ChildProcessByStdio<Writable, Readable, null> }
  | { transport: 'socket'; socket: Socket };

/** How the stream from the helper ended; the one place where the transports differ. */
type StreamEnd =
  | { transport: 'spawn'; exitCode: number | null; signal: NodeJS.Signals | null }
  | { transport: 'socket'; error: NodeJS.ErrnoException | null };

function linkInput(link: HelperLink): Writable {
  return link.transport === 'spawn' ? link.child.stdin : link.socket;
}

/**
 * One running PAM transaction. Read `events()` (or `outcome`), call `answer()` for prompts.
 * Answers are never logged; the buffers this class allocates for them are zeroed after the
 * write (JavaScript strings cannot be wiped: keep them short-lived in callers).
 */
export class PamTransaction {
  /** Resolves once, with the final outcome (also delivered as the last event). */
  readonly outcome: Promise<PamOutcome>;

  private link: HelperLink | null = null;
  /** A connection attempt not yet answered (socket transport). */
  private connecting: Socket | null = null;
  private readonly options: PamTransactionOptions;
  private readonly decoder = new FrameDecoder();
  private readonly queue: PamEvent[] = [];
  private readonly waiters: ((event: PamEvent) => void)[] = [];
  private readonly killGraceMs: number;
  private pendingPrompts = 0;
  private result: PamResult | null = null;
  private finished = false;
  private resolveOutcome!: (outcome: PamOutcome) => void;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;

  constructor(options: PamTransactionOptions) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
    this.options = options;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const startPayload = Buffer.from(`${options.service}\0${options.user}`, 'utf8');
    const invalid = requestError(options, startPayload);
    if (invalid !== null) {
      this.fail(new PamClientError('INVALID_REQUEST', invalid));
      return;
    }
    this.deadlineTimer = setTimeout(
      () => this.abort(new PamClientError('TIMEOUT', 'the PAM transaction passed its deadline')),
      options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    );
    const startFrame = encodeFrame(FrameType.START, startPayload);
    if (options.socketPath) this.connect(options.socketPath, startFrame);
    else this.spawnHelper(startFrame);
  }

  /** The spawned helper's process id (undefined over the socket or if it never started). */
  get pid(): number | undefined {
    return this.link?.transport === 'spawn' ? this.link.child.pid : undefined;
  }

  /**
   * Which transport carries this transaction: null while connecting, or if none was
   * established (invalid request, connect error). Settled before the first event.
   */
  get transport(): PamTransport | null {
    return this.link?.transport ?? null;
  }

  /** Events in order; ends after the `result` event. Consume it once (one reader). */
  async *events(): AsyncGenerator<PamEvent> {
    for (;;) {
      const event = await this.nextEvent();
      yield event;
      if (event.type === 'result') return;
    }
  }

  /** Answers the oldest unanswered prompt. Throws PamClientError without sending anything. */
  answer(text: string): void {
    if (this.finished) throw new PamClientError('TRANSACTION_OVER', 'the transaction is over');
    if (this.pendingPrompts === 0) {
      throw new PamClientError('NO_PENDING_PROMPT', 'no prompt to answer');
    }
    const bytes = Buffer.from(text, 'utf8');
    try {
      if (bytes.includes(0))
        throw new PamClientError('ANSWER_HAS_NUL', 'answers may not contain NUL');
      if (bytes.length > MAX_ANSWER_PAYLOAD) {
        throw new PamClientError(
          'ANSWER_TOO_LARGE',
          `answers are limited to ${MAX_ANSWER_PAYLOAD} bytes`,
        );
      }
      this.pendingPrompts -= 1;
      this.write(encodeFrame(FrameType.ANSWER, bytes), true);
    } finally {
      bytes.fill(0);
    }
  }

  /**
   * Sends CANCEL and ends our side; the helper is forced away after a short grace (SIGKILL
   * when spawned, the connection closed over the socket). Outcome: CANCELLED.
   */
  cancel(): void {
    this.abort(new PamClientError('CANCELLED', 'the attempt was cancelled'));
  }

  // ---- transports: how the link is made and how it ends ----

  private connect(path: string, startFrame: Buffer): void {
    const socket = createConnection({ path, allowHalfOpen: false });
    this.connecting = socket;
    socket.once('connect', () => {
      this.connecting = null;
      if (this.finished) {
        socket.destroy();
        return;
      }
      this.attach({ transport: 'socket', socket }, startFrame);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.connecting !== socket) return; // after connect: 'close' reports it
      this.connecting = null;
      socket.destroy();
      if (this.finished) return;
      if (FALLBACK_CONNECT_ERRORS.has(error.code ?? '')) {
        this.spawnHelper(startFrame);
        return;
      }
      this.fail(
        new PamClientError(
          'SOCKET_CONNECT_FAILED',
          `cannot connect to the PAM helper socket ${path} (${error.code ?? 'unknown'})`,
        ),
      );
    });
  }

  private spawnHelper(startFrame: Buffer): void {
    let child: ChildProcessByStdio<Writable, Readable, null>;
    try {
      child = spawn(this.options.helperPath, [], {
        // stderr carries no protocol (PAM modules may print there): it goes to /dev/null rather
        // than through a third pipe we would have to drain on every login.
        stdio: ['pipe', 'pipe', 'ignore'],
        env: { ...this.options.env },
        // A detached helper would survive us; keep it in our process group.
        detached: false,
      });
    } catch (error) {
      this.fail(spawnError(error as NodeJS.ErrnoException));
      return;
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      // 'error' after spawn is a kill/write failure; before it, a spawn failure.
      if (child.pid === undefined) {
        this.fail(spawnError(error));
      } else {
        this.fail(
          new PamClientError('SPAWN_FAILED', `helper process error (${error.code ?? 'unknown'})`),
        );
      }
    });
    this.attach({ transport: 'spawn', child }, startFrame);
  }

  /** Wires a new link to the shared frame handling and sends START. */
  private attach(link: HelperLink, startFrame: Buffer): void {
    this.link = link;
    if (link.transport === 'spawn') {
      const { child } = link;
      child.stdin.on('error', () => {
        // EPIPE when the helper has exited: the exit status decides the outcome.
      });
      child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
      child.on('close', (exitCode, signal) =>
        this.onStreamEnd({ transport: 'spawn', exitCode, signal }),
      );
    } else {
      const { socket } = link;
      let socketError: NodeJS.ErrnoException | null = null;
      socket.on('error', (error: NodeJS.ErrnoException) => (socketError ??= error));
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('close', () => this.onStreamEnd({ transport: 'socket', error: socketError }));
    }
    this.write(startFrame);
  }

  /** Ends the transaction now as a failure and makes sure the helper goes away. */
  private abort(error: PamClientError): void {
    if (this.finished) return;
    this.stopHelper();
    this.fail(error);
  }

  /** CANCEL, end of our side, and the helper forced away after the grace. */
  private stopHelper(): void {
    if (this.connecting) {
      this.connecting.destroy();
      this.connecting = null;
    }
    const link = this.link;
    if (!link) return;
    const cancelFrame = encodeFrame(FrameType.CANCEL);
    if (link.transport === 'socket') {
      const { socket } = link;
      if (socket.destroyed) return;
      // CANCEL and our end of the stream, then the connection closed once they are out: the
      // helper reads CANCEL (or the end) at its prompt, and gets a write error if it still
      // writes. The grace covers a helper that does not read (a full buffer never drains);
      // systemd's RuntimeMaxSec= bounds a helper that ignores all of it.
      if (!socket.writableEnded) socket.end(cancelFrame, () => socket.destroy());
      this.killTimer = setTimeout(() => socket.destroy(), this.killGraceMs);
      this.killTimer.unref();
      socket.once('close', () => {
        if (this.killTimer) clearTimeout(this.killTimer);
      });
      return;
    }
    const { child } = link;
    if (child.exitCode === null && child.signalCode === null) {
      this.write(cancelFrame);
      child.stdin.end();
      // A helper that became fully root cannot be signalled by us (EPERM); it still ends on
      // stdin EOF and on its own deadline. The kill is for the test build and for hangs.
      this.killTimer = setTimeout(() => child.kill('SIGKILL'), this.killGraceMs);
      this.killTimer.unref();
      child.once('close', () => {
        if (this.killTimer) clearTimeout(this.killTimer);
      });
    }
  }

  /**
   * The verdict once the stream from the helper is over. Shared rules: a clean frame stream
   * with exactly one RESULT. Spawn adds the exit status (which must agree with the RESULT);
   * the socket has none, so a broken connection is a failure of its own.
   */
  private onStreamEnd(end: StreamEnd): void {
    if (this.finished) return;
    if (end.transport === 'spawn' && end.signal !== null) {
      this.fail(new PamClientError('KILLED', `the helper was killed by ${end.signal}`));
      return;
    }
    try {
      this.decoder.end();
    } catch (error) {
      this.fail(this.streamError(error));
      return;
    }
    const result = this.result;
    const resultSaysSuccess =
      result !== null && `${result.code}:${result.name}:${result.stage}` === SUCCESS_RESULT;
    if (end.transport === 'socket') {
      const broken = end.error ? ` (${end.error.code ?? 'unknown'})` : '';
      if (!result) {
        // systemd accepts, then closes, a connection over MaxConnections= or
        // MaxConnectionsPerSource=: the client sees only the end (or a reset, when START was
        // still unread).
        this.fail(
          new PamClientError(
            'MISSING_RESULT',
            `the PAM helper service closed the connection without a result${broken}: a unit ` +
              'limit (MaxConnections=, MaxConnectionsPerSource=) or a helper failure, see its journal',
          ),
        );
      } else if (resultSaysSuccess && end.error) {
        // Success needs a clean end of stream.
        this.fail(
          new PamClientError('SOCKET_BROKEN', `the connection to the PAM helper failed${broken}`),
        );
      } else if (resultSaysSuccess) this.finish({ ok: true, result });
      // A refusal stands even if the connection then broke: it was a no either way.
      else this.finish({ ok: false, kind: 'refused', result, exitCode: null });
      return;
    }
    const { exitCode } = end;
    if (!result) {
      this.fail(
        new PamClientError('MISSING_RESULT', `the helper exited (${exitCode}) without a result`),
      );
    } else if (resultSaysSuccess && exitCode === 0) this.finish({ ok: true, result });
    else if (!resultSaysSuccess && exitCode !== 0 && exitCode !== null) {
      this.finish({ ok: false, kind: 'refused', result, exitCode });
    } else {
      this.fail(
        new PamClientError(
          'INCONSISTENT_EXIT',
          `RESULT ${result.name} with exit status ${exitCode}`,
        ),
      );
    }
  }

  // ---- shared: frames in both directions, events, the end ----

  private nextEvent(): Promise<PamEvent> {
    const event = this.queue.shift();
    if (event) return Promise.resolve(event);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private emit(event: PamEvent): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(event);
    else this.queue.push(event);
  }

  private write(frame: Buffer, secret = false): void {
    const input = this.link ? linkInput(this.link) : null;
    if (!input || input.destroyed || input.writableEnded) {
      if (secret) frame.fill(0);
      return;
    }
    input.write(frame, () => {
      if (secret) frame.fill(0);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    let frames: readonly Frame[];
    let streamFault: FrameError | null = null;
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      // Handle the good frames before the bad bytes first: a RESULT among them turns the
      // fault into TRAILING_DATA, which says more than "malformed".
      frames = error.framesBefore;
      streamFault = error;
    }
    for (const frame of frames) {
      try {
        this.onFrame(frame);
      } catch (error) {
        this.abort(error instanceof PamClientError ? error : this.streamError(error));
        return;
      }
    }
    if (streamFault) this.abort(this.streamError(streamFault));
  }

  private streamError(error: unknown): PamClientError {
    if (this.result) return new PamClientError('TRAILING_DATA', 'bytes after the RESULT frame');
    const code = error instanceof FrameError ? error.code : 'unknown';
    return new PamClientError('MALFORMED_FRAME', `malformed frame from the helper (${code})`);
  }

  private onFrame(frame: Frame): void {
    if (this.result) {
      throw frame.type === FrameType.RESULT
        ? new PamClientError('DUPLICATE_RESULT', 'a second RESULT frame')
        : new PamClientError('TRAILING_DATA', 'a frame after the RESULT frame');
    }
    switch (frame.type) {
      case FrameType.PROMPT_ECHO_OFF:
      case FrameType.PROMPT_ECHO_ON:
        this.pendingPrompts += 1;
        this.emit({
          type: 'prompt',
          secret: frame.type === FrameType.PROMPT_ECHO_OFF,
          text: decodeText(frame.payload),
        });
        return;
      case FrameType.INFO:
        this.emit({ type: 'info', text: decodeText(frame.payload) });
        return;
      case FrameType.ERROR:
        this.emit({ type: 'error', text: decodeText(frame.payload) });
        return;
      case FrameType.RESULT:
        this.result = parseResult(decodeText(frame.payload));
        this.pendingPrompts = 0;
        return;
      default:
        throw new PamClientError(
          'UNEXPECTED_FRAME',
          `frame type ${frame.type} never comes from the helper`,
        );
    }
  }

  private fail(error: PamClientError): void {
    this.finish({ ok: false, kind: 'client-error', error, result: this.result });
  }

  private finish(outcome: PamOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.pendingPrompts = 0;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const input = this.link ? linkInput(this.link) : null;
    if (input && !input.destroyed && !input.writableEnded) input.end();
    this.emit({ type: 'result', outcome });
    this.resolveOutcome(outcome);
  }
}

/** Starts one PAM transaction through the helper. */
export function runPamTransaction(options: PamTransactionOptions): PamTransaction {
  return new PamTransaction(options);
}
