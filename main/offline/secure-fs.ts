// File-system primitives for root-owned secrets: no symlinks followed, ownership and mode
// checked on the opened descriptor (not on a path that could change under us), bounded reads,
// atomic durable writes (temp + fsync + rename + fsync dir), overwrite-before-unlink.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { OfflineCacheError, OfflineCode } from './codes';

/** Readers reject cache files over 1 MiB, as the reference does. */
export const MAX_CACHE_FILE_BYTES = 1024 * 1024;

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY, O_NOCTTY } =
  constants;

export function effectiveUid(): number {
  return process.geteuid?.() ?? 0;
}

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : undefined;
}

export function isMissing(error: unknown): boolean {
  return errnoOf(error) === 'ENOENT';
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/** Why `st` is not a private object of the effective user, or null when it is. */
function privacyProblem(what: string, path: string, st: Stats, euid: number): string | null {
  if (st.uid !== euid) return `${what} ${path} is owned by uid ${st.uid}, not by uid ${euid}`;
  if ((st.mode & 0o077) !== 0)
    return `${what} ${path} is group/world accessible (mode ${octal(st.mode)})`;
  return null;
}

/** The kernel's own bound on symlinks followed in one lookup (MAXSYMLINKS). */
const MAX_SYMLINKS = 40;
const STICKY = 0o1000;

/**
 * Why a lookup may not pass through directory `dir` to its entry `entry`, or null when it may.
 * Someone who can rename or replace entries of `dir` can swap what we open after we checked it,
 * so `dir` must be owned by root or the effective user and closed to group/world writes. One
 * exception, the classic /tmp case: a sticky directory (root- or euid-owned) whose entry is owned
 * by root or the euid. In a sticky directory only the entry's owner, the directory's owner and
 * root may rename or unlink it: all trusted here, so nobody else can swap the entry (and a name
 * someone else planted first is refused, because its owner is not trusted).
 */
function traversalProblem(dir: string, st: Stats, entry: Stats, euid: number): string | null {
  if (st.uid !== 0 && st.uid !== euid)
    return `parent dir ${dir} is owned by uid ${st.uid}, not by root or uid ${euid}`;
  if ((st.mode & 0o022) === 0) return null;
  if ((st.mode & STICKY) !== 0 && (entry.uid === 0 || entry.uid === euid)) return null;
  return `parent dir ${dir} is group/world-writable (mode ${octal(st.mode)})`;
}

/**
 * Checks every directory the lookup of `path` passes through (see traversalProblem), from `/`
 * down to the one holding its last component; symlinks on the way are followed (bounded) and the
 * directories of their targets checked alike. The last component itself is the caller's to check
 * (it never follows it). Returns false when a parent does not exist; any other problem is
 * `code` with a one-line reason naming the parent.
 */
export function checkParents(
  path: string,
  what: string,
  code: Exclude<OfflineCode, 0>,
  euid = effectiveUid(),
): boolean {
  const fail = (reason: string): never => {
    throw new OfflineCacheError(code, `${what} ${path}: ${reason}`);
  };
  // resolve() would drop `x/..` as text before any symlink is followed, while the kernel
  // follows `x` first: the two would check and open different directories.
  if (path.split('/').includes('..')) fail('".." in the path is refused: give the real path');
  const pending = resolve(path)
    .split('/')
    .filter((part) => part !== '' && part !== '.');
  let current = '/';
  let currentStat = lstatSync(current);
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      // `current` never holds a symlink, so its lexical parent is its real parent, already
      // checked on the way down.
      current = dirname(current);
      currentStat = lstatSync(current);
      continue;
    }
    const next = join(current, name);
    let st: Stats;
    try {
      st = lstatSync(next);
    } catch (error) {
      if (isMissing(error)) return false;
      return fail(`${next}: ${errnoOf(error) ?? 'unreadable'}`);
    }
    const problem = traversalProblem(current, currentStat, st, euid);
    if (problem) fail(problem);
    if (pending.length === 0) return true;
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) fail(`too many symlinks at ${next}`);
      const target = readlinkSync(next);
      if (target.startsWith('/')) {
        current = '/';
        currentStat = lstatSync(current);
      }
      pending.unshift(...target.split('/').filter((part) => part !== '' && part !== '.'));
      continue;
    }
    if (!st.isDirectory()) fail(`parent ${next} is not a directory`);
    current = next;
    currentStat = st;
  }
  return true;
}

