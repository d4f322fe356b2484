// Engine behaviour beyond the golden set: store/verify round trip, lockout and expiry with an
// injected clock, bounds, max entries, file modes, key fallbacks, admin operations, the lock.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  linkSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { OfflineCache, type OfflineCacheOptions } from '../cache';
import { OfflineCacheError, OfflineCode } from '../codes';
import { cacheFileName } from '../format';
import { withEntryLock } from '../lock';
import { looksLikeToken, passwordFromStdin } from '../password';
import { copyGolden, snapshotDir } from './golden-fixture';

async function codeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return OfflineCode.OK;
  } catch (error) {
    assert.ok(error instanceof OfflineCacheError, String(error));
    return error.code;
  }
}

/** A fresh, empty cache (dir not created yet) with a settable clock. */
function freshCache(extra: OfflineCacheOptions = {}) {
  const copy = copyGolden();
  const clock = { now: 1_800_000_000 };
  const cacheDir = join(copy.root, 'fresh');
  const cache = new OfflineCache({ ...copy.options, cacheDir, now: () => clock.now, ...extra });
  return { copy, clock, cacheDir, cache, done: () => (cache.close(), copy.cleanup()) };
}

const pw = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('store and verify', () => {
  test('store creates a 0700 dir, a 16-byte 0600 salt and a 0600 entry; the password verifies', async () => {
    const { cache, cacheDir, clock, done } = freshCache();
    try {
      const stored = await cache.store('ann', pw('s3cret'), { home: '/home/ann' });
      assert.equal(stored.expiresAt, clock.now + 604_800);
      assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
      assert.equal(statSync(join(cacheDir, '.cred_salt')).mode & 0o777, 0o600);
      assert.equal(statSync(join(cacheDir, '.cred_salt')).size, 16);
      assert.equal(statSync(join(cacheDir, cacheFileName('ann'))).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(cacheDir).sort(), ['.cred_salt', cacheFileName('ann')]);
      clock.now += 10;
      const ok = await cache.verify('ann', pw('s3cret'));
      assert.equal(ok.entry.lastSuccess, clock.now);
      assert.equal(ok.entry.home, '/home/ann');
      assert.equal(await codeOf(cache.verify('ann', pw('s3cret '))), OfflineCode.PASSWORD);
      assert.equal(await codeOf(cache.verify('Ann', pw('s3cret'))), OfflineCode.NOTFOUND);
      assert.equal(await codeOf(cache.verify('ann', pw(''))), OfflineCode.PASSWORD);
      assert.equal(cache.get('ann').failedAttempts, 1, 'the empty answer was not counted');
    } finally {
      done();
    }
  });

  test('lockout: the 5th wrong password locks for 300 s (even the right one), then it verifies and resets', async () => {
    const { cache, clock, done } = freshCache();
    try {
      await cache.store('ann', pw('right'));
      for (let i = 1; i <= 5; i++)
        assert.equal(await codeOf(cache.verify('ann', pw('wrong'))), OfflineCode.PASSWORD);
      await assert.rejects(
        cache.verify('ann', pw('right')),
        (e: OfflineCacheError) => e.code === OfflineCode.LOCKED && e.lockRemaining === 300,
      );
      clock.now += 299;
      await assert.rejects(
        cache.verify('ann', pw('right')),
        (e: OfflineCacheError) => e.lockRemaining === 1,
      );
      clock.now += 1;
      await cache.verify('ann', pw('right'));
      assert.deepEqual([cache.get('ann').failedAttempts, cache.get('ann').lockedUntil], [0, 0]);
    } finally {
      done();
    }
  });

  test('configured limits within the reference bounds apply; out-of-bounds values are refused', async () => {
    const { cache, clock, done } = freshCache({
      maxFailedAttempts: 2,
      lockoutSeconds: 60,
      ttlSeconds: 3600,
    });
    try {
      await cache.store('ann', pw('right'));
      await codeOf(cache.verify('ann', pw('x')));
      await codeOf(cache.verify('ann', pw('x')));
      assert.equal(cache.get('ann').lockedUntil, clock.now + 60);
      clock.now += 3600;
      assert.equal(await codeOf(cache.verify('ann', pw('right'))), OfflineCode.EXPIRED);
      assert.equal(await codeOf(cache.verify('ann', pw('right'))), OfflineCode.NOTFOUND);
    } finally {
      done();
    }
    for (const bad of [
      { maxFailedAttempts: 0 },
      { maxFailedAttempts: 21 },
      { lockoutSeconds: 59 },
      { lockoutSeconds: 86_401 },
      { ttlSeconds: 3599 },
      { ttlSeconds: 2_592_001 },
      { maxEntries: 1001 },
    ]) {
      assert.throws(
        () => new OfflineCache(bad),
        (e: OfflineCacheError) => e.code === OfflineCode.INVALID,
        JSON.stringify(bad),
      );
    }
  });

  test('store refuses empty, oversized passwords and control characters in user names', async () => {
    const { cache, done } = freshCache();
    try {
      assert.equal(await codeOf(cache.store('ann', pw(''))), OfflineCode.INVALID);
      assert.equal(await codeOf(cache.store('ann', Buffer.alloc(513, 0x61))), OfflineCode.INVALID);
      assert.equal(await codeOf(cache.store('ann\nOFFLINE_OK:1', pw('x'))), OfflineCode.INVALID);
      assert.equal(await codeOf(cache.store('', pw('x'))), OfflineCode.INVALID);
    } finally {
      done();
    }
  });

  test('store over a locked entry (a new online success) resets the lockout', async () => {
    const { cache, done } = freshCache({ maxFailedAttempts: 1 });
    try {
      await cache.store('ann', pw('old'));
      await codeOf(cache.verify('ann', pw('bad')));
      assert.equal(await codeOf(cache.verify('ann', pw('old'))), OfflineCode.LOCKED);
      await cache.store('ann', pw('new'));
      await cache.verify('ann', pw('new'));
      assert.equal(await codeOf(cache.verify('ann', pw('old'))), OfflineCode.PASSWORD);
    } finally {
      done();
    }
  });

  test('verify of an unknown user creates nothing in the cache dir (PAM_USER is caller-chosen)', async () => {
    const copy = copyGolden();
    const cache = new OfflineCache({ ...copy.options, now: () => 1_795_400_020 });
    try {
      const before = snapshotDir(copy.cacheDir);
      for (const user of ['nobody', 'x'.repeat(256), '../../etc/passwd']) {
        assert.equal(await codeOf(cache.verify(user, pw('x'))), OfflineCode.NOTFOUND);
      }
      assert.deepEqual(snapshotDir(copy.cacheDir), before);
    } finally {
      cache.close();
      copy.cleanup();
    }
  });

  test('max entries: a full cache drops expired entries first, then refuses new users (IO)', async () => {
    const { cache, clock, done } = freshCache({ maxEntries: 2, ttlSeconds: 3600 });
    try {
      await cache.store('a', pw('a'));
      clock.now += 1800;
      await cache.store('b', pw('b'));
      assert.equal(await codeOf(cache.store('c', pw('c'))), OfflineCode.IO);
      await cache.store('b', pw('b2')); // an existing user is never refused
      clock.now += 1800; // a expires
      await cache.store('c', pw('c'));
      assert.deepEqual(
        cache
          .list()
          .map((l) => (l.ok ? l.entry.user : '?'))
          .sort(),
        ['b', 'c'],
      );
    } finally {
      done();
    }
  });

  test('without machine-id the key uses <dir>/.instance_id (created by store, 32 hex + newline)', async () => {
    const { cache, cacheDir, copy, done } = freshCache({
      machineIdFile: '/nonexistent/machine-id',
    });
    try {
      await cache.store('ann', pw('pw'));
      assert.match(readFileSync(join(cacheDir, '.instance_id'), 'utf8'), /^[0-9a-f]{32}\n$/);
      await cache.verify('ann', pw('pw'));
      // The same files read with a machine-id present use another key.
      const other = new OfflineCache({ ...copy.options, cacheDir, now: () => 1_800_000_000 });
      assert.equal(await codeOf(other.verify('ann', pw('pw'))), OfflineCode.CRYPTO);
      other.close();
    } finally {
      done();
    }
  });
});

