// sso.conf's one reader (../site-config.ts) and its two users: the greeter
// (main/ipc/sso-settings.ts) and `bastion-offline online` (main/cli/sso-online.ts) read the
// SAME file with every key, each taking its own part; what one refuses the other refuses too.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSsoConf, parseSsoConf } from '../../cli/sso-online';
import { loadSsoSettings, parseSsoSettings } from '../../ipc/sso-settings';
import { parseSiteSsoConf, readSiteSsoConf, SsoConfError } from '../site-config';

const PIN = `sha256//${'A'.repeat(43)}=`;
const ALL_BUT_SECRET =
  '# every key the greeter and the CLI know\n' +
  '[sso]\n' +
  'issuer = https://auth.example.com/\n' +
  'client-id = bastion-greeter\n' +
  'scopes = openid profile offline_access\n' +
  'tls-min-version = TLSv1.3\n' +
  'ca-file = /etc/bastion-greeter/portal-ca.pem\n' +
  `pins = ${PIN}\n` +
  'timeout-ms = 15000\n' +
  'allow-loopback-http = false\n' +
  'sign-in = device portal\n' +
  'redirect-uri = http://127.0.0.1/callback\n' +
  'portal-timeout-seconds = 120\n' +
  'unlock-with-refresh = true\n' +
  'allow-password-grant = true\n';
const ALL = `${ALL_BUT_SECRET}client-secret = s3cret-client\n`;

describe('sso.conf: one file, both readers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-sso-conf-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string, mode: number): string => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    return path;
  };

  it('every key: the CLI takes the client, the greeter its sign-in settings', () => {
    const cli = parseSsoConf(ALL);
    assert.deepEqual(cli, {
      issuer: 'https://auth.example.com/',
      clientId: 'bastion-greeter',
      clientSecret: 's3cret-client',
      allowPasswordGrant: true,
      scopes: ['openid', 'profile', 'offline_access'],
      timeoutMs: 15_000,
      tls: {
        minVersion: 'TLSv1.3',
        caFile: '/etc/bastion-greeter/portal-ca.pem',
        pins: [PIN],
        allowLoopbackHttp: false,
      },
    });
    const greeter = parseSsoSettings(ALL);
    assert.ok(greeter, 'the greeter accepts the CLI keys');
    assert.deepEqual(greeter.methods, ['device', 'portal']);
    assert.equal(greeter.redirectUri, 'http://127.0.0.1/callback');
    assert.equal(greeter.portalTimeoutMs, 120_000);
    assert.equal(greeter.unlockWithRefresh, true);
    assert.equal(greeter.passwordGrantAfterSignIn, true);
    assert.equal(greeter.client.timeoutMs, 15_000);
    assert.equal('clientSecret' in greeter.client, false, 'the greeter client stays public');
  });

  it('a root-owned 0644 file with greeter keys: the greeter and `online` both read it', () => {
    const path = file('shared.conf', ALL_BUT_SECRET, 0o644);
    assert.equal(loadSsoConf(path).clientId, 'bastion-greeter');
    assert.deepEqual(loadSsoSettings(path)?.methods, ['device', 'portal']);
  });

  it('a client-secret makes the file root-only: 0600 read by both here, 0644 refused by both', () => {
    const closed = file('secret.conf', ALL, 0o600);
    assert.equal(loadSsoConf(closed).clientSecret, 's3cret-client');
    const open = file('secret-open.conf', ALL, 0o644);
    const logs: string[] = [];
    assert.throws(() => loadSsoConf(open), /group\/world accessible/);
    assert.equal(
      loadSsoSettings(open, (l) => logs.push(l)),
      null,
    );
    assert.match(logs.join('\n'), /group\/world accessible/);
    assert.ok(!logs.join('\n').includes('s3cret'), 'the secret is never echoed');
  });

  it('refused by both: group-writable, a symlink, an unknown key; absent: null / missing', () => {
    const writable = file('writable.conf', ALL_BUT_SECRET, 0o664);
    const link = join(dir, 'link.conf');
    symlinkSync(file('target.conf', ALL_BUT_SECRET, 0o644), link);
    const unknown = file('unknown.conf', `${ALL_BUT_SECRET}colour = blue\n`, 0o644);
    for (const [path, why] of [
      [writable, /group\/world writable/],
      [link, /symlink/],
      [unknown, /unknown key colour/],
    ] as const) {
      assert.throws(() => loadSsoConf(path), why);
      const logs: string[] = [];
      assert.equal(
        loadSsoSettings(path, (l) => logs.push(l)),
        null,
        path,
      );
      assert.match(logs.join('\n'), why);
    }
    assert.equal(readSiteSsoConf(join(dir, 'absent.conf')), null);
    assert.equal(loadSsoSettings(join(dir, 'absent.conf')), null);
    assert.throws(() => loadSsoConf(join(dir, 'absent.conf')), /missing/);
  });

  it('strict values, shared: each bad line refuses the file for both', () => {
    const base = '[sso]\nissuer = https://a.example\nclient-id = c\n';
    for (const bad of [
      `${base}[other]\n`,
      `${base}sign-in = password\n`,
      `${base}sign-in = device device\n`,
      `${base}sign-in = portal\n`,
      `${base}redirect-uri = http://127.0.0.1/cb?x=1\n`,
      `${base}portal-timeout-seconds = 0\n`,
      `${base}unlock-with-refresh = yes\n`,
      `${base}allow-password-grant = true\n`,
      `${base}pins = sha256//short\n`,
      `${base}sign-in =\n`,
    ]) {
      assert.throws(() => parseSiteSsoConf(bad), SsoConfError, bad);
      assert.throws(() => parseSsoConf(bad), SsoConfError, bad);
      assert.equal(parseSsoSettings(bad), null, bad);
    }
    assert.deepEqual(parseSiteSsoConf(`\uFEFF${base}`).signIn, []);
  });
});