/**
 * Checks that `dir` is a real directory (not a symlink), owned by the effective user and closed
 * to group and others, reached only through trusted parents (checkParents). Returns false when
 * it does not exist. Any other problem is an IO error with a one-line reason: the cache refuses
 * to work in a directory someone else can touch.
 */
export function checkPrivateDir(dir: string, euid = effectiveUid()): boolean {
  if (!checkParents(dir, 'cache dir', OfflineCode.IO, euid)) return false;
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (error) {
    if (isMissing(error)) return false;
    throw new OfflineCacheError(
      OfflineCode.IO,
      `cache dir ${dir}: ${errnoOf(error) ?? 'unreadable'}`,
    );
  }
  if (st.isSymbolicLink())
    throw new OfflineCacheError(OfflineCode.IO, `cache dir ${dir} is a symlink`);
  if (!st.isDirectory())
    throw new OfflineCacheError(OfflineCode.IO, `cache dir ${dir} is not a directory`);
  const problem = privacyProblem('cache dir', dir, st, euid);
  if (problem) throw new OfflineCacheError(OfflineCode.IO, problem);
  return true;
}

/** Creates `dir` (one level, mode 0700) when missing, then checks it as checkPrivateDir does. */
export function ensurePrivateDir(dir: string, euid = effectiveUid()): void {
  if (checkPrivateDir(dir, euid)) return;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') {
      throw new OfflineCacheError(
        OfflineCode.IO,
        `cannot create cache dir ${dir}: ${errnoOf(error) ?? 'error'}`,
      );
    }
  }
  if (!checkPrivateDir(dir, euid)) {
    throw new OfflineCacheError(OfflineCode.IO, `cache dir ${dir} vanished after being created`);
  }
}

export interface ReadPrivateOptions {
  /** What the file is, for error messages ("cache file", "key file"). */
  what: string;
  maxBytes: number;
  /** Code for a file that exists but is not acceptable (symlink, owner, mode, size). */
  badCode: Exclude<OfflineCode, 0>;
  euid?: number;
}

/**
 * Reads a private regular file without following symlinks. Returns null when it (or a parent)
 * does not exist. Rejects untrusted parents (checkParents), symlinks, non-regular files, foreign
 * owners, group/world access and files over `maxBytes` with `badCode`.
 */
