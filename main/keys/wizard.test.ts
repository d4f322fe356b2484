// The wizard's decisions that need no key (the key paths run for real in e2e/keys-wizard.test.ts
// through the shim): the site policy's key-* options, the page's payload checks, steps refused
// out of order, the blocked states, and the password verdicts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKeysBackend } from '../ipc/keys-backend';
import { KeysValidationError, validateKeysCall } from '../ipc/keys-validate';
import {
  DEFAULT_KEY_POLICY,
  parseKeyPolicy,
  parsePolicy,
  REFUSED_KEY_POLICY,
} from '../screens/policy';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftAuthenticator } from '../../testkit/fido2/soft-ctap2';
import { SoftCtapHid } from '../../testkit/fido2/soft-ctaphid';
import { SoftHidDevice } from '../../testkit/fido2/soft-hid-device';
import type { PasswordVerdict } from './wizard-password';
import { KeysWizard, KeysWizardError } from './wizard';

/** Test double of the PAM round trip (the real one: e2e/keys-wizard.test.ts). */
const passwordCheckForTest = (verdict: PasswordVerdict) => (): Promise<PasswordVerdict> =>
  Promise.resolve(verdict);
const noKeys = { list: () => Promise.resolve([]), open: () => Promise.reject(new Error('no')) };

