// Codec of greetd's IPC (greetd-ipc(7), greetd 0.9): every message, both ways, is a u32
// length in the host's *native* byte order, then that many bytes of UTF-8 JSON.
//
// Requests (greeter → greetd) are built only from typed values and checked before they are
// encoded. Replies (greetd → greeter) are decoded incrementally (any chunking, one byte at a
// time included) and strictly: a length above MAX_REPLY_BYTES, bytes that are not UTF-8, JSON
// that does not parse, an unknown `type`, a missing, extra or wrongly typed field all raise a
// GreetdCodecError with a stable code. After the first error the decoder stays failed: a
// stream that lied once is not trusted again. Nothing here waits: timeouts are the client's.
import { endianness } from 'node:os';

/** Largest reply accepted, in bytes of JSON. greetd's replies are a PAM text (at most
 *  PAM_MAX_MSG_SIZE, 512 bytes) or a short description, JSON-escaped: 16 KiB is ample. */
export const MAX_REPLY_BYTES = 16 * 1024;
/** Largest request we send (start_session with a long environment), in bytes of JSON. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Largest answer to a prompt, in UTF-8 bytes (PAM_MAX_RESP_SIZE). */
export const MAX_ANSWER_BYTES = 512;
/** Largest user name we send (LOGIN_NAME_MAX is 256 with its NUL). */
export const MAX_USERNAME_BYTES = 255;

const LITTLE_ENDIAN = endianness() === 'LE';

export type GreetdCodecErrorCode =
  | 'REPLY_TOO_LARGE' // length prefix above MAX_REPLY_BYTES
  | 'REPLY_TRUNCATED' // the stream ended inside a message
  | 'BAD_UTF8' // the body is not valid UTF-8
  | 'BAD_JSON' // the body is not JSON, or not a JSON object
  | 'UNKNOWN_TYPE' // `type` missing, not a string, or not one greetd sends
  | 'BAD_FIELD' // a field missing, extra, of the wrong type, or an unknown enum value
  | 'INVALID_REQUEST' // a request we refuse to encode (empty user, NUL, bad env entry…)
  | 'REQUEST_TOO_LARGE'; // an encoded request above MAX_REQUEST_BYTES

export class GreetdCodecError extends Error {
  readonly code: GreetdCodecErrorCode;
  constructor(code: GreetdCodecErrorCode, message: string) {
    super(message);
    this.name = 'GreetdCodecError';
    this.code = code;
  }
}

// ---- requests ----

export type GreetdRequest =
  | { type: 'create_session'; username: string }
  /** `response` null acknowledges an info/error message; a string answers a prompt. */
  | { type: 'post_auth_message_response'; response: string | null }
  | { type: 'start_session'; cmd: readonly string[]; env: readonly string[] }
  | { type: 'cancel_session' };

const ENV_ENTRY = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** In `u` mode a surrogate pair is one code point: only a lone surrogate matches. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function invalid(message: string): never {
  throw new GreetdCodecError('INVALID_REQUEST', message);
}

function checkText(what: string, value: unknown, maxBytes: number, allowEmpty = false): void {
  if (typeof value !== 'string') invalid(`${what} must be a string`);
  if (!allowEmpty && value.length === 0) invalid(`${what} must not be empty`);
  if (value.includes('\0')) invalid(`${what} must not contain NUL`);
  if (Buffer.byteLength(value, 'utf8') > maxBytes) invalid(`${what} exceeds ${maxBytes} bytes`);
  // A lone surrogate would be sent as U+FFFD: not what was typed.
  if (LONE_SURROGATE.test(value)) invalid(`${what} is not well-formed Unicode`);
}

/** Checks a request's fields; throws INVALID_REQUEST. */
export function checkRequest(request: GreetdRequest): void {
  switch (request.type) {
    case 'create_session':
      checkText('username', request.username, MAX_USERNAME_BYTES);
      return;
    case 'post_auth_message_response':
      if (request.response !== null) {
        checkText('response', request.response, MAX_ANSWER_BYTES, true);
      }
      return;
    case 'start_session':
      if (!Array.isArray(request.cmd) || request.cmd.length === 0) {
        invalid('cmd must be a non-empty array');
      }
      for (const arg of request.cmd) checkText('cmd argument', arg, MAX_REQUEST_BYTES, true);
      if (request.cmd[0] === '') invalid('cmd[0] must not be empty');
      if (!Array.isArray(request.env)) invalid('env must be an array');
      for (const entry of request.env) {
        checkText('env entry', entry, MAX_REQUEST_BYTES);
        if (!ENV_ENTRY.test(entry)) invalid('env entries are KEY=value');
      }
      return;
    case 'cancel_session':
      return;
    default:
      invalid('unknown request type');
  }
}

