import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeOfflineError,
  FIDO_TOUCH_PREFIX,
  OFFLINE_ERROR_DESCRIPTIONS,
  PAM_U2F_DEFAULT_CUE,
  parsePamText,
} from './conversation';

const EXPECTED_NAMES: [number, string][] = [
  [0, 'OK'],
  [-1, 'NOMEM'],
  [-2, 'IO'],
  [-3, 'CRYPTO'],
  [-4, 'NOTFOUND'],
  [-5, 'EXPIRED'],
  [-6, 'LOCKED'],
  [-7, 'INVALID'],
  [-8, 'PASSWORD'],
];

describe('parsePamText: OFFLINE_ERROR', () => {
  for (const [code, name] of EXPECTED_NAMES) {
    it(`code ${code} is ${name}`, () => {
      assert.deepEqual(parsePamText('info', `OFFLINE_ERROR:${code}`), {
        kind: 'offline-error',
        code,
        name,
        lockSeconds: null,
      });
    });
  }

  it('LOCKED carries the remaining seconds', () => {
    assert.deepEqual(parsePamText('info', 'OFFLINE_ERROR:-6:240'), {
      kind: 'offline-error',
      code: -6,
      name: 'LOCKED',
      lockSeconds: 240,
    });
    assert.deepEqual(parsePamText('error', 'OFFLINE_ERROR:-6:0'), {
      kind: 'offline-error',
      code: -6,
      name: 'LOCKED',
      lockSeconds: 0,
    });
  });

  it('an unknown numeric code is UNKNOWN with its number', () => {
    for (const code of [-9, 1, 42, -123]) {
      assert.deepEqual(parsePamText('info', `OFFLINE_ERROR:${code}`), {
        kind: 'offline-error',
        code,
        name: 'UNKNOWN',
        lockSeconds: null,
      });
    }
  });

  const malformed = [
    'OFFLINE_ERROR:',
    'OFFLINE_ERROR: -6:240',
    'OFFLINE_ERROR:-6 :240',
    'OFFLINE_ERROR:-6: 240',
    ' OFFLINE_ERROR:-6:240',
    'OFFLINE_ERROR:-6:240 ',
    'OFFLINE_ERROR:-6:240\n',
    'OFFLINE_ERROR:+5',
    'OFFLINE_ERROR:-6:+240',
    'OFFLINE_ERROR:-6:-240',
    'OFFLINE_ERROR:-6:240:1',
    'OFFLINE_ERROR:-6:240x',
    'OFFLINE_ERROR:-6:0240',
    'OFFLINE_ERROR:-6:1e3',
    'OFFLINE_ERROR:-6:2.5',
    'OFFLINE_ERROR:-6:9999999999',
    'OFFLINE_ERROR:-6:99999999999999999999999',
    'OFFLINE_ERROR:-0',
    'OFFLINE_ERROR:00',
    'OFFLINE_ERROR:-08',
    'OFFLINE_ERROR:-1234',
    'OFFLINE_ERROR:0x6',
    'OFFLINE_ERROR:-8:30', // seconds only come with LOCKED
    'OFFLINE_ERROR:0:5',
    'OFFLINE_ERROR:-６',
    'offline_error:-6:240',
    'Offline_Error:-6',
    'OFFLINE_ERROR-6',
    'XOFFLINE_ERROR:-6',
    'OFFLINE_ERROR:-6junk',
    'OFFLINE_ERROR:abc',
  ];
  for (const text of malformed) {
    it(`malformed ${JSON.stringify(text)} is shown verbatim`, () => {
      assert.deepEqual(parsePamText('info', text), { kind: 'info', text });
      assert.deepEqual(parsePamText('error', text), { kind: 'error', text });
    });
  }
});

describe('parsePamText: OFFLINE_OK', () => {
  it('parses the expiry in Unix seconds', () => {
    assert.deepEqual(parsePamText('info', 'OFFLINE_OK:1767225600'), {
      kind: 'offline-ok',
      expiresAt: 1767225600,
    });
  });
  for (const text of [
    'OFFLINE_OK:',
    'OFFLINE_OK: 1767225600',
    'OFFLINE_OK:1767225600 ',
    'OFFLINE_OK:-1',
    'OFFLINE_OK:+1767225600',
    'OFFLINE_OK:01767225600',
    'OFFLINE_OK:123456789012',
    'OFFLINE_OK:1767225600:5',
    'offline_ok:1767225600',
    'OFFLINE_OK',
  ]) {
    it(`malformed ${JSON.stringify(text)} is never a success`, () => {
      assert.deepEqual(parsePamText('info', text), { kind: 'info', text });
    });
  }
});

describe('parsePamText: touch cues and plain text', () => {
  it("pam_u2f's default cue is a touch cue", () => {
    assert.deepEqual(parsePamText('info', PAM_U2F_DEFAULT_CUE), {
      kind: 'touch',
      text: PAM_U2F_DEFAULT_CUE,
    });
  });
  it('a configured cue_prompt replaces the default', () => {
    const options = { touchCues: ['Touch your YubiKey now'] };
    assert.deepEqual(parsePamText('info', 'Touch your YubiKey now', options), {
      kind: 'touch',
      text: 'Touch your YubiKey now',
    });
    assert.deepEqual(parsePamText('info', PAM_U2F_DEFAULT_CUE, options), {
      kind: 'info',
      text: PAM_U2F_DEFAULT_CUE,
    });
  });
  it('cue texts must match exactly', () => {
    assert.deepEqual(parsePamText('info', 'please touch the device.'), {
      kind: 'info',
      text: 'please touch the device.',
    });
  });
  it('a [FIDO_TOUCH] prefix is a touch cue with the rest as text', () => {
    assert.deepEqual(parsePamText('info', `${FIDO_TOUCH_PREFIX} Touch your key`), {
      kind: 'touch',
      text: 'Touch your key',
    });
    assert.deepEqual(parsePamText('info', FIDO_TOUCH_PREFIX), {
      kind: 'touch',
      text: PAM_U2F_DEFAULT_CUE,
    });
  });
  it('other text is verbatim with its kind', () => {
    assert.deepEqual(parsePamText('info', 'Welcome'), { kind: 'info', text: 'Welcome' });
    assert.deepEqual(parsePamText('error', 'Account expired'), {
      kind: 'error',
      text: 'Account expired',
    });
    assert.deepEqual(parsePamText('info', ''), { kind: 'info', text: '' });
  });
});

describe('describeOfflineError', () => {
  it('has a sentence and an action for every name', () => {
    for (const [code, name] of EXPECTED_NAMES) {
      const description = describeOfflineError(code);
      assert.equal(description.name, name);
      assert.equal(description.code, code);
      assert.ok(description.happened.length > 10);
      assert.ok(description.action.length > 5);
    }
    assert.ok(OFFLINE_ERROR_DESCRIPTIONS.UNKNOWN.happened.length > 10);
  });
  it('keeps the number of an unknown code', () => {
    const description = describeOfflineError(-42);
    assert.equal(description.name, 'UNKNOWN');
    assert.equal(description.code, -42);
  });
});
