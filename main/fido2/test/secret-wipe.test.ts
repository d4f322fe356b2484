// Secrets our FIDO2 code owns are wiped on success and on error paths (review finding 11):
// PIN-protocol shared secrets, PIN hashes, padded PINs, pinUvAuthTokens, hmac-secret salts.
// A spy on Ctap2Client.keyAgreement keeps a reference to every shared secret and wraps the
// PIN protocol to keep every plaintext it encrypts and every plaintext it decrypts; the
// software authenticator then produces the real failures (wrong PIN, PIN already set,
// unknown credential) and the test checks the very buffers were zeroed.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SoftAuthenticator } from '../../../testkit/fido2/soft-ctap2';
import type { SoftAuthenticatorConfig } from '../../../testkit/fido2/soft-ctap2';
import { SoftCtapHid } from '../../../testkit/fido2/soft-ctaphid';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import { Ctap2Client, Permission } from '../ctap2';
import type { Fido2Error } from '../errors';
import { getHmacSecret, hmacSecretCreateExtension } from '../hmac-secret';
import type { PinProtocol } from '../pin-protocol';
import { paddedPin, pinBytes, pinHash } from '../pin-protocol';
import { CtapHidTransport } from '../transport';

const PIN = '482916';
const RP = 'example.org';

interface Captured {
  /** The live buffer and a copy taken when it was handed over (proves it held a secret). */
  live: Uint8Array;
  was: Buffer;
}

interface SecretSpy {
  sharedSecrets: Captured[];
  encrypted: Captured[];
  decrypted: Captured[];
}

function capture(list: Captured[], live: Uint8Array): void {
  list.push({ live, was: Buffer.from(live) });
}

function spyOnSecrets(client: Ctap2Client): SecretSpy {
  const spy: SecretSpy = { sharedSecrets: [], encrypted: [], decrypted: [] };
  const keyAgreement = client.keyAgreement.bind(client);
  client.keyAgreement = async (version) => {
    const { protocol: p, encapsulation } = await keyAgreement(version);
    capture(spy.sharedSecrets, encapsulation.sharedSecret);
    const protocol: PinProtocol = {
      version: p.version,
      encapsulate: (peer, privateKey) => p.encapsulate(peer, privateKey),
      kdf: (z) => p.kdf(z),
      encrypt: (key, plaintext) => {
        capture(spy.encrypted, plaintext);
        return p.encrypt(key, plaintext);
      },
      decrypt: (key, ciphertext) => {
        const plaintext = p.decrypt(key, ciphertext);
        capture(spy.decrypted, plaintext);
        return plaintext;
      },
      authenticate: (key, message) => p.authenticate(key, message),
    };
    return { protocol, encapsulation };
  };
  return spy;
}

const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);

function assertAllWiped(list: Captured[], what: string, expected: number): void {
  assert.equal(list.length, expected, `${what}: ${expected} captured`);
  for (const [i, c] of list.entries()) {
    assert.ok(!zero(c.was), `${what} #${i} held a secret`);
    assert.ok(zero(c.live), `${what} #${i} is wiped`);
  }
}

async function connect(config: Partial<SoftAuthenticatorConfig> = {}) {
  const authenticator = new SoftAuthenticator(config);
  const transport = await CtapHidTransport.open(new SoftHidDevice(new SoftCtapHid(authenticator)));
  return { authenticator, client: new Ctap2Client(transport) };
}

