// `bastion-offline guard`, the root session guard, on real parts: the real CLI (tsx) as a
// child process; a real HTTP portal on loopback (main/monitor/test/loopback-portal, whose
// `/pam/userinfo` is a TEST DOUBLE of Open Bastion's plugin, absent from Debian's
// LemonLDAP::NG) configured through a real sso.conf; python3-dbusmock's logind on a private
// bus recording TerminateSession; real markers written by real `verify` runs, the real
// force-online list, and `verify` refusing afterwards. "Network up" is read from a proc-like
// directory with a default route (the machine's own may have none). Under CI=true a missing
// dbusmock fails.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { requireOrSkip } from '../../../testkit/require';
import { FileForceOnlineList } from '../../monitor/force-online';
import { FileGuardState } from '../../monitor/guard-state';
import { FileOfflineSessions } from '../../monitor/offline-sessions';
import { startLoopbackPortal, type LoopbackPortal } from '../../monitor/test/loopback-portal';
import { copyGolden, storeFresh, type GoldenCopy } from '../../offline/test/golden-fixture';
import { logindMockMissing, startLogindMock, type LogindMock } from '../../power/test/logind-mock';
import { runOfflineCli } from './run-offline-cli';

const missing = logindMockMissing();
const HOUR = 3_600_000;

const terminated = async (logind: LogindMock): Promise<string[]> => {
  const calls = (await logind.mockCall('GetCalls')).data[0] as unknown[];
  return calls
    .filter((call): call is unknown[] => Array.isArray(call) && call[1] === 'TerminateSession')
    .map((call) => ((call[2] as { data: unknown }[])[0]!.data as string) ?? '');
};

