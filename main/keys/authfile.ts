// The pam_u2f authfile on disk: bounded reads that never follow a symlink, and updates that
// cannot lose another writer's change or leave half a file.
//
// * Read: open(O_NOFOLLOW|O_NONBLOCK|O_NOCTTY), fstat on the descriptor (a regular file),
//   at most MAX_AUTHFILE_BYTES. A symlink, FIFO or directory is MAPPING_UNSAFE: nothing is
//   followed, nothing written.
// * Update: the directory is created 0700 when missing (~/.config/Yubico), every directory on
//   the way must be owned by root or us and closed to others' writes (offline/secure-fs
//   checkParents: nobody else can swap the file between our check and our rename), then under
//   an exclusive flock of that directory (offline/lock withDirLock, bounded wait) the file is
//   read again, changed and replaced by temp + fsync + rename + fsync dir (secure-fs
//   writeFileAtomic, temp 0600 O_EXCL|O_NOFOLLOW). Two enrollments at once both land.
//   pam_u2f takes no lock: it sees the old or the new file, never a mix.
// * The new file is 0600 and owned by the writer: pam_u2f accepts a file owned by the user or
//   root. Write a person's own file as that person (the wizard runs in their session); a
//   central file (authfile=) as root.
// * Labels (`--name`): pam_u2f's format has no room for them, so they live beside the
//   authfile in `<authfile>.labels` (JSON, keyed by key handle), written after the authfile
//   under the same lock. pam_u2f never reads it; losing it loses names, never access.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { LockBusyError, withDirLock } from '../offline/lock';
import { checkParents, writeFileAtomic } from '../offline/secure-fs';
import { OfflineCacheError, OfflineCode } from '../offline/codes';
import { KeysError } from './errors';
import type { AuthfileDocument } from './u2f-mapping';
import { MAX_AUTHFILE_BYTES, parseAuthfile, serializeAuthfile } from './u2f-mapping';

export const MAX_LABELS_BYTES = 256 * 1024;
export const MAX_LABEL_LENGTH = 64;
const LOCK_TIMEOUT_MS = 10_000;

function errnoOf(error: unknown): string {
  return String((error as NodeJS.ErrnoException | null)?.code ?? 'error');
}

/** Reads a file without following a symlink; null when absent. Bounded by `maxBytes`. */
function readBounded(path: string, maxBytes: number, what: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
    );
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return null;
    if (errno === 'ELOOP')
      throw new KeysError(
        'MAPPING_UNSAFE',
        `${what} ${path} is a symbolic link: it is not followed and nothing was written.`,
      );
    if (errno === 'ENOTDIR')
      throw new KeysError('MAPPING_UNSAFE', `A part of ${path} is not a directory.`);
    throw new KeysError('MAPPING_IO', `Cannot open ${what} ${path} (${errno}).`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new KeysError(
        'MAPPING_UNSAFE',
        `${what} ${path} is not a regular file: nothing was written.`,
      );
    if (st.size > maxBytes)
      throw new KeysError(
        'MAPPING_TOO_LARGE',
        `${what} ${path} is larger than ${maxBytes} bytes: it was left as it is.`,
      );
    // One byte more than allowed: a file growing under us is refused, never cut.
    const buffer = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (n === 0) break;
      filled += n;
      if (filled === buffer.length)
        throw new KeysError('MAPPING_TOO_LARGE', `${what} ${path} grew while being read.`);
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** The authfile, parsed (bounds only; see u2f-mapping); null when it does not exist. */
export function readAuthfile(path: string): AuthfileDocument | null {
  const data = readBounded(path, MAX_AUTHFILE_BYTES, 'The key mapping file');
  return data === null ? null : parseAuthfile(data);
}

export type Labels = ReadonlyMap<string, string>;

export function labelsPath(authfile: string): string {
  return `${authfile}.labels`;
}

/** Checks a key's name: 1–64 characters, no control characters. */
export function checkLabel(label: string): void {
  if (label.length === 0 || [...label].length > MAX_LABEL_LENGTH || /\p{Cc}/u.test(label))
    throw new KeysError(
      'BAD_INPUT',
      `A key's name is 1 to ${MAX_LABEL_LENGTH} characters, without control characters.`,
    );
}

/** The names given to keys, by key handle text; empty when there is no labels file. */
export function readLabels(authfile: string): Labels {
  const data = readBounded(labelsPath(authfile), MAX_LABELS_BYTES, 'The key names file');
  if (data === null) return new Map();
  const corrupt = (): never => {
    throw new KeysError(
      'LABELS_CORRUPT',
      `The key names file ${labelsPath(authfile)} is damaged: fix or remove it (the keys themselves still work).`,
    );
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return corrupt();
  }
  const labels = (parsed as { version?: unknown; labels?: unknown } | null)?.labels;
  if (
    (parsed as { version?: unknown }).version !== 1 ||
    typeof labels !== 'object' ||
    labels === null
  )
    return corrupt();
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    if (typeof value !== 'string') return corrupt();
    out.set(key, value);
  }
  return out;
}

