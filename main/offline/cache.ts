// The OBCRED01 offline credential cache: verify, store and administration, byte-compatible
// with Open Bastion's reference (src/offline_cache.c). Differences, all on the safe side:
//  * a file that fails magic/tag/JSON/user checks is reported and left alone (the reference
//    deletes it, so a writer with a wrong key destroys its own cache);
//  * every read-modify-write runs under a per-user cross-process lock (a flock on the entry
//    itself: no file is created), and a failed attempt that cannot be recorded fails the call
//    (the reference ignores the write error); a success whose bookkeeping cannot be written
//    (full disk) still succeeds, with the reason for the administrator;
//  * "no entry" costs the same Argon2id work as a wrong password, and an expired entry says
//    EXPIRED only to the right password (else PASSWORD): the command shows both alike;
//  * required fields are required (the reference skips a missing expires_at: never expires);
//  * dir, key file and entries must be private to the effective user.
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { OfflineCacheError, OfflineCode } from './codes';
import {
  CACHE_FILE_PATTERN,
  SALT_BYTES,
  cacheFileName,
  openFile,
  parseEntry,
  sealFile,
  serializeEntry,
  validateUserName,
  wipeEntry,
  type CacheEntry,
} from './format';
import { argon2idRaw, dummyPasswordCheck, passwordMatches, preloadArgon2Backend } from './hash';
import { CRED_SALT_NAME, deriveCacheKey, deriveCacheKeyAsync, type KeySources } from './keys';
import { LIMITS } from './limits';
import {
  LEGACY_LOCK_PATTERN,
  LEGACY_LOCK_TEMP_PATTERN,
  LockBusyError,
  flockProbe,
  withDirLock,
  withEntryLock,
  type LockOptions,
} from './lock';
import { MAX_PASSWORD_BYTES } from './password';
import {
  MAX_CACHE_FILE_BYTES,
  TEMP_NAME_PATTERN,
  checkPrivateDir,
  createFileExclusive,
  ensurePrivateDir,
  isMissing,
  mimicWriteFileAtomic,
  overwriteAndUnlink,
  readPrivateFile,
  writeFileAtomic,
} from './secure-fs';

export { LIMITS } from './limits';
export const DEFAULT_CACHE_DIR = '/var/cache/open-bastion/credentials';
export const DEFAULT_KEY_FILE = '/etc/open-bastion/cache.key';
export const DEFAULT_MACHINE_ID_FILE = '/etc/machine-id';

export interface OfflineCacheOptions {
  cacheDir?: string;
  /** null: no key file (machine-id alone), as the reference without key_file. */
  keyFile?: string | null;
  machineIdFile?: string;
  /** Unix seconds; injectable for tests. */
  now?: () => number;
  maxFailedAttempts?: number;
  lockoutSeconds?: number;
  ttlSeconds?: number;
  maxEntries?: number;
  /** How long verify and the admin operations wait for an entry's lock (default 15 s). */
  lockTimeoutMs?: number;
  /**
   * How long store waits, in all, for the locks it needs (default 1 s): its entry's, or the
   * directory's to create one. Short: a store is optional bookkeeping after an online login,
   * and a holder frozen by the user herself must cost her little, and nobody else anything.
   */
  storeLockTimeoutMs?: number;
}

export interface EntryState {
  user: string;
  file: string;
  createdAt: number;
  expiresAt: number;
  lastSuccess: number;
  failedAttempts: number;
  lockedUntil: number;
  gecos?: string;
  shell?: string;
  home?: string;
}

export interface VerifySuccess {
  expiresAt: number;
  entry: EntryState;
  /**
   * Set when the success could not be recorded (counters reset, last_success): the login
   * stands — the entry on disk is the previous one, stricter, never looser — and this one-line
   * reason is for the administrator.
   */
  bookkeepingError?: string;
}

/** withEntryLock's answer when the entry does not exist. */
const MISSING: unique symbol = Symbol('missing entry');
type Missing = typeof MISSING;

