// Enrollment against the software authenticator, in process (SoftHidDevice: the same CTAPHID
// and CTAP2 code the shim serves): progress events, PIN paths, every typed failure, and that
// a failure or a cancel leaves the mapping file untouched. The node-hid path through the
// fake-hidraw shim is covered by main/cli/test/keys-enroll-shim.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { OpenedAuthenticator } from '../../fido2/device-choice';
import { openAuthenticator } from '../../fido2/device-choice';
import { SoftAuthenticator } from '../../../testkit/fido2/soft-ctap2';
import type { SoftAuthenticatorConfig } from '../../../testkit/fido2/soft-ctap2';
import { SoftCtapHid } from '../../../testkit/fido2/soft-ctaphid';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import type { EnrollProgress } from '../index';
import {
  createCredential,
  enrollIntoAuthfile,
  inspectKey,
  KeysError,
  listAuthfile,
  setKeyPin,
  testCredential,
} from '../index';

const root = mkdtempSync(join(tmpdir(), 'bastion-enroll-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const authfile = () => join(root, `u${n++}`, 'u2f_keys');

async function key(
  config: Partial<SoftAuthenticatorConfig> = {},
): Promise<{ hid: SoftCtapHid; opened: OpenedAuthenticator }> {
  const hid = new SoftCtapHid(new SoftAuthenticator(config));
  const opened = await openAuthenticator(async () => new SoftHidDevice(hid), '/dev/soft-fido2');
  return { hid, opened };
}

async function failure(run: () => Promise<unknown>): Promise<KeysError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof KeysError, String(error));
    return error;
  }
  assert.fail('expected a KeysError');
}

const ORIGIN = 'pam://bastion-test';

