// Codec for the helper's length-prefixed frames (native-helper/PROTOCOL.md).
// Every malformed input raises a FrameError; the caller treats that as "not authenticated".

export const FrameType = {
  START: 0x01,
  PROMPT_ECHO_OFF: 0x02,
  PROMPT_ECHO_ON: 0x03,
  INFO: 0x04,
  ERROR: 0x05,
  ANSWER: 0x06,
  CANCEL: 0x07,
  RESULT: 0x08,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Largest payload in either direction, in bytes. */
export const MAX_FRAME_PAYLOAD = 8192;
/** Largest ANSWER payload (PAM_MAX_RESP_SIZE). */
export const MAX_ANSWER_PAYLOAD = 512;

const KNOWN_TYPES = new Set<number>(Object.values(FrameType));

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

export type FrameErrorCode =
  'FRAME_TOO_LARGE' | 'FRAME_EMPTY' | 'FRAME_UNKNOWN_TYPE' | 'FRAME_TRUNCATED';

export class FrameError extends Error {
  readonly code: FrameErrorCode;
  /** Whole frames of the same `push` that preceded the bad bytes, so callers can tell what came first. */
  readonly framesBefore: readonly Frame[];
  constructor(code: FrameErrorCode, message: string, framesBefore: readonly Frame[] = []) {
    super(message);
    this.name = 'FrameError';
    this.code = code;
    this.framesBefore = framesBefore;
  }
}

export function encodeFrame(type: FrameType, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.length > MAX_FRAME_PAYLOAD) {
    throw new FrameError(
      'FRAME_TOO_LARGE',
      `frame payload of ${body.length} bytes exceeds ${MAX_FRAME_PAYLOAD}`,
    );
  }
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame.writeUInt32BE(body.length + 1, 0);
  frame.writeUInt8(type, 4);
  body.copy(frame, 5);
  return frame;
}

/**
 * Incremental decoder: feed it stream chunks, get whole frames back.
 * After the first error it stays failed: a stream that lied once is not trusted again.
 */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  private failed: FrameError | null = null;

  push(chunk: Buffer): Frame[] {
    if (this.failed) throw this.failed;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (length === 0) return this.fail('FRAME_EMPTY', 'frame length 0 has no type byte', frames);
      if (length > MAX_FRAME_PAYLOAD + 1) {
        return this.fail(
          'FRAME_TOO_LARGE',
          `frame length ${length} exceeds ${MAX_FRAME_PAYLOAD + 1}`,
          frames,
        );
      }
      if (this.buffered.length < 4 + length) break;
      const type = this.buffered.readUInt8(4);
      if (!KNOWN_TYPES.has(type)) {
        return this.fail('FRAME_UNKNOWN_TYPE', `unknown frame type 0x${type.toString(16)}`, frames);
      }
      frames.push({
        type: type as FrameType,
        payload: Buffer.from(this.buffered.subarray(5, 4 + length)),
      });
      this.buffered = this.buffered.subarray(4 + length);
    }
    return frames;
  }

  /** Call at end of stream: leftover bytes mean a truncated frame. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buffered.length > 0) {
      this.fail(
        'FRAME_TRUNCATED',
        `stream ended inside a frame (${this.buffered.length} bytes left)`,
      );
    }
  }

  private fail(code: FrameErrorCode, message: string, framesBefore: Frame[] = []): never {
    this.failed = new FrameError(code, message, framesBefore);
    this.buffered = Buffer.alloc(0);
    throw this.failed;
  }
}
