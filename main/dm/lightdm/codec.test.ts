import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  decodeServerMessage,
  encodeAuthenticate,
  encodeCancel,
  encodeConnect,
  encodeContinue,
  encodeMessage,
  encodeServerMessage,
  encodeStartSession,
  LightdmCodecError,
  MAX_HINTS,
  MAX_SERVER_PAYLOAD,
  ServerMessageDecoder,
  type LightdmCodecErrorCode,
  type ServerMessage,
} from './codec';
import { pamCodeName } from './pam-codes';

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};
const str = (v: string | Buffer): Buffer => {
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return Buffer.concat([u32(b.length), b]);
};

function codeOf(fn: () => unknown): LightdmCodecErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (error) {
    assert.ok(error instanceof LightdmCodecError, `not a codec error: ${String(error)}`);
    return error.code;
  }
}

// Server messages that fit LightDM's 1 KiB buffer.
const text = fc.string({ maxLength: 40, unit: 'grapheme' }).filter((s) => !s.includes('\0'));
const u32Arb = fc.nat({ max: 0xffff_ffff });
const hints = fc
  .uniqueArray(fc.tuple(text, text), { maxLength: 6, selector: ([k]) => k })
  .map((pairs) => new Map(pairs));
const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({
    type: fc.constant('connected' as const),
    apiVersion: fc.integer({ min: 1, max: 5 }),
    version: text,
    hints,
  }),
  fc.record({
    type: fc.constant('prompt-authentication' as const),
    sequence: u32Arb,
    user: text,
    messages: fc.array(
      fc.record({ style: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const), text }),
      { maxLength: 4 },
    ),
  }),
  fc.record({
    type: fc.constant('end-authentication' as const),
    sequence: u32Arb,
    user: text,
    result: u32Arb,
  }),
  fc.record({ type: fc.constant('session-result' as const), code: u32Arb }),
  fc.record({ type: fc.constant('shared-dir-result' as const), dir: text }),
  fc.constant({ type: 'idle' as const }),
  fc.record({ type: fc.constant('reset' as const), hints }),
);

/** Splits `bytes` at the given cut points (short reads). */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

