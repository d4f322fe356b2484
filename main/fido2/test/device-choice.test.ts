// Device choice among several plugged-in keys (review finding 12): the touch-free pre-flight
// decides where it can; a key is never asked for a touch or a PIN just to find the credential.
// With one undecided key left it is used as is; with several the person chooses.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { CborMap, CborValue } from '../cbor';
import { SoftAuthenticator } from '../../../testkit/fido2/soft-ctap2';
import type { SoftAuthenticatorConfig } from '../../../testkit/fido2/soft-ctap2';
import { SoftCtapHid } from '../../../testkit/fido2/soft-ctaphid';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import { CtapCmd, Ctap2Client, Permission } from '../ctap2';
import type { DeviceOpener } from '../device-choice';
import { DeviceChoiceNeededError, findAuthenticatorWithCredential } from '../device-choice';
import type { Fido2Error } from '../errors';
import { getHmacSecret } from '../hmac-secret';
import { CtapHidTransport } from '../transport';

const RP = 'io.systemd.cryptsetup';
const PIN = '246810';

function softHid(config: Partial<SoftAuthenticatorConfig> = {}): SoftCtapHid {
  return new SoftCtapHid(new SoftAuthenticator(config));
}

/**
 * Makes an hmac-secret credential on `hid` (credProtect level when given; PIN when set). The
 * simulated person touches at once while enrolling; the key's own touch delay (often "never",
 * so a stray touch request would hang the test) is restored afterwards.
 */
async function enroll(hid: SoftCtapHid, credProtect?: 1 | 2 | 3): Promise<Uint8Array> {
  const touchDelayMs = hid.authenticator.config.touchDelayMs;
  hid.authenticator.config.touchDelayMs = 0;
  const c = new Ctap2Client(await CtapHidTransport.open(new SoftHidDevice(hid)));
  const pinAuth =
    hid.authenticator.config.pin === null
      ? undefined
      : await c.getPinToken(PIN, { permissions: Permission.MAKE_CREDENTIAL, rpId: RP });
  const extensions = new Map<string, CborValue>([['hmac-secret', true]]);
  if (credProtect !== undefined) extensions.set('credProtect', credProtect);
  const made = await c.makeCredential({
    clientDataHash: Buffer.alloc(32),
    rp: { id: RP },
    user: { id: randomBytes(16), name: 'alice' },
    extensions: extensions as CborMap,
    ...(pinAuth ? { pinAuth } : {}),
  });
  pinAuth?.token.fill(0);
  await c.transport.close();
  hid.authenticator.config.touchDelayMs = touchDelayMs;
  hid.authenticator.requestLog.length = 0;
  return made.authData.credentialId!;
}

function opener(hids: Record<string, SoftCtapHid>): DeviceOpener {
  return async (path) => new SoftHidDevice(hids[path]!, path);
}

/** getAssertion requests a key saw that did not carry up=false, i.e. that may want a touch. */
function touchRequests(hid: SoftCtapHid): number {
  return hid.authenticator.requestLog.filter(
    (r) =>
      r.command === CtapCmd.GET_ASSERTION &&
      !((r.params?.get(5) as Map<string, boolean> | undefined)?.get('up') === false),
  ).length;
}

/** clientPIN token requests a key saw (each one spends a retry when the PIN is wrong). */
function pinTokenRequests(hid: SoftCtapHid): number {
  return hid.authenticator.requestLog.filter(
    (r) =>
      r.command === CtapCmd.CLIENT_PIN && (r.params?.get(2) === 0x05 || r.params?.get(2) === 0x09),
  ).length;
}