describe('administration', () => {
  test('invalidate overwrites the file before unlinking it (seen through a hard link)', async () => {
    const copy = copyGolden();
    const cache = new OfflineCache({ ...copy.options, now: () => 1_795_400_020 });
    try {
      const path = join(copy.cacheDir, cacheFileName('alice'));
      const size = statSync(path).size;
      const witness = join(copy.root, 'witness');
      linkSync(path, witness);
      await cache.invalidate('alice');
      assert.equal(existsSync(path), false);
      assert.deepEqual(readFileSync(witness), Buffer.alloc(size), 'the inode was zeroed');
      assert.equal(await codeOf(cache.invalidate('alice')), OfflineCode.NOTFOUND);
    } finally {
      cache.close();
      copy.cleanup();
    }
  });

  test('list, stats, unlock, cleanup, invalidate-all over the golden set', async () => {
    const copy = copyGolden();
    const cache = new OfflineCache({ ...copy.options, now: () => 1_795_400_020 });
    try {
      writeFileSync(
        join(copy.cacheDir, 'ffffffffffffffffffffffffffffffff.cred'),
        'OBCRED01 garbage',
        { mode: 0o600 },
      );
      const listed = cache.list();
      assert.equal(listed.length, 6);
      assert.deepEqual(
        listed
          .filter((l) => l.ok)
          .map((l) => (l.ok ? l.entry.user : ''))
          .sort(),
        ['alice', 'bob', 'carol', 'dave', 'eve'],
      );
      assert.ok(
        !JSON.stringify(listed).includes('password_hash') &&
          !JSON.stringify(listed).includes('passwordHash'),
      );
      assert.deepEqual(cache.stats(), {
        total: 6,
        active: 4,
        expired: 1,
        locked: 1,
        unreadable: 1,
      });
      await cache.unlock('bob');
      await cache.verify('bob', pw('b0b-pass'));
      // A temp file of a dead writer (pid 999999 does not exist here) is abandoned.
      writeFileSync(join(copy.cacheDir, `${cacheFileName('dave')}.tmp.999999.0123456789ab`), 'x', {
        mode: 0o600,
      });
      const report = await cache.cleanup();
      assert.deepEqual(report, { expiredRemoved: 1, abandonedTempRemoved: 1, unreadable: 1 });
      assert.equal(existsSync(join(copy.cacheDir, cacheFileName('carol'))), false);
      assert.equal(await cache.invalidateAll(), 5);
      assert.deepEqual(readdirSync(copy.cacheDir), ['.cred_salt']);
    } finally {
      cache.close();
      copy.cleanup();
    }
  });
});

