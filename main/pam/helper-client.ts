// Client of the setuid PAM helper (native-helper/PROTOCOL.md): one process per transaction.
//
// The client relays the conversation as typed events and decides the outcome. It fails
// closed: the transaction succeeds only when the helper sent exactly one RESULT frame
// `0:PAM_SUCCESS:acct_mgmt`, then ended its stdout cleanly and exited with status 0. Every
// other path (malformed or unexpected frame, missing or second result, trailing bytes, a
// signal, a nonzero exit, a spawn error, the deadline, a cancel) is a failure.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
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
  | 'MALFORMED_FRAME' // the frame codec rejected the stream (FrameError)
  | 'MALFORMED_TEXT' // payload not UTF-8, or a NUL where none is allowed
  | 'UNEXPECTED_FRAME' // a main → helper frame type arriving from the helper
  | 'MALFORMED_RESULT' // RESULT payload not `<code>:<NAME>:<stage>`
  | 'DUPLICATE_RESULT' // a second RESULT frame
  | 'TRAILING_DATA' // bytes after the RESULT frame
  | 'MISSING_RESULT' // stream ended without a RESULT frame
  | 'INCONSISTENT_EXIT' // RESULT and exit status disagree
  | 'KILLED' // the helper ended by a signal
  | 'TIMEOUT' // the client's deadline passed
  | 'CANCELLED' // cancel() was called
  | 'ANSWER_TOO_LARGE'
  | 'ANSWER_HAS_NUL'
  | 'NO_PENDING_PROMPT' // answer() without an unanswered prompt
  | 'TRANSACTION_OVER' // answer() after the outcome is known
  | 'INVALID_REQUEST'; // empty service/user, or a NUL in them (START separates them by NUL)

export class PamClientError extends Error {
  readonly code: PamClientErrorCode;
  constructor(code: PamClientErrorCode, message: string) {
    super(message);
    this.name = 'PamClientError';
    this.code = code;
  }
}

export type PamStage = 'helper' | 'authenticate' | 'acct_mgmt';

/** The helper's RESULT frame, parsed. */
export interface PamResult {
  code: number;
  name: string;
  stage: PamStage;
}

export type PamOutcome =
  /** The only success: RESULT 0:PAM_SUCCESS:acct_mgmt, clean end of stream, exit status 0. */
  | { ok: true; result: PamResult }
  /** The PAM stack or the helper said no, by the protocol. */
  | { ok: false; kind: 'refused'; result: PamResult; exitCode: number }
  /** Anything else: the transaction broke. `result` is the RESULT frame if one arrived. */
  | { ok: false; kind: 'client-error'; error: PamClientError; result: PamResult | null };

export type PamEvent =
  | { type: 'prompt'; secret: boolean; text: string }
  | { type: 'info'; text: string }
  | { type: 'error'; text: string }
  /** Always the last event, exactly once. */
  | { type: 'result'; outcome: PamOutcome };

export interface PamTransactionOptions {
  /** Absolute path of the helper binary. */
  helperPath: string;
  /** PAM service (the helper accepts only its allowlist). */
  service: string;
  user: string;
  /** The helper's whole environment (tests pass pam_wrapper's); empty by default. */
  env?: Record<string, string>;
  /** Overall deadline in ms, after which the transaction is cancelled as TIMEOUT. */
  deadlineMs?: number;
  /** Grace between CANCEL/stdin close and SIGKILL, in ms. */
  killGraceMs?: number;
}

export const DEFAULT_DEADLINE_MS = 120_000;
export const DEFAULT_KILL_GRACE_MS = 1_000;

const SUCCESS_RESULT = '0:PAM_SUCCESS:acct_mgmt';
const RESULT_PATTERN =
  /^(0|[1-9][0-9]{0,4}):([A-Z][A-Z0-9_]{0,63}):(helper|authenticate|acct_mgmt)$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

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