export type ListedFile =
  | { file: string; ok: true; entry: EntryState }
  | { file: string; ok: false; code: number; reason: string };

export interface CacheStats {
  total: number;
  active: number;
  expired: number;
  locked: number;
  unreadable: number;
}

export interface CleanupReport {
  expiredRemoved: number;
  abandonedTempRemoved: number;
  unreadable: number;
}

export interface StoreExtras {
  gecos?: string;
  shell?: string;
  home?: string;
  ttlSeconds?: number;
}

function bounded(name: keyof typeof LIMITS, value: number | undefined): number {
  const limit = LIMITS[name];
  const chosen = value ?? limit.default;
  if (!Number.isInteger(chosen) || chosen < limit.min || chosen > limit.max) {
    throw new OfflineCacheError(
      OfflineCode.INVALID,
      `${name} must be an integer in ${limit.min}..${limit.max}`,
    );
  }
  return chosen;
}

function stateOf(entry: CacheEntry, file: string): EntryState {
  const state: EntryState = {
    user: entry.user,
    file,
    createdAt: entry.createdAt,
    expiresAt: entry.expiresAt,
    lastSuccess: entry.lastSuccess,
    failedAttempts: entry.failedAttempts,
    lockedUntil: entry.lockedUntil,
  };
  if (entry.gecos !== undefined) state.gecos = entry.gecos;
  if (entry.shell !== undefined) state.shell = entry.shell;
  if (entry.home !== undefined) state.home = entry.home;
  return state;
}

export class OfflineCache {
  readonly cacheDir: string;
  private readonly sources: KeySources;
  private readonly now: () => number;
  readonly maxFailedAttempts: number;
  readonly lockoutSeconds: number;
  readonly ttlSeconds: number;
  readonly maxEntries: number;
  private readonly lockTimeoutMs: number;
  private readonly storeLockTimeoutMs: number;
  /** Derived once per instance (PBKDF2 costs ~20 ms); wiped by close(). */
  private key: Buffer | null = null;
  /**
   * The derivation prepareVerify started; settles into `key`. When it fails, the key is derived
   * again, synchronously, where it is needed, and fails there with its own error, as without
   * prepareVerify.
   */
  private pendingKey: Promise<void> | null = null;

  constructor(options: OfflineCacheOptions = {}) {
    this.cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
    this.sources = {
      cacheDir: this.cacheDir,
      keyFile: options.keyFile === undefined ? DEFAULT_KEY_FILE : options.keyFile,
      machineIdFile: options.machineIdFile ?? DEFAULT_MACHINE_ID_FILE,
    };
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.maxFailedAttempts = bounded('maxFailedAttempts', options.maxFailedAttempts);
    this.lockoutSeconds = bounded('lockoutSeconds', options.lockoutSeconds);
    this.ttlSeconds = bounded('ttlSeconds', options.ttlSeconds);
    this.maxEntries = bounded('maxEntries', options.maxEntries);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
    this.storeLockTimeoutMs = options.storeLockTimeoutMs ?? 1_000;
  }

  close(): void {
    this.key?.fill(0);
    this.key = null;
    this.pendingKey = null; // a derivation still running wipes its key when it ends
  }

  /**
   * Starts what a verify will need before it needs it, so that it overlaps the rest (the entry
   * lock, reading stdin): the key derivation (PBKDF2, ~20 ms, in the thread pool) and loading
   * the Argon2id backend. Changes no result and no order of checks: it creates nothing, its
   * errors are dropped (verify meets them again where it meets them without this call), and a
   * verify that needs no key (no cache dir, no entry) still does the same work as without it.
   */
  prepareVerify(): void {
    if (this.key === null && this.pendingKey === null) {
      // Rejects (never throws) when a source cannot be read: dropped, see above.
      const pending: Promise<void> = deriveCacheKeyAsync(this.sources).then(
        (key) => {
          if (this.pendingKey === pending && this.key === null) this.key = key;
          else key.fill(0); // closed meanwhile, or derived already
          if (this.pendingKey === pending) this.pendingKey = null;
        },
        () => {
          if (this.pendingKey === pending) this.pendingKey = null;
        },
      );
      this.pendingKey = pending;
    }
    preloadArgon2Backend();
  }

