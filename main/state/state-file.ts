// The greeter account's private state files (DESIGN.md "Where state lives": 0600 files in a
// 0700 directory, owned by the greeter account). One implementation for every store of main:
// the lockout mirror (main/auth/lockout-store.ts) and the remembered user/session
// (main/screens/choices.ts).
//
// Reads never follow a symlink (O_NOFOLLOW), never block on a FIFO (O_NONBLOCK), check the
// opened descriptor (regular file, no group/world access) and are bounded. Writes are temp +
// fsync + rename + fsync of the directory, the temp file created O_EXCL|O_NOFOLLOW 0600.
import { constants, closeSync, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export type StateFileErrorCode =
  | 'INSECURE_DIR' // not a directory, a symlink, or group/world accessible
  | 'INSECURE_FILE' // a symlink, not a regular file, or group/world accessible
  | 'TOO_LARGE' // larger than the caller's bound
  | 'IO';

export class StateFileError extends Error {
  readonly code: StateFileErrorCode;
  constructor(code: StateFileErrorCode, message: string) {
    super(message);
    this.name = 'StateFileError';
    this.code = code;
  }
}

const errnoOf = (error: unknown): string =>
  String((error as NodeJS.ErrnoException | null)?.code ?? 'unknown');

/** Creates `dir` (0700) when missing, then refuses a symlink, a non-directory or open modes. */
export function ensureStateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StateFileError('IO', `cannot create the state directory (${errnoOf(error)})`);
  }
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new StateFileError('INSECURE_DIR', 'state directory is a symlink or not a directory');
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new StateFileError('INSECURE_DIR', 'state directory is group or world accessible');
  }
}

/**
 * Reads `dir/name` as UTF-8 (the directory is checked first, as ensureStateDir does).
 * Returns null when the file does not exist. `what` names the file in error messages.
 */
export function readStateFile(
  dir: string,
  name: string,
  maxBytes: number,
  what: string,
): string | null {
  ensureStateDir(dir);
  const path = join(dir, name);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new StateFileError('INSECURE_FILE', `${what} is a symlink`);
    throw new StateFileError('IO', `cannot open the ${what} (${code})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new StateFileError('INSECURE_FILE', `${what} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new StateFileError('INSECURE_FILE', `${what} is group or world accessible`);
    }
    if (stat.size > maxBytes) throw new StateFileError('TOO_LARGE', `${what} is too large`);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Replaces `dir/name` with `text` atomically and durably (temp + fsync + rename + fsync dir). */
export async function writeStateFile(
  dir: string,
  name: string,
  text: string,
  what: string,
): Promise<void> {
  ensureStateDir(dir);
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    const handle = await open(temp, flags, 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
    const dirHandle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new StateFileError('IO', `cannot write the ${what} (${errnoOf(error)})`);
  }
}
