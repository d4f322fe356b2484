// Per-user mutual exclusion across processes, around every read-modify-write of a cache file,
// so N concurrent wrong passwords count N (no lost update) — without creating any file: a
// verify must work on a full disk, and PAM_USER (caller-chosen) must never make us create files.
//
// The lock is a kernel flock(2) on the entry file itself. Node has no flock, so /usr/bin/flock
// (util-linux) takes it on a descriptor we share with it: the lock belongs to the open file
// description, which we keep after flock(1) exits, and the kernel drops it when we close it or
// die (SIGKILL included: no stale lock, nothing to break). Writers replace entries by rename,
// so a lock taken on a file that was replaced or removed meanwhile locks nothing: after taking
// it we check that the path still names the same inode, and start again on the new one.
// Open Bastion's reference takes no lock at all; its renames are seen the same way.
//
// Nothing one user's process holds may make another user's login wait: a process of a user can
// be frozen by that user (the setuid helper runs in her cgroup) while it holds a lock. So:
//  * an entry's lock is only ever held for that entry (its user's verify, store, admin work);
//  * creating an entry (store of a new user) is serialised by a flock on the cache directory,
//    held only while the new file is linked in (no Argon2id, no other lock, no wait inside it);
//    a store never waits for an entry's lock while holding it, and never takes it for an
//    existing entry. Verify never takes it;
//  * every wait is bounded (flock -w): a frozen holder costs a timeout, never a hang.
import { closeSync, constants, fstatSync, lstatSync, openSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { OfflineCacheError, OfflineCode } from './codes';

const FLOCK = '/usr/bin/flock';
/** flock(1)'s exit status when the lock stayed busy for the whole wait (its -E option). */
const BUSY_EXIT = 75;
/** Lock files of earlier versions (hard-link locks): never used now, removed by cleanup. */
export const LEGACY_LOCK_PATTERN = /^\.(?:[0-9a-f]{32}\.lock|break\.lock)$/;
export const LEGACY_LOCK_TEMP_PATTERN = /^\.[0-9a-f]{32}\.lock\.(\d+)\.[0-9a-f]{12}$/;

export interface LockOptions {
  /** How long to wait for a busy lock before failing with LockBusyError (an IO error). */
  timeoutMs: number;
}

/** The lock stayed busy for the whole wait (code IO, as every lock failure). */
export class LockBusyError extends OfflineCacheError {
  constructor(what: string) {
    super(OfflineCode.IO, `${what} stayed locked`);
  }
}

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : undefined;
}

/**
 * Takes an exclusive flock on `fd` within `timeoutMs` (LockBusyError when it stays busy), or with
 * `probe` a shared one without waiting, busy or not (see flockProbe). Other failures: IO.
 */
async function flockDescriptor(
  fd: number,
  timeoutMs: number,
  what: string,
  probe = false,
): Promise<void> {
  const seconds = Math.max(timeoutMs, 1) / 1000;
  const mode = probe ? ['-s', '-n'] : ['-x', '-w', seconds.toFixed(3)];
  const status = await new Promise<number | null>((resolve, reject) => {
    // Loaded on first use: bastion-offline verify loads it while PBKDF2 runs, not before.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const child = spawn(FLOCK, [...mode, '-E', String(BUSY_EXIT), '3'], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
      env: {},
    });
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  }).catch((error: unknown) => {
    throw new OfflineCacheError(
      OfflineCode.IO,
      `cannot run ${FLOCK} for ${what}: ${errnoOf(error) ?? 'error'}`,
    );
  });
  if (status === BUSY_EXIT) {
    if (probe) return;
    throw new LockBusyError(what);
  }
  if (status !== 0) {
    throw new OfflineCacheError(OfflineCode.IO, `cannot lock ${what} (${FLOCK} exit ${status})`);
  }
}

const sameFile = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;

/**
 * Runs `task` while holding the flock of `dir/file`, the entry itself. Resolves to `missing`
 * (without running `task`) when there is no such entry, or it was removed while we waited.
 * A symlink or non-regular file is refused (INVALID); a lock that stays busy → IO.
 */
export async function withEntryLock<T, M>(
  dir: string,
  file: string,
  options: LockOptions,
  missing: M,
  task: () => Promise<T>,
): Promise<T | M> {
  const path = join(dir, file);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(
        path,
        constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
      );
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT') return missing;
      if (errno === 'ELOOP')
        throw new OfflineCacheError(OfflineCode.INVALID, `${file} is a symlink`);
      throw new OfflineCacheError(OfflineCode.IO, `cannot open ${file}: ${errno ?? 'error'}`);
    }
    try {
      const opened = fstatSync(fd);
      if (!opened.isFile())
        throw new OfflineCacheError(OfflineCode.INVALID, `${file} is not a regular file`);
      await flockDescriptor(fd, deadline - Date.now(), file);
      let current: Stats;
      try {
        current = lstatSync(path);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return missing; // removed while we waited
        throw new OfflineCacheError(OfflineCode.IO, `cannot stat ${file}: ${errnoOf(error)}`);
      }
      if (sameFile(opened, current)) return await task();
      // Replaced while we waited: the lock we hold is on the old inode. Start again.
      if (Date.now() >= deadline) throw new LockBusyError(file);
    } finally {
      closeSync(fd); // releases the flock
    }
  }
}

/**
 * Runs `task` while holding the flock of the cache directory: entry creation only, and `task`
 * must neither wait for anything nor take another lock (a frozen holder of this lock delays
 * every new user's first store by the waiters' `timeoutMs`).
 */
export async function withDirLock<T>(
  dir: string,
  options: LockOptions,
  task: () => Promise<T>,
): Promise<T> {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new OfflineCacheError(OfflineCode.IO, `cannot open ${dir}: ${errnoOf(error) ?? 'error'}`);
  }
  try {
    await flockDescriptor(fd, options.timeoutMs, 'the cache directory');
    return await task();
  } finally {
    closeSync(fd);
  }
}

/**
 * Costs what taking an entry's lock costs, and waits for nobody: opens `dir/file` as
 * withEntryLock opens an entry, runs the same flock(1), shared and non-blocking (busy is fine),
 * checks the path's inode again, and drops it at once. For a verify without entry, which must
 * do the observable work of one with an entry (no user enumeration) yet must not take a lock
 * that anyone else's process could hold: `file` is one no process of ours locks exclusively
 * (.cred_salt, root's own, in the private cache dir). A missing or unopenable file: nothing to
 * lock, nothing done. A flock(1) that cannot run: IO, as for an entry's lock.
 */
export async function flockProbe(dir: string, file: string): Promise<void> {
  const path = join(dir, file);
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
    );
  } catch {
    return;
  }
  try {
    fstatSync(fd);
    await flockDescriptor(fd, 0, file, true);
    try {
      lstatSync(path);
    } catch {
      // as withEntryLock's check: the answer does not matter here
    }
  } finally {
    closeSync(fd);
  }
}
