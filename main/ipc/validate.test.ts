import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ANSWER_BYTES, MAX_KEY_PIN_BYTES, MAX_USER_BYTES } from '../../preload/api';
import { IpcValidationError, validateCall, type IpcValidationErrorCode } from './validate';

function showPayload(payload: unknown): string {
  try {
    return String(JSON.stringify(payload));
  } catch {
    return typeof payload;
  }
}

function rejects(call: string, payload: unknown, code: IpcValidationErrorCode): void {
  assert.throws(
    () => validateCall(call, payload),
    (error: unknown) => error instanceof IpcValidationError && error.code === code,
    `${call} ${showPayload(payload)} should be ${code}`,
  );
}

const WRONG_VALUES: unknown[] = [
  null,
  0,
  1.5,
  true,
  [],
  {},
  ['alice'],
  () => 'x',
  Symbol('x'),
  10n,
];

describe('validateCall: screen options and the chosen session', () => {
  it('getScreenOptions takes no payload', () => {
    assert.deepEqual(validateCall('getScreenOptions', undefined), { call: 'getScreenOptions' });
    assert.throws(() => validateCall('getScreenOptions', {}), { code: 'UNEXPECTED_PAYLOAD' });
  });

  it('startAuth carries an optional session id of the right shape', () => {
    assert.deepEqual(validateCall('startAuth', { user: 'alice', session: 'gnome-xorg' }), {
      call: 'startAuth',
      user: 'alice',
      session: 'gnome-xorg',
    });
    assert.deepEqual(validateCall('startAuth', { user: 'alice', session: undefined }), {
      call: 'startAuth',
      user: 'alice',
      session: null,
    });
    for (const session of ['', '../etc/passwd', '-x', 'a b', 'x'.repeat(129), 'gnome\n']) {
      assert.throws(() => validateCall('startAuth', { user: 'alice', session }), {
        code: 'SESSION_INVALID',
      });
    }
    for (const session of [1, null, ['gnome'], { id: 'gnome' }]) {
      assert.throws(() => validateCall('startAuth', { user: 'alice', session }), {
        code: 'WRONG_TYPE',
      });
    }
    assert.throws(() => validateCall('startAuth', { session: 'gnome' }), { code: 'MISSING_KEY' });
    assert.throws(() => validateCall('startAuth', { user: 'a', session: 'x', env: 'y' }), {
      code: 'EXTRA_KEY',
    });
    const getter = { user: 'alice' };
    Object.defineProperty(getter, 'session', { get: () => 'gnome', enumerable: true });
    assert.throws(() => validateCall('startAuth', getter), { code: 'WRONG_TYPE' });
  });
});

describe('validateCall', () => {
  it('accepts the well-formed calls', () => {
    assert.deepEqual(validateCall('getInfo', undefined), { call: 'getInfo' });
    assert.deepEqual(validateCall('getAuthSnapshot', undefined), { call: 'getAuthSnapshot' });
    assert.deepEqual(validateCall('cancelAuth', undefined), { call: 'cancelAuth' });
    assert.deepEqual(validateCall('startAuth', { user: 'alice' }), {
      call: 'startAuth',
      user: 'alice',
      session: null,
    });
    assert.deepEqual(validateCall('startAuth', { user: 'svc_backup$' }), {
      call: 'startAuth',
      user: 'svc_backup$',
      session: null,
    });
    assert.deepEqual(validateCall('answer', { text: 'pässwörd 🔑' }), {
      call: 'answer',
      text: 'pässwörd 🔑',
    });
    assert.deepEqual(validateCall('answer', { text: '' }), { call: 'answer', text: '' });
    assert.deepEqual(
      validateCall('startAuth', Object.assign(Object.create(null), { user: 'bob' })),
      {
        call: 'startAuth',
        user: 'bob',
        session: null,
      },
    );
  });

  it('rejects unknown calls', () => {
    for (const call of [
      '',
      'onAuthSnapshot',
      'invoke',
      '__proto__',
      'constructor',
      'toString',
      'GETINFO',
    ]) {
      rejects(call, undefined, 'UNKNOWN_CALL');
    }
  });

  it('rejects any payload on calls that take none', () => {
    for (const call of ['getInfo', 'getAuthSnapshot', 'cancelAuth']) {
      for (const payload of [...WRONG_VALUES, 'x', { user: 'alice' }])
        rejects(call, payload, 'UNEXPECTED_PAYLOAD');
    }
  });

  for (const [call, key] of [
    ['startAuth', 'user'],
    ['answer', 'text'],
  ] as const) {
    it(`${call}: wrong shapes and types`, () => {
      for (const payload of [
        undefined,
        null,
        'alice',
        42,
        true,
        [],
        ['alice'],
        new Map(),
        new Date(),
        10n,
      ]) {
        rejects(call, payload, 'NOT_AN_OBJECT');
      }
      rejects(call, {}, 'MISSING_KEY');
      for (const value of WRONG_VALUES) rejects(call, { [key]: value }, 'WRONG_TYPE');
      rejects(call, { [key]: new String('alice') }, 'WRONG_TYPE');
      rejects(call, { [key]: 'alice', extra: 1 }, 'EXTRA_KEY');
      rejects(call, { [key]: 'alice', [Symbol('s')]: 1 }, 'EXTRA_KEY');
      rejects(call, { other: 'alice' }, 'EXTRA_KEY');
      const getter = Object.defineProperty({}, key, { get: () => 'alice', enumerable: true });
      rejects(call, getter, 'WRONG_TYPE');
      const inherited = Object.create({ [key]: 'alice' }) as object;
      rejects(call, inherited, 'NOT_AN_OBJECT');
      rejects(call, { [key]: 'a\uD800b' }, 'NOT_WELL_FORMED');
    });
  }

  it('startAuth: user name rules', () => {
    for (const user of ['Alice', '1alice', 'John.Doe', 'jdoe@example.com', 'host$', 'a_b-c']) {
      assert.doesNotThrow(() => validateCall('startAuth', { user }), user);
    }
    for (const user of [
      '',
      '-alice',
      '.alice',
      '@alice',
      'al ice',
      'alice\0',
      'ali$ce',
      'alice$$',
      '../root',
      'élise',
      'a\n',
    ]) {
      rejects('startAuth', { user }, 'USER_INVALID');
    }
    assert.doesNotThrow(() => validateCall('startAuth', { user: 'a'.repeat(MAX_USER_BYTES) }));
    rejects('startAuth', { user: 'a'.repeat(MAX_USER_BYTES + 1) }, 'USER_TOO_LONG');
  });

  it('answer: size in UTF-8 bytes and NUL', () => {
    assert.doesNotThrow(() => validateCall('answer', { text: 'x'.repeat(MAX_ANSWER_BYTES) }));
    rejects('answer', { text: 'x'.repeat(MAX_ANSWER_BYTES + 1) }, 'ANSWER_TOO_LONG');
    assert.doesNotThrow(() => validateCall('answer', { text: 'é'.repeat(MAX_ANSWER_BYTES / 2) }));
    rejects('answer', { text: 'é'.repeat(MAX_ANSWER_BYTES / 2 + 1) }, 'ANSWER_TOO_LONG');
    rejects('answer', { text: 'abc\0def' }, 'ANSWER_HAS_NUL');
  });
});

