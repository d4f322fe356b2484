// `allow-loopback-http` (main/sso/config.ts): plain http only to the literal loopback addresses,
// never to a name the resolver decides about.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, parseIssuer } from '../config';

const refused = (issuer: string): void =>
  assert.throws(
    () => parseIssuer(issuer, true),
    (e) => (e as { code?: string }).code === 'SSO_CONFIG_INVALID',
    issuer,
  );

test('http is accepted for 127.0.0.1 and [::1] only', () => {
  assert.equal(parseIssuer('http://127.0.0.1:8080/oidc', true).hostname, '127.0.0.1');
  assert.equal(parseIssuer('http://[::1]:8080', true).hostname, '[::1]');
  // The WHATWG parser writes other spellings of 127.0.0.1 as 127.0.0.1: the same address.
  assert.equal(parseIssuer('http://0x7f.1/', true).hostname, '127.0.0.1');
});

test('localhost and other names are refused, however spelled', () => {
  for (const issuer of [
    'http://localhost:8080',
    'http://LOCALHOST/',
    'http://localhost./',
    'http://foo.localhost/',
    'http://127.0.0.1.nip.io/',
  ]) {
    refused(issuer);
  }
});

test('the rest of 127.0.0.0/8, the unspecified and mapped addresses are refused', () => {
  for (const issuer of [
    'http://127.0.0.2/',
    'http://127.1.2.3/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/',
  ]) {
    refused(issuer);
  }
  assert.equal(isLoopbackHost('localhost'), false);
  assert.equal(isLoopbackHost('[::1]'), true);
  assert.equal(isLoopbackHost('::1'), true);
});

test('without the setting, http is refused even on 127.0.0.1', () => {
  assert.throws(() => parseIssuer('http://127.0.0.1/', false));
});