function labelsBytes(labels: Labels): Buffer {
  return Buffer.from(
    `${JSON.stringify({ version: 1, labels: Object.fromEntries(labels) }, null, 2)}\n`,
    'utf8',
  );
}

/** Converts the offline engine's file-system errors into ours (`unsafe`: a path check failed). */
function fromOffline(error: unknown, unsafe = false): never {
  if (error instanceof KeysError) throw error;
  if (error instanceof LockBusyError)
    throw new KeysError(
      'MAPPING_LOCKED',
      'Another program is changing the key mapping file: try again.',
      { cause: error },
    );
  if (error instanceof OfflineCacheError)
    throw new KeysError(
      unsafe ? 'MAPPING_UNSAFE' : 'MAPPING_IO',
      `The key mapping file cannot be written safely: ${error.reason}.`,
      { cause: error },
    );
  throw error;
}

function ensureDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new KeysError('MAPPING_IO', `Cannot create ${dir} (${errnoOf(error)}).`);
  }
}

/**
 * Nobody but root and us may be able to swap `full` (or a directory on the way) between our
 * checks and our rename. An existing file: secure-fs checkParents checks the whole chain. A new
 * one: the chain down to its directory (created 0700 when missing), then the directory itself
 * (root's or ours, no group/world write: in a sticky /tmp-like directory a stranger could
 * plant the name first).
 */
function checkWritableLocation(full: string): void {
  if (checkParents(full, 'key mapping file', OfflineCode.IO)) return;
  const dir = dirname(full);
  if (!checkParents(dir, 'key mapping directory', OfflineCode.IO)) {
    ensureDirectory(dir);
    if (!checkParents(dir, 'key mapping directory', OfflineCode.IO))
      throw new KeysError('MAPPING_IO', `${dir} vanished after being created.`);
  }
  const st = lstatSync(dir);
  const euid = process.geteuid?.() ?? 0;
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new KeysError(
      'MAPPING_UNSAFE',
      `${dir} is a symbolic link or not a directory: nothing was written.`,
    );
  if ((st.uid !== 0 && st.uid !== euid) || (st.mode & 0o022) !== 0)
    throw new KeysError(
      'MAPPING_UNSAFE',
      `${dir} belongs to someone else or others may write in it: nothing was written.`,
    );
}

export interface UpdateResult<T> {
  /** What the change function returned. */
  value: T;
  /** Whether anything was written. */
  written: boolean;
}

export interface AuthfileChange<T> {
  /** The new document, or null to write nothing. */
  doc: AuthfileDocument | null;
  /** New labels, or null to leave the labels file alone. */
  labels?: Labels | null;
  value: T;
}

/**
 * Read-modify-write of the authfile under the directory lock. `change` sees the file as it is
 * now (null when absent) and the labels; it may throw (nothing is written). `signal` is checked
 * after `change`, right before the write: a cancel that arrives later is too late by design
 * (the rename is the commit).
 */
export async function updateAuthfile<T>(
  path: string,
  change: (doc: AuthfileDocument | null, labels: Labels) => AuthfileChange<T>,
  options: { signal?: AbortSignal; lockTimeoutMs?: number } = {},
): Promise<UpdateResult<T>> {
  const full = resolve(path);
  const dir = dirname(full);
  const name = basename(full);
  try {
    checkWritableLocation(full);
  } catch (error) {
    fromOffline(error, true);
  }
  // Refuse a symlink or a damaged file before waiting for the lock (and again under it).
  readAuthfile(full);
  try {
    return await withDirLock(
      dir,
      { timeoutMs: options.lockTimeoutMs ?? LOCK_TIMEOUT_MS },
      async () => {
        const current = readAuthfile(full);
        const result = change(current, readLabels(full));
        if (options.signal?.aborted)
          throw new KeysError('CANCELLED', 'Enrollment was cancelled: nothing was saved.');
        let written = false;
        if (result.doc) {
          writeFileAtomic(dir, name, serializeAuthfile(result.doc));
          written = true;
        }
        if (result.labels)
          writeFileAtomic(dir, basename(labelsPath(full)), labelsBytes(result.labels));
        return { value: result.value, written };
      },
    );
  } catch (error) {
    return fromOffline(error);
  }
}
