import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfigError,
  DEFAULT_HELPER_PATH,
  DEFAULT_HELPER_SOCKET,
  readGreeterConfig,
} from '../config';

test('defaults: login screen, English, the installed helper (socket first), fullscreen', () => {
  assert.deepEqual(readGreeterConfig([], {}), {
    mode: 'login',
    locale: 'en',
    helperPath: DEFAULT_HELPER_PATH,
    helperSocketPath: DEFAULT_HELPER_SOCKET,
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
    helperSocketPath: DEFAULT_HELPER_SOCKET,
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
      helperSocketPath: DEFAULT_HELPER_SOCKET,
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
    [['--bastion-helper-socket=relative.sock'], {}, 'CONFIG_BAD_PATH'],
    [[], { BASTION_HELPER_SOCKET: `/${'s'.repeat(107)}` }, 'CONFIG_BAD_PATH'],
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

test('BASTION_HELPER_SOCKET / --bastion-helper-socket: the socket tried first; empty: setuid only', () => {
  assert.equal(
    readGreeterConfig([], { BASTION_HELPER_SOCKET: '/tmp/h.sock' }).helperSocketPath,
    '/tmp/h.sock',
  );
  assert.equal(
    readGreeterConfig(['--bastion-helper-socket=/a.sock'], { BASTION_HELPER_SOCKET: '/b.sock' })
      .helperSocketPath,
    '/a.sock',
  );
  assert.equal(readGreeterConfig([], { BASTION_HELPER_SOCKET: '' }).helperSocketPath, null);
});
