// Known-answer tests for PIN protocol 1 (python-fido2's published values, fixture file) and
// round trips for protocol 2 against the authenticator side of the same code.
import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Fido2Error } from '../errors';
import {
  coseKeyAgreement,
  paddedPin,
  pinHash,
  pinProtocolV1,
  pinProtocolV2,
} from '../pin-protocol';

const fixture = JSON.parse(
  readFileSync(
    join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures/pin-protocol-v1.json'),
    'utf8',
  ),
) as Record<string, string>;
const hex = (k: string) => Buffer.from(fixture[k]!, 'hex');

describe('PIN protocol 1 known answers (python-fido2 vectors)', () => {
  const peer = new Map<number, number | Buffer>([
    [1, 2],
    [3, -25],
    [-1, 1],
    [-2, hex('authenticatorKeyX')],
    [-3, hex('authenticatorKeyY')],
  ]);

  it('derives the published shared secret and platform key', () => {
    const { keyAgreement, sharedSecret } = pinProtocolV1.encapsulate(
      peer,
      hex('platformPrivateKey'),
    );
    assert.equal(sharedSecret.toString('hex'), fixture.sharedSecret);
    assert.equal(
      Buffer.from(keyAgreement.get(-2) as Uint8Array).toString('hex'),
      fixture.platformKeyX,
    );
    assert.equal(
      Buffer.from(keyAgreement.get(-3) as Uint8Array).toString('hex'),
      fixture.platformKeyY,
    );
    assert.equal(keyAgreement.get(3), -25);
  });

  it('encrypts the PIN hash and decrypts the token as published', () => {
    const shared = hex('sharedSecret');
    assert.equal(
      pinProtocolV1.encrypt(shared, pinHash(fixture.pin!)).toString('hex'),
      fixture.pinHashEnc,
    );
    assert.equal(pinProtocolV1.decrypt(shared, hex('tokenEnc')).toString('hex'), fixture.token);
  });

  it('authenticates with a 16-byte truncated HMAC', () => {
    assert.equal(pinProtocolV1.authenticate(hex('token'), Buffer.alloc(32)).length, 16);
  });
});

describe('PIN protocol 2', () => {
  it('agrees with the authenticator side and uses a random IV and full HMAC', () => {
    const authenticator = createECDH('prime256v1');
    authenticator.generateKeys();
    const { keyAgreement, sharedSecret } = pinProtocolV2.encapsulate(
      coseKeyAgreement(authenticator.getPublicKey()),
    );
    const point = Buffer.concat([
      Buffer.from([4]),
      keyAgreement.get(-2) as Uint8Array,
      keyAgreement.get(-3) as Uint8Array,
    ]);
    const theirs = pinProtocolV2.kdf(authenticator.computeSecret(point));
    assert.deepEqual(theirs, sharedSecret);
    assert.equal(sharedSecret.length, 64);
    const data = randomBytes(64);
    const a = pinProtocolV2.encrypt(sharedSecret, data);
    const b = pinProtocolV2.encrypt(sharedSecret, data);
    assert.equal(a.length, 80);
    assert.notDeepEqual(a, b);
    assert.deepEqual(pinProtocolV2.decrypt(theirs, a), data);
    assert.equal(pinProtocolV2.authenticate(sharedSecret, data).length, 32);
  });

  it('rejects a key agreement point that is not on the curve', () => {
    const bogus = new Map<number, number | Buffer>([
      [1, 2],
      [3, -25],
      [-1, 1],
      [-2, Buffer.alloc(32, 1)],
      [-3, Buffer.alloc(32, 2)],
    ]);
    assert.throws(
      () => pinProtocolV2.encapsulate(bogus),
      (e: Fido2Error) => e.code === 'INVALID_PARAMETER',
    );
  });
});

describe('PIN rules', () => {
  it('pads to 64 bytes and counts code points, not bytes', () => {
    assert.equal(paddedPin('1234').length, 64);
    assert.throws(
      () => paddedPin('123'),
      (e: Fido2Error) => e.code === 'PIN_POLICY_VIOLATION',
    );
    assert.equal(paddedPin('äöüß').subarray(0, 8).toString('utf8'), 'äöüß');
    assert.throws(
      () => paddedPin('x'.repeat(64)),
      (e: Fido2Error) => e.code === 'PIN_POLICY_VIOLATION',
    );
  });
});
