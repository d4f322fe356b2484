// greetd IPC codec: requests as greetd parses them, replies decoded strictly and
// incrementally, every malformed input a typed error (property tests with fast-check).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import fc from 'fast-check';
import {
  encodeReplyBody,
  encodeRequest,
  GreetdCodecError,
  MAX_ANSWER_BYTES,
  MAX_REPLY_BYTES,
  parseReply,
  ReplyDecoder,
  type GreetdReply,
  type GreetdRequest,
} from './codec';

const LE = endianness() === 'LE';
const lengthOf = (b: Buffer) => (LE ? b.readUInt32LE(0) : b.readUInt32BE(0));
const prefix = (n: number) => {
  const b = Buffer.alloc(4);
  if (LE) b.writeUInt32LE(n, 0);
  else b.writeUInt32BE(n, 0);
  return b;
};
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof GreetdCodecError, `not a GreetdCodecError: ${String(error)}`);
    return error.code;
  }
  return 'no error';
}
const decodeAll = (bytes: Buffer) => new ReplyDecoder().push(bytes);

const replyArb: fc.Arbitrary<{ json: object; reply: GreetdReply }> = fc.oneof(
  fc.constant({ json: { type: 'success' }, reply: { type: 'success' } as GreetdReply }),
  fc
    .tuple(fc.constantFrom('auth_error', 'error' as const), fc.string({ maxLength: 300 }))
    .filter(([, d]) => !d.includes('\0'))
    .map(([errorType, description]) => ({
      json: { type: 'error', error_type: errorType, description },
      reply: { type: 'error', errorType, description } as GreetdReply,
    })),
  fc
    .tuple(
      fc.constantFrom('visible', 'secret', 'info', 'error' as const),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
    )
    .filter(([, m]) => !m.includes('\0'))
    .map(([kind, message]) => ({
      json: { type: 'auth_message', auth_message_type: kind, auth_message: message },
      reply: { type: 'auth_message', authMessageType: kind, authMessage: message } as GreetdReply,
    })),
);

describe('greetd codec: requests', () => {
  it('encodes each request as native-endian length + the JSON greetd expects', () => {
    const cases: [GreetdRequest, object][] = [
      [
        { type: 'create_session', username: 'alice' },
        { type: 'create_session', username: 'alice' },
      ],
      [
        { type: 'post_auth_message_response', response: 'pw' },
        { type: 'post_auth_message_response', response: 'pw' },
      ],
      [
        { type: 'post_auth_message_response', response: null },
        { type: 'post_auth_message_response', response: null },
      ],
      [
        { type: 'start_session', cmd: ['/usr/bin/sway', '--unsupported-gpu'], env: ['A=b=c'] },
        { type: 'start_session', cmd: ['/usr/bin/sway', '--unsupported-gpu'], env: ['A=b=c'] },
      ],
      [{ type: 'cancel_session' }, { type: 'cancel_session' }],
    ];
    for (const [request, json] of cases) {
      const bytes = encodeRequest(request);
      assert.equal(lengthOf(bytes), bytes.length - 4);
      assert.deepEqual(JSON.parse(bytes.subarray(4).toString('utf8')), json);
    }
  });

  it('sends only the known fields', () => {
    const request = {
      type: 'create_session',
      username: 'bob',
      extra: 'x',
    } as unknown as GreetdRequest;
    assert.deepEqual(JSON.parse(encodeRequest(request).subarray(4).toString()), {
      type: 'create_session',
      username: 'bob',
    });
  });

  it('refuses requests greetd or PAM would misread', () => {
    const bad: GreetdRequest[] = [
      { type: 'create_session', username: '' },
      { type: 'create_session', username: 'a\0b' },
      { type: 'create_session', username: 'x'.repeat(256) },
      { type: 'create_session', username: 'lone\uD800' },
      { type: 'post_auth_message_response', response: 'a\0' },
      { type: 'post_auth_message_response', response: 'é'.repeat(MAX_ANSWER_BYTES) },
      { type: 'start_session', cmd: [], env: [] },
      { type: 'start_session', cmd: [''], env: [] },
      { type: 'start_session', cmd: ['/bin/sh'], env: ['NOEQUALS'] },
      { type: 'start_session', cmd: ['/bin/sh'], env: ['1A=b'] },
      { type: 'start_session', cmd: ['/bin/sh'], env: ['A=\0'] },
      { type: 'nope' } as unknown as GreetdRequest,
    ];
    for (const request of bad) {
      assert.equal(
        codeOf(() => encodeRequest(request)),
        'INVALID_REQUEST',
        JSON.stringify(request),
      );
    }
    assert.equal(
      codeOf(() => encodeRequest({ type: 'post_auth_message_response', response: '' })),
      'no error',
    );
    assert.equal(
      codeOf(() =>
        encodeRequest({
          type: 'start_session',
          cmd: ['/bin/sh'],
          env: Array(40).fill(`A=${'x'.repeat(2000)}`),
        }),
      ),
      'REQUEST_TOO_LARGE',
    );
  });

  it('property: any valid answer round-trips through JSON unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (answer) => {
        fc.pre(!answer.includes('\0') && Buffer.byteLength(answer) <= MAX_ANSWER_BYTES);
        const bytes = encodeRequest({ type: 'post_auth_message_response', response: answer });
        const json = JSON.parse(bytes.subarray(4).toString('utf8')) as { response: string };
        assert.equal(json.response, answer);
        assert.equal(lengthOf(bytes), bytes.length - 4);
      }),
    );
  });
});