export function readPrivateFile(path: string, options: ReadPrivateOptions): Buffer | null {
  const euid = options.euid ?? effectiveUid();
  if (!checkParents(path, options.what, options.badCode, euid)) return null;
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted in place of the file must not hang the PAM stack.
    fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return null;
    if (errno === 'ELOOP')
      throw new OfflineCacheError(options.badCode, `${options.what} ${path} is a symlink`);
    throw new OfflineCacheError(
      OfflineCode.IO,
      `${options.what} ${path}: ${errno ?? 'unreadable'}`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new OfflineCacheError(options.badCode, `${options.what} ${path} is not a regular file`);
    }
    const problem = privacyProblem(options.what, path, st, euid);
    if (problem) throw new OfflineCacheError(options.badCode, problem);
    if (st.size > options.maxBytes) {
      throw new OfflineCacheError(
        options.badCode,
        `${options.what} ${path} is larger than ${options.maxBytes} bytes`,
      );
    }
    // Read one byte more than announced: a file growing under us is rejected, not truncated.
    const buffer = Buffer.alloc(Math.min(st.size, options.maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (n === 0) break;
      filled += n;
      if (filled === buffer.length) {
        buffer.fill(0);
        throw new OfflineCacheError(
          options.badCode,
          `${options.what} ${path} changed size while being read`,
        );
      }
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, data: Buffer): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written, data.length - written);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Temp-file names embed the writer's pid so `cleanup` can tell abandoned ones from live ones. */
export const TEMP_NAME_PATTERN = /\.tmp\.(\d+)\.[0-9a-f]{12}$/;

function tempPathFor(dir: string, name: string): string {
  return join(dir, `${name}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** Creates a new 0600 file with O_EXCL|O_NOFOLLOW, writes and fsyncs it. */
function writeNewFile(path: string, data: Buffer): void {
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0o600);
  try {
    writeAll(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `dir/name` with `data` atomically: readers see the old or the new content, never a
 * mix, even if this process is killed at any instruction (the temp file is fsynced before the
 * rename, so a power cut cannot leave an empty file either). With `durableRename` the directory
 * is fsynced too, so the new content also survives a power cut; without it a power cut may bring
 * back the old content, which is only acceptable where the old content is the stricter one.
 */
export function writeFileAtomic(
  dir: string,
  name: string,
  data: Buffer,
  durableRename = true,
): void {
  const temp = tempPathFor(dir, name);
  try {
    writeNewFile(temp, data);
    renameSync(temp, join(dir, name));
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // the temp file was never created or is already renamed
    }
    throw new OfflineCacheError(
      OfflineCode.IO,
      `cannot write ${join(dir, name)}: ${errnoOf(error) ?? 'error'}`,
    );
  }
  if (durableRename) fsyncDir(dir);
}

/**
 * The observable work of writeFileAtomic(dir, name, …, true) without creating a file, for paths
 * that must look like a write and must not write (a verify without entry, no user enumeration):
 * `standIn`, an existing file of `dir`, is linked under a temp name of `name`, fsynced and
 * unlinked, then `dir` is fsynced. Two journal commits, as the temp file's and the directory's,
 * and the directory's mtime and ctime move (kernel time) as a replacement of `name` moves them.
 * No inode, no data block: a full disk changes nothing. It decides nothing, so it never fails
 * (a link it cannot make is skipped); a SIGKILL between link and unlink leaves a temp name that
 * `cleanup` removes like any writer's (the stand-in itself stays).
 */
export function mimicWriteFileAtomic(dir: string, name: string, standIn: string): void {
  const temp = tempPathFor(dir, name);
  try {
    linkSync(join(dir, standIn), temp);
    try {
      const fd = openSync(temp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } finally {
      unlinkSync(temp);
    }
  } catch {
    // nothing to mimic with (no stand-in, or no room for a name): the directory's sync still runs
  }
  try {
    fsyncDir(dir);
  } catch {
    // as above
  }
}

/**
 * Creates `dir/name` with `data` only if it does not exist yet (temp + link, so two processes
 * creating it at once cannot both win). Returns false when another process was first.
 */
export function createFileExclusive(dir: string, name: string, data: Buffer): boolean {
  const temp = tempPathFor(dir, name);
  try {
    writeNewFile(temp, data);
    try {
      linkSync(temp, join(dir, name));
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') return false;
      throw error;
    }
    fsyncDir(dir);
    return true;
  } catch (error) {
    throw new OfflineCacheError(
      OfflineCode.IO,
      `cannot create ${join(dir, name)}: ${errnoOf(error) ?? 'error'}`,
    );
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
}

/**
 * Overwrites a private regular file with zeros, fsyncs, then unlinks it: a removed verifier
 * does not linger in the file system's free blocks longer than it must. Returns false when
 * the file does not exist.
 */
export function overwriteAndUnlink(path: string, dir: string, euid = effectiveUid()): boolean {
  let fd: number;
  try {
    fd = openSync(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return false;
    if (errno !== 'ELOOP')
      throw new OfflineCacheError(OfflineCode.IO, `cannot open ${path}: ${errno ?? 'error'}`);
    // A symlink in a private dir is foreign: remove the link itself, never touch its target.
    unlinkSync(path);
    fsyncDir(dir);
    return true;
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.uid === euid && st.size > 0) {
      writeAll(fd, Buffer.alloc(Math.min(st.size, MAX_CACHE_FILE_BYTES * 2)));
      fsyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
  fsyncDir(dir);
  return true;
}
