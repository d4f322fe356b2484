import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locale, OfflineErrorName } from '../../preload/api';
import { ALL_LISTED, FAILURE_REASONS, OFFLINE_ERROR_NAMES } from '../test/contract-lists';
import { en } from './en';
import { fr } from './fr';
import { messagesFor, type Messages } from './index';

const catalogues: [Locale, Messages][] = [
  ['en', en],
  ['fr', fr],
];

function keyPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) =>
    keyPaths(inner, prefix === '' ? key : `${prefix}.${key}`),
  );
}

test('fr has exactly the keys of en, with the same kinds of values', () => {
  assert.ok(ALL_LISTED);
  assert.deepEqual(keyPaths(fr).sort(), keyPaths(en).sort());
  for (const key of Object.keys(en) as (keyof Messages)[]) {
    assert.equal(typeof fr[key], typeof en[key], key);
  }
});

test('every OFFLINE_ERROR name has a distinct, translated sentence in both locales (NOTFOUND reads as PASSWORD)', () => {
  for (const [locale, t] of catalogues) {
    // No user enumeration (issue 7): "no entry" must read exactly as "wrong password", whoever
    // prints the code (bastion-offline prints -8 for both; another cache may print -4).
    assert.equal(
      t.offlineError.NOTFOUND,
      t.offlineError.PASSWORD,
      `${locale}: NOTFOUND ≠ PASSWORD`,
    );
    const seen = new Set<string>();
    for (const name of OFFLINE_ERROR_NAMES) {
      const text = t.offlineError[name];
      assert.ok(text.trim().length > 20, `${locale}.${name} is too short to say what to do`);
      if (name === 'NOTFOUND') continue; // checked above: the PASSWORD sentence
      assert.ok(!seen.has(text), `${locale}.${name} repeats another sentence`);
      seen.add(text);
    }
  }
  for (const name of OFFLINE_ERROR_NAMES) {
    assert.notEqual(fr.offlineError[name], en.offlineError[name], `fr.${name} is untranslated`);
  }
});

test('every failure reason has a distinct, translated sentence in both locales', () => {
  for (const [locale, t] of catalogues) {
    const seen = new Set<string>();
    for (const reason of FAILURE_REASONS) {
      const text = t.failure[reason];
      assert.ok(text.trim().length > 20, `${locale}.${reason} is too short`);
      assert.ok(!seen.has(text), `${locale}.${reason} repeats another sentence`);
      seen.add(text);
    }
  }
  for (const reason of FAILURE_REASONS) {
    assert.notEqual(fr.failure[reason], en.failure[reason], `fr.${reason} is untranslated`);
  }
});

test('errors that need action say what to do (an imperative or a contact)', () => {
  const needsAction: OfflineErrorName[] = OFFLINE_ERROR_NAMES.filter((name) => name !== 'OK');
  for (const name of needsAction) {
    assert.match(
      en.offlineError[name],
      /try again|contact|connect|wait|use the password|close/i,
      name,
    );
    assert.match(
      fr.offlineError[name],
      /réessayez|contactez|connectez|attendez|utilisez|fermez/i,
      name,
    );
  }
});

test('interpolated strings carry their argument', () => {
  for (const [, t] of catalogues) {
    assert.ok(t.lockedCountdown('4:00').includes('4:00'));
    assert.ok(t.throttledCountdown('0:12').includes('0:12'));
    assert.ok(t.cachedValidUntil('30 Nov 2026, 18:30').includes('30 Nov 2026, 18:30'));
  }
  assert.equal(en.lockedCountdown('4:00'), 'Locked, 4:00 left');
  assert.match(en.cachedValidUntil('X'), /^Cached login valid until X/);
  assert.match(en.offlineBanner, /^Offline mode: the sign-in portal cannot be reached/);
});

test('messagesFor picks the locale and falls back to English for an unknown value', () => {
  assert.equal(messagesFor('en'), en);
  assert.equal(messagesFor('fr'), fr);
  assert.equal(messagesFor('de' as Locale), en);
  assert.equal(messagesFor('__proto__' as Locale), en);
});
