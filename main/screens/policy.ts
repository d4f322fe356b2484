// The site policy of the login screen: one file, `/etc/bastion-greeter/greeter.conf`
// (another path for tests and the demo), written by the workstation's administrator.
//
// Format: INI-like, UTF-8. `#` or `;` starts a comment line; blank lines are ignored; every
// key belongs to the one group `[greeter]`; `key = value` (spaces around `=` ignored).
//
//   [greeter]
//   # Legal notice shown before the sign-in form, which must be acknowledged with a button
//   # first (GDM's banner-message-enable/banner-message-text; STIG-style policies require it).
//   # One line; `\n` is a line break, `\\` a backslash. At most 8192 characters. Absent or
//   # empty: no notice.
//   banner-message = This system is for authorized use only.\nActivity may be monitored.
//   # true: no user list, the name is typed (GDM's disable-user-list). Default false.
//   hide-user-list = false
//   # true: no suspend/reboot/power off on the login screen. Default false. (Parsed and
//   # exposed; the power menu reads it.)
//   hide-power-actions = false
//   # false: the last signed-in user is not preselected. Default true.
//   remember-last-user = true
//   # false: each user's last session is not remembered. Default true.
//   remember-last-session = true
//
// Booleans are `true` or `false`. Strict: an unknown key or group, a line that is none of
// the above, or a repeated key is reported in the log and ignored. A bad value takes the
// key's SAFE value (hide the list, hide power actions, remember nothing; a banner that cannot
// be shown as written becomes the generic notice), never its ordinary default. A file that
// exists but cannot be accepted (over 64 KiB, not a regular file, a symlink, bad UTF-8,
// unreadable) is refused as a whole: every key takes its safe value, the generic notice
// included, so a broken policy never shows less than the site asked for.
import type { LegalNotice } from '../../preload/api';
import { decodeUtf8, DesktopEntryError } from './desktop-entry';
import { hasControlCharacter, readBoundedFile, ReadRefusedError } from './read-bounded';

export const DEFAULT_POLICY_PATH = '/etc/bastion-greeter/greeter.conf';
export const MAX_POLICY_BYTES = 64 * 1024;
export const MAX_BANNER_CHARS = 8192;

export interface GreeterPolicy {
  notice: LegalNotice | null;
  hideUserList: boolean;
  hidePowerActions: boolean;
  rememberLastUser: boolean;
  rememberLastSession: boolean;
}

/** No file: the ordinary defaults. */
export const DEFAULT_POLICY: GreeterPolicy = Object.freeze({
  notice: null,
  hideUserList: false,
  hidePowerActions: false,
  rememberLastUser: true,
  rememberLastSession: true,
});

/** A file that cannot be accepted: the strictest reading. */
export const REFUSED_POLICY: GreeterPolicy = Object.freeze({
  notice: { kind: 'fallback' } as const,
  hideUserList: true,
  hidePowerActions: true,
  rememberLastUser: false,
  rememberLastSession: false,
});

type BooleanKey = 'hideUserList' | 'hidePowerActions' | 'rememberLastUser' | 'rememberLastSession';

const BOOLEAN_KEYS: Record<string, BooleanKey> = {
  'hide-user-list': 'hideUserList',
  'hide-power-actions': 'hidePowerActions',
  'remember-last-user': 'rememberLastUser',
  'remember-last-session': 'rememberLastSession',
};

const GROUP = 'greeter';
const LINE = /^([A-Za-z0-9-]+)[ \t]*=[ \t]*(.*?)[ \t]*$/;

/** `\n` → line break, `\\` → backslash; anything else after a backslash is an error (null). */
function unescapeBanner(value: string): string | null {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = value[++i];
    if (next === 'n') out += '\n';
    else if (next === '\\') out += '\\';
    else return null;
  }
  return out;
}

function parseNotice(value: string, log: (line: string) => void): LegalNotice | null {
  const text = unescapeBanner(value);
  if (text === null) {
    log('policy: banner-message has a bad escape; the generic notice is shown');
    return { kind: 'fallback' };
  }
  if (text.length > MAX_BANNER_CHARS) {
    log(
      `policy: banner-message is over ${MAX_BANNER_CHARS} characters; the generic notice is shown`,
    );
    return { kind: 'fallback' };
  }
  const trimmed = text.trim();
  return trimmed === '' ? null : { kind: 'site', text: trimmed };
}

/** Parses the text of greeter.conf; never throws. */
export function parsePolicy(
  text: string,
  log: (line: string) => void = () => undefined,
): GreeterPolicy {
  const policy: GreeterPolicy = { ...DEFAULT_POLICY };
  const seen = new Set<string>();
  let group: string | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    const where = `policy: line ${n + 1}`;
    if (line.trim() === '' || /^[ \t]*[#;]/.test(line)) continue;
    const header = /^\[([^\]]*)\]$/.exec(line.trim());
    if (header) {
      group = header[1]!;
      if (group !== GROUP) log(`${where}: unknown group [${group}] ignored`);
      continue;
    }
    const entry = LINE.exec(line);
    if (!entry) {
      log(`${where}: not a key = value line; ignored`);
      continue;
    }
    const key = entry[1]!;
    const value = entry[2]!;
    if (group !== GROUP) {
      log(`${where}: ${key} outside [${GROUP}] ignored`);
      continue;
    }
    if (seen.has(key)) {
      log(`${where}: ${key} repeated; the first value is kept`);
      continue;
    }
    seen.add(key);
    if (hasControlCharacter(value, '\t')) {
      log(`${where}: ${key} has control characters; its safe value is used`);
      if (key === 'banner-message') policy.notice = { kind: 'fallback' };
      else if (key in BOOLEAN_KEYS) policy[BOOLEAN_KEYS[key]!] = REFUSED_POLICY[BOOLEAN_KEYS[key]!];
      continue;
    }
    if (key === 'banner-message') {
      policy.notice = parseNotice(value, log);
      continue;
    }
    const field = Object.hasOwn(BOOLEAN_KEYS, key) ? BOOLEAN_KEYS[key]! : undefined;
    if (field === undefined) {
      log(`${where}: unknown key ${key} ignored`);
      continue;
    }
    if (value === 'true' || value === 'false') {
      policy[field] = value === 'true';
    } else {
      policy[field] = REFUSED_POLICY[field];
      log(`${where}: ${key} is not true or false; ${String(REFUSED_POLICY[field])} is used`);
    }
  }
  return policy;
}

/** Reads the policy file: absent → DEFAULT_POLICY; present but unacceptable → REFUSED_POLICY. */
export function loadPolicy(
  path: string = DEFAULT_POLICY_PATH,
  log: (line: string) => void = () => undefined,
): GreeterPolicy {
  let bytes: Buffer | null;
  try {
    bytes = readBoundedFile(path, MAX_POLICY_BYTES);
  } catch (error) {
    const reason = error instanceof ReadRefusedError ? error.message : (error as Error).name;
    log(`policy: ${path} refused (${reason}); the strictest settings apply`);
    return { ...REFUSED_POLICY };
  }
  if (bytes === null) return { ...DEFAULT_POLICY };
  let text: string;
  try {
    text = decodeUtf8(bytes);
  } catch (error) {
    if (!(error instanceof DesktopEntryError)) throw error;
    log(`policy: ${path} refused (not valid UTF-8); the strictest settings apply`);
    return { ...REFUSED_POLICY };
  }
  return parsePolicy(text.replace(/^\uFEFF/, ''), log);
}
