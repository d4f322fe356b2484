// bastion-keys cache … as a process: listings (--json), never a hash, invalidate/unlock/cleanup,
// and the dispatcher's usage errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../testkit/paths';
import { OfflineCache } from '../../offline/cache';
import { CACHE_FILE_PATTERN, cacheFileName } from '../../offline/format';
import { copyGolden, storeFresh, type GoldenCopy } from '../../offline/test/golden-fixture';
import { bundleForTest } from './installed-entry';

const SOURCE_CLI = join(REPO_ROOT, 'main/cli/bastion-keys.ts');

function keys(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', SOURCE_CLI, ...args], {
    env: { PATH: '/usr/bin:/bin' },
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('bastion-keys cache', () => {
  let copy: GoldenCopy;
  before(async () => {
    copy = copyGolden();
    // Only fresh entries (real clock): the golden ones expire on 2026-11-30.
    for (const name of readdirSync(copy.cacheDir))
      if (CACHE_FILE_PATTERN.test(name)) unlinkSync(join(copy.cacheDir, name));
    await storeFresh(copy, 'ann', 'ann-pass');
    await storeFresh(copy, 'ben', 'ben-pass');
    await storeFresh(copy, 'old', 'old-pass', Math.floor(Date.now() / 1000) - 8 * 86_400);
    const strict = new OfflineCache({ ...copy.options, maxFailedAttempts: 1 });
    await assert.rejects(strict.verify('ben', Buffer.from('wrong')));
    strict.close();
  });
  after(() => copy.cleanup());

  test('list --json: every entry with the reference field names, never a hash or salt', () => {
    const r = keys(['cache', 'list', '--json', ...copy.cliOptions]);
    assert.equal(r.status, 0, r.stderr);
    const listed = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.deepEqual(listed.map((e) => e.user).sort(), ['ann', 'ben', 'old']);
    for (const entry of listed) {
      assert.deepEqual(Object.keys(entry).sort(), [
        'created_at',
        'expires_at',
        'failed_attempts',
        'file',
        'last_success',
        'locked_until',
        'user',
      ]);
    }
    assert.doesNotMatch(r.stdout, /password_hash|"salt"|[A-Za-z0-9+/]{43}=/);
    const ben = listed.find((e) => e.user === 'ben')!;
    assert.equal(ben.failed_attempts, 1);
    assert.ok(Number(ben.locked_until) > Date.now() / 1000);
  });

  test('list (text), show, stats', () => {
    const list = keys(['cache', 'list', ...copy.cliOptions]);
    assert.equal(list.stdout.trim().split('\n').length, 3);
    assert.match(list.stdout, /^ben {2}expires=\S+ {2}failed=1 {2}locked_until=20\d\d-/m);
    const show = JSON.parse(
      keys(['cache', 'show', 'ann', '--json', ...copy.cliOptions]).stdout,
    ) as Record<string, unknown>;
    assert.equal(show.file, cacheFileName('ann'));
    assert.equal(keys(['cache', 'show', 'nobody', ...copy.cliOptions]).status, 1);
    const stats = JSON.parse(
      keys(['cache', 'stats', '--json', ...copy.cliOptions]).stdout,
    ) as Record<string, number>;
    assert.deepEqual(stats, { total: 3, active: 2, expired: 1, locked: 1, unreadable: 0 });
  });

  test('unlock clears a lockout; cleanup removes the expired entry; invalidate and invalidate-all remove files', async () => {
    assert.equal(
      keys(['cache', 'unlock', 'ben', ...copy.cliOptions]).stdout.trim(),
      'unlocked ben',
    );
    const cache = new OfflineCache(copy.options);
    await cache.verify('ben', Buffer.from('ben-pass'));
    const cleanup = JSON.parse(
      keys(['cache', 'cleanup', '--json', ...copy.cliOptions]).stdout,
    ) as Record<string, number>;
    assert.deepEqual(cleanup, { expired_removed: 1, abandoned_temp_removed: 0, unreadable: 0 });
    assert.equal(existsSync(join(copy.cacheDir, cacheFileName('old'))), false);
    assert.equal(
      keys(['cache', 'invalidate', 'ann', ...copy.cliOptions]).stdout.trim(),
      'invalidated ann',
    );
    assert.equal(existsSync(join(copy.cacheDir, cacheFileName('ann'))), false);
    const missing = keys(['cache', 'invalidate', 'ann', ...copy.cliOptions]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /NOTFOUND/);
    assert.equal(
      keys(['cache', 'invalidate-all', ...copy.cliOptions]).stdout.trim(),
      'invalidated 1 entries',
    );
    assert.deepEqual(
      readdirSync(copy.cacheDir).filter((n) => CACHE_FILE_PATTERN.test(n)),
      [],
    );
    cache.close();
  });

  test('usage: no group → 2, unknown group/command/option → 2, missing USER → 2, --help → 0', () => {
    assert.equal(keys([]).status, 2);
    assert.equal(keys(['frobnicate']).status, 2);
    assert.equal(keys(['cache', 'frobnicate', ...copy.cliOptions]).status, 2);
    assert.equal(keys(['cache', 'show', ...copy.cliOptions]).status, 2);
    assert.equal(keys(['cache', 'list', '--bogus']).status, 2);
    const help = keys(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /bastion-keys cache invalidate-all/);
    assert.match(keys(['cache', '--help']).stdout, /--key-file FILE/);
  });
});

describe('bundles as scripts/build.mjs makes them', () => {
  for (const name of ['bastion-keys', 'bastion-offline']) {
    test(`${name}: the ESM bundle loads and prints its help`, async () => {
      const { bundle, cleanup } = await bundleForTest(name);
      try {
        const run = spawnSync(
          '/usr/bin/node',
          [bundle, ...(name === 'bastion-keys' ? ['cache', '--help'] : ['--help'])],
          {
            env: {},
            encoding: 'utf8',
          },
        );
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /--cache-dir DIR/);
      } finally {
        cleanup();
      }
    });
  }
});
