import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DEFAULT_HELPER_PATH, readGreeterConfig } from '../config';

test('defaults: login screen, English, the installed helper, fullscreen', () => {
  assert.deepEqual(readGreeterConfig([], {}), {
    mode: 'login',
    locale: 'en',
    helperPath: DEFAULT_HELPER_PATH,
    currentUser: null,
    windowed: false,
    portalUrl: null,
  });
});

test('environment knobs are read; command-line flags win over them', () => {
  const env = {
    BASTION_MODE: 'unlock',
    BASTION_LOCALE: 'fr',
    BASTION_HELPER: '/x/helper',
    BASTION_USER: 'alice',
  };
  assert.deepEqual(readGreeterConfig(['/app', '--no-sandbox'], env), {
    mode: 'unlock',
    locale: 'fr',
    helperPath: '/x/helper',
    currentUser: 'alice',
    windowed: false,
    portalUrl: null,
  });
  assert.deepEqual(
    readGreeterConfig(
      ['--bastion-mode=login', '--bastion-locale=en', '--bastion-helper=/y', '--windowed'],
      env,
    ),
    {
      mode: 'login',
      locale: 'en',
      helperPath: '/y',
      currentUser: 'alice',
      windowed: true,
      portalUrl: null,
    },
  );
});

test('bad values stop the start with a typed error', () => {
  const cases: [string[], Record<string, string>, string][] = [
    [[], { BASTION_MODE: 'admin' }, 'CONFIG_BAD_MODE'],
    [['--bastion-locale=de'], {}, 'CONFIG_BAD_LOCALE'],
    [['--bastion-helper=relative/helper'], {}, 'CONFIG_BAD_PATH'],
    [['--bastion-debug=1'], {}, 'CONFIG_UNKNOWN_FLAG'],
    // The greeter probes over https only: a plain-http answer could be anyone's, even on loopback.
    [
      [],
      { BASTION_PORTAL_URL: 'http://127.0.0.1/.well-known/openid-configuration' },
      'CONFIG_BAD_URL',
    ],
    [[], { BASTION_PORTAL_URL: 'http://auth.example.com/' }, 'CONFIG_BAD_URL'],
    [[], { BASTION_PORTAL_URL: 'https://u:p@auth.example.com/' }, 'CONFIG_BAD_URL'],
    [[], { BASTION_PORTAL_URL: '::' }, 'CONFIG_BAD_URL'],
  ];
  for (const [argv, env, code] of cases) {
    assert.throws(
      () => readGreeterConfig(argv, env),
      (error: unknown) => error instanceof ConfigError && error.code === code,
      code,
    );
  }
});

test('BASTION_PORTAL_URL: the https URL the offline monitor probes; unset or empty: none', () => {
  const url = 'https://auth.example.com/.well-known/openid-configuration';
  assert.equal(readGreeterConfig([], { BASTION_PORTAL_URL: url }).portalUrl?.href, url);
  assert.equal(readGreeterConfig([], { BASTION_PORTAL_URL: '' }).portalUrl, null);
});
