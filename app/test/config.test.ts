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
  });
  assert.deepEqual(
    readGreeterConfig(
      ['--bastion-mode=login', '--bastion-locale=en', '--bastion-helper=/y', '--windowed'],
      env,
    ),
    { mode: 'login', locale: 'en', helperPath: '/y', currentUser: 'alice', windowed: true },
  );
});

test('bad values stop the start with a typed error', () => {
  const cases: [string[], Record<string, string>, string][] = [
    [[], { BASTION_MODE: 'admin' }, 'CONFIG_BAD_MODE'],
    [['--bastion-locale=de'], {}, 'CONFIG_BAD_LOCALE'],
    [['--bastion-helper=relative/helper'], {}, 'CONFIG_BAD_PATH'],
    [['--bastion-debug=1'], {}, 'CONFIG_UNKNOWN_FLAG'],
  ];
  for (const [argv, env, code] of cases) {
    assert.throws(
      () => readGreeterConfig(argv, env),
      (error: unknown) => error instanceof ConfigError && error.code === code,
      code,
    );
  }
});
