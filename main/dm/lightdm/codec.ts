// LightDM's greeter wire protocol (LightDM 1.26, src/greeter.c), both directions.
//
// Every message: u32 BE id, u32 BE payload length, payload. In payloads an int is a u32 BE and
// a string is a u32 BE byte length followed by that many bytes (no NUL; length 0 for NULL).
//
// The decoder is strict and bounded: it fails with a LightdmCodecError (a stable `code`) on an
// unknown id, a length above what LightDM can send, a field running past its payload, bytes
// left after the last field, bad UTF-8, a NUL inside a string, too many items, or a PAM message
// style it does not know. It never waits for more bytes than one message can hold, and after
// its first error it stays failed: a stream that lied once is not trusted again.

/** Greeter → server message ids. */
export const GreeterMessageId = {
  CONNECT: 0,
  AUTHENTICATE: 1,
  AUTHENTICATE_AS_GUEST: 2,
  CONTINUE_AUTHENTICATION: 3,
  START_SESSION: 4,
  CANCEL_AUTHENTICATION: 5,
  SET_LANGUAGE: 6,
  AUTHENTICATE_REMOTE: 7,
  ENSURE_SHARED_DIR: 8,
} as const;

/** Server → greeter message ids. */
export const ServerMessageId = {
  CONNECTED: 0,
  PROMPT_AUTHENTICATION: 1,
  END_AUTHENTICATION: 2,
  SESSION_RESULT: 3,
  SHARED_DIR_RESULT: 4,
  IDLE: 5,
  RESET: 6,
  CONNECTED_V2: 7,
} as const;

/** PAM message styles as LightDM relays them (`msg_style` of struct pam_message). */
export const PamStyle = {
  PROMPT_ECHO_OFF: 1,
  PROMPT_ECHO_ON: 2,
  ERROR_MSG: 3,
  TEXT_INFO: 4,
} as const;
export type PamStyle = (typeof PamStyle)[keyof typeof PamStyle];

/** The API version we announce in CONNECT: ≥ 1 makes LightDM answer CONNECTED_V2. */
export const GREETER_API_VERSION = 1;
const HEADER_BYTES = 8;
/**
 * LightDM builds every message in a 1024-byte buffer (MAX_MESSAGE_LENGTH) and silently cuts
 * longer content while the header keeps the full length, so the stream would stall or
 * misalign for good. A whole message of at most 1023 bytes is written intact: any larger
 * payload length means LightDM cut it, and is refused at once (MESSAGE_TOO_LARGE).
 */
export const MAX_SERVER_PAYLOAD = 1023 - HEADER_BYTES;
/** Linux-PAM's PAM_MAX_NUM_MSG: the most messages one conversation call carries. */
export const MAX_PAM_MESSAGES = 32;
/** Hints in CONNECTED/RESET: LightDM sends about ten; the 1 KiB cap allows ~120 empty ones. */
export const MAX_HINTS = 64;
/** Linux-PAM's PAM_MAX_RESP_SIZE: the longest answer we send. */
export const MAX_ANSWER_BYTES = 512;
/** Longest user, session or version string we send. */
export const MAX_GREETER_STRING_BYTES = 256;

export type LightdmCodecErrorCode =
  | 'UNKNOWN_MESSAGE' // an id LightDM never sends
  | 'MESSAGE_TOO_LARGE' // payload length above MAX_SERVER_PAYLOAD (LightDM cut the message)
  | 'TRUNCATED_FIELD' // an int or string runs past the payload
  | 'TRAILING_BYTES' // payload bytes after the last field
  | 'BAD_UTF8' // a string is not valid UTF-8
  | 'NUL_IN_STRING' // a string holds a NUL byte
  | 'TOO_MANY_ITEMS' // more PAM messages or hints than allowed
  | 'UNKNOWN_STYLE' // a PAM message style other than 1-4
  | 'DUPLICATE_HINT' // the same hint key twice
  | 'INCOMPLETE_MESSAGE' // the stream ended inside a message
  | 'BAD_ARGUMENT'; // encoder: a value that cannot be sent (NUL, too long, not a u32)

