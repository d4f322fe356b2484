// SSO tokens at rest, in the greeter account's private store (DESIGN.md "Where state lives").
// What this protects against, and what it does not, is in ./TOKENS.md: read it before
// relying on it.
//
// One file per user, named by a hash of the user name (no name reaches the file system):
//   <dir>/<sha256("token:" + user) hex>.tok = header "BGTK" ‖ version 0x01 ‖ nonce (12)
//                                             ‖ AES-256-GCM ciphertext ‖ tag (16)
// The AAD is a label ‖ the header ‖ the user name: a file copied over another user's name, or
// relabelled with another version, fails the tag like any tampering. The key is 32 random
// bytes in a key file of the greeter account, kept in ANOTHER directory than the tokens so
// that copying the token directory does not carry the key along.
//
// Files are written with the project's atomic writer (temp O_EXCL|O_NOFOLLOW 0600 + fsync +
// rename + fsync dir) and read with its private-file reader (O_NOFOLLOW|O_NONBLOCK, owner and
// mode checked on the descriptor, bounded). Every read-modify-write of one user's file runs
// under that user's flock (main/offline/lock.ts), so two processes refreshing the same user
// neither tear the file nor lose a rotated refresh token.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { OfflineCacheError, OfflineCode } from '../offline/codes';
import { LockBusyError, withEntryLock } from '../offline/lock';
import {
  checkPrivateDir,
  createFileExclusive,
  ensurePrivateDir,
  fsyncDir,
  readPrivateFile,
  writeFileAtomic,
} from '../offline/secure-fs';

/**
 * The token set as main/sso's client returns it (notes/sso-api.md `TokenSet`); declared here
 * structurally so this file does not depend on the client's module.
 */
export interface StoredTokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Access token expiry, ms epoch. */
  expiresAt: number;
  claims?: { sub: string; preferred_username?: string; [k: string]: unknown };
}

export interface TokenStore {
  /** The user's tokens, or null when none are stored. Rejects with TokenStoreError. */
  load(user: string): Promise<StoredTokenSet | null>;
  /** Replaces the user's tokens (atomic, under the user's lock). */
  save(user: string, tokens: StoredTokenSet): Promise<void>;
  /** Removes the user's tokens (logout, revocation); resolves false when there were none. */
  wipe(user: string): Promise<boolean>;
  /**
   * Runs `task` with the user's lock held: load → refresh → save inside it cannot interleave
   * with another process doing the same (a rotated refresh token is never lost). The `locked`
   * view must be used inside `task`; the lock is not re-entrant.
   */
  withUserLock<T>(user: string, task: (locked: LockedTokens) => Promise<T>): Promise<T>;
}

/** The store's operations for one user while its lock is held. */
export interface LockedTokens {
  load(): Promise<StoredTokenSet | null>;
  save(tokens: StoredTokenSet): Promise<void>;
  wipe(): Promise<boolean>;
}

export type TokenStoreErrorCode =
  | 'TOKEN_KEY_MISSING' // no key file: nothing stored can be read, nothing can be written
  | 'TOKEN_KEY_INSECURE' // key file is a symlink, not a regular file, foreign, group/world accessible
  | 'TOKEN_KEY_INVALID' // key file is not exactly 32 bytes
  | 'TOKEN_STORE_INSECURE' // token or key directory unsafe (mode, owner, symlink, parents)
  | 'TOKEN_FILE_INVALID' // tampered, truncated, swapped between users, wrong key, bad content
  | 'TOKEN_USER_INVALID' // empty, over 256 bytes, or with control characters
  | 'TOKEN_LOCK_BUSY' // another process kept the user's lock past the wait
  | 'TOKEN_STORE_IO';

export class TokenStoreError extends Error {
  readonly code: TokenStoreErrorCode;
  constructor(code: TokenStoreErrorCode, message: string) {
    super(message);
    this.name = 'TokenStoreError';
    this.code = code;
  }
}

export const TOKEN_KEY_BYTES = 32;
export const TOKEN_NONCE_BYTES = 12;
export const TOKEN_TAG_BYTES = 16;
export const TOKEN_FORMAT_VERSION = 1;
/** "BGTK" ‖ version: the version part of the record, bound into the AAD. */
export const TOKEN_HEADER = Buffer.from([0x42, 0x47, 0x54, 0x4b, TOKEN_FORMAT_VERSION]);
const AAD_LABEL = Buffer.from('bastion-greeter sso tokens\0', 'ascii');
/** Tokens of a few KiB each at most; anything larger is not ours. */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;
const MAX_USER_BYTES = 256;
const MAX_FIELD_CHARS = 16 * 1024;
const LOCK_TIMEOUT_MS = 15_000;