describe('greetd codec: replies', () => {
  it('decodes the three reply shapes greetd 0.9 sends', () => {
    const wire = [
      '{"type":"auth_message","auth_message_type":"secret","auth_message":"Password: "}',
      '{"type":"error","error_type":"auth_error","description":"pam_authenticate: AUTH_ERR"}',
      '{"type":"success"}',
    ].map((j) => encodeReplyBody(j));
    assert.deepEqual(decodeAll(Buffer.concat(wire)), [
      { type: 'auth_message', authMessageType: 'secret', authMessage: 'Password: ' },
      { type: 'error', errorType: 'auth_error', description: 'pam_authenticate: AUTH_ERR' },
      { type: 'success' },
    ]);
  });

  it('rejects malformed replies with a typed code', () => {
    const cases: [string | Buffer, string][] = [
      ['hello', 'BAD_JSON'],
      ['', 'BAD_JSON'],
      ['[]', 'BAD_JSON'],
      ['null', 'BAD_JSON'],
      ['"success"', 'BAD_JSON'],
      [Buffer.from([0x7b, 0xff, 0x7d]), 'BAD_UTF8'],
      ['{"type":"foo"}', 'UNKNOWN_TYPE'],
      ['{}', 'UNKNOWN_TYPE'],
      ['{"type":7}', 'UNKNOWN_TYPE'],
      ['{"type":"__proto__"}', 'UNKNOWN_TYPE'],
      ['{"type":"success","extra":1}', 'BAD_FIELD'],
      ['{"type":"error","error_type":"auth_error"}', 'BAD_FIELD'],
      ['{"type":"error","error_type":"fatal","description":"x"}', 'BAD_FIELD'],
      ['{"type":"error","error_type":1,"description":"x"}', 'BAD_FIELD'],
      ['{"type":"error","error_type":"error","description":null}', 'BAD_FIELD'],
      ['{"type":"auth_message","auth_message_type":"secret","auth_message":5}', 'BAD_FIELD'],
      ['{"type":"auth_message","auth_message_type":"question","auth_message":"x"}', 'BAD_FIELD'],
      [
        '{"type":"auth_message","auth_message_type":"info","auth_message":"a\\u0000b"}',
        'BAD_FIELD',
      ],
      ['{"type":"auth_message","auth_message_type":"info"}', 'BAD_FIELD'],
      [
        '{"type":"auth_message","auth_message_type":"info","auth_message":"x","__proto__":1}',
        'BAD_FIELD',
      ],
    ];
    for (const [body, code] of cases) {
      assert.equal(
        codeOf(() => decodeAll(encodeReplyBody(body))),
        code,
        String(body),
      );
    }
  });

  it('rejects a length above the bound at once, without waiting for the bytes', () => {
    for (const n of [MAX_REPLY_BYTES + 1, 0x7fffffff, 0xffffffff]) {
      const decoder = new ReplyDecoder();
      assert.equal(
        codeOf(() => decoder.push(Buffer.concat([prefix(n), Buffer.from('{}')]))),
        'REPLY_TOO_LARGE',
      );
      // Failed for good.
      assert.equal(
        codeOf(() => decoder.push(encodeReplyBody('{"type":"success"}'))),
        'REPLY_TOO_LARGE',
      );
    }
    const atBound = JSON.stringify({ type: 'error', error_type: 'error', description: '' });
    const padded = atBound.replace('""', `"${'x'.repeat(MAX_REPLY_BYTES - atBound.length)}"`);
    assert.equal(Buffer.byteLength(padded), MAX_REPLY_BYTES);
    assert.equal(decodeAll(encodeReplyBody(padded)).length, 1);
  });

  it('holds a partial message and reports a cut one at the end', () => {
    const decoder = new ReplyDecoder();
    const bytes = encodeReplyBody('{"type":"success"}');
    assert.deepEqual(decoder.push(bytes.subarray(0, 3)), []);
    assert.equal(decoder.pendingBytes, 3);
    assert.deepEqual(decoder.push(bytes.subarray(3, 10)), []);
    assert.equal(
      codeOf(() => decoder.end()),
      'REPLY_TRUNCATED',
    );
    const clean = new ReplyDecoder();
    clean.push(bytes);
    assert.equal(clean.pendingBytes, 0);
    assert.equal(
      codeOf(() => clean.end()),
      'no error',
    );
  });

  it('property: any chunking of valid replies decodes to the same replies', () => {
    fc.assert(
      fc.property(
        fc.array(replyArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
        (items, cuts) => {
          const stream = Buffer.concat(items.map((i) => encodeReplyBody(JSON.stringify(i.json))));
          const decoder = new ReplyDecoder();
          const out: GreetdReply[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            out.push(...decoder.push(stream.subarray(offset, offset + size)));
            offset += size;
          }
          decoder.end();
          assert.deepEqual(
            out,
            items.map((i) => i.reply),
          );
        },
      ),
    );
  });

  it('property: arbitrary bytes never crash the decoder: replies or a GreetdCodecError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 1, max: 17 }),
        (bytes, step) => {
          const decoder = new ReplyDecoder();
          try {
            for (let i = 0; i < bytes.length; i += step) decoder.push(bytes.subarray(i, i + step));
            decoder.end();
          } catch (error) {
            assert.ok(error instanceof GreetdCodecError);
          }
        },
      ),
    );
  });

  it('property: arbitrary JSON values are accepted only in the exact reply shapes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const body = JSON.stringify(value) ?? 'null';
        let reply: GreetdReply | null = null;
        try {
          reply = parseReply(Buffer.from(body));
        } catch (error) {
          assert.ok(error instanceof GreetdCodecError);
          return;
        }
        // Accepted: it must have been one of the shapes, field for field.
        const object = value as Record<string, unknown>;
        assert.equal(object.type, reply.type);
      }),
    );
  });

  it('property: a valid reply with one field replaced by a wrong type is refused', () => {
    fc.assert(
      fc.property(
        replyArb.filter((r) => r.reply.type !== 'success'),
        fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object()),
        fc.nat(),
        (item, wrong, pick) => {
          const json = { ...item.json } as Record<string, unknown>;
          const keys = Object.keys(json).filter((k) => k !== 'type');
          json[keys[pick % keys.length]!] = wrong;
          assert.equal(
            codeOf(() => parseReply(Buffer.from(JSON.stringify(json)))),
            'BAD_FIELD',
          );
        },
      ),
    );
  });
});