/**
 * One running PAM transaction. Read `events()` (or `outcome`), call `answer()` for prompts.
 * Answers are never logged; the buffers this class allocates for them are zeroed after the
 * write (JavaScript strings cannot be wiped: keep them short-lived in callers).
 */
export class PamTransaction {
  /** Resolves once, with the final outcome (also delivered as the last event). */
  readonly outcome: Promise<PamOutcome>;

  private readonly child: ChildProcessByStdio<Writable, Readable, null> | null;
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
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const startPayload = Buffer.from(`${options.service}\0${options.user}`, 'utf8');
    if (
      options.service.length === 0 ||
      options.user.length === 0 ||
      options.service.includes('\0') ||
      options.user.includes('\0') ||
      startPayload.length > MAX_FRAME_PAYLOAD
    ) {
      this.child = null;
      this.fail(
        new PamClientError('INVALID_REQUEST', 'service and user must be non-empty, without NUL'),
      );
      return;
    }
    let child: ChildProcessByStdio<Writable, Readable, null>;
    try {
      child = spawn(options.helperPath, [], {
        // stderr carries no protocol (PAM modules may print there): it goes to /dev/null rather
        // than through a third pipe we would have to drain on every login.
        stdio: ['pipe', 'pipe', 'ignore'],
        env: { ...options.env },
        // A detached helper would survive us; keep it in our process group.
        detached: false,
      });
    } catch (error) {
      this.child = null;
      this.fail(spawnError(error as NodeJS.ErrnoException));
      return;
    }
    this.child = child;
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
    child.stdin.on('error', () => {
      // EPIPE when the helper has exited: the exit status decides the outcome.
    });
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.on('close', (code, signal) => this.onClose(code, signal));

    this.deadlineTimer = setTimeout(
      () => this.abort(new PamClientError('TIMEOUT', 'the PAM transaction passed its deadline')),
      options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    );
    this.write(encodeFrame(FrameType.START, startPayload));
  }

  /** The helper's process id (undefined if it never started), for logs and tests. */
  get pid(): number | undefined {
    return this.child?.pid;
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

  /** Sends CANCEL, closes stdin and kills the helper after a short grace. Outcome: CANCELLED. */
  cancel(): void {
    this.abort(new PamClientError('CANCELLED', 'the attempt was cancelled'));
  }

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
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) {
      if (secret) frame.fill(0);
      return;
    }
    stdin.write(frame, () => {
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

  private onClose(exitCode: number | null, signal: NodeJS.Signals | null): void {
    if (this.finished) return;
    if (signal !== null) {
      this.fail(new PamClientError('KILLED', `the helper was killed by ${signal}`));
      return;
    }
    try {
      this.decoder.end();
    } catch (error) {
      this.fail(this.streamError(error));
      return;
    }
    const result = this.result;
    if (!result) {
      this.fail(
        new PamClientError('MISSING_RESULT', `the helper exited (${exitCode}) without a result`),
      );
      return;
    }
    const resultSaysSuccess = `${result.code}:${result.name}:${result.stage}` === SUCCESS_RESULT;
    if (resultSaysSuccess && exitCode === 0) this.finish({ ok: true, result });
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

  /** Ends the transaction now as a failure and makes sure the helper goes away. */
  private abort(error: PamClientError): void {
    if (this.finished) return;
    this.fail(error);
    const child = this.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      this.write(encodeFrame(FrameType.CANCEL));
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

  private fail(error: PamClientError): void {
    this.finish({ ok: false, kind: 'client-error', error, result: this.result });
  }

  private finish(outcome: PamOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.pendingPrompts = 0;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.child && !this.child.stdin.writableEnded) this.child.stdin.end();
    this.emit({ type: 'result', outcome });
    this.resolveOutcome(outcome);
  }
}

/** Starts one PAM transaction through the helper. */
export function runPamTransaction(options: PamTransactionOptions): PamTransaction {
  return new PamTransaction(options);
}