export class LightdmCodecError extends Error {
  readonly code: LightdmCodecErrorCode;
  /** Whole messages of the same `push` that came before the bad bytes. */
  readonly messagesBefore: readonly ServerMessage[];
  constructor(
    code: LightdmCodecErrorCode,
    message: string,
    messagesBefore: readonly ServerMessage[] = [],
  ) {
    super(message);
    this.name = 'LightdmCodecError';
    this.code = code;
    this.messagesBefore = messagesBefore;
  }
}

export interface PamMessage {
  style: PamStyle;
  text: string;
}

/** Hints as they came, in order (LightDM's keys and string values, e.g. `hide-users`→`true`). */
export type RawHints = ReadonlyMap<string, string>;

export type ServerMessage =
  /** CONNECTED (api 0, apiVersion 0) or CONNECTED_V2 (api ≥ 1). */
  | { type: 'connected'; apiVersion: number; version: string; hints: RawHints }
  | { type: 'prompt-authentication'; sequence: number; user: string; messages: PamMessage[] }
  | { type: 'end-authentication'; sequence: number; user: string; result: number }
  | { type: 'session-result'; code: number }
  | { type: 'shared-dir-result'; dir: string }
  | { type: 'idle' }
  | { type: 'reset'; hints: RawHints };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const KNOWN_STYLES: ReadonlySet<number> = new Set(Object.values(PamStyle));

/** Reads the fields of one payload; every overrun is a TRUNCATED_FIELD. */
class PayloadReader {
  private offset = 0;
  constructor(private readonly payload: Buffer) {}

  get remaining(): number {
    return this.payload.length - this.offset;
  }

  u32(what: string): number {
    if (this.remaining < 4) {
      throw new LightdmCodecError('TRUNCATED_FIELD', `${what}: int runs past the payload`);
    }
    const value = this.payload.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(what: string): string {
    const length = this.u32(what);
    if (length > this.remaining) {
      throw new LightdmCodecError(
        'TRUNCATED_FIELD',
        `${what}: string of ${length} bytes runs past the payload`,
      );
    }
    const bytes = this.payload.subarray(this.offset, this.offset + length);
    this.offset += length;
    if (bytes.includes(0)) throw new LightdmCodecError('NUL_IN_STRING', `${what}: NUL byte`);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new LightdmCodecError('BAD_UTF8', `${what}: not valid UTF-8`);
    }
  }

  done(what: string): void {
    if (this.remaining !== 0) {
      throw new LightdmCodecError('TRAILING_BYTES', `${what}: ${this.remaining} bytes left over`);
    }
  }
}

function readHintPairs(reader: PayloadReader, count: number | null, what: string): RawHints {
  const hints = new Map<string, string>();
  for (let i = 0; count === null ? reader.remaining > 0 : i < count; i += 1) {
    if (hints.size >= MAX_HINTS) {
      throw new LightdmCodecError('TOO_MANY_ITEMS', `${what}: more than ${MAX_HINTS} hints`);
    }
    const key = reader.string(`${what} hint key`);
    const value = reader.string(`${what} hint value`);
    if (hints.has(key)) throw new LightdmCodecError('DUPLICATE_HINT', `${what}: hint ${key} twice`);
    hints.set(key, value);
  }
  return hints;
}

