// Which users are in an offline session (Open Bastion's "marker per user"): recorded by
// `bastion-offline verify` (root, under pam_exec) when an offline login succeeds, removed when
// the session is revalidated with the portal, ended, or the user signs in online again. One
// small file per user, named by a hash of the name, in a root-private directory (0700, owned
// by the effective user: a directory anyone else can write is refused); written atomically.
// A marker keeps the time of the EARLIEST offline login not yet revalidated: signing in
// offline again must not restart offline_revalidation_grace.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OfflineCode } from '../offline/codes';
import {
  checkPrivateDir,
  ensurePrivateDir,
  fsyncDir,
  readPrivateFile,
  writeFileAtomic,
} from '../offline/secure-fs';

/** Where `bastion-offline verify` writes the markers and `bastion-offline guard` reads them. */
export const DEFAULT_OFFLINE_SESSIONS_DIR = '/var/lib/bastion-greeter/offline-sessions';

export interface OfflineSessionRecord {
  user: string;
  /** When the offline login succeeded, ms epoch. */
  since: number;
}

export interface OfflineSessionRegistry {
  list(): Promise<OfflineSessionRecord[]>;
  mark(user: string, since: number): Promise<void>;
  remove(user: string): Promise<void>;
}

const MARKER = /^[0-9a-f]{64}\.offline$/;
const markerName = (user: string): string =>
  `${createHash('sha256').update(`offline:${user}`, 'utf8').digest('hex')}.offline`;

export class FileOfflineSessions implements OfflineSessionRegistry {
  constructor(
    private readonly dir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async list(): Promise<OfflineSessionRecord[]> {
    if (!checkPrivateDir(this.dir)) return [];
    const records: OfflineSessionRecord[] = [];
    for (const name of readdirSync(this.dir)
      .filter((entry) => MARKER.test(entry))
      .sort()) {
      try {
        const record = this.read(name);
        if (record !== null) records.push(record);
      } catch (error) {
        // A bad marker is reported and left for the administrator, never guessed at.
        this.log(`offline session marker ${name} ignored: ${(error as Error).message}`);
      }
    }
    return records;
  }

  async mark(user: string, since: number): Promise<void> {
    // /var/lib/bastion-greeter may not exist yet on a first offline login; a parent we create
    // is private, an existing one is left as it is (and checked by ensurePrivateDir).
    mkdirSync(dirname(this.dir), { recursive: true, mode: 0o700 });
    ensurePrivateDir(this.dir);
    let earlier: OfflineSessionRecord | null = null;
    try {
      earlier = this.read(markerName(user));
    } catch (error) {
      // Replaced below (rename: a symlink there is replaced, never followed).
      this.log(
        `offline session marker of ${JSON.stringify(user)} replaced: ${(error as Error).message}`,
      );
    }
    const first = earlier !== null && earlier.since < since ? earlier.since : since;
    writeFileAtomic(
      this.dir,
      markerName(user),
      Buffer.from(JSON.stringify({ user, since: first })),
    );
  }

  /** The record in marker `name`, null when there is none; throws on a bad one. */
  private read(name: string): OfflineSessionRecord | null {
    const bytes = readPrivateFile(join(this.dir, name), {
      what: 'offline session marker',
      maxBytes: 4096,
      badCode: OfflineCode.INVALID,
    });
    if (bytes === null) return null;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new Error('not a marker of ours');
    }
    const record = value as Partial<OfflineSessionRecord> | null;
    if (
      typeof record?.user !== 'string' ||
      !Number.isSafeInteger(record.since) ||
      markerName(record.user) !== name
    ) {
      throw new Error('not a marker of ours');
    }
    return { user: record.user, since: record.since! };
  }

  async remove(user: string): Promise<void> {
    try {
      unlinkSync(join(this.dir, markerName(user)));
      fsyncDir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
