// The host stack against the in-process software authenticator: credentials, PIN protocols
// 1 and 2, hmac-secret with one and two salts, with and without PIN, and the PIN state machine.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { SoftAuthenticator } from '../../../testkit/fido2/soft-ctap2';
import type { SoftAuthenticatorConfig } from '../../../testkit/fido2/soft-ctap2';
import { SoftCtapHid } from '../../../testkit/fido2/soft-ctaphid';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import { Ctap2Client, Permission } from '../ctap2';
import type { Fido2Error } from '../errors';
import { getHmacSecret, hmacSecretCreateExtension } from '../hmac-secret';
import { CtapHidTransport } from '../transport';

async function connect(config: Partial<SoftAuthenticatorConfig> = {}) {
  const authenticator = new SoftAuthenticator(config);
  const hid = new SoftCtapHid(authenticator);
  const transport = await CtapHidTransport.open(new SoftHidDevice(hid));
  return { authenticator, hid, client: new Ctap2Client(transport), transport };
}

async function enroll(client: Ctap2Client, rpId: string, pin?: string) {
  const pinAuth =
    pin === undefined
      ? undefined
      : await client.getPinToken(pin, { permissions: Permission.MAKE_CREDENTIAL, rpId });
  const made = await client.makeCredential({
    clientDataHash: randomBytes(32),
    rp: { id: rpId, name: rpId },
    user: { id: randomBytes(16), name: 'alice' },
    extensions: hmacSecretCreateExtension(),
    ...(pinAuth ? { pinAuth } : {}),
  });
  return made.authData.credentialId!;
}