  /** Waits for the derivation prepareVerify started, if one is running (it sets `key`). */
  private async settlePendingKey(): Promise<void> {
    if (this.pendingKey !== null) await this.pendingKey;
  }

  private cacheKey(create: boolean): Buffer {
    this.key ??= deriveCacheKey(this.sources, create);
    return this.key;
  }

  /** The decrypted, checked entry of `file`, or null when there is none. */
  private readEntry(file: string, expectedUser: string | null): CacheEntry | null {
    const bytes = readPrivateFile(join(this.cacheDir, file), {
      what: 'cache file',
      maxBytes: MAX_CACHE_FILE_BYTES,
      badCode: OfflineCode.INVALID,
    });
    if (bytes === null) return null;
    let plaintext: Buffer | null = null;
    try {
      plaintext = openFile(this.cacheKey(false), bytes);
      const entry = parseEntry(plaintext);
      if (expectedUser !== null && entry.user !== expectedUser) {
        wipeEntry(entry);
        throw new OfflineCacheError(OfflineCode.INVALID, `${file} belongs to another user`);
      }
      if (cacheFileName(entry.user) !== file) {
        wipeEntry(entry);
        throw new OfflineCacheError(
          OfflineCode.INVALID,
          `${file} is not the file name of its user`,
        );
      }
      return entry;
    } finally {
      bytes.fill(0);
      plaintext?.fill(0);
    }
  }

  /**
   * `durable: false` only for the rewrite after a successful verify: losing it to a power cut
   * brings back the previous entry (same verifier, older last_success, counters not yet reset),
   * which is stricter, never looser — and it saves a directory fsync on every offline login.
   */
  private writeEntry(file: string, entry: CacheEntry, create: boolean, durable = true): void {
    const plaintext = serializeEntry(entry);
    try {
      writeFileAtomic(this.cacheDir, file, sealFile(this.cacheKey(create), plaintext), durable);
    } finally {
      plaintext.fill(0);
    }
  }

  private get lockOptions(): LockOptions {
    return { timeoutMs: this.lockTimeoutMs };
  }

  /** Runs `task` under the entry's lock; MISSING when the entry does not exist. */
  private lockedEntry<T>(file: string, task: () => Promise<T>): Promise<T | Missing> {
    return withEntryLock(this.cacheDir, file, this.lockOptions, MISSING, task);
  }

  /**
   * Offline login. Order as the reference: expired (entry removed) → locked → password.
   * Resolves on success; every refusal is an OfflineCacheError (LOCKED carries the remaining
   * seconds). `password` is not wiped here: the caller owns it.
   *
   * No user enumeration: a user without an entry costs the same work as a wrong password
   * (key derivation, one Argon2id with the real parameters) and is refused with NOTFOUND, which
   * the command shows exactly as PASSWORD. An expired entry answers EXPIRED only to the right
   * password. What still differs, inherently: LOCKED (a lockout only exists for an entry).
   */
  async verify(user: string, password: Buffer): Promise<VerifySuccess> {
    validateUserName(user);
    const file = cacheFileName(user);
    const dirExists = checkPrivateDir(this.cacheDir);
    const outcome = dirExists
      ? await this.lockedEntry(file, () => this.verifyLocked(file, user, password))
      : MISSING;
    if (outcome !== MISSING) return outcome;
    await this.missingEntryWork(dirExists, file, user, password);
    throw new OfflineCacheError(OfflineCode.NOTFOUND, 'no cached credentials for this user');
  }

