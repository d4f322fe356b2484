// Canonical CBOR bytes, the strict decoder, and CTAPHID framing: examples and fast-check properties.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkCtapCbor, decodeCtap, encodeCanonical } from '../cbor';
import { fragment, MAX_MESSAGE, Reassembler, REPORT_SIZE } from '../ctaphid-frame';
import { Fido2Error } from '../errors';

describe('canonical CBOR', () => {
  it('orders keys as CTAP2 demands and never tags byte strings', () => {
    const map = new Map<number | string, unknown>([
      ['up', true],
      [-1, 1],
      [3, -25],
      ['rk', false],
      [1, 2],
      ['a', Buffer.from([0xde, 0xad])],
    ]);
    // {1: 2, 3: -25, -1: 1, "a": h'dead', "rk": false, "up": true}
    assert.equal(
      encodeCanonical(map as never).toString('hex'),
      'a6010203381820016161 42dead62726bf4627570f5'.replace(/ /g, ''),
    );
  });

  it('encodes a getAssertion request exactly as python-fido2 does', () => {
    const request = new Map<number, unknown>([
      [2, Buffer.alloc(32)],
      [1, 'io.systemd.cryptsetup'],
      [5, new Map([['up', false]])],
    ]);
    const bytes = encodeCanonical(request as never);
    // fido2.cbor.encode({1: 'io.systemd.cryptsetup', 2: bytes(32), 5: {'up': False}}) (python3-fido2 0.9.1)
    const python =
      'a30175696f2e73797374656d642e63727970747365747570025820' + '00'.repeat(32) + '05a1627570f4';
    assert.equal(bytes.toString('hex'), python);
  });

  it('rejects tags, indefinite lengths, floats, trailing bytes and deep nesting', () => {
    for (const hex of [
      'c11a514b67b0',
      '9fff',
      'f93c00',
      'a10102ff',
      '81'.repeat(40) + '00',
      'a1f50102',
      '62ffff',
    ]) {
      assert.throws(
        () => checkCtapCbor(Buffer.from(hex, 'hex')),
        (e: Fido2Error) => e.code === 'INVALID_CBOR',
        hex,
      );
    }
  });

  it('decodes random bytes without crashing: a value or INVALID_CBOR', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) => {
        try {
          decodeCtap(bytes);
        } catch (err) {
          assert.ok(err instanceof Fido2Error && err.code === 'INVALID_CBOR', String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('does not allocate for declared lengths (huge headers fail fast)', () => {
    const before = process.memoryUsage().heapUsed;
    for (const hex of [
      '9bffffffffffffffff',
      'bbffffffffffffffff',
      '5bffffffffffffffff',
      '9affffffff00',
    ]) {
      assert.throws(
        () => decodeCtap(Buffer.from(hex, 'hex')),
        (e: Fido2Error) => e.code === 'INVALID_CBOR',
      );
    }
    assert.ok(process.memoryUsage().heapUsed - before < 50 * 1024 * 1024);
  });

  it('round-trips CTAP-shaped values', () => {
    const leaf = fc.oneof(
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.string(),
      fc.boolean(),
      fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc
          .array(
            fc.tuple(
              fc.oneof(fc.integer({ min: -100, max: 100 }), fc.string({ maxLength: 8 })),
              tie('node'),
            ),
            { maxLength: 4 },
          )
          .map((e) => new Map(e)),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encodeCanonical(v as never);
        assert.deepEqual(encodeCanonical(decodeCtap(bytes)), bytes);
      }),
      { numRuns: 500 },
    );
  });
});

describe('CTAPHID framing', () => {
  it('splits and reassembles any payload on any channel', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0x7f }),
        fc.uint8Array({ maxLength: 2000 }),
        (cid, cmd, payload) => {
          const packets = fragment({ cid, cmd, payload });
          assert.ok(packets.every((p) => p.length === REPORT_SIZE));
          assert.equal(
            packets.length,
            payload.length <= 57 ? 1 : 1 + Math.ceil((payload.length - 57) / 59),
          );
          const r = new Reassembler(cid);
          let result;
          for (const p of packets) result = r.push(p);
          assert.equal(result!.kind, 'message');
          if (result!.kind === 'message') {
            assert.equal(result!.message.cmd, cmd);
            assert.deepEqual(Buffer.from(result!.message.payload), Buffer.from(payload));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('skips other channels interleaved with ours', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 60, maxLength: 600 }),
        fc.uint8Array({ maxLength: 300 }),
        (ours, theirs) => {
          const a = fragment({ cid: 1, cmd: 0x10, payload: ours });
          const b = fragment({ cid: 2, cmd: 0x10, payload: theirs });
          const r = new Reassembler(1);
          const mixed = a.flatMap((p, i) => (b[i] ? [b[i]!, p] : [p]));
          const results = mixed.map((p) => r.push(p));
          const done = results.filter((x) => x.kind === 'message');
          assert.equal(done.length, 1);
        },
      ),
    );
  });

  it('rejects a bad sequence number and an oversized declared length', () => {
    const packets = fragment({ cid: 7, cmd: 0x10, payload: new Uint8Array(200) });
    packets[1]![4] = 3;
    const r = new Reassembler(7);
    r.push(packets[0]!);
    assert.throws(
      () => r.push(packets[1]!),
      (e: Fido2Error) => e.code === 'PROTOCOL_ERROR',
    );
    const big = new Uint8Array(64);
    big.set([0, 0, 0, 7, 0x90, 0xff, 0xff]);
    assert.throws(
      () => new Reassembler(7).push(big),
      (e: Fido2Error) => e.code === 'PROTOCOL_ERROR',
    );
    assert.throws(
      () => fragment({ cid: 7, cmd: 0x10, payload: new Uint8Array(MAX_MESSAGE + 1) }),
      (e: Fido2Error) => e.code === 'BAD_INPUT',
    );
  });
});
