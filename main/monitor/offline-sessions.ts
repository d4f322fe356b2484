// Which users are in an offline session (Open Bastion's "marker per user"): recorded when an
// offline login succeeds (the PAM conversation carried OFFLINE_OK), removed when the session
// is revalidated with the portal or ended. One small file per user, named by a hash of the
// name, in a private directory; written atomically.
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
        const bytes = readPrivateFile(join(this.dir, name), {
          what: 'offline session marker',
          maxBytes: 4096,
          badCode: OfflineCode.INVALID,
        });
        if (bytes === null) continue;
        const value = JSON.parse(bytes.toString('utf8')) as unknown;
        const record = value as Partial<OfflineSessionRecord>;
        if (
          typeof record.user !== 'string' ||
          !Number.isSafeInteger(record.since) ||
          markerName(record.user) !== name
        ) {
          throw new Error('not a marker of ours');
        }
        records.push({ user: record.user, since: record.since! });
      } catch (error) {
        // A bad marker is reported and left for the administrator, never guessed at.
        this.log(`offline session marker ${name} ignored: ${(error as Error).message}`);
      }
    }
    return records;
  }

  async mark(user: string, since: number): Promise<void> {
    // The greeter's state directory may not exist yet on a first offline login; a parent we
    // create is private, an existing one is left as it is (and checked by ensurePrivateDir).
    mkdirSync(dirname(this.dir), { recursive: true, mode: 0o700 });
    ensurePrivateDir(this.dir);
    writeFileAtomic(this.dir, markerName(user), Buffer.from(JSON.stringify({ user, since })));
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