  /**
   * A verify without entry does the observable work of a wrong password (verifyLocked), step
   * for step, so that neither its time nor the cache directory tells who has an entry — yet
   * takes no lock anyone else's process could hold, and creates no file (a full disk, and
   * PAM_USER is caller-chosen). Without a cache dir nobody has an entry: nothing to tell apart.
   * Measured on the bundle, whole process: main/cli/test/bastion-offline-hardening.test.ts.
   */
  private async missingEntryWork(
    dirExists: boolean,
    file: string,
    user: string,
    password: Buffer,
  ): Promise<void> {
    let key: Buffer | null = null;
    if (dirExists) {
      // The entry lock: the same flock(1), on a file nobody locks, never waiting.
      await flockProbe(this.cacheDir, CRED_SALT_NAME);
      await this.settlePendingKey();
      try {
        key = this.cacheKey(false); // as reading an entry would (PBKDF2)
      } catch {
        // its errors belong to the users who have an entry; this one has none
      }
    }
    // Reading the entry (a private file of the cache dir, decrypted, parsed) and sealing the
    // counted failure: the same calls on a stand-in entry that nobody can log in with.
    const now = this.now();
    const standIn: CacheEntry | null =
      key === null
        ? null
        : {
            user,
            createdAt: now,
            expiresAt: now + this.ttlSeconds,
            lastSuccess: now,
            failedAttempts: 0,
            lockedUntil: 0,
            passwordHash: randomBytes(32),
            salt: randomBytes(SALT_BYTES),
            unknown: {},
          };
    if (standIn !== null && key !== null) {
      try {
        readPrivateFile(join(this.cacheDir, CRED_SALT_NAME), {
          what: 'cache file',
          maxBytes: MAX_CACHE_FILE_BYTES,
          badCode: OfflineCode.INVALID,
        })?.fill(0);
      } catch {
        // decides nothing
      }
      const plaintext = serializeEntry(standIn);
      try {
        const reopened = parseEntry(openFile(key, sealFile(key, plaintext)));
        wipeEntry(reopened);
      } finally {
        plaintext.fill(0);
      }
    }
    try {
      if (password.length > 0 && password.length <= MAX_PASSWORD_BYTES) {
        await dummyPasswordCheck(password, randomBytes(SALT_BYTES));
      }
      // The failure a wrong password records: sealed, then written (temp + fsync + rename +
      // fsync dir) — here linked and unlinked under the same temp name, creating no file.
      if (dirExists && password.length > 0) {
        if (standIn !== null && key !== null) {
          standIn.failedAttempts += 1;
          const plaintext = serializeEntry(standIn);
          try {
            sealFile(key, plaintext).fill(0);
          } finally {
            plaintext.fill(0);
          }
        }
        mimicWriteFileAtomic(this.cacheDir, file, CRED_SALT_NAME);
      }
    } finally {
      if (standIn !== null) wipeEntry(standIn);
    }
  }

