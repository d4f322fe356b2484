// `bastion-offline online` in process, with a PASSWORD-GRANT TEST DOUBLE in place of the portal
// (the real LemonLDAP::NG password grant is tested by the SSO rig's suite): sso.conf strictness,
// the password from stdin only, the verifier recorded only after the portal said yes.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OfflineCache } from '../../offline/cache';
import { copyGolden, type GoldenCopy } from '../../offline/test/golden-fixture';
import type { SsoConfig } from '../../sso/config';
import type { CliIo } from '../args';
import { bastionOffline } from '../offline-command';
import { SsoConfError, parseSsoConf, type PasswordGrantClientFactory } from '../sso-online';

class GrantErrorForTest extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Test double of the portal's password grant: one account, or a scripted failure. */
function grantTestDouble(
  accounts: Record<string, string>,
  seen: { configs: SsoConfig[]; passwords: string[] },
  failWith: string | null = null,
): PasswordGrantClientFactory {
  return async (config) => {
    seen.configs.push(config);
    return {
      passwordGrant: async (user, password) => {
        seen.passwords.push(password);
        if (failWith) throw new GrantErrorForTest(failWith);
        if (accounts[user] !== password) throw new GrantErrorForTest('SSO_INVALID_GRANT');
        return { accessToken: 'at-from-double' };
      },
    };
  };
}

function io(stdin: string, env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    out: (line) => out.push(line),
    write: (text) => out.push(text),
    err: (line) => err.push(line),
    env,
    readStdin: async () => Buffer.from(stdin, 'utf8'),
  };
  return { cli, out, err };
}

const CONF = `# site settings
[sso]
issuer = https://auth.example.com
client-id = bastion-greeter
client-secret = s3cret-client
scopes = openid profile offline_access
tls-min-version = TLSv1.3
pins = sha256//${Buffer.alloc(32, 7).toString('base64')}
timeout-ms = 15000
`;

describe('bastion-offline online', () => {
  let copy: GoldenCopy;
  let conf: string;
  before(() => {
    copy = copyGolden();
    conf = join(copy.root, 'sso.conf');
    writeFileSync(conf, CONF, { mode: 0o600 });
  });
  after(() => copy.cleanup());

  const run = (
    stdin: string,
    factory: PasswordGrantClientFactory,
    extra: string[] = [],
    user = 'carol',
  ) => {
    const streams = io(stdin, { PAM_USER: user });
    const status = bastionOffline(
      ['online', ...copy.cliOptions, '--sso-config', conf, ...extra],
      streams.cli,
      undefined,
      { ssoClient: factory },
    );
    return status.then((code) => ({ code, ...streams }));
  };

  const verifies = async (user: string, password: string): Promise<boolean> => {
    const cache = new OfflineCache(copy.options);
    try {
      await cache.verify(user, Buffer.from(password));
      return true;
    } catch {
      return false;
    } finally {
      cache.close();
    }
  };

  it('portal says yes → exit 0, no OFFLINE_* line, the verifier is recorded', async () => {
    const seen = { configs: [] as SsoConfig[], passwords: [] as string[] };
    const result = await run('right-pass\0', grantTestDouble({ carol: 'right-pass' }, seen));
    assert.equal(result.code, 0, result.err.join('\n'));
    assert.deepEqual(result.out, []);
    assert.deepEqual(seen.passwords, ['right-pass'], 'the pam_exec NUL terminator is stripped');
    assert.equal(seen.configs[0]!.issuer, 'https://auth.example.com');
    assert.equal(seen.configs[0]!.clientSecret, 's3cret-client');
    assert.equal(seen.configs[0]!.allowPasswordGrant, true);
    assert.equal(await verifies('carol', 'right-pass'), true);
  });

  it('wrong password (invalid_grant) or portal unreachable → exit 1, nothing recorded', async () => {
    const seen = { configs: [] as SsoConfig[], passwords: [] as string[] };
    const wrong = await run('bad', grantTestDouble({ erin: 'good' }, seen), [], 'erin');
    assert.equal(wrong.code, 1);
    assert.match(wrong.err.join('\n'), /refused \(SSO_INVALID_GRANT\)/);
    assert.equal(await verifies('erin', 'bad'), false);
    const down = await run(
      'good',
      grantTestDouble({ erin: 'good' }, seen, 'SSO_UNREACHABLE'),
      [],
      'erin',
    );
    assert.equal(down.code, 1);
    assert.match(down.err.join('\n'), /unreachable \(SSO_UNREACHABLE\)/);
    assert.equal(await verifies('erin', 'good'), false);
    assert.ok(
      [...wrong.err, ...down.err].every((line) => !line.includes('good') && !line.includes('bad ')),
    );
  });

  it('the real client, portal refusing connections; a missing or open sso.conf → exit 1 (fails closed)', async () => {
    const closed = join(copy.root, 'sso-closed.conf');
    writeFileSync(
      closed,
      '[sso]\nissuer = http://127.0.0.1:9\nclient-id = c\nallow-loopback-http = true\ntimeout-ms = 2000\n',
      { mode: 0o600 },
    );
    const streams = io('pw', { PAM_USER: 'carol' });
    const code = await bastionOffline(
      ['online', ...copy.cliOptions, '--sso-config', closed],
      streams.cli,
    );
    assert.equal(code, 1);
    assert.match(streams.err.join('\n'), /unreachable \(SSO_(DISCOVERY_FAILED|UNREACHABLE)\)/);
    const seen = { configs: [] as SsoConfig[], passwords: [] as string[] };
    const absent = await run('pw', grantTestDouble({}, seen), ['--sso-config', `${conf}.nope`]);
    assert.equal(absent.code, 1);
    assert.match(absent.err.join('\n'), /missing/);
    chmodSync(conf, 0o644);
    const open = await run('pw', grantTestDouble({}, seen));
    chmodSync(conf, 0o600);
    assert.equal(open.code, 1);
    assert.match(open.err.join('\n'), /group\/world accessible/);
    assert.equal(seen.passwords.length, 0, 'the portal was never asked');
  });

  it('sso.conf is strict: unknown key/group, repeats, bad values, missing required keys', () => {
    const base = '[sso]\nissuer = https://a.example\nclient-id = c\n';
    assert.equal(parseSsoConf(base).clientId, 'c');
    for (const bad of [
      `${base}colour = blue\n`,
      `${base}[other]\n`,
      `${base}client-id = d\n`,
      `${base}just words\n`,
      `${base}tls-min-version = TLSv1.1\n`,
      `${base}timeout-ms = 5\n`,
      `${base}pins = sha256//short\n`,
      `${base}ca-file = relative.pem\n`,
      `${base}allow-loopback-http = yes\n`,
      'issuer = https://a.example\nclient-id = c\n',
      '[sso]\nclient-id = c\n',
    ]) {
      assert.throws(() => parseSsoConf(bad), SsoConfError, bad);
    }
    assert.throws(
      () => parseSsoConf(`${base}client-secret = hush\nclient-secret = hush2\n`),
      (e: Error) => {
        assert.ok(!e.message.includes('hush'), 'values never echoed');
        return true;
      },
    );
  });
});
