// The AES key of the cache, derived as Open Bastion derives it (src/cache_key.c):
//   PBKDF2-HMAC-SHA256(material, salt = <dir>/.cred_salt, 100 000 iterations, 32 bytes)
//   material = first 32 bytes of the key file ‖ first line of machine-id (at most 63 bytes)
// Fallbacks as the reference: no key file → machine-id alone; no machine-id → <dir>/.instance_id.
// Stricter than the reference: a key file that exists but is a symlink, foreign, group/world
// accessible or short is refused (the reference silently falls back or accepts it), and a
// corrupt .cred_salt is an error, never silently regenerated (that would orphan every entry).
import { pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { OfflineCacheError, OfflineCode } from './codes';
import { createFileExclusive, readPrivateFile } from './secure-fs';

export const KEY_FILE_BYTES = 32;
export const CRED_SALT_BYTES = 16;
export const PBKDF2_ITERATIONS = 100_000;
export const AES_KEY_BYTES = 32;
export const CRED_SALT_NAME = '.cred_salt';
export const INSTANCE_ID_NAME = '.instance_id';
/** The reference reads machine-id with fgets into 64 bytes: at most 63 bytes of the line. */
const MAX_ID_BYTES = 63;
const MIN_INSTANCE_ID_CHARS = 32;

export interface KeySources {
  cacheDir: string;
  /** null: no key file configured (machine-id alone). */
  keyFile: string | null;
  machineIdFile: string;
}

/** First line of `bytes` without its newline, capped like the reference's fgets. */
function firstLine(bytes: Buffer): Buffer {
  const newline = bytes.indexOf(0x0a);
  const line = newline === -1 ? bytes : bytes.subarray(0, newline);
  return Buffer.from(line.subarray(0, MAX_ID_BYTES));
}

/** The key file's first 32 bytes, or null when it does not exist. */
export function readKeyFile(path: string): Buffer | null {
  const content = readPrivateFile(path, {
    what: 'key file',
    maxBytes: 4096,
    badCode: OfflineCode.IO,
  });
  if (content === null) return null;
  try {
    if (content.length < KEY_FILE_BYTES) {
      throw new OfflineCacheError(
        OfflineCode.IO,
        `key file ${path} is shorter than ${KEY_FILE_BYTES} bytes`,
      );
    }
    return Buffer.from(content.subarray(0, KEY_FILE_BYTES));
  } finally {
    content.fill(0);
  }
}

/** machine-id's first line, or null when the file is missing or its first line is empty. */
export function readMachineId(path: string): Buffer | null {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in its place must not hang the PAM stack. Not secret: symlinks allowed.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(MAX_ID_BYTES + 1);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const line = firstLine(buffer.subarray(0, n));
    return line.length > 0 ? line : null;
  } finally {
    closeSync(fd);
  }
}

function readOrCreateInstanceId(cacheDir: string, create: boolean): Buffer {
  const path = join(cacheDir, INSTANCE_ID_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    const content = readPrivateFile(path, {
      what: 'instance id',
      maxBytes: 4096,
      badCode: OfflineCode.INVALID,
    });
    if (content !== null) {
      const line = firstLine(content);
      if (line.length < MIN_INSTANCE_ID_CHARS) {
        throw new OfflineCacheError(
          OfflineCode.INVALID,
          `instance id ${path} is shorter than 32 characters`,
        );
      }
      return line;
    }
    if (!create) break;
    createFileExclusive(
      cacheDir,
      INSTANCE_ID_NAME,
      Buffer.from(`${randomBytes(16).toString('hex')}\n`),
    );
  }
  throw new OfflineCacheError(OfflineCode.CRYPTO, `no machine-id and no ${path}: no key material`);
}

/** The PBKDF2 salt; created (16 random bytes, exclusively) only when `create`. */
export function readOrCreateCredSalt(cacheDir: string, create: boolean): Buffer {
  const path = join(cacheDir, CRED_SALT_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    const salt = readPrivateFile(path, {
      what: 'salt file',
      maxBytes: 4096,
      badCode: OfflineCode.INVALID,
    });
    if (salt !== null) {
      if (salt.length !== CRED_SALT_BYTES) {
        throw new OfflineCacheError(
          OfflineCode.INVALID,
          `salt file ${path} is ${salt.length} bytes, not 16`,
        );
      }
      return salt;
    }
    if (!create) break;
    // Exclusive create: two first writers racing end up with one salt, not two.
    createFileExclusive(cacheDir, CRED_SALT_NAME, randomBytes(CRED_SALT_BYTES));
  }
  throw new OfflineCacheError(OfflineCode.CRYPTO, `salt file ${path} is missing`);
}

/** The PBKDF2 inputs (material, salt) as the reference reads them; the caller wipes both. */
function keyInputs(sources: KeySources, create: boolean): { material: Buffer; salt: Buffer } {
  const keyFile = sources.keyFile === null ? null : readKeyFile(sources.keyFile);
  let id: Buffer | null = null;
  try {
    id = readMachineId(sources.machineIdFile) ?? readOrCreateInstanceId(sources.cacheDir, create);
    const material = keyFile === null ? Buffer.from(id) : Buffer.concat([keyFile, id]);
    try {
      return { material, salt: readOrCreateCredSalt(sources.cacheDir, create) };
    } catch (error) {
      material.fill(0);
      throw error;
    }
  } finally {
    id?.fill(0);
    keyFile?.fill(0);
  }
}

/**
 * Derives the 32-byte AES key. `create` allows creating .cred_salt / .instance_id (store);
 * readers never create them.
 */
export function deriveCacheKey(sources: KeySources, create: boolean): Buffer {
  const { material, salt } = keyInputs(sources, create);
  try {
    return pbkdf2Sync(material, salt, PBKDF2_ITERATIONS, AES_KEY_BYTES, 'sha256');
  } finally {
    material.fill(0);
    salt.fill(0);
  }
}

/**
 * deriveCacheKey(sources, false) with PBKDF2 in libuv's thread pool, so the main thread can do
 * other work meanwhile (verify: the entry lock, stdin, loading the Argon2id backend). The files
 * are read synchronously, now; node copies the inputs for its worker (and clears the copies), so
 * ours are wiped as soon as the job is queued.
 */
export function deriveCacheKeyAsync(sources: KeySources): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { material, salt } = keyInputs(sources, false);
    try {
      pbkdf2(material, salt, PBKDF2_ITERATIONS, AES_KEY_BYTES, 'sha256', (error, key) => {
        if (error) reject(error);
        else resolve(key);
      });
    } finally {
      material.fill(0);
      salt.fill(0);
    }
  });
}
