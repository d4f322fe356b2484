// What the login screen remembers in the greeter account's state dir (DESIGN.md "Where
// state lives"): the last user who signed in and each user's last desktop session, unless
// the site policy says not to (greeter.conf remember-last-user / remember-last-session).
// Layout: `<stateDir>/screen-choices.json` =
//   {"v":1,"lastUser":"<user>"|null,"sessions":{"<user>":"<session id>"}}
// Written through main/state/state-file.ts (temp + fsync + rename, O_NOFOLLOW, 0600 in 0700).
// A corrupt file is reported and read as empty: it only costs a preselection.
import { readStateFile, writeStateFile } from '../state/state-file';
import { USER_NAME_PATTERN } from '../ipc/validate';
import { SESSION_ID_PATTERN } from './sessions';

export const CHOICES_FILE_NAME = 'screen-choices.json';
const MAX_FILE_BYTES = 64 * 1024;
const MAX_ENTRIES = 500;
const WHAT = 'remembered choices file';

export interface Choices {
  lastUser: string | null;
  sessions: Map<string, string>;
}

export function parseChoices(text: string): Choices {
  const data: unknown = JSON.parse(text);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new Error('not an object');
  const record = data as Record<string, unknown>;
  const sessions = record.sessions;
  if (
    record.v !== 1 ||
    typeof sessions !== 'object' ||
    sessions === null ||
    Array.isArray(sessions)
  ) {
    throw new Error('wrong shape');
  }
  const lastUser = record.lastUser;
  if (lastUser !== null && (typeof lastUser !== 'string' || !USER_NAME_PATTERN.test(lastUser))) {
    throw new Error('bad lastUser');
  }
  const map = new Map<string, string>();
  for (const [user, id] of Object.entries(sessions as Record<string, unknown>)) {
    if (!USER_NAME_PATTERN.test(user) || typeof id !== 'string' || !SESSION_ID_PATTERN.test(id)) {
      throw new Error('bad session entry');
    }
    if (map.size >= MAX_ENTRIES) throw new Error('too many entries');
    map.set(user, id);
  }
  return { lastUser, sessions: map };
}

export class ChoicesStore {
  private choices: Choices = { lastUser: null, sessions: new Map() };
  private writeChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly stateDir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Reads the file; a missing, unreadable or corrupt one leaves the store empty (logged). */
  load(): Choices {
    this.choices = { lastUser: null, sessions: new Map() };
    try {
      const text = readStateFile(this.stateDir, CHOICES_FILE_NAME, MAX_FILE_BYTES, WHAT);
      if (text !== null) this.choices = parseChoices(text);
    } catch (error) {
      this.log(`choices: not loaded (${(error as Error).message})`);
    }
    return this.current();
  }

  current(): Choices {
    return { lastUser: this.choices.lastUser, sessions: new Map(this.choices.sessions) };
  }

  /** Records a successful sign-in's user and/or session, and persists them. */
  remember(user: string, update: { user: boolean; session: string | null }): Promise<void> {
    if (update.user) this.choices.lastUser = user;
    if (update.session !== null) {
      this.choices.sessions.delete(user);
      this.choices.sessions.set(user, update.session);
      // Oldest first in insertion order: drop the oldest beyond the bound.
      while (this.choices.sessions.size > MAX_ENTRIES) {
        const oldest = this.choices.sessions.keys().next().value as string;
        this.choices.sessions.delete(oldest);
      }
    }
    const text = JSON.stringify({
      v: 1,
      lastUser: this.choices.lastUser,
      sessions: Object.fromEntries(this.choices.sessions),
    });
    const write = this.writeChain.then(() =>
      writeStateFile(this.stateDir, CHOICES_FILE_NAME, text, WHAT),
    );
    this.writeChain = write.catch(() => undefined);
    return write;
  }
}
