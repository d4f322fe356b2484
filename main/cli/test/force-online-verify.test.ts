// `bastion-offline verify` and the force-online list (Open Bastion's semantics, REFERENCES.md):
// a listed user, or everyone for an empty file, is refused offline with OFFLINE_ERROR:-5
// ("sign in online") before any password work; others are verified as usual; a list that
// cannot be read safely refuses (fail closed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../testkit/paths';
import { copyGolden, storeFresh, type GoldenCopy } from '../../offline/test/golden-fixture';

const SOURCE_CLI = join(REPO_ROOT, 'main/cli/bastion-offline.ts');

function verify(copy: GoldenCopy, list: string, user: string, password: string) {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', SOURCE_CLI, 'verify', ...copy.cliOptions, '--force-online', list],
    { env: { PATH: '/usr/bin:/bin', PAM_USER: user }, input: password, encoding: 'utf8' },
  );
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

describe('bastion-offline verify and the force-online list', () => {
  let copy: GoldenCopy;
  const dir = mkdtempSync(join(tmpdir(), 'bastion-force-online-'));
  chmodSync(dir, 0o700);
  const list = join(dir, 'users');
  before(async () => {
    copy = copyGolden();
    await storeFresh(copy, 'alice', 'alice-pass');
    await storeFresh(copy, 'bob', 'bob-pass');
  });
  after(() => {
    copy.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no list: verified as usual', () => {
    assert.equal(verify(copy, list, 'alice', 'alice-pass').stdout.split(':')[0], 'OFFLINE_OK');
  });

  test('a listed user is refused with -5 and the reason; another user is not', () => {
    writeFileSync(list, 'carol\nalice\n', { mode: 0o600 });
    const refused = verify(copy, list, 'alice', 'alice-pass');
    assert.equal(refused.stdout, 'OFFLINE_ERROR:-5');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /force-online list .*online sign-in required/);
    assert.equal(verify(copy, list, 'bob', 'bob-pass').stdout.split(':')[0], 'OFFLINE_OK');
  });

  test('an empty list refuses everyone', () => {
    writeFileSync(list, '\n', { mode: 0o600 });
    for (const [user, pw] of [
      ['alice', 'alice-pass'],
      ['bob', 'bob-pass'],
    ] as const) {
      const r = verify(copy, list, user, pw);
      assert.equal(r.stdout, 'OFFLINE_ERROR:-5');
      assert.match(r.stderr, /empty: everyone/);
    }
  });

  test('an unsafe list (world-writable, or a symlink) refuses: fail closed', () => {
    writeFileSync(list, 'nobody\n', { mode: 0o600 });
    chmodSync(list, 0o666);
    assert.equal(verify(copy, list, 'bob', 'bob-pass').stdout, 'OFFLINE_ERROR:-7');
    rmSync(list);
    writeFileSync(join(dir, 'elsewhere'), 'nobody\n', { mode: 0o600 });
    symlinkSync(join(dir, 'elsewhere'), list);
    assert.equal(verify(copy, list, 'bob', 'bob-pass').stdout, 'OFFLINE_ERROR:-7');
  });
});