export const TOKEN_FILE_PATTERN = /^[0-9a-f]{64}\.tok$/;

export function validateTokenUser(user: string): void {
  const bytes = Buffer.byteLength(user, 'utf8');
  const control = [...user].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (typeof user !== 'string' || bytes === 0 || bytes > MAX_USER_BYTES || control) {
    throw new TokenStoreError(
      'TOKEN_USER_INVALID',
      'user name is empty, too long or contains control characters',
    );
  }
}

/** `<sha256("token:" + user) hex>.tok`: a user name never becomes a path. */
export function tokenFileName(user: string): string {
  validateTokenUser(user);
  return `${createHash('sha256').update(`token:${user}`, 'utf8').digest('hex')}.tok`;
}

function aadFor(user: string): Buffer {
  return Buffer.concat([AAD_LABEL, TOKEN_HEADER, Buffer.from(user, 'utf8')]);
}

/** Seals `plain` for `user` under `key` (32 bytes). */
export function sealTokenRecord(key: Buffer, user: string, plain: Buffer): Buffer {
  const nonce = randomBytes(TOKEN_NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TOKEN_TAG_BYTES });
  cipher.setAAD(aadFor(user));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([TOKEN_HEADER, nonce, body, cipher.getAuthTag()]);
}

/** Opens a record sealed for `user`; TOKEN_FILE_INVALID on any mismatch. The caller wipes. */
export function openTokenRecord(key: Buffer, user: string, record: Buffer): Buffer {
  const minimum = TOKEN_HEADER.length + TOKEN_NONCE_BYTES + TOKEN_TAG_BYTES;
  if (record.length < minimum) {
    throw new TokenStoreError('TOKEN_FILE_INVALID', 'token file is truncated');
  }
  if (!record.subarray(0, TOKEN_HEADER.length).equals(TOKEN_HEADER)) {
    throw new TokenStoreError('TOKEN_FILE_INVALID', 'token file has an unknown header or version');
  }
  const nonce = record.subarray(TOKEN_HEADER.length, TOKEN_HEADER.length + TOKEN_NONCE_BYTES);
  const tag = record.subarray(record.length - TOKEN_TAG_BYTES);
  const body = record.subarray(TOKEN_HEADER.length + TOKEN_NONCE_BYTES, -TOKEN_TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TOKEN_TAG_BYTES });
  decipher.setAAD(aadFor(user));
  decipher.setAuthTag(tag);
  const plain = decipher.update(body);
  try {
    return Buffer.concat([plain, decipher.final()]);
  } catch {
    throw new TokenStoreError(
      'TOKEN_FILE_INVALID',
      'token file failed authentication (tampered, truncated, another user\u2019s, or another key)',
    );
  } finally {
    plain.fill(0);
  }
}

const isString = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_CHARS;