describe('the security key calls', () => {
  it('getKeySnapshot and cancelKey take no payload', () => {
    assert.deepEqual(validateCall('getKeySnapshot', undefined), { call: 'getKeySnapshot' });
    assert.deepEqual(validateCall('cancelKey', undefined), { call: 'cancelKey' });
    rejects('getKeySnapshot', {}, 'UNEXPECTED_PAYLOAD');
    rejects('cancelKey', 'now', 'UNEXPECTED_PAYLOAD');
  });

  it('answerKeyPin: exactly { pin }, a string of 4 code points to 63 UTF-8 bytes, no NUL', () => {
    assert.deepEqual(validateCall('answerKeyPin', { pin: '2468' }), {
      call: 'answerKeyPin',
      pin: '2468',
    });
    assert.doesNotThrow(() => validateCall('answerKeyPin', { pin: '9'.repeat(MAX_KEY_PIN_BYTES) }));
    assert.doesNotThrow(() => validateCall('answerKeyPin', { pin: '🔑🔑🔑🔑' })); // 4 code points
    rejects('answerKeyPin', { pin: '9'.repeat(MAX_KEY_PIN_BYTES + 1) }, 'PIN_TOO_LONG');
    rejects('answerKeyPin', { pin: 'é'.repeat(32) }, 'PIN_TOO_LONG'); // 64 bytes
    rejects('answerKeyPin', { pin: '123' }, 'PIN_TOO_SHORT');
    rejects('answerKeyPin', { pin: '' }, 'PIN_TOO_SHORT');
    rejects('answerKeyPin', { pin: '12\0' + '34' }, 'PIN_HAS_NUL');
    rejects('answerKeyPin', { pin: '\ud800abcd' }, 'NOT_WELL_FORMED');
    rejects('answerKeyPin', undefined, 'NOT_AN_OBJECT');
    rejects('answerKeyPin', '2468', 'NOT_AN_OBJECT');
    rejects('answerKeyPin', {}, 'MISSING_KEY');
    rejects('answerKeyPin', { pin: 2468 }, 'WRONG_TYPE');
    rejects('answerKeyPin', { pin: '2468', text: 'password' }, 'EXTRA_KEY');
  });

  it('a refused PIN is never in the error message', () => {
    for (const pin of ['123', '9'.repeat(64)]) {
      try {
        validateCall('answerKeyPin', { pin });
        assert.fail('accepted');
      } catch (error) {
        assert.ok(!(error as Error).message.includes(pin));
      }
    }
  });
});

describe('the SSO sign-in calls', () => {
  it('getSsoSnapshot and cancelSso take no payload', () => {
    assert.deepEqual(validateCall('getSsoSnapshot', undefined), { call: 'getSsoSnapshot' });
    assert.deepEqual(validateCall('cancelSso', undefined), { call: 'cancelSso' });
    rejects('getSsoSnapshot', {}, 'UNEXPECTED_PAYLOAD');
    rejects('cancelSso', 'now', 'UNEXPECTED_PAYLOAD');
  });

  it('startSso: exactly { method }, device or portal', () => {
    assert.deepEqual(validateCall('startSso', { method: 'device' }), {
      call: 'startSso',
      method: 'device',
    });
    assert.deepEqual(validateCall('startSso', { method: 'portal' }), {
      call: 'startSso',
      method: 'portal',
    });
    rejects('startSso', undefined, 'NOT_AN_OBJECT');
    rejects('startSso', 'device', 'NOT_AN_OBJECT');
    rejects('startSso', {}, 'MISSING_KEY');
    rejects('startSso', { method: 1 }, 'WRONG_TYPE');
    rejects('startSso', { method: 'device', user: 'root' }, 'EXTRA_KEY');
    rejects('startSso', { method: 'password' }, 'SSO_METHOD_INVALID');
    rejects('startSso', { method: 'Device' }, 'SSO_METHOD_INVALID');
  });
});