describe('enrollment core', () => {
  it('without a PIN: touch events only while the key awaits a touch, then a verified test', async () => {
    const { opened } = await key({ touchDelayMs: 120 });
    const events: EnrollProgress[] = [];
    const file = authfile();
    const result = await enrollIntoAuthfile(opened.client, {
      user: 'alice',
      authfile: file,
      origin: ORIGIN,
      onProgress: (e) => events.push(e),
    });
    await opened.close();
    assert.deepEqual(
      events.map((e) => (e.step === 'touch' ? `touch:${e.purpose}` : e.step)),
      ['inspect', 'create', 'touch:create', 'test', 'touch:test', 'done'],
    );
    assert.equal(readFileSync(file, 'utf8'), `alice:${result.credential.mappingText}\n`);
    assert.match(
      result.credential.mappingText,
      /^[A-Za-z0-9+/]{64},[A-Za-z0-9+/]{86}==,es256,\+presence$/,
    );
    // A key touched at once never says it waits: no touch event at all.
    const quick = await key({ touchDelayMs: 0 });
    const quickEvents: EnrollProgress[] = [];
    await enrollIntoAuthfile(quick.opened.client, {
      user: 'alice',
      authfile: authfile(),
      origin: ORIGIN,
      onProgress: (e) => quickEvents.push(e),
    });
    await quick.opened.close();
    assert.equal(quickEvents.filter((e) => e.step === 'touch').length, 0);
  });

  it('with a PIN (+pin): the key verifies the user, the PIN buffer is wiped', async () => {
    const { hid, opened } = await key({ pin: '24680' });
    const pin = Buffer.from('24680');
    const file = authfile();
    const result = await enrollIntoAuthfile(opened.client, {
      user: 'alice',
      authfile: file,
      origin: ORIGIN,
      requirement: 'pin',
      pin,
      label: 'Office key',
    });
    await opened.close();
    assert.ok(
      pin.every((b) => b === 0),
      'PIN wiped',
    );
    assert.match(readFileSync(file, 'utf8'), /,es256,\+presence\+pin\n$/);
    assert.equal(listAuthfile(file).credentials[0]!.name, 'Office key');
    assert.equal(hid.authenticator.credentials.length, 1);
    assert.ok(result.credential.flags.pin);
  });

  it('PIN paths: required, not set, wrong with retries left, blocked, too many in a row', async () => {
    const pinned = await key({ pin: '24680' });
    assert.equal(
      (
        await failure(() =>
          enrollIntoAuthfile(pinned.opened.client, {
            user: 'alice',
            authfile: authfile(),
            origin: ORIGIN,
          }),
        )
      ).code,
      'PIN_REQUIRED',
    );
    const wrong = await failure(() =>
      enrollIntoAuthfile(pinned.opened.client, {
        user: 'alice',
        authfile: authfile(),
        origin: ORIGIN,
        pin: Buffer.from('1111'),
      }),
    );
    assert.equal(wrong.code, 'PIN_INVALID');
    assert.equal(wrong.retriesLeft, 7);
    assert.match(wrong.message, /7 attempts left/);
    await failure(() =>
      enrollIntoAuthfile(pinned.opened.client, {
        user: 'alice',
        authfile: authfile(),
        origin: ORIGIN,
        pin: Buffer.from('1111'),
      }),
    );
    const third = await failure(() =>
      enrollIntoAuthfile(pinned.opened.client, {
        user: 'alice',
        authfile: authfile(),
        origin: ORIGIN,
        pin: Buffer.from('1111'),
      }),
    );
    assert.equal(third.code, 'PIN_AUTH_BLOCKED');
    await pinned.opened.close();

    const blocked = await key({ pin: '24680', pinRetries: 1 });
    const last = await failure(() =>
      enrollIntoAuthfile(blocked.opened.client, {
        user: 'alice',
        authfile: authfile(),
        origin: ORIGIN,
        pin: Buffer.from('1111'),
      }),
    );
    assert.equal(last.code, 'PIN_BLOCKED');
    const after = await failure(() =>
      enrollIntoAuthfile(blocked.opened.client, {
        user: 'alice',
        authfile: authfile(),
        origin: ORIGIN,
        pin: Buffer.from('24680'),
      }),
    );
    assert.equal(after.code, 'PIN_BLOCKED');
    assert.equal(blocked.hid.authenticator.credentials.length, 0);
    await blocked.opened.close();

    const bare = await key();
    const notSet = await failure(() =>
      enrollIntoAuthfile(bare.opened.client, {
        user: 'alice',
        authfile: authfile(),
        origin: ORIGIN,
        requirement: 'pin',
      }),
    );
    assert.equal(notSet.code, 'PIN_NOT_SET');
    // The wizard's "set a PIN" step, then enrollment with it.
    await assert.rejects(setKeyPin(bare.opened.client, Buffer.from('12')), { code: 'PIN_POLICY' });
    await setKeyPin(bare.opened.client, Buffer.from('97531'));
    const inspection = await inspectKey(bare.opened.client);
    assert.equal(inspection.pinSet, true);
    assert.equal(inspection.pinRetries, 8);
    await enrollIntoAuthfile(bare.opened.client, {
      user: 'alice',
      authfile: authfile(),
      origin: ORIGIN,
      requirement: 'pin',
      pin: Buffer.from('97531'),
    });
    await bare.opened.close();
  });

  it('already enrolled: found without a touch, and by the key’s excludeList when it refuses up=false', async () => {
    for (const rejectUpFalse of [false, true]) {
      const { hid, opened } = await key({ rejectUpFalse, touchDelayMs: 50 });
      const file = authfile();
      await enrollIntoAuthfile(opened.client, { user: 'alice', authfile: file, origin: ORIGIN });
      const before = readFileSync(file);
      const events: EnrollProgress[] = [];
      const error = await failure(() =>
        enrollIntoAuthfile(opened.client, {
          user: 'alice',
          authfile: file,
          origin: ORIGIN,
          onProgress: (e) => events.push(e),
        }),
      );
      assert.equal(error.code, 'ALREADY_ENROLLED');
      assert.equal(
        events.some((e) => e.step === 'touch'),
        rejectUpFalse,
        'a touch only when the pre-flight could not tell',
      );
      assert.deepEqual(readFileSync(file), before);
      assert.equal(hid.authenticator.credentials.length, 1);
      // Another user on the same key is another credential.
      await enrollIntoAuthfile(opened.client, { user: 'bob', authfile: file, origin: ORIGIN });
      await opened.close();
    }
  });

  it('key full, unsupported verification, removed mid-touch, timeout, cancel: typed, file untouched', async () => {
    const file = authfile();
    const seed = await key();
    await enrollIntoAuthfile(seed.opened.client, { user: 'bob', authfile: file, origin: ORIGIN });
    await seed.opened.close();
    const before = readFileSync(file);

    const full = await key({ maxCredentials: 0 });
    assert.equal(
      (
        await failure(() =>
          enrollIntoAuthfile(full.opened.client, { user: 'alice', authfile: file, origin: ORIGIN }),
        )
      ).code,
      'KEY_FULL',
    );
    const uv = await failure(() =>
      enrollIntoAuthfile(full.opened.client, {
        user: 'alice',
        authfile: file,
        origin: ORIGIN,
        requirement: 'verification',
      }),
    );
    assert.equal(uv.code, 'UNSUPPORTED');
    assert.match(uv.message, /user verification/);
    await full.opened.close();

    const removed = await key({ touchDelayMs: null });
    const gone = failure(() =>
      enrollIntoAuthfile(removed.opened.client, {
        user: 'alice',
        authfile: file,
        origin: ORIGIN,
        onProgress: (e) => {
          if (e.step === 'touch') removed.hid.unplug();
        },
      }),
    );
    assert.equal((await gone).code, 'KEY_REMOVED');
    await removed.opened.close();

    const slow = await key({ touchDelayMs: null });
    const started = Date.now();
    const timeout = await failure(() =>
      enrollIntoAuthfile(slow.opened.client, {
        user: 'alice',
        authfile: file,
        origin: ORIGIN,
        timeoutMs: 400,
      }),
    );
    assert.equal(timeout.code, 'TIMEOUT');
    assert.ok(Date.now() - started < 5000);
    await slow.opened.close();

    // Cancel during the create touch, and during the test touch (after the key made it).
    for (const purpose of ['create', 'test'] as const) {
      const person = await key({ touchDelayMs: purpose === 'create' ? null : 0 });
      const controller = new AbortController();
      const cancelled = await failure(() =>
        enrollIntoAuthfile(person.opened.client, {
          user: 'alice',
          authfile: file,
          origin: ORIGIN,
          signal: controller.signal,
          onProgress: (e) => {
            if (e.step === 'test' && purpose === 'test') {
              person.hid.authenticator.config.touchDelayMs = null;
            }
            if (e.step === 'touch' && e.purpose === purpose) controller.abort();
          },
        }),
      );
      assert.equal(cancelled.code, 'CANCELLED', purpose);
      await person.opened.close();
    }
    assert.deepEqual(readFileSync(file), before);
    assert.deepEqual(readdirSync(join(file, '..')), ['u2f_keys']);
  });

  it('the test assertion fails against another public key (TEST_FAILED)', async () => {
    const { opened } = await key();
    const created = await createCredential(opened.client, { user: 'alice', origin: ORIGIN });
    await testCredential(opened.client, created);
    const other = await createCredential(opened.client, { user: 'alice', origin: ORIGIN });
    const error = await failure(() =>
      testCredential(opened.client, { ...created, publicKey: other.publicKey }),
    );
    assert.equal(error.code, 'TEST_FAILED');
    await opened.close();
  });

  it('a damaged line of the user stops before the key is touched', async () => {
    const { hid, opened } = await key();
    const file = authfile();
    const damaged = 'bob:fine-for-bob\nalice:not-base64!,xx,es256,+presence\n';
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, damaged, { mode: 0o600 });
    assert.equal(
      (
        await failure(() =>
          enrollIntoAuthfile(opened.client, { user: 'alice', authfile: file, origin: ORIGIN }),
        )
      ).code,
      'MAPPING_CORRUPT',
    );
    assert.equal(hid.authenticator.requestLog.filter((r) => r.command === 0x01).length, 0);
    assert.equal(readFileSync(file, 'utf8'), damaged);
    await opened.close();
  });
});