describe('device choice without touching keys the person did not pick', () => {
  it('two keys rejecting up=false: DEVICE_CHOICE_NEEDED naming both, no touch asked, both closed', async () => {
    const holder = softHid({ rejectUpFalse: true, touchDelayMs: null });
    const other = softHid({ rejectUpFalse: true, touchDelayMs: null });
    const id = await enroll(holder);
    const hids = { '/dev/hidraw1': other, '/dev/hidraw2': holder };
    await assert.rejects(
      findAuthenticatorWithCredential(opener(hids), Object.keys(hids), RP, [id]),
      (e: Fido2Error) => {
        assert.ok(e instanceof DeviceChoiceNeededError);
        assert.equal(e.code, 'DEVICE_CHOICE_NEEDED');
        assert.deepEqual(e.paths, ['/dev/hidraw1', '/dev/hidraw2']);
        assert.match(e.message, /without a touch: unplug the others or pass --device PATH/);
        return true;
      },
    );
    for (const hid of [holder, other]) {
      assert.equal(touchRequests(hid), 0);
      assert.equal(hid.openHandles, 0, 'every opened key is closed again');
    }
  });

  it('a key answering up=false is chosen over one that cannot be checked, which is closed untouched', async () => {
    const rejecting = softHid({ rejectUpFalse: true, touchDelayMs: null });
    const holder = softHid({ touchDelayMs: null });
    const id = await enroll(holder);
    await enroll(rejecting);
    const hids = { '/dev/hidraw1': rejecting, '/dev/hidraw2': holder };
    const found = await findAuthenticatorWithCredential(opener(hids), Object.keys(hids), RP, [id]);
    assert.equal(found.transport.path, '/dev/hidraw2');
    assert.equal(touchRequests(rejecting), 0);
    assert.equal(rejecting.openHandles, 0);
    await found.close();
  });

  it('the one key the pre-flight could not rule out is used unprobed; the operation asks the one touch', async () => {
    const holder = softHid({ rejectUpFalse: true });
    const empty = softHid({ touchDelayMs: null });
    const id = await enroll(holder);
    const hids = { '/dev/hidraw1': empty, '/dev/hidraw2': holder };
    for (const paths of [['/dev/hidraw2'], ['/dev/hidraw1', '/dev/hidraw2']]) {
      holder.authenticator.requestLog.length = 0;
      const found = await findAuthenticatorWithCredential(opener(hids), paths, RP, [id]);
      assert.equal(found.transport.path, '/dev/hidraw2');
      assert.equal(touchRequests(holder), 0, 'choosing the key asked for no touch');
      const result = await getHmacSecret(found.client, {
        rpId: RP,
        credentialIds: [id],
        salt1: randomBytes(32),
      });
      assert.equal(result.output.length, 32);
      result.output.fill(0);
      assert.equal(touchRequests(holder), 1, 'exactly one touch: the operation’s own');
      await found.close();
    }
    assert.equal(touchRequests(empty), 0);
  });

  it('a key that fails to answer still counts: with an undecided key it is the person’s choice', async () => {
    const holder = softHid({ rejectUpFalse: true, touchDelayMs: null });
    const id = await enroll(holder);
    const pulled = softHid();
    pulled.unplug();
    const hids = { '/dev/hidraw1': holder, '/dev/hidraw2': pulled };
    await assert.rejects(
      findAuthenticatorWithCredential(opener(hids), Object.keys(hids), RP, [id]),
      (e: Fido2Error) =>
        e instanceof DeviceChoiceNeededError && e.paths.join(' ') === '/dev/hidraw1 /dev/hidraw2',
    );
    assert.equal(touchRequests(holder), 0);
  });

  it('keys that answer: NO_CREDENTIALS when none holds it, DEVICE_NOT_FOUND when there is none', async () => {
    const a = softHid();
    const b = softHid();
    const id = await enroll(softHid());
    const hids = { '/dev/hidraw1': a, '/dev/hidraw2': b };
    await assert.rejects(
      findAuthenticatorWithCredential(opener(hids), Object.keys(hids), RP, [id]),
      (e: Fido2Error) => e.code === 'NO_CREDENTIALS',
    );
    await assert.rejects(
      findAuthenticatorWithCredential(opener(hids), [], RP, [id]),
      (e: Fido2Error) => e.code === 'DEVICE_NOT_FOUND',
    );
    assert.equal(a.openHandles + b.openHandles, 0);
  });
});

describe('device choice for credProtect = userVerificationRequired credentials', () => {
  it('the software key hides a level-3 credential from a pre-flight without UV (the quirk)', async () => {
    const holder = softHid({ pin: PIN });
    const id = await enroll(holder, 3);
    await assert.rejects(
      findAuthenticatorWithCredential(opener({ '/dev/hidraw1': holder }), ['/dev/hidraw1'], RP, [
        id,
      ]),
      (e: Fido2Error) => e.code === 'NO_CREDENTIALS',
    );
  });

  it('credentialMayRequireUv: one key is used and unlocks with the PIN; several ask the person, no PIN sent', async () => {
    const holder = softHid({ pin: PIN });
    const other = softHid({ pin: '13579', touchDelayMs: null });
    const id = await enroll(holder, 3);
    const preflight = { credentialMayRequireUv: true };
    const single = await findAuthenticatorWithCredential(
      opener({ '/dev/hidraw2': holder }),
      ['/dev/hidraw2'],
      RP,
      [id],
      {},
      preflight,
    );
    const result = await getHmacSecret(single.client, {
      rpId: RP,
      credentialIds: [id],
      salt1: randomBytes(32),
      pin: PIN,
    });
    assert.ok(result.userVerified);
    result.output.fill(0);
    await single.close();

    holder.authenticator.requestLog.length = 0;
    const hids = { '/dev/hidraw1': other, '/dev/hidraw2': holder };
    await assert.rejects(
      findAuthenticatorWithCredential(opener(hids), Object.keys(hids), RP, [id], {}, preflight),
      (e: Fido2Error) =>
        e instanceof DeviceChoiceNeededError &&
        /cannot be looked for without the PIN/.test(e.message) &&
        e.paths.length === 2,
    );
    for (const hid of [holder, other]) {
      assert.equal(pinTokenRequests(hid), 0, 'no PIN is tried on any key while choosing');
      assert.equal(touchRequests(hid), 0);
    }
    assert.equal(other.authenticator.pinRetries, 8);
  });

  it('credentialMayRequireUv still takes a key that finds the credential without UV', async () => {
    const holder = softHid({ pin: PIN });
    const other = softHid({ pin: '13579', touchDelayMs: null });
    const id = await enroll(holder, 2); // level 2 with an allow list needs no UV
    const hids = { '/dev/hidraw1': other, '/dev/hidraw2': holder };
    const found = await findAuthenticatorWithCredential(
      opener(hids),
      Object.keys(hids),
      RP,
      [id],
      {},
      { credentialMayRequireUv: true },
    );
    assert.equal(found.transport.path, '/dev/hidraw2');
    assert.equal(other.openHandles, 0);
    await found.close();
  });
});
