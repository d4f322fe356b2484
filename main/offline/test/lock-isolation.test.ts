// Nothing one user's process holds may make another user's login wait (issue 7, finding 1's
// principle, applied to the offline cache). The attack: Mallory freezes her own verify while it
// holds HER entry lock (`systemctl --user freeze` during the Argon2id window), then runs a
// `store` for herself (unlocking her session with the right password). That store must wait for
// nobody but her, and hold nothing the other users' stores or verifies need:
//  * a store of an EXISTING entry takes only that entry's lock, never the cache directory's;
//  * the directory's lock is taken only to create a new entry, briefly, and nothing is waited
//    for while it is held;
//  * store's waits are short (about 1 s): a frozen holder costs its own user a failed store.
// Frozen holders are real processes that lock and then SIGSTOP themselves (python3's fcntl).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { OfflineCache } from '../cache';
import { OfflineCacheError, OfflineCode } from '../codes';
import { cacheFileName } from '../format';
import { copyGolden } from './golden-fixture';

const NOW = 1_795_400_020; // golden entries are valid then
const PYTHON = '/usr/bin/python3';

/**
 * A process that takes an exclusive flock on `path` (a file or a directory), says so, then
 * stops itself: a frozen holder, as a cgroup freezer leaves one. Killing it frees the lock.
 */
async function frozenHolder(path: string): Promise<ChildProcess> {
  const holder = spawn(
    PYTHON,
    [
      '-c',
      'import fcntl,os,signal,sys\n' +
        'fd=os.open(sys.argv[1], os.O_RDONLY)\n' +
        'fcntl.flock(fd, fcntl.LOCK_EX)\n' +
        'print("locked", flush=True)\n' +
        'os.kill(os.getpid(), signal.SIGSTOP)\n' +
        'signal.pause()\n',
      path,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const locked = await new Promise<boolean>((resolve) => {
    holder.stdout!.once('data', () => resolve(true));
    holder.once('close', () => resolve(false));
  });
  assert.equal(locked, true, `the holder locked ${path}`);
  // Stopped for real before the test goes on (state T in /proc).
  for (let i = 0; i < 100; i++) {
    if (/^State:\s+T/m.test(readFileSync(`/proc/${holder.pid}/status`, 'utf8'))) return holder;
    await sleep(10);
  }
  holder.kill('SIGKILL');
  throw new Error('the holder did not stop');
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGKILL');
  await closed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How long `promise` took and how it ended; rejects if it takes longer than `limitMs`. */
async function timed<T>(
  promise: Promise<T>,
  limitMs: number,
  what: string,
): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} still waiting after ${limitMs} ms`)),
      limitMs,
    );
  });
  try {
    const value = await Promise.race([promise, limit]);
    return { ms: performance.now() - started, value };
  } catch (error) {
    if (error instanceof OfflineCacheError) return { ms: performance.now() - started, error };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

const pw = (text: string): Buffer => Buffer.from(text, 'utf8');

describe("one user's frozen process holds up no other user's store or verify", () => {
  test('a frozen holder of the cache directory lock: stores of existing entries and verifies go on; a new entry waits ~1 s, not 15', async () => {
    const copy = copyGolden();
    // The production wait for entry locks (15 s): the test shows it is not what store waits.
    const cache = new OfflineCache({ ...copy.options, now: () => NOW });
    const holder = await frozenHolder(copy.cacheDir);
    try {
      const stored = await timed(cache.store('alice', pw('alice-new')), 5000, "alice's store");
      assert.equal(stored.error, undefined, String(stored.error));
      assert.ok(stored.ms < 2000, `alice's store took ${Math.round(stored.ms)} ms`);
      const verified = await timed(cache.verify('alice', pw('alice-new')), 5000, "alice's verify");
      assert.equal(verified.error, undefined, String(verified.error));
      // Creating an entry needs the directory lock: bounded by store's short wait, then IO.
      const created = await timed(cache.store('zoe', pw('zoe-pass')), 5000, "zoe's first store");
      assert.ok(
        created.error instanceof OfflineCacheError && created.error.code === OfflineCode.IO,
        String(created.error),
      );
      assert.ok(created.ms < 3000, `zoe's store gave up after ${Math.round(created.ms)} ms`);
      assert.equal(existsSync(join(copy.cacheDir, cacheFileName('zoe'))), false);
    } finally {
      await kill(holder);
      cache.close();
      copy.cleanup();
    }
  });

  test("Mallory's store waiting for her own frozen verify holds up nobody: others' stores (new and existing) and verifies are prompt", async () => {
    const copy = copyGolden();
    const cache = new OfflineCache({ ...copy.options, now: () => NOW });
    await cache.store('mallory', pw('mallory-old'));
    // Her verify, frozen while it holds her entry's lock.
    const holder = await frozenHolder(join(copy.cacheDir, cacheFileName('mallory')));
    try {
      // Her store (the right password, e.g. at her unlock screen) waits for her entry.
      const hers = timed(cache.store('mallory', pw('mallory-new')), 20_000, "mallory's store");
      await sleep(300); // past its Argon2id: it is waiting for her entry now
      const others = await timed(
        Promise.all([
          cache.store('alice', pw('alice-new')),
          cache.store('zoe', pw('zoe-pass')),
          cache.verify('eve', pw('eve-pass')),
        ]),
        5000,
        "the others' store, first store and verify",
      );
      assert.equal(others.error, undefined, String(others.error));
      assert.ok(others.ms < 2000, `the others took ${Math.round(others.ms)} ms`);
      // Her own store gives up after a short wait (IO), not after 15 s.
      const mine = await hers;
      assert.ok(
        mine.error instanceof OfflineCacheError && mine.error.code === OfflineCode.IO,
        String(mine.error),
      );
      assert.ok(mine.ms < 3000, `mallory's store gave up after ${Math.round(mine.ms)} ms`);
      // The others' entries are the new ones.
      await cache.verify('alice', pw('alice-new'));
      await cache.verify('zoe', pw('zoe-pass'));
    } finally {
      await kill(holder);
      cache.close();
      copy.cleanup();
    }
  });
});