function frame(body: Buffer): Buffer {
  const out = Buffer.alloc(4 + body.length);
  if (LITTLE_ENDIAN) out.writeUInt32LE(body.length, 0);
  else out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/**
 * Encodes a checked request: native-endian u32 length + JSON. The caller owns the returned
 * Buffer; for a post_auth_message_response it holds the answer: wipe it after the write.
 */
export function encodeRequest(request: GreetdRequest): Buffer {
  checkRequest(request);
  // Only the known fields, in greetd's order, whatever else the object carries.
  let json: string;
  switch (request.type) {
    case 'create_session':
      json = JSON.stringify({ type: request.type, username: request.username });
      break;
    case 'post_auth_message_response':
      json = JSON.stringify({ type: request.type, response: request.response });
      break;
    case 'start_session':
      json = JSON.stringify({ type: request.type, cmd: [...request.cmd], env: [...request.env] });
      break;
    case 'cancel_session':
      json = JSON.stringify({ type: request.type });
      break;
  }
  const body = Buffer.from(json, 'utf8');
  try {
    if (body.length > MAX_REQUEST_BYTES) {
      throw new GreetdCodecError(
        'REQUEST_TOO_LARGE',
        `request of ${body.length} bytes exceeds ${MAX_REQUEST_BYTES}`,
      );
    }
    return frame(body);
  } finally {
    body.fill(0);
  }
}

// ---- replies ----

export type AuthMessageType = 'visible' | 'secret' | 'info' | 'error';
export type GreetdErrorType = 'auth_error' | 'error';

export type GreetdReply =
  | { type: 'success' }
  | { type: 'error'; errorType: GreetdErrorType; description: string }
  | { type: 'auth_message'; authMessageType: AuthMessageType; authMessage: string };

const AUTH_MESSAGE_TYPES: ReadonlySet<string> = new Set(['visible', 'secret', 'info', 'error']);
const ERROR_TYPES: ReadonlySet<string> = new Set(['auth_error', 'error']);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function badField(message: string): never {
  throw new GreetdCodecError('BAD_FIELD', message);
}

function expectKeys(object: Record<string, unknown>, keys: readonly string[], type: string): void {
  const present = Object.keys(object);
  for (const key of present) {
    if (!keys.includes(key)) badField(`unexpected field in ${type}`);
  }
  for (const key of keys) {
    if (!Object.hasOwn(object, key)) badField(`${type} lacks ${key}`);
  }
}

function text(object: Record<string, unknown>, key: string, type: string): string {
  const value = object[key];
  if (typeof value !== 'string') badField(`${type}.${key} must be a string`);
  // PAM texts are C strings: a NUL cannot come from PAM.
  if (value.includes('\0')) badField(`${type}.${key} contains NUL`);
  return value;
}

/** Parses one reply body (the bytes after the length). Throws GreetdCodecError. */
export function parseReply(body: Uint8Array): GreetdReply {
  let source: string;
  try {
    source = strictUtf8.decode(body);
  } catch {
    throw new GreetdCodecError('BAD_UTF8', 'reply is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    throw new GreetdCodecError('BAD_JSON', 'reply is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GreetdCodecError('BAD_JSON', 'reply is not a JSON object');
  }
  const object = value as Record<string, unknown>;
  const type = object.type;
  switch (type) {
    case 'success':
      expectKeys(object, ['type'], type);
      return { type };
    case 'error': {
      expectKeys(object, ['type', 'error_type', 'description'], type);
      const errorType = text(object, 'error_type', type);
      if (!ERROR_TYPES.has(errorType)) badField('unknown error_type');
      return {
        type,
        errorType: errorType as GreetdErrorType,
        description: text(object, 'description', type),
      };
    }
    case 'auth_message': {
      expectKeys(object, ['type', 'auth_message_type', 'auth_message'], type);
      const kind = text(object, 'auth_message_type', type);
      if (!AUTH_MESSAGE_TYPES.has(kind)) badField('unknown auth_message_type');
      return {
        type,
        authMessageType: kind as AuthMessageType,
        authMessage: text(object, 'auth_message', type),
      };
    }
    default:
      throw new GreetdCodecError('UNKNOWN_TYPE', 'reply has no known type');
  }
}

/** Encodes a reply as greetd would (for stand-ins and tests). No checks: tests need bad ones. */
export function encodeReplyBody(body: Buffer | string): Buffer {
  return frame(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
}

/**
 * Incremental reply decoder: feed it chunks, get whole replies back. `pendingBytes` tells the
 * client whether a message has started (it bounds how long one may take to complete).
 */
export class ReplyDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  private failed: GreetdCodecError | null = null;

  /** Bytes of an incomplete message held now (0 between messages). */
  get pendingBytes(): number {
    return this.buffered.length;
  }

  push(chunk: Uint8Array): GreetdReply[] {
    if (this.failed) throw this.failed;
    this.buffered =
      this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    const replies: GreetdReply[] = [];
    while (this.buffered.length >= 4) {
      const length = LITTLE_ENDIAN ? this.buffered.readUInt32LE(0) : this.buffered.readUInt32BE(0);
      if (length > MAX_REPLY_BYTES) {
        this.fail(
          new GreetdCodecError(
            'REPLY_TOO_LARGE',
            `reply length ${length} exceeds ${MAX_REPLY_BYTES}`,
          ),
        );
      }
      if (this.buffered.length < 4 + length) break;
      const body = this.buffered.subarray(4, 4 + length);
      try {
        replies.push(parseReply(body));
      } catch (error) {
        this.fail(error as GreetdCodecError);
      }
      this.buffered = this.buffered.subarray(4 + length);
    }
    if (this.buffered.length === 0) this.buffered = Buffer.alloc(0);
    return replies;
  }

  /** Call at end of stream: leftover bytes mean a cut message. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buffered.length > 0) {
      this.fail(
        new GreetdCodecError(
          'REPLY_TRUNCATED',
          `stream ended inside a reply (${this.buffered.length} bytes held)`,
        ),
      );
    }
  }

  private fail(error: GreetdCodecError): never {
    this.failed = error;
    this.buffered = Buffer.alloc(0);
    throw error;
  }
}
