import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DevConfigError, readDevServerConfig } from '../config';

test('defaults and knobs', () => {
  assert.deepEqual(readDevServerConfig({ BASTION_HELPER: '/h' }), {
    mode: 'login',
    locale: 'en',
    helperPath: '/h',
    helperSocketPath: null,
    currentUser: null,
    demoDir: null,
    demoPolicy: '',
    port: 0,
    portalUrl: null,
    probeIntervalMs: null,
    sessionDirs: null,
    policyPath: null,
    pamDir: null,
    fakeHidraw: null,
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
      helperSocketPath: null,
      currentUser: 'demo',
      demoDir: '/tmp/demo',
      demoPolicy: '',
      port: 8123,
      portalUrl: null,
      probeIntervalMs: null,
      sessionDirs: null,
      policyPath: null,
      pamDir: null,
      fakeHidraw: null,
    },
  );
});

test('session dirs and policy file for the display-manager tests', () => {
  const config = readDevServerConfig({
    BASTION_HELPER: '/h',
    BASTION_DEV_WAYLAND_SESSIONS_DIR: '/rig/sessions',
    BASTION_DEV_POLICY: '/rig/greeter.conf',
  });
  assert.deepEqual(config.sessionDirs, {
    x11: '/nonexistent/bastion-no-sessions',
    wayland: '/rig/sessions',
  });
  assert.equal(config.policyPath, '/rig/greeter.conf');
});

test('another PAM stack for the demo helper, and the fake-hidraw shim handed on (tests only)', () => {
  const config = readDevServerConfig({
    BASTION_HELPER: '/h',
    BASTION_DEV_PAM_DIR: '/rig/pam',
    LD_PRELOAD: '/usr/lib/other.so /build/helper/fake_hidraw.so',
    BASTION_FAKE_HIDRAW_DIR: '/tmp/bastion-hidraw-1',
  });
  assert.equal(config.pamDir, '/rig/pam');
  assert.deepEqual(config.fakeHidraw, {
    library: '/build/helper/fake_hidraw.so',
    dir: '/tmp/bastion-hidraw-1',
  });
  // The shim without its dir, or the dir without the shim: nothing handed on.
  assert.equal(
    readDevServerConfig({ BASTION_HELPER: '/h', LD_PRELOAD: '/x/fake_hidraw.so' }).fakeHidraw,
    null,
  );
  assert.equal(
    readDevServerConfig({ BASTION_HELPER: '/h', BASTION_FAKE_HIDRAW_DIR: '/tmp/d' }).fakeHidraw,
    null,
  );
  assert.throws(
    () => readDevServerConfig({ BASTION_HELPER: '/h', BASTION_DEV_PAM_DIR: 'pam' }),
    DevConfigError,
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
    { BASTION_HELPER: '/h', BASTION_HELPER_SOCKET: 'rel.sock' },
    { BASTION_HELPER: '/h', BASTION_PORTAL_URL: 'http://portal.example.com/' },
    { BASTION_HELPER: '/h', BASTION_PORTAL_URL: 'http://10.0.0.1/' },
    { BASTION_HELPER: '/h', BASTION_PORTAL_URL: 'ftp://127.0.0.1/' },
    { BASTION_HELPER: '/h', BASTION_PORTAL_URL: 'https://user:pw@portal.example.com/' },
    { BASTION_HELPER: '/h', BASTION_PORTAL_URL: 'not a url' },
    { BASTION_HELPER: '/h', BASTION_DEV_PROBE_INTERVAL_MS: '10' },
    { BASTION_HELPER: '/h', BASTION_DEV_PROBE_INTERVAL_MS: 'fast' },
    { BASTION_HELPER: '/h', BASTION_DEV_XSESSIONS_DIR: 'rel' },
    { BASTION_HELPER: '/h', BASTION_DEV_WAYLAND_SESSIONS_DIR: 'rel' },
    { BASTION_HELPER: '/h', BASTION_DEV_POLICY: 'greeter.conf' },
  ]) {
    assert.throws(() => readDevServerConfig(env), DevConfigError, JSON.stringify(env));
  }
});

test('BASTION_PORTAL_URL: https anywhere, plain http only on loopback (demo and tests)', () => {
  for (const url of [
    'https://auth.example.com/.well-known/openid-configuration',
    'http://127.0.0.1:8080/.well-known/openid-configuration',
    'http://localhost/probe',
    'http://[::1]:9/x',
  ]) {
    assert.equal(
      readDevServerConfig({ BASTION_HELPER: '/h', BASTION_PORTAL_URL: url }).portalUrl?.href,
      new URL(url).href,
    );
  }
  assert.equal(
    readDevServerConfig({ BASTION_HELPER: '/h', BASTION_PORTAL_URL: '' }).portalUrl,
    null,
  );
  assert.equal(
    readDevServerConfig({ BASTION_HELPER: '/h', BASTION_DEV_PROBE_INTERVAL_MS: '250' })
      .probeIntervalMs,
    250,
  );
});

test('BASTION_HELPER_SOCKET: a socket-activated helper tried first', () => {
  assert.equal(
    readDevServerConfig({ BASTION_HELPER: '/h', BASTION_HELPER_SOCKET: '/run/x.sock' })
      .helperSocketPath,
    '/run/x.sock',
  );
});
