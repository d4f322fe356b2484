// `bastion-offline verify` leaves the offline-session marker (main/monitor/offline-sessions)
// for the root session guard on an offline success, and only then (Open Bastion's model: the
// marker is written root-side, by the PAM command, not by the greeter). An online success
// (`store`) takes the marker and the user's force-online line away. A marker that cannot be
// written refuses the offline login (fail closed). Real CLI (tsx), real cache files.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileForceOnlineList } from '../../monitor/force-online';
import { FileOfflineSessions } from '../../monitor/offline-sessions';
import { copyGolden, storeFresh, type GoldenCopy } from '../../offline/test/golden-fixture';
import { runOfflineCli } from './run-offline-cli';

describe('bastion-offline verify marks offline sessions', () => {
  let copy: GoldenCopy;
  const dir = mkdtempSync(join(tmpdir(), 'bastion-verify-marks-'));
  chmodSync(dir, 0o700);
  const markers = join(dir, 'state', 'offline-sessions');
  const list = join(dir, 'force-online', 'users');
  const paths = (markerDir = markers): string[] => [
    '--offline-sessions',
    markerDir,
    '--force-online',
    list,
  ];
  const verify = (user: string, password: string, markerDir?: string) =>
    runOfflineCli(['verify', ...copy.cliOptions, ...paths(markerDir)], {
      env: { PAM_USER: user },
      input: `OFFLINE:${password}\0`,
    });
  before(async () => {
    copy = copyGolden();
    await storeFresh(copy, 'alice', 'alice-pass');
    await storeFresh(copy, 'bob', 'bob-pass');
  });
  after(() => {
    copy.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an offline success writes a private marker; a failure writes none', async () => {
    const sessions = new FileOfflineSessions(markers);
    const wrong = await verify('bob', 'not-bobs');
    assert.equal(wrong.stdout, 'OFFLINE_ERROR:-8');
    const unknown = await verify('nobody-here', 'x');
    assert.equal(unknown.stdout, 'OFFLINE_ERROR:-8');
    assert.deepEqual(await sessions.list(), []);

    const before = Date.now();
    const ok = await verify('alice', 'alice-pass');
    assert.equal(ok.stdout.split(':')[0], 'OFFLINE_OK', ok.stderr);
    const records = await sessions.list();
    assert.deepEqual(
      records.map((r) => r.user),
      ['alice'],
    );
    assert.ok(records[0]!.since >= before && records[0]!.since <= Date.now());
    assert.equal(statSync(markers).mode & 0o777, 0o700);
    for (const name of readdirSync(markers)) {
      assert.match(name, /^[0-9a-f]{64}\.offline$/, 'named by a hash, no temp file left');
      assert.equal(statSync(join(markers, name)).mode & 0o777, 0o600);
    }
  });

  test("a second offline login keeps the first one's time (the grace is not restarted)", async () => {
    const sessions = new FileOfflineSessions(markers);
    await sessions.mark('bob', Date.now() - 3_600_000);
    const first = (await sessions.list()).find((r) => r.user === 'bob')!.since;
    const ok = await verify('bob', 'bob-pass');
    assert.equal(ok.stdout.split(':')[0], 'OFFLINE_OK', ok.stderr);
    assert.equal((await sessions.list()).find((r) => r.user === 'bob')!.since, first);
  });

  test('an online success (store) removes the marker and the force-online line', async () => {
    await new FileForceOnlineList(list).add('alice');
    await new FileForceOnlineList(list).add('carol');
    const stored = await runOfflineCli(['store', ...copy.cliOptions, ...paths()], {
      env: { PAM_USER: 'alice' },
      input: 'alice-pass\0',
    });
    assert.equal(stored.status, 0, stored.stderr);
    assert.deepEqual(
      (await new FileOfflineSessions(markers).list()).map((r) => r.user),
      ['bob'],
    );
    assert.equal(new FileForceOnlineList(list).read(), 'carol\n');
  });

  test('a marker directory that is not private refuses the offline login', async () => {
    const open = join(dir, 'open');
    mkdirSync(open, { mode: 0o700 });
    const unsafe = join(open, 'offline-sessions');
    mkdirSync(unsafe);
    chmodSync(unsafe, 0o777);
    const refused = await verify('alice', 'alice-pass', unsafe);
    assert.equal(refused.stdout, 'OFFLINE_ERROR:-2');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /offline session marker not written .*offline login refused/);
  });
});