describe('cross-process lock (flock on the entry itself)', () => {
  test('creates no file; a live holder makes others wait, then time out (IO); a killed holder frees it at once', async () => {
    const copy = copyGolden();
    try {
      const dir = copy.cacheDir;
      const file = cacheFileName('alice');
      const before = readdirSync(dir).sort();
      assert.equal(
        await withEntryLock(dir, file, { timeoutMs: 1000 }, 'missing', async () => 'ran'),
        'ran',
      );
      assert.equal(
        await withEntryLock(dir, cacheFileName('nobody'), { timeoutMs: 1000 }, 'missing', () =>
          Promise.resolve('ran'),
        ),
        'missing',
        'no entry: nothing locked, nothing created',
      );
      // A live holder in another process: flock(1) holding the entry while it sleeps.
      const holder = await holdLock(join(dir, file));
      const started = Date.now();
      await assert.rejects(
        withEntryLock(dir, file, { timeoutMs: 300 }, 'missing', async () => 'never'),
        (e: OfflineCacheError) => e.code === OfflineCode.IO && /stayed locked/.test(e.reason),
      );
      assert.ok(Date.now() - started >= 250);
      // SIGKILL the holder: the kernel drops the lock, no stale state to break.
      const waiting = withEntryLock(dir, file, { timeoutMs: 5000 }, 'missing', async () => 'got');
      await sleep(100);
      holder.kill('SIGKILL');
      assert.equal(await waiting, 'got');
      assert.deepEqual(readdirSync(dir).sort(), before, 'no lock or temp file was ever created');
    } finally {
      copy.cleanup();
    }
  });

  test('an entry replaced (rename) while a waiter waits: the waiter locks the new file', async () => {
    const copy = copyGolden();
    const cache = new OfflineCache({ ...copy.options, now: () => 1_795_400_020 });
    try {
      const path = join(copy.cacheDir, cacheFileName('eve'));
      const holder = await holdLock(path);
      const oldInode = statSync(path).ino;
      // The reference writes without any lock: temp + rename over the locked file.
      const copyOfEntry = readFileSync(path);
      writeFileSync(`${path}.tmp.1`, copyOfEntry, { mode: 0o600 });
      renameSync(`${path}.tmp.1`, path);
      assert.notEqual(statSync(path).ino, oldInode);
      // Not blocked by the holder of the old inode.
      await assert.rejects(
        cache.verify('eve', Buffer.from('nope')),
        (e: OfflineCacheError) => e.code === OfflineCode.PASSWORD,
      );
      assert.equal(cache.get('eve').failedAttempts, 3);
      holder.kill('SIGKILL');
    } finally {
      cache.close();
      copy.cleanup();
    }
  });
});