describe('CTAP2 host against the software authenticator', () => {
  it('reads getInfo and picks PIN protocol 2 on a 2.1 key, 1 on a 2.0 key', async () => {
    const v21 = await connect();
    const info = await v21.client.getInfo();
    assert.deepEqual(info.versions, ['FIDO_2_0', 'FIDO_2_1']);
    assert.ok(info.extensions.includes('hmac-secret'));
    assert.equal(await v21.client.preferredPinProtocol(), 2);
    const v20 = await connect({ ctapVersion: '2.0' });
    assert.equal(await v20.client.preferredPinProtocol(), 1);
  });

  for (const attestation of ['x5c', 'self'] as const) {
    it(`makes an ES256 credential whose ${attestation} packed attestation and assertions verify`, async () => {
      const { client } = await connect({ attestation });
      const cdh = randomBytes(32);
      const made = await client.makeCredential({
        clientDataHash: cdh,
        rp: { id: 'example.org' },
        user: { id: randomBytes(8), name: 'bob' },
      });
      const cose = made.authData.credentialPublicKey!;
      const publicKey = createPublicKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          x: Buffer.from(cose.get(-2) as Uint8Array).toString('base64url'),
          y: Buffer.from(cose.get(-3) as Uint8Array).toString('base64url'),
        },
        format: 'jwk',
      });
      assert.equal(made.fmt, 'packed');
      const sig = made.attStmt.get('sig') as Uint8Array;
      const x5c = made.attStmt.get('x5c') as Uint8Array[] | undefined;
      const attestationKey =
        attestation === 'x5c' ? new X509Certificate(Buffer.from(x5c![0]!)).publicKey : publicKey;
      assert.equal(x5c === undefined, attestation === 'self');
      assert.ok(verify('sha256', Buffer.concat([made.authData.raw, cdh]), attestationKey, sig));
      const cdh2 = randomBytes(32);
      const assertion = await client.getAssertion({
        rpId: 'example.org',
        clientDataHash: cdh2,
        allowList: [made.authData.credentialId!],
      });
      assert.ok(
        verify(
          'sha256',
          Buffer.concat([assertion.authData.raw, cdh2]),
          publicKey,
          assertion.signature,
        ),
      );
      assert.ok(
        !verify(
          'sha256',
          Buffer.concat([assertion.authData.raw, randomBytes(32)]),
          publicKey,
          assertion.signature,
        ),
      );
      assert.ok(assertion.authData.flags.up);
      assert.equal(assertion.authData.signCount, 1);
      assert.deepEqual(
        assertion.authData.rpIdHash,
        createHash('sha256').update('example.org').digest(),
      );
    });
  }

  for (const version of [1, 2] as const) {
    it(`hmac-secret output is stable, salt-specific and uv-specific (PIN protocol ${version})`, async () => {
      const { client } = await connect({ pin: '1234' });
      const rpId = 'io.systemd.cryptsetup';
      const credentialId = await enroll(client, rpId, '1234');
      const salt1 = randomBytes(32);
      const salt2 = randomBytes(32);
      const base = { rpId, credentialIds: [credentialId], pinProtocol: version };
      const a = await getHmacSecret(client, { ...base, salt1 });
      const b = await getHmacSecret(client, { ...base, salt1, pinProtocol: version === 1 ? 2 : 1 });
      assert.equal(a.output.length, 32);
      assert.deepEqual(a.output, b.output, 'the output does not depend on the PIN protocol');
      const two = await getHmacSecret(client, { ...base, salt1, salt2 });
      assert.equal(two.output.length, 64);
      assert.deepEqual(two.output.subarray(0, 32), a.output);
      const withPin = await getHmacSecret(client, { ...base, salt1, pin: '1234' });
      assert.ok(withPin.userVerified);
      assert.notDeepEqual(withPin.output, a.output, 'user verification changes the output');
      const noTouch = await getHmacSecret(client, { ...base, salt1, up: false });
      assert.deepEqual(noTouch.output, a.output, 'up does not change the output');
    });
  }

  it('sets and changes the PIN, and counts wrong PINs down to blocked', async () => {
    const { client, authenticator } = await connect({ pinRetries: 4 });
    await client.setPin('12345');
    assert.equal(await client.getPinRetries(), 4);
    await client.changePin('12345', 'abcdef');
    await assert.rejects(
      client.getPinToken('12345', { permissions: Permission.GET_ASSERTION }),
      (err: Fido2Error) => {
        assert.equal(err.code, 'PIN_INVALID');
        assert.equal(err.retriesLeft, 3);
        assert.match(err.message, /3 attempts left/);
        return true;
      },
    );
    const token = await client.getPinToken('abcdef', { permissions: Permission.GET_ASSERTION });
    assert.equal(token.token.length, 32);
    for (const left of [3, 2]) {
      await assert.rejects(
        client.getPinToken('00000', { permissions: 2 }),
        (e: Fido2Error) => e.code === 'PIN_INVALID' && e.retriesLeft === left,
      );
    }
    await assert.rejects(
      client.getPinToken('00000', { permissions: 2 }),
      (e: Fido2Error) => e.code === 'PIN_AUTH_BLOCKED',
    );
    authenticator.powerCycle();
    await assert.rejects(
      client.getPinToken('00000', { permissions: 2 }),
      (e: Fido2Error) => e.code === 'PIN_BLOCKED',
    );
    await assert.rejects(
      client.getPinToken('abcdef', { permissions: 2 }),
      (e: Fido2Error) => e.code === 'PIN_BLOCKED',
    );
  });

  it('rejects a too-short PIN before talking to the key', async () => {
    const { client } = await connect();
    await assert.rejects(client.setPin('12'), (e: Fido2Error) => e.code === 'PIN_POLICY_VIOLATION');
  });

  it('uses getPinUvAuthTokenUsingPinWithPermissions on 2.1 and getPinToken on 2.0', async () => {
    for (const [ctapVersion, sub] of [
      ['2.1', 0x09],
      ['2.0', 0x05],
    ] as const) {
      const { client, authenticator } = await connect({ ctapVersion, pin: '4321' });
      await client.getPinToken('4321', { permissions: Permission.GET_ASSERTION, rpId: 'x' });
      const last = authenticator.requestLog.at(-1)!;
      assert.equal(last.params!.get(2), sub);
      assert.equal(
        last.params!.get(9),
        ctapVersion === '2.1' ? Permission.GET_ASSERTION : undefined,
      );
    }
  });
});
