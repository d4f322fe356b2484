// Cross-process safety: concurrent wrong passwords are all counted (no lost update), and a
// writer killed with SIGKILL at any moment leaves the old or the new entry, never a torn file,
// and no lock that blocks the next process (the lock is a flock on the entry: no lock file).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../../../testkit/paths';
import { OfflineCache } from '../cache';
import { OfflineCode } from '../codes';
import { copyGolden, storeFresh, type GoldenCopy } from './golden-fixture';

const CLI = join(REPO_ROOT, 'main/cli/bastion-offline.ts');
const NOW = 1_795_400_020;

interface Run {
  status: number | null;
  stdout: string;
}

function runVerify(
  copy: GoldenCopy,
  user: string,
  password: string,
  extra: string[],
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'verify', ...copy.cliOptions, ...extra],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PAM_USER: user },
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: stdout.trim() }));
    child.stdin.end(Buffer.from(`${password}\0`));
  });
}

describe('cross-process concurrency', () => {
  test('8 processes with wrong passwords at once: exactly 8 failures counted', async () => {
    const copy = copyGolden();
    try {
      // The command reads the real clock: a fresh entry (0 failures). 20 failures allowed, so
      // none of the 8 is turned away by a lockout.
      await storeFresh(copy, 'eve', 'eve-pass');
      const runs = await Promise.all(
        Array.from({ length: 8 }, () => runVerify(copy, 'eve', 'wrong', ['--max-failures', '20'])),
      );
      assert.deepEqual(
        runs.map((r) => r.stdout),
        Array(8).fill('OFFLINE_ERROR:-8'),
      );
      assert.ok(runs.every((r) => r.status === 1));
      const cache = new OfflineCache({ ...copy.options, now: () => NOW });
      assert.equal(cache.get('eve').failedAttempts, 8);
      cache.close();
    } finally {
      copy.cleanup();
    }
  });

  test('8 processes against the default limit of 5: 5 counted then locked, never more', async () => {
    const copy = copyGolden();
    try {
      await storeFresh(copy, 'eve', 'eve-pass');
      const runs = await Promise.all(
        Array.from({ length: 8 }, () => runVerify(copy, 'eve', 'wrong', [])),
      );
      const outputs = runs.map((r) => r.stdout).sort();
      assert.equal(outputs.filter((o) => o === 'OFFLINE_ERROR:-8').length, 5, outputs.join(' '));
      assert.equal(
        outputs.filter((o) => /^OFFLINE_ERROR:-6:(2\d\d|300)$/.test(o)).length,
        3,
        outputs.join(' '),
      );
      const cache = new OfflineCache({ ...copy.options });
      const state = cache.get('eve');
      assert.equal(state.failedAttempts, 5);
      assert.ok(state.lockedUntil > 0);
      cache.close();
    } finally {
      copy.cleanup();
    }
  });

  test('SIGKILL at random moments of a write, 50 times: always a whole entry, never a stuck lock', async () => {
    const copy = copyGolden();
    const reader = new OfflineCache({ ...copy.options, now: () => NOW });
    try {
      for (let round = 0; round < 50; round++) {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            join(import.meta.dirname, 'write-worker.ts'),
            copy.cacheDir,
            copy.keyFile,
            copy.machineIdFile,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const exited = new Promise((resolve) => child.on('close', resolve));
        const started = await new Promise<boolean>((resolve) => {
          child.stdout.once('data', () => resolve(true));
          child.once('close', () => resolve(false));
        });
        assert.equal(started, true, 'the worker started writing');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 25));
        child.kill('SIGKILL');
        await exited;
        const state = reader.get('eve'); // throws CRYPTO/INVALID on a torn file
        assert.equal(state.user, 'eve');
        assert.equal(state.failedAttempts, 0);
      }
      // Kills that landed while the worker held the lock (a flock on the entry) left nothing:
      // no lock file exists at all, and the next writer is not blocked.
      await assert.rejects(
        reader.verify('eve', Buffer.from('wrong')),
        (e: { code: number }) => e.code === OfflineCode.PASSWORD,
      );
      assert.deepEqual(
        readdirSync(copy.cacheDir).filter((n) => n.includes('.lock')),
        [],
        'no lock file',
      );
      const leftovers = readdirSync(copy.cacheDir).filter((n) => n.includes('.tmp.'));
      const report = await reader.cleanup();
      assert.equal(report.abandonedTempRemoved, leftovers.length);
      assert.deepEqual(
        readdirSync(copy.cacheDir).filter((n) => n.includes('.tmp.')),
        [],
        'cleanup removed abandoned temp files',
      );
    } finally {
      reader.close();
      copy.cleanup();
    }
  });
});