  private async verifyLocked(
    file: string,
    user: string,
    password: Buffer,
  ): Promise<VerifySuccess | Missing> {
    await this.settlePendingKey();
    const entry = this.readEntry(file, user);
    if (entry === null) return MISSING;
    try {
      const now = this.now();
      // An empty answer (Enter, or a stack without expose_authtok) can never match — store
      // refuses empty passwords — so it is refused without being counted as a guess.
      const checkable = password.length > 0 && password.length <= MAX_PASSWORD_BYTES;
      if (now >= entry.expiresAt) {
        const matched =
          checkable && (await passwordMatches(password, entry.salt, entry.passwordHash));
        overwriteAndUnlink(join(this.cacheDir, file), this.cacheDir);
        if (matched) throw new OfflineCacheError(OfflineCode.EXPIRED, 'cached credentials expired');
        throw new OfflineCacheError(
          OfflineCode.PASSWORD,
          'cached credentials expired (entry removed) and the password does not match',
        );
      }
      if (entry.lockedUntil > 0 && now < entry.lockedUntil) {
        throw new OfflineCacheError(
          OfflineCode.LOCKED,
          'too many failed attempts',
          entry.lockedUntil - now,
        );
      }
      if (password.length === 0) {
        throw new OfflineCacheError(OfflineCode.PASSWORD, 'empty password (not counted)');
      }
      if (!checkable || !(await passwordMatches(password, entry.salt, entry.passwordHash))) {
        entry.failedAttempts += 1;
        if (entry.failedAttempts >= this.maxFailedAttempts)
          entry.lockedUntil = now + this.lockoutSeconds;
        this.writeEntry(file, entry, false); // cannot record it: fail closed (IO)
        throw new OfflineCacheError(OfflineCode.PASSWORD, 'password does not match');
      }
      entry.failedAttempts = 0;
      entry.lockedUntil = 0;
      entry.lastSuccess = now;
      const success: VerifySuccess = { expiresAt: entry.expiresAt, entry: stateOf(entry, file) };
      try {
        this.writeEntry(file, entry, false, false);
      } catch (error) {
        // Full disk, read-only remount…: the password was right; losing the reset of the
        // counters and last_success is stricter, never looser. Report, do not refuse.
        if (!(error instanceof OfflineCacheError && error.code === OfflineCode.IO)) throw error;
        success.bookkeepingError = `success not recorded: ${error.reason}`;
      }
      return success;
    } finally {
      wipeEntry(entry);
    }
  }

  /**
   * Records a verifier after an online login that proved `password`. Resets lockout.
   * Creates the dir (0700), .cred_salt and, without machine-id, .instance_id on first use.
   */
  async store(user: string, password: Buffer, extras: StoreExtras = {}): Promise<EntryState> {
    validateUserName(user);
    if (password.length === 0 || password.length > MAX_PASSWORD_BYTES) {
      throw new OfflineCacheError(
        OfflineCode.INVALID,
        'refusing to cache an empty or oversized password',
      );
    }
    const ttl =
      extras.ttlSeconds === undefined ? this.ttlSeconds : bounded('ttlSeconds', extras.ttlSeconds);
    ensurePrivateDir(this.cacheDir);
    this.cacheKey(true);
    const file = cacheFileName(user);
    const salt = randomBytes(SALT_BYTES);
    const now = this.now();
    const entry: CacheEntry = {
      user,
      createdAt: now,
      expiresAt: now + ttl,
      lastSuccess: now,
      failedAttempts: 0,
      lockedUntil: 0,
      passwordHash: await argon2idRaw(password, salt),
      salt,
      unknown: {},
    };
    if (extras.gecos !== undefined) entry.gecos = extras.gecos;
    if (extras.shell !== undefined) entry.shell = extras.shell;
    if (extras.home !== undefined) entry.home = extras.home;
    const write = async (): Promise<EntryState> => {
      this.writeEntry(file, entry, true);
      return stateOf(entry, file);
    };
    // Every wait of this store shares one short deadline: a frozen holder costs its user a
    // failed store (IO) after about storeLockTimeoutMs, and no lock is held while waiting.
    const deadline = Date.now() + this.storeLockTimeoutMs;
    const wait = (): LockOptions => ({ timeoutMs: Math.max(deadline - Date.now(), 1) });
    try {
      for (;;) {
        // An existing entry: its own lock only, so a verify counting a failure never writes
        // over a fresh verifier. The directory's lock is not taken: held while waiting here,
        // it would make every other user's first store wait for this user's frozen process.
        const replaced = await withEntryLock(this.cacheDir, file, wait(), MISSING, write);
        if (replaced !== MISSING) return replaced;
        // A new entry: created whole (temp + link, never over an existing file) under the
        // directory's lock, held for that alone. Another writer first → replace theirs.
        await this.makeRoomForOneMore(wait);
        const created = await withDirLock(this.cacheDir, wait(), async () =>
          this.createEntry(file, entry),
        );
        if (created) return stateOf(entry, file);
        if (Date.now() >= deadline) throw new LockBusyError(file);
      }
    } finally {
      wipeEntry(entry);
    }
  }