/** Decodes one server message's payload. Throws LightdmCodecError. */
export function decodeServerMessage(id: number, payload: Buffer): ServerMessage {
  const r = new PayloadReader(payload);
  let message: ServerMessage;
  switch (id) {
    case ServerMessageId.CONNECTED: {
      const version = r.string('CONNECTED version');
      message = {
        type: 'connected',
        apiVersion: 0,
        version,
        hints: readHintPairs(r, null, 'CONNECTED'),
      };
      break;
    }
    case ServerMessageId.CONNECTED_V2: {
      const apiVersion = r.u32('CONNECTED_V2 api version');
      const version = r.string('CONNECTED_V2 version');
      const count = r.u32('CONNECTED_V2 hint count');
      if (count > MAX_HINTS) {
        throw new LightdmCodecError('TOO_MANY_ITEMS', `CONNECTED_V2: ${count} hints`);
      }
      message = {
        type: 'connected',
        apiVersion,
        version,
        hints: readHintPairs(r, count, 'CONNECTED_V2'),
      };
      break;
    }
    case ServerMessageId.PROMPT_AUTHENTICATION: {
      const sequence = r.u32('PROMPT sequence');
      const user = r.string('PROMPT user');
      const count = r.u32('PROMPT message count');
      if (count > MAX_PAM_MESSAGES) {
        throw new LightdmCodecError('TOO_MANY_ITEMS', `PROMPT: ${count} messages`);
      }
      const messages: PamMessage[] = [];
      for (let i = 0; i < count; i += 1) {
        const style = r.u32('PROMPT style');
        if (!KNOWN_STYLES.has(style)) {
          throw new LightdmCodecError('UNKNOWN_STYLE', `PROMPT: PAM message style ${style}`);
        }
        messages.push({ style: style as PamStyle, text: r.string('PROMPT text') });
      }
      message = { type: 'prompt-authentication', sequence, user, messages };
      break;
    }
    case ServerMessageId.END_AUTHENTICATION: {
      const sequence = r.u32('END sequence');
      const user = r.string('END user');
      message = { type: 'end-authentication', sequence, user, result: r.u32('END result') };
      break;
    }
    case ServerMessageId.SESSION_RESULT:
      message = { type: 'session-result', code: r.u32('SESSION_RESULT code') };
      break;
    case ServerMessageId.SHARED_DIR_RESULT:
      message = { type: 'shared-dir-result', dir: r.string('SHARED_DIR_RESULT dir') };
      break;
    case ServerMessageId.IDLE:
      message = { type: 'idle' };
      break;
    case ServerMessageId.RESET:
      message = { type: 'reset', hints: readHintPairs(r, null, 'RESET') };
      break;
    default:
      throw new LightdmCodecError('UNKNOWN_MESSAGE', `unknown server message id ${id}`);
  }
  r.done(`message ${id}`);
  return message;
}

/**
 * Incremental decoder for the server → greeter stream: feed it chunks as they are read (any
 * split, short reads included), get whole messages back. Bounded: it never buffers more than
 * one header and one MAX_SERVER_PAYLOAD payload.
 */
export class ServerMessageDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  private failed: LightdmCodecError | null = null;

  /** Bytes of a message begun but not complete (the client times a stall on this). */
  get partialBytes(): number {
    return this.buffered.length;
  }

  push(chunk: Buffer): ServerMessage[] {
    if (this.failed) throw this.failed;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: ServerMessage[] = [];
    while (this.buffered.length >= HEADER_BYTES) {
      const id = this.buffered.readUInt32BE(0);
      const length = this.buffered.readUInt32BE(4);
      try {
        if (id > ServerMessageId.CONNECTED_V2) {
          throw new LightdmCodecError('UNKNOWN_MESSAGE', `unknown server message id ${id}`);
        }
        if (length > MAX_SERVER_PAYLOAD) {
          throw new LightdmCodecError(
            'MESSAGE_TOO_LARGE',
            `message ${id} announces ${length} payload bytes; LightDM cuts anything over ${MAX_SERVER_PAYLOAD}`,
          );
        }
        if (this.buffered.length < HEADER_BYTES + length) break;
        const payload = this.buffered.subarray(HEADER_BYTES, HEADER_BYTES + length);
        messages.push(decodeServerMessage(id, payload));
        this.buffered = this.buffered.subarray(HEADER_BYTES + length);
      } catch (error) {
        if (!(error instanceof LightdmCodecError)) throw error;
        return this.fail(error, messages);
      }
    }
    return messages;
  }

  /** The stream ended: throws INCOMPLETE_MESSAGE if a message was cut off. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buffered.length > 0) {
      this.fail(
        new LightdmCodecError(
          'INCOMPLETE_MESSAGE',
          `the stream ended inside a message (${this.buffered.length} bytes buffered)`,
        ),
        [],
      );
    }
  }

  private fail(error: LightdmCodecError, before: readonly ServerMessage[]): never {
    this.failed = new LightdmCodecError(error.code, error.message, before);
    this.buffered = Buffer.alloc(0);
    throw this.failed;
  }
}

// ---- encoding ----

function u32(value: number, what: string): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new LightdmCodecError('BAD_ARGUMENT', `${what}: ${value} is not a u32`);
  }
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value, 0);
  return b;
}

function stringBytes(value: string | Buffer, max: number, what: string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.includes(0)) throw new LightdmCodecError('BAD_ARGUMENT', `${what}: NUL byte`);
  if (bytes.length > max) {
    throw new LightdmCodecError('BAD_ARGUMENT', `${what}: ${bytes.length} bytes, at most ${max}`);
  }
  return bytes;
}

function field(value: string | Buffer, max: number, what: string): Buffer[] {
  const bytes = stringBytes(value, max, what);
  return [u32(bytes.length, what), bytes];
}

/** One whole message from its id and payload parts (copied: callers may wipe their parts). */
export function encodeMessage(id: number, parts: readonly Buffer[] = []): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([u32(id, 'message id'), u32(length, 'payload length'), ...parts]);
}