function wizard(verdict: PasswordVerdict, blocked: 'central' | 'policy' | null = null) {
  return new KeysWizard({
    user: 'alice',
    authfile: '/nonexistent/u2f_keys',
    blocked,
    requirement: 'presence',
    origin: 'pam://test',
    checkPassword: passwordCheckForTest(verdict),
    devices: noKeys,
    pollMs: 60_000,
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('greeter.conf key-* options', () => {
  it('defaults, good values, and bad ones taking the safe reading', () => {
    assert.deepEqual(parseKeyPolicy(''), DEFAULT_KEY_POLICY);
    assert.deepEqual(
      parseKeyPolicy(
        '[greeter]\nkey-require = pin\nkey-authfile=/etc/bastion-greeter/u2f_keys\nkey-origin=pam://site\n',
      ),
      { keyRequire: 'pin', keyAuthfile: '/etc/bastion-greeter/u2f_keys', keyOrigin: 'pam://site' },
    );
    const log: string[] = [];
    assert.deepEqual(
      parseKeyPolicy(
        '[greeter]\nkey-require=touch\nkey-authfile=relative/file\nkey-origin=pam:// two words\n',
        (l) => log.push(l),
      ),
      REFUSED_KEY_POLICY,
    );
    assert.equal(log.length, 3);
    // Outside [greeter] nothing counts; the login screen's parser does not call them unknown.
    assert.deepEqual(parseKeyPolicy('[other]\nkey-require=pin\n'), DEFAULT_KEY_POLICY);
    const loginLog: string[] = [];
    parsePolicy('[greeter]\nkey-require=pin\n', (l) => loginLog.push(l));
    assert.deepEqual(loginLog, []);
  });
});

describe('the page payloads', () => {
  it('exact shapes only', () => {
    assert.deepEqual(validateKeysCall('submitPin', { pin: '1234', confirm: '1234' }), {
      call: 'submitPin',
      pin: '1234',
      confirm: '1234',
    });
    assert.deepEqual(validateKeysCall('cancel', undefined), { call: 'cancel' });
    const refused: [string, unknown, string][] = [
      ['cancel', {}, 'UNEXPECTED_PAYLOAD'],
      ['submitPin', { pin: '1234', extra: 1 }, 'EXTRA_KEY'],
      ['submitPin', { pin: 1234 }, 'WRONG_TYPE'],
      ['submitPin', { pin: '1'.repeat(64) }, 'TOO_LONG'],
      ['submitPassword', { password: 'a\0b' }, 'HAS_NUL'],
      ['chooseDevice', { id: '/dev/hidraw0' }, 'WRONG_TYPE'],
      ['submitName', { name: 'x'.repeat(65) }, 'TOO_LONG'],
      ['submitName', { name: '\uD800' }, 'NOT_WELL_FORMED'],
      ['eval', undefined, 'UNKNOWN_CALL'],
      ['submitPassword', [], 'NOT_AN_OBJECT'],
    ];
    for (const [call, payload, code] of refused)
      assert.throws(
        () => validateKeysCall(call, payload),
        (e: unknown) => e instanceof KeysValidationError && e.code === code,
        `${call} ${JSON.stringify(payload)}`,
      );
  });
});

describe('KeysWizard without a key', () => {
  it('a central file or a bad policy blocks it: nothing can be sent', () => {
    for (const reason of ['central', 'policy'] as const) {
      const w = wizard('ok', reason);
      assert.equal(w.snapshot().step, 'blocked');
      assert.throws(() => w.submitPassword('x'), KeysWizardError);
    }
    const backend = createKeysBackend({
      locale: 'en',
      host: 'dev-chromium',
      user: 'alice',
      home: '/home/alice',
      policy: { ...DEFAULT_KEY_POLICY, keyAuthfile: '/etc/bastion-greeter/u2f_keys' },
      checkPassword: passwordCheckForTest('ok'),
      devices: noKeys,
    });
    return backend.handle('getSnapshot', undefined).then((s) => {
      assert.equal((s as { step: string }).step, 'blocked');
      assert.equal((s as { authfile: string }).authfile, '/etc/bastion-greeter/u2f_keys');
    });
  });

  it('password verdicts; steps out of order are refused; cancel and restart', async () => {
    const wrong = wizard('wrong');
    wrong.submitPassword('nope');
    await settle();
    assert.deepEqual(wrong.snapshot().problem, { code: 'PASSWORD_WRONG', retriesLeft: null });
    assert.equal(wrong.snapshot().step, 'password');
    const throttled = wizard('throttled');
    throttled.submitPassword('x');
    await settle();
    assert.equal(throttled.snapshot().problem?.code, 'PASSWORD_THROTTLED');

    const w = wizard('ok');
    assert.throws(() => w.submitPin('1234', null), KeysWizardError);
    assert.throws(() => w.chooseDevice('key-1'), KeysWizardError);
    w.submitPassword('right');
    await settle();
    assert.equal(w.snapshot().step, 'device');
    assert.deepEqual(w.snapshot().devices, []);
    assert.throws(() => w.chooseDevice('key-1'), /not a key this wizard listed/);
    await w.cancel();
    assert.equal(w.snapshot().step, 'cancelled');
    await assert.rejects(w.cancel(), KeysWizardError);
    w.restart();
    assert.equal(w.snapshot().step, 'password');
    await w.close();
  });
});

describe('one password proof, one key (issue #9 review, finding 5)', () => {
  const until = async (check: () => boolean, what: string) => {
    for (let i = 0; i < 500 && !check(); i++) await settle();
    assert.ok(check(), what);
  };

  it('after 5 minutes idle (here 150 ms) on a step, the password is asked again', async () => {
    const lines: string[] = [];
    const w = new KeysWizard({
      user: 'alice',
      authfile: '/nonexistent/u2f_keys',
      blocked: null,
      requirement: 'presence',
      origin: 'pam://test',
      checkPassword: passwordCheckForTest('ok'),
      devices: noKeys,
      pollMs: 60_000,
      idleMs: 150,
      log: (line) => lines.push(line),
    });
    w.submitPassword('right');
    await until(() => w.snapshot().step === 'device', 'the device step');
    await until(() => w.snapshot().step === 'password', 'back to the password when idle');
    assert.throws(() => w.chooseDevice('key-1'), KeysWizardError);
    assert.ok(
      lines.some((l) => /idle on step device/.test(l)),
      lines.join('\n'),
    );
    await w.close();
  });

  it('another key asks for the password again (the software key, in process)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bastion-wizard-'));
    const hid = new SoftCtapHid(new SoftAuthenticator({ touchDelayMs: 0 }));
    let checks = 0;
    const w = new KeysWizard({
      user: 'alice',
      authfile: join(root, 'u2f_keys'),
      blocked: null,
      requirement: 'presence',
      origin: 'pam://test',
      checkPassword: () => (checks++, Promise.resolve('ok' as const)),
      devices: {
        list: () =>
          Promise.resolve([
            {
              path: '/dev/soft-fido2',
              vendorId: 0x1209,
              productId: 0xb457,
              product: 'Soft',
              manufacturer: 'Test',
            },
          ]),
        open: async () => new SoftHidDevice(hid),
      },
      pollMs: 60_000,
    });
    try {
      w.submitPassword('right');
      await until(() => w.snapshot().devices.length === 1, 'the key listed');
      w.chooseDevice(w.snapshot().devices[0]!.id);
      await until(() => w.snapshot().step === 'pin' && !w.snapshot().busy, 'the PIN step');
      w.submitPin('2468', '2468');
      await until(() => w.snapshot().step === 'name', 'the name step');
      w.submitName('Blue key');
      await until(() => w.snapshot().step === 'backup' && !w.snapshot().busy, 'the backup step');
      assert.equal(w.snapshot().enrolled, 1);
      w.enrollAnother();
      await until(() => w.snapshot().step === 'password', 'the password again');
      assert.equal(w.snapshot().enrolled, 1, 'the enrolled count stays');
      assert.throws(() => w.chooseDevice('key-1'), KeysWizardError);
      w.submitPassword('right');
      await until(() => w.snapshot().step === 'device', 'the device step after the second proof');
      assert.equal(checks, 2);
    } finally {
      await w.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
