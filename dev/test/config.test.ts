import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DevConfigError, readDevServerConfig } from '../config';

test('defaults and knobs', () => {
  assert.deepEqual(readDevServerConfig({ BASTION_HELPER: '/h' }), {
    mode: 'login',
    locale: 'en',
    helperPath: '/h',
    currentUser: null,
    demoDir: null,
    port: 0,
  });
  assert.deepEqual(
    readDevServerConfig({
      BASTION_HELPER: '/h',
      BASTION_MODE: 'unlock',
      BASTION_LOCALE: 'fr',
      BASTION_DEV_DEMO_DIR: '/tmp/demo',
      BASTION_DEV_PORT: '8123',
    }),
    {
      mode: 'unlock',
      locale: 'fr',
      helperPath: '/h',
      currentUser: 'demo',
      demoDir: '/tmp/demo',
      port: 8123,
    },
  );
});

test('bad values are refused with a typed error', () => {
  for (const env of [
    {},
    { BASTION_HELPER: 'relative' },
    { BASTION_HELPER: '/h', BASTION_MODE: 'root' },
    { BASTION_HELPER: '/h', BASTION_LOCALE: 'de' },
    { BASTION_HELPER: '/h', BASTION_DEV_PORT: '70000' },
    { BASTION_HELPER: '/h', BASTION_DEV_DEMO_DIR: 'rel' },
  ]) {
    assert.throws(() => readDevServerConfig(env), DevConfigError, JSON.stringify(env));
  }
});