  /**
   * Under the directory lock: links `entry` in as `file` unless it exists (false), or the cache
   * is full (IO). Waits for nothing: no lock is taken here.
   */
  private createEntry(file: string, entry: CacheEntry): boolean {
    try {
      lstatSync(join(this.cacheDir, file));
      return false; // created meanwhile (another store, or the reference, which takes no lock)
    } catch (error) {
      if (!isMissing(error)) {
        const errno = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new OfflineCacheError(OfflineCode.IO, `cannot stat ${file}: ${errno}`);
      }
    }
    if (this.cacheFiles().length >= this.maxEntries) {
      throw new OfflineCacheError(OfflineCode.IO, `cache full (${this.maxEntries} entries)`);
    }
    const plaintext = serializeEntry(entry);
    try {
      return createFileExclusive(this.cacheDir, file, sealFile(this.cacheKey(true), plaintext));
    } finally {
      plaintext.fill(0);
    }
  }

  /**
   * Max entries: when the cache is full, expired entries make room, each under its own lock
   * (within the store's wait; one that stays busy is skipped), with no directory lock held.
   * Whether there is room is decided again under the directory lock (createEntry).
   */
  private async makeRoomForOneMore(wait: () => LockOptions): Promise<void> {
    if (this.cacheFiles().length < this.maxEntries) return;
    const now = this.now();
    for (const listed of this.list()) {
      if (listed.ok && now >= listed.entry.expiresAt) {
        try {
          await withEntryLock(this.cacheDir, listed.file, wait(), MISSING, async () => {
            // Still expired (not replaced by a store meanwhile: the lock follows the inode)?
            let current: CacheEntry | null;
            try {
              current = this.readEntry(listed.file, null);
            } catch (error) {
              if (error instanceof OfflineCacheError && error.code !== OfflineCode.IO) return;
              throw error;
            }
            if (current === null) return;
            const expired = now >= current.expiresAt;
            wipeEntry(current);
            if (expired) overwriteAndUnlink(join(this.cacheDir, listed.file), this.cacheDir);
          });
        } catch (error) {
          if (!(error instanceof LockBusyError)) throw error;
        }
      }
    }
  }

  private cacheFiles(): string[] {
    if (!checkPrivateDir(this.cacheDir)) return [];
    return readdirSync(this.cacheDir)
      .filter((name) => CACHE_FILE_PATTERN.test(name))
      .sort();
  }

  /** Read-only state of one user (for `status` and `show`); never mutates, even if expired. */
  get(user: string): EntryState {
    validateUserName(user);
    const file = cacheFileName(user);
    if (!checkPrivateDir(this.cacheDir))
      throw new OfflineCacheError(OfflineCode.NOTFOUND, 'no cached credentials for this user');
    const entry = this.readEntry(file, user);
    if (entry === null)
      throw new OfflineCacheError(OfflineCode.NOTFOUND, 'no cached credentials for this user');
    wipeEntry(entry);
    return stateOf(entry, file);
  }

  list(): ListedFile[] {
    return this.cacheFiles().map((file): ListedFile => {
      try {
        const entry = this.readEntry(file, null);
        if (entry === null)
          return { file, ok: false, code: OfflineCode.NOTFOUND, reason: 'vanished' };
        wipeEntry(entry);
        return { file, ok: true, entry: stateOf(entry, file) };
      } catch (error) {
        if (error instanceof OfflineCacheError && error.code !== OfflineCode.IO) {
          return { file, ok: false, code: error.code, reason: error.reason };
        }
        throw error;
      }
    });
  }

  stats(): CacheStats {
    const now = this.now();
    const stats: CacheStats = { total: 0, active: 0, expired: 0, locked: 0, unreadable: 0 };
    for (const listed of this.list()) {
      stats.total++;
      if (!listed.ok) stats.unreadable++;
      else if (now >= listed.entry.expiresAt) stats.expired++;
      else {
        stats.active++;
        if (listed.entry.lockedUntil > 0 && now < listed.entry.lockedUntil) stats.locked++;
      }
    }
    return stats;
  }