/**
 * Another process holding the flock of `path`: one process (the shell opens the file, flock(1)
 * locks that descriptor, then the shell becomes `sleep` keeping it), so killing it frees it.
 */
async function holdLock(path: string): Promise<ChildProcess> {
  const holder = spawn(
    '/bin/sh',
    ['-c', 'exec 3<"$1" && /usr/bin/flock -x 3 && echo locked && exec sleep 30', 'sh', path],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const locked = await new Promise<boolean>((resolve) => {
    holder.stdout!.once('data', () => resolve(true));
    holder.once('close', () => resolve(false));
  });
  assert.equal(locked, true, 'the holder took the lock');
  return holder;
}

describe('what arrives on stdin', () => {
  test('pam_exec NUL termination, a typed newline, the OFFLINE: prefix, the 512-byte cap', () => {
    assert.equal(passwordFromStdin(Buffer.from('pw\0')).toString(), 'pw');
    assert.equal(passwordFromStdin(Buffer.from('pw\0garbage')).toString(), 'pw');
    assert.equal(passwordFromStdin(Buffer.from('pw\n')).toString(), 'pw');
    assert.equal(passwordFromStdin(Buffer.from('pw \r\n')).toString(), 'pw ');
    assert.equal(
      passwordFromStdin(Buffer.from('pw\n\n')).toString(),
      'pw\n',
      'only one newline is a terminator',
    );
    assert.equal(passwordFromStdin(Buffer.from('OFFLINE:pw\0')).toString(), 'pw');
    assert.equal(passwordFromStdin(Buffer.from('OFFLINE:pw\0'), false).toString(), 'OFFLINE:pw');
    assert.equal(
      passwordFromStdin(Buffer.from('OFFLINE:OFFLINE:pw')).toString(),
      'OFFLINE:pw',
      'stripped once',
    );
    assert.equal(passwordFromStdin(Buffer.alloc(512, 0x61)).length, 512);
    assert.throws(() => passwordFromStdin(Buffer.alloc(513, 0x61)), OfflineCacheError);
  });

  test('token-looking answers are recognised, typed passwords are not', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJkd2hvIn0.c2lnbmF0dXJl';
    for (const token of [
      jwt,
      'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d',
      'a'.repeat(64),
      '0123456789abcdef'.repeat(4),
      'OFFLINE:pw',
    ]) {
      assert.equal(looksLikeToken(Buffer.from(token)), true, token);
    }
    for (const password of [
      'correct horse battery staple',
      'p@ss.word.x',
      'a'.repeat(63),
      'A'.repeat(64),
      'eyJ-not-a-token',
    ]) {
      assert.equal(looksLikeToken(Buffer.from(password)), false, password);
    }
  });
});
