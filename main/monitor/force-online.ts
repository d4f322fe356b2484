// The force-online list (Open Bastion's semantics, REFERENCES.md): users on it must sign in
// online next time; the offline path refuses them. Format: one user name per line; a file that
// exists and names nobody means EVERY user. So adding a user to an empty file must leave it
// empty (turning "everyone" into "one user" would relax it), and a missing file is created
// with that one name.
//
// Written atomically (temp O_EXCL|O_NOFOLLOW 0600 + fsync + rename + fsync dir) under the
// directory's flock, so two monitors adding users at once lose neither. The directory is
// private (0700) to the account that runs the monitor; its readers are root-side.
import { LockBusyError, withDirLock } from '../offline/lock';
import { OfflineCacheError, OfflineCode } from '../offline/codes';
import {
  checkPrivateDir,
  ensurePrivateDir,
  fsyncDir,
  readPrivateFile,
  writeFileAtomic,
} from '../offline/secure-fs';
import { unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const MAX_FORCE_ONLINE_BYTES = 256 * 1024;
/** Where the root-side session guard keeps the list and `bastion-offline verify` reads it. */
export const DEFAULT_FORCE_ONLINE_PATH = '/var/lib/bastion-greeter/force-online/users';

export type ForceOnlineErrorCode =
  'FORCE_ONLINE_USER_INVALID' | 'FORCE_ONLINE_UNSAFE' | 'FORCE_ONLINE_IO';

export class ForceOnlineError extends Error {
  readonly code: ForceOnlineErrorCode;
  constructor(code: ForceOnlineErrorCode, message: string) {
    super(message);
    this.name = 'ForceOnlineError';
    this.code = code;
  }
}

export interface ForceOnlineList {
  /** Puts `user` on the list; resolves false when the list already covered them. */
  add(user: string): Promise<boolean>;
}

/** The names of a list's text; an empty array means every user. */
export function parseForceOnline(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Whether the list text (null: no file) forces `user` online. */
export function isForcedOnline(text: string | null, user: string): boolean {
  if (text === null) return false;
  const names = parseForceOnline(text);
  return names.length === 0 || names.includes(user);
}

function validUser(user: string): void {
  const bytes = Buffer.byteLength(user, 'utf8');
  if (
    bytes === 0 ||
    bytes > 256 ||
    /\s/.test(user) ||
    [...user].some((c) => c < ' ' || c === '\x7f')
  ) {
    throw new ForceOnlineError('FORCE_ONLINE_USER_INVALID', 'user name cannot be listed');
  }
}

export class FileForceOnlineList implements ForceOnlineList {
  private readonly dir: string;
  private readonly name: string;
  constructor(
    readonly path: string,
    private readonly lockTimeoutMs = 5_000,
  ) {
    this.dir = dirname(path);
    this.name = basename(path);
  }

  /** The list's text, or null when there is no file. */
  read(): string | null {
    try {
      const bytes = readPrivateFile(this.path, {
        what: 'force-online file',
        maxBytes: MAX_FORCE_ONLINE_BYTES,
        badCode: OfflineCode.INVALID,
      });
      return bytes === null ? null : bytes.toString('utf8');
    } catch (error) {
      throw this.mapped(error);
    }
  }

  /**
   * Takes `user`'s own line off the list (an online sign-in did what the list asked). An empty
   * file (everyone) is the administrator's and stays; resolves true when a line went.
   */
  async remove(user: string): Promise<boolean> {
    validUser(user);
    try {
      if (!checkPrivateDir(this.dir)) return false;
      return await withDirLock(this.dir, { timeoutMs: this.lockTimeoutMs }, async () => {
        const text = this.read();
        if (text === null) return false;
        const names = parseForceOnline(text);
        if (!names.includes(user)) return false;
        const rest = names.filter((name) => name !== user);
        if (rest.length === 0) {
          // Writing an empty file would turn "one user" into "everyone".
          unlinkSync(join(this.dir, this.name));
          fsyncDir(this.dir);
        } else writeFileAtomic(this.dir, this.name, Buffer.from(`${rest.join('\n')}\n`));
        return true;
      });
    } catch (error) {
      throw this.mapped(error);
    }
  }

  async add(user: string): Promise<boolean> {
    validUser(user);
    try {
      ensurePrivateDir(this.dir);
      return await withDirLock(this.dir, { timeoutMs: this.lockTimeoutMs }, async () => {
        const text = this.read();
        if (isForcedOnline(text, user)) return false;
        const names = text === null ? [] : parseForceOnline(text);
        writeFileAtomic(this.dir, this.name, Buffer.from(`${[...names, user].join('\n')}\n`));
        return true;
      });
    } catch (error) {
      throw this.mapped(error);
    }
  }

  private mapped(error: unknown): Error {
    if (error instanceof ForceOnlineError) return error;
    if (error instanceof LockBusyError)
      return new ForceOnlineError('FORCE_ONLINE_IO', error.reason);
    if (error instanceof OfflineCacheError) {
      return new ForceOnlineError(
        error.code === OfflineCode.INVALID || /dir/.test(error.reason)
          ? 'FORCE_ONLINE_UNSAFE'
          : 'FORCE_ONLINE_IO',
        error.reason,
      );
    }
    return new ForceOnlineError('FORCE_ONLINE_IO', (error as Error).message);
  }
}
