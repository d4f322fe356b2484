// Bounded reads of system files the greeter only reads (session files, the site policy,
// /etc/passwd, /etc/login.defs, AccountsService icons): the file is opened without following
// a symlink (O_NOFOLLOW) and without blocking on a FIFO (O_NONBLOCK), must be a regular file
// and is refused above `maxBytes` (one byte more than announced is read, so a file growing
// under us is refused rather than cut).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

export class ReadRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadRefusedError';
  }
}

const errnoOf = (error: unknown): string =>
  String((error as NodeJS.ErrnoException | null)?.code ?? 'unknown');

/** The file's bytes; null when it does not exist. Throws ReadRefusedError otherwise. */
export function readBoundedFile(path: string, maxBytes: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') throw new ReadRefusedError(`${path} is a symlink`);
    throw new ReadRefusedError(`${path}: cannot open (${code})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ReadRefusedError(`${path} is not a regular file`);
    if (stat.size > maxBytes)
      throw new ReadRefusedError(`${path} is larger than ${maxBytes} bytes`);
    const buffer = Buffer.alloc(stat.size + 1);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (n === 0) break;
      filled += n;
      if (filled === buffer.length) {
        throw new ReadRefusedError(`${path} grew while being read`);
      }
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** Whether `text` has a C0 control character or DEL other than those in `allowed`. */
export function hasControlCharacter(text: string, allowed = ''): boolean {
  for (const c of text) {
    const code = c.charCodeAt(0);
    if ((code < 0x20 || code === 0x7f) && !allowed.includes(c)) return true;
  }
  return false;
}

/** `text` without C0 control characters and DEL. */
export function withoutControlCharacters(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code >= 0x20 && code !== 0x7f) out += c;
  }
  return out;
}
