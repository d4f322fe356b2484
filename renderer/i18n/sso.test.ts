// The SSO client's error sentences (main/sso SsoError codes): every code, both locales,
// distinct, translated, and each says what to do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SsoErrorCode } from '../../preload/api';
import { en } from './en';
import { fr } from './fr';

const CODES = [
  'SSO_CONFIG_INVALID',
  'SSO_DISCOVERY_FAILED',
  'SSO_TLS_REFUSED',
  'SSO_PIN_MISMATCH',
  'SSO_TIMEOUT',
  'SSO_UNREACHABLE',
  'SSO_RESPONSE_TOO_LARGE',
  'SSO_BAD_RESPONSE',
  'SSO_REDIRECT_REFUSED',
  'SSO_INVALID_GRANT',
  'SSO_TOKEN_REJECTED',
  'SSO_ID_TOKEN_INVALID',
  'SSO_STATE_MISMATCH',
  'SSO_ISSUER_MISMATCH',
  'SSO_ACCESS_DENIED',
  'SSO_DEVICE_EXPIRED',
  'SSO_NOT_ALLOWED',
  'SSO_CANCELLED',
  'SSO_HOST_NOT_ENROLLED',
  'SSO_INTERNAL',
] as const satisfies readonly SsoErrorCode[];
const complete: [Exclude<SsoErrorCode, (typeof CODES)[number]>] extends [never] ? true : false =
  true;

test('every SSO error code has one distinct, translated sentence that says what to do', () => {
  assert.ok(complete);
  assert.deepEqual(Object.keys(en.sso).sort(), [...CODES].sort());
  assert.deepEqual(Object.keys(fr.sso).sort(), [...CODES].sort());
  for (const [locale, t, action] of [
    ['en', en, /try again|contact|check|type|start|use|sign in/i],
    ['fr', fr, /réessayez|contactez|vérifiez|saisissez|recommencez|utilisez/i],
  ] as const) {
    const seen = new Set<string>();
    for (const code of CODES) {
      const text = t.sso[code];
      assert.ok(text.trim().length > 20, `${locale}.${code} too short`);
      assert.ok(!seen.has(text), `${locale}.${code} repeats another sentence`);
      assert.match(text, action, `${locale}.${code} says what to do`);
      seen.add(text);
    }
  }
  for (const code of CODES) assert.notEqual(fr.sso[code], en.sso[code], `fr.${code} untranslated`);
});
