// Mirror of PAM-side lockouts, kept on disk so a restarted greeter still shows the countdown.
//
// The PAM side stays authoritative (it refuses while locked whatever this file says); this
// file only feeds the screen and keeps main from starting attempts that are bound to fail.
// Layout: `<stateDir>/lockouts.json` = {"v":1,"lockouts":{"<user>":<lockedUntil epoch ms>}}.
// Writes are temp + fsync + rename with O_NOFOLLOW, 0600 in a 0700 directory.
import { constants, closeSync, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type LockoutStoreErrorCode =
  | 'INSECURE_DIR' // not a directory, a symlink, or group/world accessible
  | 'INSECURE_FILE' // not a regular file, or group/world accessible
  | 'CORRUPT' // not the JSON shape above, or too large
  | 'IO';

export class LockoutStoreError extends Error {
  readonly code: LockoutStoreErrorCode;
  constructor(code: LockoutStoreErrorCode, message: string) {
    super(message);
    this.name = 'LockoutStoreError';
    this.code = code;
  }
}

export const LOCKOUT_FILE_NAME = 'lockouts.json';
const MAX_FILE_BYTES = 64 * 1024;
const MAX_ENTRIES = 1000;

export interface LockoutEntry {
  user: string;
  lockedUntil: number;
}

export interface LockoutStoreOptions {
  /** The greeter's state directory (created 0700 if missing). */
  stateDir: string;
  clock?: Clock;
}

/**
 * Per-user lockout deadlines. `load()` at start is synchronous (the greeter needs it before
 * its first snapshot); writes are asynchronous and serialized.
 */
export class LockoutStore {
  private readonly dir: string;
  private readonly path: string;
  private readonly clock: Clock;
  private entries = new Map<string, number>();
  private writeChain: Promise<void> = Promise.resolve();

  constructor(options: LockoutStoreOptions) {
    this.dir = options.stateDir;
    this.path = join(options.stateDir, LOCKOUT_FILE_NAME);
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /**
   * Reads the file; expired entries are dropped. A missing file is an empty store; a corrupt
   * one throws CORRUPT (callers log it and continue empty: the PAM side still enforces).
   */
  load(): void {
    this.entries = new Map();
    this.ensureDir();
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code === 'ELOOP')
        throw new LockoutStoreError('INSECURE_FILE', 'lockout file is a symlink');
      throw new LockoutStoreError('IO', `cannot open the lockout file (${code ?? 'unknown'})`);
    }
    let text: string;
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile())
        throw new LockoutStoreError('INSECURE_FILE', 'lockout file is not a regular file');
      if ((stat.mode & 0o077) !== 0) {
        throw new LockoutStoreError('INSECURE_FILE', 'lockout file is group or world accessible');
      }
      if (stat.size > MAX_FILE_BYTES)
        throw new LockoutStoreError('CORRUPT', 'lockout file is too large');
      const buffer = Buffer.alloc(stat.size);
      let read = 0;
      while (read < buffer.length) {
        const n = readSync(fd, buffer, read, buffer.length - read, read);
        if (n === 0) break;
        read += n;
      }
      text = buffer.subarray(0, read).toString('utf8');
    } finally {
      closeSync(fd);
    }
    this.entries = parseLockouts(text, this.clock.now());
  }

  /** The lockout deadline of `user`, if still in the future. */
  lockedUntil(user: string): number | null {
    const until = this.entries.get(user);
    return until !== undefined && until > this.clock.now() ? until : null;
  }

  /** Active lockouts, latest deadline first. */
  active(): LockoutEntry[] {
    const now = this.clock.now();
    return [...this.entries]
      .filter(([, until]) => until > now)
      .map(([user, lockedUntil]) => ({ user, lockedUntil }))
      .sort((a, b) => b.lockedUntil - a.lockedUntil);
  }

  /** Records (or with null, clears) a lockout and persists the store. */
  set(user: string, lockedUntil: number | null): Promise<void> {
    if (lockedUntil === null) this.entries.delete(user);
    else this.entries.set(user, lockedUntil);
    const now = this.clock.now();
    for (const [name, until] of this.entries) if (until <= now) this.entries.delete(name);
    const snapshot = JSON.stringify({ v: 1, lockouts: Object.fromEntries(this.entries) });
    const write = this.writeChain.then(() => this.writeFile(snapshot));
    this.writeChain = write.catch(() => undefined);
    return write;
  }

  private ensureDir(): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new LockoutStoreError(
        'IO',
        `cannot create the state directory (${(error as NodeJS.ErrnoException).code})`,
      );
    }
    const stat = lstatSync(this.dir);
    if (stat.isSymbolicLink() || !stat.isDirectory()) {
      throw new LockoutStoreError(
        'INSECURE_DIR',
        'state directory is a symlink or not a directory',
      );
    }
    if ((stat.mode & 0o077) !== 0) {
      throw new LockoutStoreError('INSECURE_DIR', 'state directory is group or world accessible');
    }
  }

  private async writeFile(text: string): Promise<void> {
    this.ensureDir();
    const temp = join(this.dir, `.${LOCKOUT_FILE_NAME}.${randomBytes(6).toString('hex')}.tmp`);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    try {
      const handle = await open(temp, flags, 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
      const dirHandle = await open(this.dir, constants.O_RDONLY | constants.O_DIRECTORY);
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      if (error instanceof LockoutStoreError) throw error;
      throw new LockoutStoreError(
        'IO',
        `cannot write the lockout file (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
}

function parseLockouts(text: string, now: number): Map<string, number> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new LockoutStoreError('CORRUPT', 'lockout file is not JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new LockoutStoreError('CORRUPT', 'lockout file is not an object');
  }
  const record = data as Record<string, unknown>;
  const lockouts = record.lockouts;
  if (
    record.v !== 1 ||
    typeof lockouts !== 'object' ||
    lockouts === null ||
    Array.isArray(lockouts)
  ) {
    throw new LockoutStoreError('CORRUPT', 'lockout file has the wrong shape');
  }
  const entries = new Map<string, number>();
  for (const [user, until] of Object.entries(lockouts as Record<string, unknown>)) {
    if (typeof until !== 'number' || !Number.isSafeInteger(until) || until < 0) {
      throw new LockoutStoreError('CORRUPT', 'lockout deadline is not an integer');
    }
    if (entries.size >= MAX_ENTRIES)
      throw new LockoutStoreError('CORRUPT', 'too many lockout entries');
    if (until > now) entries.set(user, until);
  }
  return entries;
}
