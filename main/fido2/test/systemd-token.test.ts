// systemd-fido2 tokens: strict parsing, systemd's defaults, and the passphrase derivation
// (base64 of the hmac-secret output with clientDataHash 0³²) against the software authenticator.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SoftAuthenticator } from '../../../testkit/fido2/soft-ctap2';
import { SoftCtapHid } from '../../../testkit/fido2/soft-ctaphid';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import { openAuthenticator } from '../device-choice';
import type { Fido2Error } from '../errors';
import { getHmacSecret } from '../hmac-secret';
import { parseSystemdFido2Token } from '../systemd-token';
import { deriveSystemdPassphrase } from '../systemd-unlock';
import { enrollInProcess } from './rig-helpers';

const base = {
  type: 'systemd-fido2',
  keyslots: ['1'],
  'fido2-credential': Buffer.alloc(48, 7).toString('base64'),
  'fido2-salt': Buffer.alloc(32, 9).toString('base64'),
  'fido2-rp': 'io.systemd.cryptsetup',
  'fido2-clientPin-required': false,
  'fido2-up-required': true,
  'fido2-uv-required': false,
};

describe('systemd-fido2 token', () => {
  it('parses the fields cryptsetup token export prints', () => {
    const token = parseSystemdFido2Token(JSON.stringify(base));
    assert.equal(token.rpId, 'io.systemd.cryptsetup');
    assert.equal(token.salt.length, 32);
    assert.equal(token.clientPinRequired, false);
    assert.deepEqual(token.keyslots, ['1']);
  });

  it('applies systemd’s defaults to old tokens (PIN and touch required, default rp)', () => {
    const {
      'fido2-rp': _rp,
      'fido2-clientPin-required': _pin,
      'fido2-up-required': _up,
      'fido2-uv-required': _uv,
      ...old
    } = base;
    const token = parseSystemdFido2Token(JSON.stringify(old));
    assert.equal(token.rpId, 'io.systemd.cryptsetup');
    assert.equal(token.clientPinRequired, true);
    assert.equal(token.upRequired, true);
  });

  it('rejects malformed tokens with BAD_TOKEN', () => {
    for (const bad of [
      'not json',
      JSON.stringify({ ...base, type: 'systemd-tpm2' }),
      JSON.stringify({ ...base, 'fido2-salt': 'AAAA' }),
      JSON.stringify({ ...base, 'fido2-credential': '!!!' }),
      JSON.stringify({ ...base, keyslots: [1] }),
      JSON.stringify({ ...base, 'fido2-up-required': 'yes' }),
    ]) {
      assert.throws(
        () => parseSystemdFido2Token(bad),
        (e: Fido2Error) => e.code === 'BAD_TOKEN',
        bad,
      );
    }
  });

  it('derives base64(hmac-secret(salt)) with the token’s up and PIN settings', async () => {
    const hid = new SoftCtapHid(new SoftAuthenticator({ pin: '5555' }));
    const device = {
      index: 0,
      path: '/dev/soft',
      hid,
      authenticator: hid.authenticator,
      unplug: () => hid.unplug(),
    };
    const credential = await enrollInProcess(device, 'io.systemd.cryptsetup', '5555');
    const salt = randomBytes(32);
    const json = JSON.stringify({
      ...base,
      'fido2-credential': Buffer.from(credential, 'hex').toString('base64'),
      'fido2-salt': salt.toString('base64'),
      'fido2-clientPin-required': true,
    });
    const opened = await openAuthenticator(async () => new SoftHidDevice(hid), '/dev/soft');
    const token = parseSystemdFido2Token(json);
    await assert.rejects(
      deriveSystemdPassphrase(opened, token),
      (e: Fido2Error) => e.code === 'PIN_REQUIRED',
    );
    const passphrase = await deriveSystemdPassphrase(opened, token, { pin: '5555' });
    const direct = await getHmacSecret(opened.client, {
      rpId: 'io.systemd.cryptsetup',
      credentialIds: [Buffer.from(credential, 'hex')],
      salt1: salt,
      pin: '5555',
    });
    assert.equal(passphrase, direct.output.toString('base64'));
    assert.equal(Buffer.from(passphrase, 'base64').length, 32);
    await opened.close();
  });
});