  /** Overwrites then unlinks the user's entry. NOTFOUND when there is none. */
  async invalidate(user: string): Promise<void> {
    validateUserName(user);
    const file = cacheFileName(user);
    const removed = checkPrivateDir(this.cacheDir)
      ? await this.lockedEntry(file, async () =>
          overwriteAndUnlink(join(this.cacheDir, file), this.cacheDir),
        )
      : MISSING;
    if (removed === MISSING || !removed) {
      throw new OfflineCacheError(OfflineCode.NOTFOUND, 'no cached credentials for this user');
    }
  }

  /** Overwrites then unlinks every entry, readable or not. Returns how many. */
  async invalidateAll(): Promise<number> {
    let removed = 0;
    for (const file of this.cacheFiles()) {
      await this.lockedEntry(file, async () => {
        if (overwriteAndUnlink(join(this.cacheDir, file), this.cacheDir)) removed++;
      });
    }
    return removed;
  }

  /** Clears a lockout (admin). */
  async unlock(user: string): Promise<EntryState> {
    return this.withExistingEntry(user, async (file, entry) => {
      entry.failedAttempts = 0;
      entry.lockedUntil = 0;
      this.writeEntry(file, entry, false);
      return stateOf(entry, file);
    });
  }

  /**
   * Runs `fn` on `user`'s entry under the per-user lock, wiping the entry afterwards.
   * NOTFOUND when there is no entry (the lock creates no file: PAM_USER is caller-chosen).
   */
  private async withExistingEntry<T>(
    user: string,
    fn: (file: string, entry: CacheEntry) => Promise<T>,
  ): Promise<T> {
    validateUserName(user);
    const file = cacheFileName(user);
    const result = checkPrivateDir(this.cacheDir)
      ? await this.lockedEntry(file, async () => {
          const entry = this.readEntry(file, user);
          if (entry === null) return MISSING;
          try {
            return await fn(file, entry);
          } finally {
            wipeEntry(entry);
          }
        })
      : MISSING;
    if (result === MISSING)
      throw new OfflineCacheError(OfflineCode.NOTFOUND, 'no cached credentials for this user');
    return result;
  }

  /**
   * Removes expired entries, temp files abandoned by killed writers (their pid is gone) and
   * the lock files of earlier versions (locks are flocks on the entries now). Unreadable
   * entries are counted, not deleted: they may be readable with the right key.
   */
  async cleanup(): Promise<CleanupReport> {
    const report: CleanupReport = { expiredRemoved: 0, abandonedTempRemoved: 0, unreadable: 0 };
    if (!checkPrivateDir(this.cacheDir)) return report;
    for (const name of readdirSync(this.cacheDir)) {
      const pid = TEMP_NAME_PATTERN.exec(name)?.[1] ?? LEGACY_LOCK_TEMP_PATTERN.exec(name)?.[1];
      const legacyLock = LEGACY_LOCK_PATTERN.test(name);
      if (legacyLock || (pid !== undefined && !processExists(Number(pid)))) {
        try {
          unlinkSync(join(this.cacheDir, name));
          report.abandonedTempRemoved++;
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      }
    }
    const now = this.now();
    for (const listed of this.list()) {
      if (!listed.ok) {
        report.unreadable++;
        continue;
      }
      if (now < listed.entry.expiresAt) continue;
      await this.lockedEntry(listed.file, async () => {
        const entry = this.readEntry(listed.file, null);
        if (entry === null) return;
        wipeEntry(entry);
        if (
          now >= entry.expiresAt &&
          overwriteAndUnlink(join(this.cacheDir, listed.file), this.cacheDir)
        ) {
          report.expiredRemoved++;
        }
      });
    }
    return report;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