/** Strict parse of the sealed JSON: anything we could not have written is invalid. */
function parseRecord(user: string, plain: Buffer): StoredTokenSet {
  let value: unknown;
  try {
    value = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new TokenStoreError('TOKEN_FILE_INVALID', 'token file content is not JSON');
  }
  const bad = (what: string): never => {
    throw new TokenStoreError('TOKEN_FILE_INVALID', `token file content: ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return bad('not an object');
  const record = value as Record<string, unknown>;
  if (record.v !== TOKEN_FORMAT_VERSION) bad('wrong version');
  // Redundant with the AAD, and cheap: a bug that sealed the wrong user's set is caught too.
  if (record.user !== user) bad('another user');
  if (!isString(record.accessToken)) bad('accessToken');
  if (record.refreshToken !== undefined && !isString(record.refreshToken)) bad('refreshToken');
  if (record.idToken !== undefined && !isString(record.idToken)) bad('idToken');
  if (!Number.isSafeInteger(record.expiresAt)) bad('expiresAt');
  const tokens: StoredTokenSet = {
    accessToken: record.accessToken as string,
    expiresAt: record.expiresAt as number,
  };
  if (record.refreshToken !== undefined) tokens.refreshToken = record.refreshToken as string;
  if (record.idToken !== undefined) tokens.idToken = record.idToken as string;
  if (record.claims !== undefined) {
    const claims = record.claims;
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) bad('claims');
    if (!isString((claims as Record<string, unknown>).sub)) bad('claims.sub');
    tokens.claims = claims as StoredTokenSet['claims'];
  }
  return tokens;
}

function serialise(user: string, tokens: StoredTokenSet): Buffer {
  if (!isString(tokens.accessToken)) {
    throw new TokenStoreError('TOKEN_FILE_INVALID', 'refusing to store an empty access token');
  }
  if (tokens.refreshToken !== undefined && !isString(tokens.refreshToken)) {
    throw new TokenStoreError('TOKEN_FILE_INVALID', 'refusing to store a bad refresh token');
  }
  if (!Number.isSafeInteger(tokens.expiresAt)) {
    throw new TokenStoreError('TOKEN_FILE_INVALID', 'refusing to store a bad expiry');
  }
  const record: Record<string, unknown> = {
    v: TOKEN_FORMAT_VERSION,
    user,
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt,
  };
  if (tokens.refreshToken !== undefined) record.refreshToken = tokens.refreshToken;
  if (tokens.idToken !== undefined) record.idToken = tokens.idToken;
  if (tokens.claims !== undefined) record.claims = tokens.claims;
  const plain = Buffer.from(JSON.stringify(record), 'utf8');
  if (plain.length > MAX_TOKEN_FILE_BYTES - 64) {
    plain.fill(0);
    throw new TokenStoreError('TOKEN_FILE_INVALID', 'token set too large to store');
  }
  return plain;
}

/**
 * A directory check failed: secure-fs reports every directory problem (mode, owner, symlink,
 * untrusted parent, cannot create) as IO, and for a directory all of them mean "unsafe here".
 */
function mapDirError(error: unknown): never {
  if (error instanceof OfflineCacheError) {
    throw new TokenStoreError('TOKEN_STORE_INSECURE', error.reason);
  }
  return mapFsError(error, 'TOKEN_STORE_INSECURE');
}

/** Maps the shared secure-fs/lock errors (OfflineCacheError) onto this store's codes. */
function mapFsError(error: unknown, insecure: TokenStoreErrorCode): never {
  if (error instanceof TokenStoreError) throw error;
  if (error instanceof OfflineCacheError) {
    if (error instanceof LockBusyError) throw new TokenStoreError('TOKEN_LOCK_BUSY', error.reason);
    throw new TokenStoreError(
      error.code === OfflineCode.INVALID ? insecure : 'TOKEN_STORE_IO',
      error.reason,
    );
  }
  throw new TokenStoreError('TOKEN_STORE_IO', (error as Error).message ?? String(error));
}

export interface FileTokenStoreOptions {
  /** The token directory (0700, the greeter account's), e.g. <state>/sso-tokens. */
  dir: string;
  /** The key file, in a directory OTHER than `dir`, e.g. <state>/sso-key/token.key. */
  keyFile: string;
  /** Longest wait for a user's lock, in ms (default 15 000: a refresh's own deadline). */
  lockTimeoutMs?: number;
}

/**
 * Creates the key file if it does not exist yet: 32 random bytes, 0600, in a 0700 directory
 * (created one level deep if missing), exclusively (O_EXCL|O_NOFOLLOW; two first starts racing
 * end with one key). Returns true when this call created it. An existing key is never replaced:
 * a new key silently orphans every stored token.
 */
export function ensureTokenKey(keyFile: string): boolean {
  const dir = join(keyFile, '..');
  const name = keyFile.slice(dir.length + 1);
  const key = randomBytes(TOKEN_KEY_BYTES);
  try {
    try {
      ensurePrivateDir(dir);
    } catch (error) {
      mapDirError(error);
    }
    return createFileExclusive(dir, name, key);
  } catch (error) {
    return mapFsError(error, 'TOKEN_STORE_IO');
  } finally {
    key.fill(0);
  }
}

/** The 32-byte key; the caller wipes it. */
function readKey(keyFile: string): Buffer {
  let content: Buffer | null;
  try {
    content = readPrivateFile(keyFile, {
      what: 'token key file',
      maxBytes: 4096,
      badCode: OfflineCode.INVALID,
    });
  } catch (error) {
    return mapFsError(error, 'TOKEN_KEY_INSECURE');
  }
  if (content === null) {
    throw new TokenStoreError('TOKEN_KEY_MISSING', `token key file ${keyFile} is missing`);
  }
  if (content.length !== TOKEN_KEY_BYTES) {
    content.fill(0);
    throw new TokenStoreError(
      'TOKEN_KEY_INVALID',
      `token key file ${keyFile} is not ${TOKEN_KEY_BYTES} bytes`,
    );
  }
  return content;
}

export class FileTokenStore implements TokenStore {
  private readonly dir: string;
  private readonly keyFile: string;
  private readonly lockTimeoutMs: number;

  constructor(options: FileTokenStoreOptions) {
    this.dir = options.dir;
    this.keyFile = options.keyFile;
    this.lockTimeoutMs = options.lockTimeoutMs ?? LOCK_TIMEOUT_MS;
  }

  /** The token directory must exist and be private; creates it (one level, 0700) when missing. */
  private prepareDir(create: boolean): boolean {
    try {
      if (create) {
        ensurePrivateDir(this.dir);
        return true;
      }
      return checkPrivateDir(this.dir);
    } catch (error) {
      return mapDirError(error);
    }
  }

  private loadUnlocked(user: string): StoredTokenSet | null {
    const name = tokenFileName(user);
    if (!this.prepareDir(false)) return null;
    let record: Buffer | null;
    try {
      record = readPrivateFile(join(this.dir, name), {
        what: 'token file',
        maxBytes: MAX_TOKEN_FILE_BYTES,
        badCode: OfflineCode.INVALID,
      });
    } catch (error) {
      return mapFsError(error, 'TOKEN_FILE_INVALID');
    }
    if (record === null) return null;
    const key = readKey(this.keyFile);
    let plain: Buffer | null = null;
    try {
      plain = openTokenRecord(key, user, record);
      return parseRecord(user, plain);
    } finally {
      key.fill(0);
      record.fill(0);
      plain?.fill(0);
    }
  }

  private saveUnlocked(user: string, tokens: StoredTokenSet): void {
    const name = tokenFileName(user);
    this.prepareDir(true);
    const key = readKey(this.keyFile);
    const plain = serialise(user, tokens);
    let sealed: Buffer | null = null;
    try {
      sealed = sealTokenRecord(key, user, plain);
      writeFileAtomic(this.dir, name, sealed);
    } catch (error) {
      mapFsError(error, 'TOKEN_STORE_INSECURE');
    } finally {
      key.fill(0);
      plain.fill(0);
      sealed?.fill(0);
    }
  }

  // A plain unlink. Overwriting first would buy nothing: on ext4/btrfs/xfs with journaling,
  // copy-on-write or an SSD's flash translation layer the overwrite lands in other blocks than
  // the old content, and what lies there is ciphertext under a key that stays behind.
  private wipeUnlocked(user: string): boolean {
    const name = tokenFileName(user);
    if (!this.prepareDir(false)) return false;
    try {
      unlinkSync(join(this.dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new TokenStoreError(
        'TOKEN_STORE_IO',
        `cannot remove the token file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    try {
      fsyncDir(this.dir);
    } catch {
      // The name is gone for every reader; only its durability across a power cut is unsure.
    }
    return true;
  }

  async withUserLock<T>(user: string, task: (locked: LockedTokens) => Promise<T>): Promise<T> {
    const name = tokenFileName(user);
    this.prepareDir(true);
    // The lock is a flock on a per-user lock file that stays (never replaced, never removed):
    // removing it would let two processes lock two different inodes of the same name.
    const lockName = name.replace(/\.tok$/, '.lock');
    const locked: LockedTokens = {
      load: async () => this.loadUnlocked(user),
      save: async (tokens) => this.saveUnlocked(user, tokens),
      wipe: async () => this.wipeUnlocked(user),
    };
    const MISSING = Symbol('lock file missing');
    for (let attempt = 0; attempt < 3; attempt++) {
      this.createLockFile(lockName);
      let result: T | typeof MISSING;
      try {
        result = await withEntryLock(
          this.dir,
          lockName,
          { timeoutMs: this.lockTimeoutMs },
          MISSING,
          () => task(locked),
        );
      } catch (error) {
        return mapFsError(error, 'TOKEN_STORE_INSECURE');
      }
      if (result !== MISSING) return result;
    }
    throw new TokenStoreError('TOKEN_STORE_IO', 'the user lock file keeps disappearing');
  }

  private createLockFile(lockName: string): void {
    try {
      const fd = openSync(
        join(this.dir, lockName),
        constants.O_WRONLY |
          constants.O_CREAT |
          constants.O_NOFOLLOW |
          constants.O_NONBLOCK |
          constants.O_NOCTTY,
        0o600,
      );
      closeSync(fd);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new TokenStoreError(
        code === 'ELOOP' ? 'TOKEN_STORE_INSECURE' : 'TOKEN_STORE_IO',
        `cannot open the user lock file: ${code ?? 'error'}`,
      );
    }
  }

  load(user: string): Promise<StoredTokenSet | null> {
    return this.withUserLock(user, (locked) => locked.load());
  }

  save(user: string, tokens: StoredTokenSet): Promise<void> {
    return this.withUserLock(user, (locked) => locked.save(tokens));
  }

  wipe(user: string): Promise<boolean> {
    return this.withUserLock(user, (locked) => locked.wipe());
  }
}