describe('bastion-offline guard (root): loopback portal, logind (dbusmock)', () => {
  let copy: GoldenCopy;
  let portal: LoopbackPortal;
  const root = mkdtempSync(join(tmpdir(), 'bastion-guard-'));
  chmodSync(root, 0o700);
  const markers = join(root, 'lib', 'offline-sessions');
  const list = join(root, 'lib', 'force-online', 'users');
  const statePath = join(root, 'lib', 'session-guard', 'state');
  const ssoConf = join(root, 'sso.conf');
  const token = join(root, 'server-token');
  const secret = join(root, 'signing-secret');
  const procRoot = join(root, 'proc');
  const users: Record<string, string> = {
    dwho: 'dwho-pass',
    rtyler: 'rtyler-pass',
    alice: 'alice-pass',
    bob: 'bob-pass',
    carol: 'carol-pass',
  };

  const verify = (user: string) =>
    runOfflineCli(
      ['verify', ...copy.cliOptions, '--offline-sessions', markers, '--force-online', list],
      { env: { PAM_USER: user }, input: `OFFLINE:${users[user]}\0` },
    );
  const guard = (logind: LogindMock, extra: readonly string[] = []) =>
    runOfflineCli([
      'guard',
      '--sso-config',
      ssoConf,
      '--offline-sessions',
      markers,
      '--force-online',
      list,
      '--state',
      statePath,
      '--proc-root',
      procRoot,
      '--system-bus',
      logind.address,
      ...extra,
    ]);
  const withToken = ['--server-token-file', token, '--signing-secret-file', secret];
  const reset = (): void => rmSync(join(root, 'lib'), { recursive: true, force: true });

  before(async () => {
    copy = copyGolden();
    for (const [user, password] of Object.entries(users)) await storeFresh(copy, user, password);
    portal = await startLoopbackPortal();
    writeFileSync(
      ssoConf,
      `[sso]\nissuer = ${portal.url.origin}\nclient-id = bastion-greeter\n` +
        'allow-loopback-http = true\ntimeout-ms = 3000\n',
      { mode: 0o600 },
    );
    writeFileSync(token, 'server-token-for-test\n', { mode: 0o600 });
    writeFileSync(secret, 'signing-secret-for-test\n', { mode: 0o600 });
    // A default route on eth0 (Destination and Mask 0, flags UP|GATEWAY).
    mkdirSync(join(procRoot, 'net'), { recursive: true });
    writeFileSync(
      join(procRoot, 'net', 'route'),
      'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n' +
        'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
    );
  });
  after(async () => {
    await portal.close();
    copy.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  test('a disabled user: force-online written, their session terminated, verify then refuses them', async (t: TestContext) => {
    if (!requireOrSkip(t, missing === null, `${missing} (logind mock)`)) return;
    reset();
    const logind = await startLogindMock({});
    t.after(() => logind.stop());
    await logind.mockCall('AddSession', ['ssusb', 'c1', 'seat0', '1001', 'dwho', 'true']);
    await logind.mockCall('AddSession', ['ssusb', 'c2', 'seat0', '1002', 'rtyler', 'false']);
    // Offline logins while the portal was away: verify leaves the markers.
    for (const user of ['dwho', 'rtyler']) {
      const ok = await verify(user);
      assert.equal(ok.stdout.split(':')[0], 'OFFLINE_OK', ok.stderr);
    }
    portal.pamUsers.set('dwho', true);
    portal.pamUsers.set('rtyler', false);

    const pass = await guard(logind, withToken);
    assert.equal(pass.status, 0, pass.stderr);
    assert.match(pass.stdout, /revalidated "dwho"/);
    assert.match(pass.stdout, /force-online "rtyler" \(user-disabled\)/);
    assert.match(pass.stdout, /session-ended "rtyler" \(user-disabled, 1 session\(s\)\)/);
    assert.deepEqual(await terminated(logind), ['c2']);
    assert.equal(new FileForceOnlineList(list).read(), 'rtyler\n');
    assert.equal(statSync(list).mode & 0o777, 0o600);
    assert.deepEqual(await new FileOfflineSessions(markers).list(), []);
    assert.ok(portal.requests.filter((r) => r === '/pam/userinfo').length >= 2);

    const refused = await verify('rtyler');
    assert.equal(refused.stdout, 'OFFLINE_ERROR:-5');
    assert.match(refused.stderr, /force-online list .*online sign-in required/);
    assert.equal((await verify('dwho')).stdout.split(':')[0], 'OFFLINE_OK');
  });

  test('portal unreachable past offline_max_sso_unreachable: every offline session ended', async (t: TestContext) => {
    if (!requireOrSkip(t, missing === null, `${missing} (logind mock)`)) return;
    reset();
    const logind = await startLogindMock({});
    t.after(() => logind.stop());
    await logind.mockCall('AddSession', ['ssusb', 'c3', 'seat0', '1003', 'alice', 'true']);
    await logind.mockCall('AddSession', ['ssusb', 'c4', 'seat1', '1004', 'bob', 'true']);
    await logind.mockCall('AddSession', ['ssusb', 'c5', 'seat2', '1005', 'dwho', 'true']);
    for (const user of ['alice', 'bob']) {
      assert.equal((await verify(user)).stdout.split(':')[0], 'OFFLINE_OK');
    }
    await portal.stop();
    t.after(() => portal.restart());

    // First pass: the clock starts; nothing is ended.
    const first = await guard(logind, withToken);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /pass done: portal-unreachable/);
    assert.deepEqual(await terminated(logind), []);
    const state = new FileGuardState(statePath);
    const since = state.load()!;
    assert.equal(since.state, 'portal-unreachable');
    // A later pass finds the same state: "since" is kept, not restarted.
    await guard(logind, withToken);
    assert.equal(state.load()!.since, since.since);

    // Two hours later, as far as the state a previous pass left says (3600 s is the max).
    state.save({ state: 'portal-unreachable', since: since.since - 2 * HOUR });
    const late = await guard(logind, withToken);
    assert.equal(late.status, 0, late.stderr);
    assert.match(late.stdout, /session-ended "alice" \(portal-unreachable-too-long/);
    assert.match(late.stdout, /session-ended "bob" \(portal-unreachable-too-long/);
    assert.deepEqual((await terminated(logind)).sort(), ['c3', 'c4'], 'dwho was not offline');
    assert.deepEqual(new FileForceOnlineList(list).read()!.split('\n').sort(), [
      '',
      'alice',
      'bob',
    ]);
    assert.deepEqual(await new FileOfflineSessions(markers).list(), [], 'ended: markers gone');
    assert.equal((await verify('alice')).stdout, 'OFFLINE_ERROR:-5');
  });

  test('no server token, revalidation grace over: force-online, the session goes on', async (t: TestContext) => {
    if (!requireOrSkip(t, missing === null, `${missing} (logind mock)`)) return;
    reset();
    const logind = await startLogindMock({});
    t.after(() => logind.stop());
    await logind.mockCall('AddSession', ['ssusb', 'c6', 'seat0', '1006', 'carol', 'true']);
    assert.equal((await verify('carol')).stdout.split(':')[0], 'OFFLINE_OK');
    assert.equal((await verify('bob')).stdout.split(':')[0], 'OFFLINE_OK');
    // carol's offline login was 5 hours ago (grace: 14 400 s); bob's just now.
    await new FileOfflineSessions(markers).mark('carol', Date.now() - 5 * HOUR);
    const before = portal.requests.length;

    const pass = await guard(logind);
    assert.equal(pass.status, 0, pass.stderr);
    assert.match(pass.stderr, /cannot be revalidated root-side/);
    assert.match(pass.stdout, /pass done: online/);
    assert.match(pass.stdout, /force-online "carol" \(revalidation-grace-expired\)/);
    assert.deepEqual(await terminated(logind), [], 'the grace ends no session');
    assert.equal(new FileForceOnlineList(list).read(), 'carol\n');
    assert.ok(!portal.requests.slice(before).includes('/pam/userinfo'));
    assert.equal((await verify('carol')).stdout, 'OFFLINE_ERROR:-5');
    assert.equal((await verify('bob')).stdout.split(':')[0], 'OFFLINE_OK');
    // The next pass does not announce carol again.
    assert.doesNotMatch((await guard(logind)).stdout, /force-online/);
  });

  test('refused unless root, before reading anything', async (t: TestContext) => {
    if (!requireOrSkip(t, process.geteuid?.() === 0, 'root (to run the guard as nobody)')) return;
    const run = await runOfflineCli(['guard', '--sso-config', ssoConf], { uid: 65534 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /GUARD_NOT_ROOT/);
    assert.equal(run.stdout, '');
  });

  test('usage errors: an unknown option, a value out of range', async () => {
    const unknown = await runOfflineCli(['guard', '--bogus', 'x']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown option --bogus/);
    const range = await runOfflineCli(['guard', '--max-sso-unreachable', '5']);
    assert.equal(range.status, 2);
    assert.match(range.stderr, /60\.\.604800/);
  });
});