describe('LightDM codec: server messages', () => {
  test('decodes what LightDM 1.26 sent in the rig (CONNECTED_V2, PROMPT, END)', () => {
    const connected = Buffer.concat([
      u32(7),
      u32(0), // length patched below
      u32(1),
      str('1.26.0'),
      u32(2),
      str('default-session'),
      str('bastion-test-session'),
      str('lock-screen'),
      str('true'),
    ]);
    connected.writeUInt32BE(connected.length - 8, 4);
    const decoder = new ServerMessageDecoder();
    const [message] = decoder.push(connected);
    assert.deepEqual(message, {
      type: 'connected',
      apiVersion: 1,
      version: '1.26.0',
      hints: new Map([
        ['default-session', 'bastion-test-session'],
        ['lock-screen', 'true'],
      ]),
    });
    const prompt = encodeMessage(1, [
      u32(3),
      str('bastion-dm-user'),
      u32(2),
      u32(4),
      str('First factor'),
      u32(2),
      str('Password: '),
    ]);
    assert.deepEqual(decoder.push(prompt), [
      {
        type: 'prompt-authentication',
        sequence: 3,
        user: 'bastion-dm-user',
        messages: [
          { style: 4, text: 'First factor' },
          { style: 2, text: 'Password: ' },
        ],
      },
    ]);
    assert.deepEqual(decoder.push(encodeMessage(2, [u32(3), str('u'), u32(7)])), [
      { type: 'end-authentication', sequence: 3, user: 'u', result: 7 },
    ]);
    assert.equal(decoder.partialBytes, 0);
  });

  test('CONNECTED of API 0 (hints to the end of the payload)', () => {
    const m = encodeMessage(0, [str('1.18.0'), str('hide-users'), str('true')]);
    assert.deepEqual(decodeServerMessage(0, m.subarray(8)), {
      type: 'connected',
      apiVersion: 0,
      version: '1.18.0',
      hints: new Map([['hide-users', 'true']]),
    });
  });

  test('round trip of any message, split at any points (short reads)', () => {
    fc.assert(
      fc.property(
        fc.array(serverMessage, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (messages, cuts) => {
          const bytes = Buffer.concat(messages.map(encodeServerMessage));
          const decoder = new ServerMessageDecoder();
          const got = chunks(bytes, cuts).flatMap((c) => decoder.push(c));
          assert.deepEqual(got, structuredClone(messages));
          assert.equal(decoder.partialBytes, 0);
          decoder.end();
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes: only LightdmCodecError, never another throw, bounded buffering', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (raw, cuts) => {
          const decoder = new ServerMessageDecoder();
          try {
            for (const c of chunks(Buffer.from(raw), cuts)) decoder.push(c);
            decoder.end();
          } catch (error) {
            assert.ok(error instanceof LightdmCodecError, String(error));
          }
          assert.ok(decoder.partialBytes <= 8 + MAX_SERVER_PAYLOAD);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a truncated stream is INCOMPLETE_MESSAGE at its end, at any cut', () => {
    fc.assert(
      fc.property(serverMessage, fc.nat(), (message, cut) => {
        const bytes = encodeServerMessage(message);
        const n = 1 + (cut % (bytes.length - 1));
        const decoder = new ServerMessageDecoder();
        assert.deepEqual(decoder.push(bytes.subarray(0, n)), []);
        assert.equal(decoder.partialBytes, n);
        assert.equal(
          codeOf(() => decoder.end()),
          'INCOMPLETE_MESSAGE',
        );
      }),
    );
  });

  const malformed: [string, Buffer, LightdmCodecErrorCode][] = [
    ['unknown id', encodeMessage(8), 'UNKNOWN_MESSAGE'],
    ['huge id', Buffer.concat([u32(0xffffffff), u32(0)]), 'UNKNOWN_MESSAGE'],
    // What LightDM writes for a PAM text over 1 KiB: the full length, a cut payload.
    [
      'length LightDM would cut',
      Buffer.concat([u32(1), u32(MAX_SERVER_PAYLOAD + 1)]),
      'MESSAGE_TOO_LARGE',
    ],
    ['huge length', Buffer.concat([u32(1), u32(0x7fffffff)]), 'MESSAGE_TOO_LARGE'],
    ['truncated string', encodeMessage(4, [u32(10), Buffer.from('abc')]), 'TRUNCATED_FIELD'],
    ['truncated int', encodeMessage(3, [Buffer.from([0, 0])]), 'TRUNCATED_FIELD'],
    ['trailing bytes', encodeMessage(5, [Buffer.from([1])]), 'TRAILING_BYTES'],
    ['bad UTF-8', encodeMessage(4, [str(Buffer.from([0xc3, 0x28]))]), 'BAD_UTF8'],
    ['overlong UTF-8', encodeMessage(4, [str(Buffer.from([0xc0, 0xaf]))]), 'BAD_UTF8'],
    ['NUL in a string', encodeMessage(4, [str(Buffer.from('a\0b'))]), 'NUL_IN_STRING'],
    [
      'unknown PAM style',
      encodeMessage(1, [u32(1), str('u'), u32(1), u32(7), str('x')]),
      'UNKNOWN_STYLE',
    ],
    ['too many PAM messages', encodeMessage(1, [u32(1), str('u'), u32(33)]), 'TOO_MANY_ITEMS'],
    ['huge message count', encodeMessage(1, [u32(1), str('u'), u32(0xffffffff)]), 'TOO_MANY_ITEMS'],
    ['huge hint count', encodeMessage(7, [u32(1), str('v'), u32(0xffffffff)]), 'TOO_MANY_ITEMS'],
    [
      'hint count over the hints',
      encodeMessage(7, [u32(1), str('v'), u32(2), str('k'), str('v')]),
      'TRUNCATED_FIELD',
    ],
    ['key without value', encodeMessage(6, [str('lock-screen')]), 'TRUNCATED_FIELD'],
    [
      'duplicate hint',
      encodeMessage(6, [str('k'), str('a'), str('k'), str('b')]),
      'DUPLICATE_HINT',
    ],
  ];
  for (const [name, bytes, code] of malformed) {
    test(`malformed: ${name} → ${code}`, () => {
      const decoder = new ServerMessageDecoder();
      assert.equal(
        codeOf(() => decoder.push(bytes)),
        code,
      );
      // Sticky: the stream is not trusted again.
      assert.equal(
        codeOf(() => decoder.push(encodeServerMessage({ type: 'idle' }))),
        code,
      );
    });
  }

  test('too many hints in RESET', () => {
    const pairs = Array.from({ length: MAX_HINTS + 1 }, (_, i) => [str(`${i}`), str('')]).flat();
    assert.equal(
      codeOf(() => new ServerMessageDecoder().push(encodeMessage(6, pairs))),
      'TOO_MANY_ITEMS',
    );
  });

  test('good messages before a bad one are kept on the error', () => {
    const decoder = new ServerMessageDecoder();
    try {
      decoder.push(Buffer.concat([encodeServerMessage({ type: 'idle' }), encodeMessage(99)]));
      assert.fail('no error');
    } catch (error) {
      assert.ok(error instanceof LightdmCodecError);
      assert.deepEqual(error.messagesBefore, [{ type: 'idle' }]);
    }
  });
});

describe('LightDM codec: greeter messages', () => {
  test('byte layout of each message', () => {
    assert.deepEqual(
      encodeConnect('v', true),
      Buffer.concat([u32(0), u32(13), str('v'), u32(1), u32(1)]),
    );
    assert.deepEqual(
      encodeAuthenticate(5, 'bob'),
      Buffer.concat([u32(1), u32(11), u32(5), str('bob')]),
    );
    assert.deepEqual(
      encodeContinue([Buffer.from('a'), Buffer.from('bc')]),
      Buffer.concat([u32(3), u32(15), u32(2), str('a'), str('bc')]),
    );
    assert.deepEqual(encodeStartSession(''), Buffer.concat([u32(4), u32(4), u32(0)]));
    assert.deepEqual(encodeCancel(), Buffer.concat([u32(5), u32(0)]));
  });

  test('values that cannot be sent are BAD_ARGUMENT', () => {
    assert.equal(
      codeOf(() => encodeAuthenticate(-1, 'u')),
      'BAD_ARGUMENT',
    );
    assert.equal(
      codeOf(() => encodeAuthenticate(1, 'a\0b')),
      'BAD_ARGUMENT',
    );
    assert.equal(
      codeOf(() => encodeAuthenticate(1, 'x'.repeat(257))),
      'BAD_ARGUMENT',
    );
    assert.equal(
      codeOf(() => encodeContinue([Buffer.alloc(513, 1)])),
      'BAD_ARGUMENT',
    );
    assert.equal(
      codeOf(() => encodeStartSession('../evil')),
      'BAD_ARGUMENT',
    );
  });

  test('PAM code names follow Linux-PAM (the helper’s spelling)', () => {
    assert.equal(pamCodeName(0), 'PAM_SUCCESS');
    assert.equal(pamCodeName(7), 'PAM_AUTH_ERR');
    assert.equal(pamCodeName(10), 'PAM_USER_UNKNOWN');
    assert.equal(pamCodeName(12), 'PAM_NEW_AUTHTOK_REQD');
    assert.equal(pamCodeName(19), 'PAM_CONV_ERR');
    assert.equal(pamCodeName(31), 'PAM_INCOMPLETE');
    assert.equal(pamCodeName(32), 'PAM_UNKNOWN');
    assert.equal(pamCodeName(0xffffffff), 'PAM_UNKNOWN');
  });
});
