// Per-user mutual exclusion across processes, around every read-modify-write of a cache file,
// so N concurrent wrong passwords count N (no lost update).
//
// Node has no flock(2), so the lock is a hard link: the owner writes "<pid> <starttime>" to a
// private temp file and link(2)s it to `.<name>.lock`; link fails with EEXIST while someone
// holds it, and the file is never empty. A holder killed with -9 leaves a stale lock: its
// owner is detected as dead through /proc/<pid>/stat (pid *and* start time, so a recycled pid
// is not mistaken for the owner). Breaking a stale lock is the only racy step, so breakers are
// serialised by a real kernel flock taken by /usr/bin/flock on a descriptor we share with it
// (the lock belongs to the open file description, which we keep after flock(1) exits, and the
// kernel drops it if we die). Under that flock a breaker re-reads the lock and unlinks it only
// if it still names the same dead owner — so a live lock is never removed.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  linkSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OfflineCacheError, OfflineCode } from './codes';

const FLOCK = '/usr/bin/flock';
const BREAKER_NAME = '.break.lock';
export const LOCK_NAME_PATTERN = /^\.[0-9a-f]{32}\.lock$/;
export const LOCK_TEMP_PATTERN = /^\.[0-9a-f]{32}\.lock\.(\d+)\.[0-9a-f]{12}$/;

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : undefined;
}

/** Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or null if dead. */
function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ESRCH') return null;
    throw error;
  }
  // comm (field 2) may contain spaces and parentheses: count fields after the last ')'.
  const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // A zombie (state Z, killed but not yet reaped) holds nothing any more.
  if (afterComm[0] === 'Z' || afterComm[0] === 'X') return null;
  return afterComm[19] ?? null; // field 22 = index 19 after fields 1-2
}

let selfIdentity: string | null = null;
function ownIdentity(): string {
  selfIdentity ??= `${process.pid} ${processStartTime(process.pid) ?? '0'}\n`;
  return selfIdentity;
}

/** Whether the process named by lock content "<pid> <starttime>" still runs. Unknown → alive. */
export function ownerAlive(content: string): boolean {
  const match = /^(\d+) (\d+)\n$/.exec(content);
  if (!match) return false; // we never write anything else: garbage is stale by definition
  try {
    return processStartTime(Number(match[1])) === match[2];
  } catch {
    return true; // cannot tell: never break a lock we are unsure about
  }
}

function readLock(path: string): string | null {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return readFileSync(fd, 'latin1');
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  }
}

function breakStaleLock(dir: string, lockPath: string, staleContent: string): void {
  const fd = openSync(
    join(dir, BREAKER_NAME),
    constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    const locked = spawnSync(FLOCK, ['-x', '-w', '10', '3'], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
      env: {},
    });
    if (locked.status !== 0) {
      throw new OfflineCacheError(
        OfflineCode.IO,
        `cannot take the stale-lock breaker (${FLOCK} exit ${locked.status})`,
      );
    }
    if (readLock(lockPath) === staleContent) unlinkSync(lockPath);
  } finally {
    closeSync(fd); // releases the flock: the descriptor's open file description goes away
  }
}

export interface LockOptions {
  /** How long to wait for a busy lock before failing with IO. */
  timeoutMs: number;
}

/**
 * Runs `task` while holding the lock `dir/.<name>.lock` (name: the 32-hex file stem).
 * Throws IO when the lock stays busy longer than `timeoutMs`.
 */
export async function withFileLock<T>(
  dir: string,
  name: string,
  options: LockOptions,
  task: () => Promise<T>,
): Promise<T> {
  const lockPath = join(dir, `.${name}.lock`);
  const identity = ownIdentity();
  const temp = join(dir, `.${name}.lock.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    const tempFd = openSync(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      writeSync(tempFd, identity);
    } finally {
      closeSync(tempFd);
    }
  } catch (error) {
    throw new OfflineCacheError(
      OfflineCode.IO,
      `cannot create a lock file in ${dir}: ${errnoOf(error) ?? 'error'}`,
    );
  }
  const deadline = Date.now() + options.timeoutMs;
  let pause = 2;
  try {
    for (;;) {
      try {
        linkSync(temp, lockPath);
        break;
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') {
          throw new OfflineCacheError(
            OfflineCode.IO,
            `cannot take lock ${lockPath}: ${errnoOf(error) ?? 'error'}`,
          );
        }
      }
      const owner = readLock(lockPath);
      if (owner === null) continue; // released between our link and our read: retry now
      if (!ownerAlive(owner)) {
        breakStaleLock(dir, lockPath, owner);
        continue;
      }
      if (Date.now() >= deadline)
        throw new OfflineCacheError(OfflineCode.IO, `lock ${lockPath} stayed busy`);
      await sleep(pause);
      pause = Math.min(pause * 2, 25);
    }
  } finally {
    unlinkSync(temp);
  }
  try {
    return await task();
  } finally {
    // Only ever remove our own lock (a correct protocol never needs the check; it is cheap).
    if (readLock(lockPath) === identity) unlinkSync(lockPath);
  }
}