for (const ctapVersion of ['2.1', '2.0'] as const) {
  describe(`secrets are wiped on every path (CTAP ${ctapVersion}, PIN protocol ${ctapVersion === '2.1' ? 2 : 1})`, () => {
    it('getPinToken with a wrong PIN: shared secret and PIN hash', async () => {
      const { client } = await connect({ ctapVersion, pin: PIN });
      const spy = spyOnSecrets(client);
      await assert.rejects(
        client.getPinToken('000000', { permissions: Permission.GET_ASSERTION, rpId: RP }),
        (e: Fido2Error) => e.code === 'PIN_INVALID' && e.retriesLeft === 7,
      );
      assertAllWiped(spy.sharedSecrets, 'shared secret', 1);
      assertAllWiped(spy.encrypted, 'PIN hash', 1);
    });

    it('getPinToken that succeeds: shared secret and PIN hash wiped, the token is the caller’s', async () => {
      const { client } = await connect({ ctapVersion, pin: PIN });
      const spy = spyOnSecrets(client);
      const auth = await client.getPinToken(PIN, { permissions: Permission.GET_ASSERTION });
      assertAllWiped(spy.sharedSecrets, 'shared secret', 1);
      assertAllWiped(spy.encrypted, 'PIN hash', 1);
      assert.equal(auth.token.length, 32);
      assert.ok(!zero(auth.token));
      auth.token.fill(0);
    });

    it('setPin refused by policy before any request, and refused by the key: shared secret and padded PIN', async () => {
      const fresh = await connect({ ctapVersion });
      const freshSpy = spyOnSecrets(fresh.client);
      await assert.rejects(
        fresh.client.setPin('12'),
        (e: Fido2Error) => e.code === 'PIN_POLICY_VIOLATION',
      );
      assertAllWiped(freshSpy.sharedSecrets, 'shared secret', 1);
      const set = await connect({ ctapVersion, pin: PIN });
      const setSpy = spyOnSecrets(set.client);
      await assert.rejects(
        set.client.setPin('13572468'),
        (e: Fido2Error) => e.code === 'OPERATION_DENIED',
      );
      assertAllWiped(setSpy.sharedSecrets, 'shared secret', 1);
      assertAllWiped(setSpy.encrypted, 'padded PIN', 1);
      // And on success.
      const okSpy = spyOnSecrets(fresh.client);
      await fresh.client.setPin('13572468');
      assertAllWiped(okSpy.sharedSecrets, 'shared secret', 1);
      assertAllWiped(okSpy.encrypted, 'padded PIN', 1);
    });

    it('changePin with a wrong current PIN: shared secret, PIN hash and padded new PIN', async () => {
      const { client, authenticator } = await connect({ ctapVersion, pin: PIN });
      const spy = spyOnSecrets(client);
      await assert.rejects(
        client.changePin('000000', '97531864'),
        (e: Fido2Error) => e.code === 'PIN_INVALID',
      );
      assertAllWiped(spy.sharedSecrets, 'shared secret', 1);
      assertAllWiped(spy.encrypted, 'PIN hash / padded PIN', 2);
      assert.equal(authenticator.pinRetries, 7);
    });

    it('hmac-secret whose getAssertion fails after the PIN token: token, shared secret and salts', async () => {
      const { client } = await connect({ ctapVersion, pin: PIN });
      const spy = spyOnSecrets(client);
      await assert.rejects(
        getHmacSecret(client, {
          rpId: RP,
          credentialIds: [randomBytes(48)],
          salt1: randomBytes(32),
          pin: PIN,
        }),
        (e: Fido2Error) => e.code === 'NO_CREDENTIALS',
      );
      assertAllWiped(spy.sharedSecrets, 'shared secret', 1);
      assertAllWiped(spy.encrypted, 'PIN hash / salts', 2);
      assertAllWiped(spy.decrypted, 'pinUvAuthToken', 1);
    });

    it('hmac-secret with a wrong PIN: shared secret, PIN hash and salts', async () => {
      const { client } = await connect({ ctapVersion, pin: PIN });
      const spy = spyOnSecrets(client);
      await assert.rejects(
        getHmacSecret(client, {
          rpId: RP,
          credentialIds: [randomBytes(48)],
          salt1: randomBytes(32),
          salt2: randomBytes(32),
          pin: '000000',
        }),
        (e: Fido2Error) => e.code === 'PIN_INVALID',
      );
      assertAllWiped(spy.sharedSecrets, 'shared secret', 1);
      assertAllWiped(spy.encrypted, 'PIN hash', 1);
      assert.equal(spy.decrypted.length, 0);
    });

    it('hmac-secret that succeeds: everything but the output (the caller’s) is wiped', async () => {
      const { client } = await connect({ ctapVersion, pin: PIN });
      const token = await client.getPinToken(PIN, {
        permissions: Permission.MAKE_CREDENTIAL,
        rpId: RP,
      });
      const made = await client.makeCredential({
        clientDataHash: randomBytes(32),
        rp: { id: RP },
        user: { id: randomBytes(8), name: 'alice' },
        extensions: hmacSecretCreateExtension(),
        pinAuth: token,
      });
      token.token.fill(0);
      const spy = spyOnSecrets(client);
      const result = await getHmacSecret(client, {
        rpId: RP,
        credentialIds: [made.authData.credentialId!],
        salt1: randomBytes(32),
        pin: PIN,
      });
      assertAllWiped(spy.sharedSecrets, 'shared secret', 1);
      assertAllWiped(spy.encrypted, 'PIN hash / salts', 2);
      assert.equal(spy.decrypted.length, 2);
      assertAllWiped(spy.decrypted.slice(0, 1), 'pinUvAuthToken', 1);
      assert.equal(spy.decrypted[1]!.live, result.output);
      assert.ok(!zero(result.output), 'the output is handed over intact');
      result.output.fill(0);
    });
  });
}

describe('PIN encodings live in buffers of their own', () => {
  it('pinHash keeps no other half of SHA-256(PIN) in its allocation; pinBytes and paddedPin are unpooled', () => {
    const hash = pinHash('1234');
    assert.deepEqual(hash, createHash('sha256').update('1234').digest().subarray(0, 16));
    assert.equal(hash.buffer.byteLength, 16);
    assert.equal(pinBytes('1234').buffer.byteLength, 4);
    assert.equal(paddedPin('1234').buffer.byteLength, 64);
  });
});