export function encodeConnect(version: string, resettable: boolean): Buffer {
  return encodeMessage(GreeterMessageId.CONNECT, [
    ...field(version, MAX_GREETER_STRING_BYTES, 'version'),
    u32(resettable ? 1 : 0, 'resettable'),
    u32(GREETER_API_VERSION, 'api version'),
  ]);
}

/** AUTHENTICATE; an empty user makes PAM ask for the name (`login:`). */
export function encodeAuthenticate(sequence: number, user: string): Buffer {
  return encodeMessage(GreeterMessageId.AUTHENTICATE, [
    u32(sequence, 'sequence'),
    ...field(user, MAX_GREETER_STRING_BYTES, 'user'),
  ]);
}

/**
 * CONTINUE_AUTHENTICATION with exactly one answer per prompt of the last PROMPT batch. The
 * returned buffer holds the answers: the caller wipes it once written.
 */
export function encodeContinue(answers: readonly Buffer[]): Buffer {
  if (answers.length > MAX_PAM_MESSAGES) {
    throw new LightdmCodecError('BAD_ARGUMENT', `${answers.length} answers`);
  }
  const parts: Buffer[] = [u32(answers.length, 'answer count')];
  for (const answer of answers) parts.push(...field(answer, MAX_ANSWER_BYTES, 'answer'));
  return encodeMessage(GreeterMessageId.CONTINUE_AUTHENTICATION, parts);
}

/** START_SESSION; an empty name asks for LightDM's default session. */
export function encodeStartSession(session: string): Buffer {
  if (session.includes('/')) throw new LightdmCodecError('BAD_ARGUMENT', 'session name has a /');
  return encodeMessage(
    GreeterMessageId.START_SESSION,
    field(session, MAX_GREETER_STRING_BYTES, 'session'),
  );
}

export function encodeCancel(): Buffer {
  return encodeMessage(GreeterMessageId.CANCEL_AUTHENTICATION);
}

/**
 * Server side of the codec, for tests and test doubles only: a message as LightDM writes it
 * (no size cap here, so tests can build the oversized messages LightDM would cut).
 */
export function encodeServerMessage(message: ServerMessage): Buffer {
  const s = (v: string): Buffer[] => {
    const b = Buffer.from(v, 'utf8');
    return [u32(b.length, 'string length'), b];
  };
  const pairs = (hints: RawHints): Buffer[] => [...hints].flatMap(([k, v]) => [...s(k), ...s(v)]);
  switch (message.type) {
    case 'connected':
      return message.apiVersion === 0
        ? encodeMessage(ServerMessageId.CONNECTED, [...s(message.version), ...pairs(message.hints)])
        : encodeMessage(ServerMessageId.CONNECTED_V2, [
            u32(message.apiVersion, 'api'),
            ...s(message.version),
            u32(message.hints.size, 'hint count'),
            ...pairs(message.hints),
          ]);
    case 'prompt-authentication':
      return encodeMessage(ServerMessageId.PROMPT_AUTHENTICATION, [
        u32(message.sequence, 'sequence'),
        ...s(message.user),
        u32(message.messages.length, 'count'),
        ...message.messages.flatMap((m) => [u32(m.style, 'style'), ...s(m.text)]),
      ]);
    case 'end-authentication':
      return encodeMessage(ServerMessageId.END_AUTHENTICATION, [
        u32(message.sequence, 'sequence'),
        ...s(message.user),
        u32(message.result, 'result'),
      ]);
    case 'session-result':
      return encodeMessage(ServerMessageId.SESSION_RESULT, [u32(message.code, 'code')]);
    case 'shared-dir-result':
      return encodeMessage(ServerMessageId.SHARED_DIR_RESULT, s(message.dir));
    case 'idle':
      return encodeMessage(ServerMessageId.IDLE);
    case 'reset':
      return encodeMessage(ServerMessageId.RESET, pairs(message.hints));
  }
}
