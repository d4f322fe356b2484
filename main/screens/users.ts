// The login screen's user list: local accounts in the login range, with their
// AccountsService picture when there is one.
//
// Node has no getpwent (and `getent` is not ours to spawn from the greeter), so the list is
// read from /etc/passwd: it shows local accounts only. Directory accounts (SSSD, LDAP, the
// SSO portal's) are not enumerated, as GDM and LightDM do not enumerate them either; those
// people use "Other user…" and type their name. Listed: entries whose uid is within
// UID_MIN..UID_MAX of /etc/login.defs (defaults 1000..60000, as shadow's), whose name is a
// valid user name (main/ipc/validate.ts) and whose shell is not a nologin or false shell.
//
// Pictures: `/var/lib/AccountsService/icons/<user>`, read here (the renderer, under a strict
// CSP, only accepts `data:` images) when it is a regular file (no symlink) of at most
// MAX_ICON_BYTES whose first bytes say PNG or JPEG; sent as a `data:` URL. Anything else: no
// picture (the renderer shows the initial).
import { join } from 'node:path';
import type { UserOption } from '../../preload/api';
import { USER_NAME_PATTERN } from '../ipc/validate';
import { decodeUtf8, DesktopEntryError } from './desktop-entry';
import { readBoundedFile, ReadRefusedError, withoutControlCharacters } from './read-bounded';

export const DEFAULT_PASSWD_PATH = '/etc/passwd';
export const DEFAULT_LOGIN_DEFS_PATH = '/etc/login.defs';
export const DEFAULT_ICONS_DIR = '/var/lib/AccountsService/icons';
export const DEFAULT_UID_RANGE = Object.freeze({ min: 1000, max: 60000 });
export const MAX_PASSWD_BYTES = 4 * 1024 * 1024;
export const MAX_LOGIN_DEFS_BYTES = 256 * 1024;
export const MAX_ICON_BYTES = 128 * 1024;
/** All pictures of one list together, at most (beyond it, users show their initial). */
export const MAX_ICONS_TOTAL_BYTES = 2 * 1024 * 1024;
/** More accounts than this are not listed one by one: the list is cut, in passwd order. */
export const MAX_LISTED_USERS = 100;
const MAX_REAL_NAME_CHARS = 128;

export interface UidRange {
  min: number;
  max: number;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  realName: string;
  shell: string;
}

type Log = (line: string) => void;

/** A login.defs number: decimal, 0x hex or 0 octal (shadow reads them with strtol base 0). */
function parseDefsNumber(text: string): number | null {
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) value = parseInt(text.slice(1), 8);
  else if (/^(0|[1-9][0-9]*)$/.test(text)) value = parseInt(text, 10);
  else return null;
  return Number.isSafeInteger(value) && value <= 0xffffffff ? value : null;
}

/** UID_MIN/UID_MAX of login.defs text; a missing or bad value keeps the default. */
export function parseLoginDefs(text: string, log: Log = () => undefined): UidRange {
  const range: UidRange = { ...DEFAULT_UID_RANGE };
  for (const line of text.split('\n')) {
    const match = /^[ \t]*(UID_MIN|UID_MAX)[ \t]+(\S+)[ \t]*$/.exec(line.replace(/\r$/, ''));
    if (!match) continue;
    const value = parseDefsNumber(match[2]!);
    if (value === null) {
      log(`users: login.defs ${match[1]} ${match[2]} is not a number; default kept`);
      continue;
    }
    if (match[1] === 'UID_MIN') range.min = value;
    else range.max = value;
  }
  if (range.min > range.max) {
    log('users: login.defs UID_MIN > UID_MAX; defaults used');
    return { ...DEFAULT_UID_RANGE };
  }
  return range;
}

const NO_LOGIN_SHELL = /(^|\/)(nologin|false)$/;

/** The listable entries of /etc/passwd text, in file order, first of each name kept. */
export function parsePasswd(text: string, range: UidRange): PasswdEntry[] {
  const users: PasswdEntry[] = [];
  const seen = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('+') || line.startsWith('-') || line.startsWith('#'))
      continue;
    const fields = line.split(':');
    if (fields.length !== 7) continue;
    const [name, , uidText, , gecos, , shell] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^(0|[1-9][0-9]{0,9})$/.test(uidText)) continue;
    const uid = Number(uidText);
    if (uid < range.min || uid > range.max) continue;
    if (!USER_NAME_PATTERN.test(name) || Buffer.byteLength(name) > 120 || seen.has(name)) continue;
    if (NO_LOGIN_SHELL.test(shell.trim())) continue;
    seen.add(name);
    // GECOS: full name first, then room, phones… separated by commas.
    const full = withoutControlCharacters(gecos.split(',')[0] ?? '')
      .trim()
      .slice(0, MAX_REAL_NAME_CHARS);
    users.push({ name, uid, realName: full === '' ? name : full, shell });
  }
  return users;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);

/** A `data:` URL of a PNG or JPEG picture, or null for anything else. */
export function pictureDataUrl(bytes: Buffer): string | null {
  if (bytes.length > MAX_ICON_BYTES) return null;
  const type = bytes.subarray(0, 8).equals(PNG)
    ? 'image/png'
    : bytes.subarray(0, 3).equals(JPEG)
      ? 'image/jpeg'
      : null;
  return type === null ? null : `data:${type};base64,${bytes.toString('base64')}`;
}

export interface UserListOptions {
  passwdPath?: string;
  loginDefsPath?: string;
  iconsDir?: string;
  log?: Log;
}

function readText(path: string, maxBytes: number, log: Log): string | null {
  try {
    const bytes = readBoundedFile(path, maxBytes);
    return bytes === null ? null : decodeUtf8(bytes);
  } catch (error) {
    if (!(error instanceof ReadRefusedError || error instanceof DesktopEntryError)) throw error;
    log(`users: ${path} not read (${error.message})`);
    return null;
  }
}

/** The user list (without remembered sessions: ./screen-options adds them). */
export function listUsers(options: UserListOptions = {}): UserOption[] {
  const log = options.log ?? (() => undefined);
  const defs = readText(
    options.loginDefsPath ?? DEFAULT_LOGIN_DEFS_PATH,
    MAX_LOGIN_DEFS_BYTES,
    log,
  );
  const range = defs === null ? { ...DEFAULT_UID_RANGE } : parseLoginDefs(defs, log);
  const passwd = readText(options.passwdPath ?? DEFAULT_PASSWD_PATH, MAX_PASSWD_BYTES, log);
  if (passwd === null) return [];
  let entries = parsePasswd(passwd, range);
  if (entries.length > MAX_LISTED_USERS) {
    log(`users: ${entries.length} accounts; the first ${MAX_LISTED_USERS} are listed`);
    entries = entries.slice(0, MAX_LISTED_USERS);
  }
  const iconsDir = options.iconsDir ?? DEFAULT_ICONS_DIR;
  let budget = MAX_ICONS_TOTAL_BYTES;
  return entries.map((entry) => {
    let icon: string | null = null;
    try {
      const bytes = budget > 0 ? readBoundedFile(join(iconsDir, entry.name), MAX_ICON_BYTES) : null;
      if (bytes !== null && bytes.length <= budget) {
        icon = pictureDataUrl(bytes);
        if (icon !== null) budget -= bytes.length;
      }
    } catch (error) {
      if (!(error instanceof ReadRefusedError)) throw error;
      log(`users: picture of ${entry.name} not used (${error.message})`);
    }
    return { name: entry.name, realName: entry.realName, icon, session: null };
  });
}
