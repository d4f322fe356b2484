// Mirror of PAM-side lockouts, kept on disk so a restarted greeter still shows the countdown.
//
// The PAM side stays authoritative (it refuses while locked whatever this file says); this
// file only feeds the screen and keeps main from starting attempts that are bound to fail.
// Layout: `<stateDir>/lockouts.json` = {"v":1,"lockouts":{"<user>":<lockedUntil epoch ms>}}.
// Writes are temp + fsync + rename with O_NOFOLLOW, 0600 in a 0700 directory
// (main/state/state-file.ts, shared with the other state files of the greeter account).
import { readStateFile, StateFileError, writeStateFile } from '../state/state-file';

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
  private readonly clock: Clock;
  private entries = new Map<string, number>();
  private writeChain: Promise<void> = Promise.resolve();

  constructor(options: LockoutStoreOptions) {
    this.dir = options.stateDir;
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /**
   * Reads the file; expired entries are dropped. A missing file is an empty store; a corrupt
   * one throws CORRUPT (callers log it and continue empty: the PAM side still enforces).
   */
  load(): void {
    this.entries = new Map();
    let text: string | null;
    try {
      text = readStateFile(this.dir, LOCKOUT_FILE_NAME, MAX_FILE_BYTES, 'lockout file');
    } catch (error) {
      throw asLockoutError(error);
    }
    if (text === null) return;
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

  private async writeFile(text: string): Promise<void> {
    try {
      await writeStateFile(this.dir, LOCKOUT_FILE_NAME, text, 'lockout file');
    } catch (error) {
      throw asLockoutError(error);
    }
  }
}

/** The shared state-file helper's errors, under this store's codes. */
function asLockoutError(error: unknown): unknown {
  if (!(error instanceof StateFileError)) return error;
  return new LockoutStoreError(error.code === 'TOO_LARGE' ? 'CORRUPT' : error.code, error.message);
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
