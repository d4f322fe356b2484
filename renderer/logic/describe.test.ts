import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthFailure, AuthMessage, OfflineErrorName } from '../../preload/api';
import { en } from '../i18n/en';
import { fr } from '../i18n/fr';
import { FAILURE_REASONS, OFFLINE_ERROR_NAMES } from '../test/contract-lists';
import { describeFailure, describeMessage, planMessages } from './describe';

const CODES: Record<OfflineErrorName, number> = {
  OK: 0,
  NOMEM: -1,
  IO: -2,
  CRYPTO: -3,
  NOTFOUND: -4,
  EXPIRED: -5,
  LOCKED: -6,
  INVALID: -7,
  PASSWORD: -8,
  UNKNOWN: -99,
};

function offlineError(name: OfflineErrorName): AuthMessage {
  return {
    kind: 'offline-error',
    code: CODES[name],
    name,
    lockSeconds: name === 'LOCKED' ? 240 : null,
  };
}

function failure(reason: AuthFailure['reason']): AuthFailure {
  return { reason, pamCode: 7, pamName: 'PAM_AUTH_ERR' };
}

test('every OFFLINE_ERROR name maps to its own sentence in en and fr; only OK is not an error', () => {
  for (const t of [en, fr]) {
    for (const name of OFFLINE_ERROR_NAMES) {
      const line = describeMessage(offlineError(name), t);
      assert.equal(line.text, t.offlineError[name]);
      assert.equal(line.tone, name === 'OK' ? 'success' : 'error', name);
    }
  }
});

test('every failure reason maps to its sentence in en and fr', () => {
  for (const t of [en, fr]) {
    for (const reason of FAILURE_REASONS) {
      assert.equal(describeFailure(failure(reason), t), t.failure[reason]);
    }
  }
});

test('PAM text is shown verbatim with its tone', () => {
  assert.deepEqual(describeMessage({ kind: 'info', text: 'Welcome <b>' }, en), {
    tone: 'info',
    text: 'Welcome <b>',
  });
  assert.deepEqual(describeMessage({ kind: 'error', text: 'No.' }, fr), {
    tone: 'error',
    text: 'No.',
  });
  assert.equal(describeMessage({ kind: 'touch', text: 'Tap' }, en).tone, 'touch');
});

test('an unexpected name or reason still gets a sentence, never nothing', () => {
  const odd = {
    kind: 'offline-error',
    code: -42,
    name: 'BOGUS',
    lockSeconds: null,
  } as unknown as AuthMessage;
  assert.equal(describeMessage(odd, en).text, en.offlineError.UNKNOWN);
  assert.equal(
    describeFailure({ reason: 'bogus' } as unknown as AuthFailure, fr),
    fr.failure.internal,
  );
});

test('offline-ok is described with a locale-aware date', () => {
  const expiresAt = Date.UTC(2026, 10, 30, 17, 30) / 1000;
  const line = describeMessage({ kind: 'offline-ok', expiresAt }, en);
  assert.equal(line.tone, 'success');
  assert.match(line.text, /^Cached login valid until .*2026/);
  assert.match(
    describeMessage({ kind: 'offline-ok', expiresAt }, fr).text,
    /valable jusqu'au .*2026/,
  );
});

test('plan: messages in order, failure last and marked as the verdict', () => {
  const plan = planMessages(
    [
      { kind: 'info', text: 'first' },
      { kind: 'error', text: 'second' },
    ],
    failure('credentials'),
    false,
    en,
  );
  assert.equal(plan.touchCue, null);
  assert.deepEqual(
    plan.lines.map((l) => [l.text, l.verdict]),
    [
      ['first', false],
      ['second', false],
      [en.failure.credentials, true],
    ],
  );
});

test('plan: a precise OFFLINE_ERROR line is the verdict instead of a repeated generic sentence', () => {
  const plan = planMessages([offlineError('LOCKED')], failure('locked'), false, en);
  assert.deepEqual(
    plan.lines.map((l) => [l.text, l.verdict]),
    [[en.offlineError.LOCKED, true]],
  );
  const expired = planMessages([offlineError('EXPIRED')], failure('offline-cache'), false, fr);
  assert.deepEqual(
    expired.lines.map((l) => l.text),
    [fr.offlineError.EXPIRED],
  );
  // An OFFLINE_ERROR does not swallow an unrelated failure reason.
  const timeout = planMessages([offlineError('PASSWORD')], failure('timeout'), false, en);
  assert.deepEqual(
    timeout.lines.map((l) => l.text),
    [en.offlineError.PASSWORD, en.failure.timeout],
  );
});

test('plan: while an attempt runs the latest touch cue is the prompt, afterwards a plain line', () => {
  const messages: AuthMessage[] = [
    { kind: 'touch', text: 'Please touch the device.' },
    { kind: 'touch', text: 'Touch again.' },
  ];
  const running = planMessages(messages, null, true, en);
  assert.equal(running.touchCue, 'Touch again.');
  assert.deepEqual(running.lines, []);
  const done = planMessages(messages, failure('timeout'), false, en);
  assert.equal(done.touchCue, null);
  assert.equal(done.lines.length, 3);
});

test('plan: offline-ok is left to the "cached login valid until" line', () => {
  const plan = planMessages([{ kind: 'offline-ok', expiresAt: 1 }], null, false, en);
  assert.deepEqual(plan.lines, []);
});
