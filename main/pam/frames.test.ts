import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  FrameType,
  MAX_FRAME_PAYLOAD,
  type Frame,
} from './frames';

const ALL_TYPES = Object.values(FrameType);

function header(length: number, type?: number): Buffer {
  const bytes = Buffer.alloc(type === undefined ? 4 : 5);
  bytes.writeUInt32BE(length, 0);
  if (type !== undefined) bytes.writeUInt8(type, 4);
  return bytes;
}

function decodeAll(bytes: Buffer): Frame[] {
  const decoder = new FrameDecoder();
  const frames = decoder.push(bytes);
  decoder.end();
  return frames;
}

describe('frames: encoding', () => {
  it('writes length (1 + payload) big-endian, the type, the UTF-8 payload', () => {
    const frame = encodeFrame(FrameType.INFO, 'héllo');
    assert.deepEqual(
      frame,
      Buffer.concat([header(7, FrameType.INFO), Buffer.from('héllo', 'utf8')]),
    );
  });
  it('encodes an empty payload as length 1', () => {
    assert.deepEqual(encodeFrame(FrameType.CANCEL), header(1, FrameType.CANCEL));
  });
  it('accepts the largest payload and refuses one byte more', () => {
    assert.equal(
      encodeFrame(FrameType.INFO, Buffer.alloc(MAX_FRAME_PAYLOAD, 0x61)).length,
      5 + 8192,
    );
    assert.throws(
      () => encodeFrame(FrameType.INFO, Buffer.alloc(MAX_FRAME_PAYLOAD + 1)),
      (error: unknown) => error instanceof FrameError && error.code === 'FRAME_TOO_LARGE',
    );
  });
});

describe('frames: decoding', () => {
  it('round-trips every type (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.constantFrom(...ALL_TYPES),
            payload: fc.uint8Array({ maxLength: 300 }),
          }),
          { maxLength: 8 },
        ),
        (frames) => {
          const wire = Buffer.concat(
            frames.map((f) => encodeFrame(f.type, Buffer.from(f.payload))),
          );
          const decoded = decodeAll(wire);
          assert.equal(decoded.length, frames.length);
          decoded.forEach((frame, i) => {
            assert.equal(frame.type, frames[i]!.type);
            assert.deepEqual(frame.payload, Buffer.from(frames[i]!.payload));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes the same frames whatever the chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (texts, cuts) => {
          const wire = Buffer.concat(texts.map((t) => encodeFrame(FrameType.INFO, t)));
          const offsets = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort(
            (a, b) => a - b,
          );
          const decoder = new FrameDecoder();
          const frames: Frame[] = [];
          let previous = 0;
          for (const offset of [...offsets, wire.length]) {
            frames.push(...decoder.push(wire.subarray(previous, offset)));
            previous = offset;
          }
          decoder.end();
          assert.deepEqual(
            frames.map((f) => f.payload.toString('utf8')),
            texts,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits at every offset of a two-frame stream', () => {
    const wire = Buffer.concat([
      encodeFrame(FrameType.PROMPT_ECHO_OFF, 'Password: '),
      encodeFrame(FrameType.RESULT, '0:PAM_SUCCESS:acct_mgmt'),
    ]);
    for (let cut = 0; cut <= wire.length; cut += 1) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))];
      decoder.end();
      assert.deepEqual(
        frames.map((f) => [f.type, f.payload.toString()]),
        [
          [FrameType.PROMPT_ECHO_OFF, 'Password: '],
          [FrameType.RESULT, '0:PAM_SUCCESS:acct_mgmt'],
        ],
        `cut at ${cut}`,
      );
    }
  });

  it('feeds byte by byte', () => {
    const wire = encodeFrame(FrameType.ERROR, 'nope');
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (const byte of wire) frames.push(...decoder.push(Buffer.from([byte])));
    decoder.end();
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.payload.toString(), 'nope');
  });

  const malformed: [string, Buffer, string][] = [
    ['length 0', header(0), 'FRAME_EMPTY'],
    ['length above the bound', header(MAX_FRAME_PAYLOAD + 2, FrameType.INFO), 'FRAME_TOO_LARGE'],
    ['length 0xffffffff', header(0xffffffff), 'FRAME_TOO_LARGE'],
    ['type 0', header(1, 0), 'FRAME_UNKNOWN_TYPE'],
    ['type 0x09', header(1, 0x09), 'FRAME_UNKNOWN_TYPE'],
    ['type 0xff', header(1, 0xff), 'FRAME_UNKNOWN_TYPE'],
  ];
  for (const [name, bytes, code] of malformed) {
    it(`rejects ${name} with ${code}`, () => {
      const decoder = new FrameDecoder();
      assert.throws(
        () => decoder.push(bytes),
        (error: unknown) => error instanceof FrameError && error.code === code,
      );
    });
  }

  it('reports a truncated frame at end of stream, at every truncation point', () => {
    const wire = encodeFrame(FrameType.INFO, 'truncated here');
    for (let keep = 1; keep < wire.length; keep += 1) {
      const decoder = new FrameDecoder();
      assert.deepEqual(decoder.push(wire.subarray(0, keep)), []);
      assert.throws(
        () => decoder.end(),
        (error: unknown) => error instanceof FrameError && error.code === 'FRAME_TRUNCATED',
        `keep ${keep}`,
      );
    }
  });

  it('stays failed after an error, even for valid bytes', () => {
    const decoder = new FrameDecoder();
    assert.throws(() => decoder.push(header(1, 0x42)));
    assert.throws(
      () => decoder.push(encodeFrame(FrameType.INFO, 'ok')),
      (error: unknown) => error instanceof FrameError && error.code === 'FRAME_UNKNOWN_TYPE',
    );
    assert.throws(() => decoder.end());
  });

  it('never yields a frame from random garbage that it cannot account for (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoder = new FrameDecoder();
        try {
          const frames = decoder.push(Buffer.from(bytes));
          decoder.end();
          // Accepted only if re-encoding gives back exactly the input.
          assert.deepEqual(
            Buffer.concat(frames.map((f) => encodeFrame(f.type, f.payload))),
            Buffer.from(bytes),
          );
        } catch (error) {
          assert.ok(error instanceof FrameError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('frames: errors keep what came before', () => {
  it('a FrameError carries the whole frames of the same chunk that preceded the bad bytes', () => {
    const good = encodeFrame(FrameType.RESULT, '0:PAM_SUCCESS:acct_mgmt');
    const decoder = new FrameDecoder();
    try {
      decoder.push(Buffer.concat([good, Buffer.from('junk')]));
      assert.fail('junk must be rejected');
    } catch (error) {
      assert.ok(error instanceof FrameError);
      assert.equal(error.code, 'FRAME_TOO_LARGE');
      assert.equal(error.framesBefore.length, 1);
      assert.equal(error.framesBefore[0]!.payload.toString(), '0:PAM_SUCCESS:acct_mgmt');
    }
  });
});
