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
//   # The key manager (`bastion-greeter --keys`, main/keys/wizard.ts; read by loadKeyPolicy):
//   # what pam_u2f demands at login for keys enrolled from now on (pamu2fcfg's default, -N,
//   # -V): presence by default; a bad value reads as pin.
//   key-require = presence
//   # A central mapping file (pam_u2f's authfile=, root's): the wizard cannot write it and
//   # tells the person an administrator must run `bastion-keys keys enroll`. Absent: each
//   # person's own ~/.config/Yubico/u2f_keys. A bad value still means "central".
//   key-authfile = /etc/bastion-greeter/u2f_keys
//   # pam_u2f's origin= (and appid=) of the site's key service; absent: pam://<hostname>.
//   # A bad value stops the wizard (a key enrolled for the wrong origin never logs in).
//   key-origin = pam://workstation
//   # Touch to sign in or unlock (read by loadSecurityKeySettings): true runs the key's own PAM
//   # service (/etc/pam.d/bastion-greeter-u2f, pam_u2f) beside the password's whenever a FIDO
//   # key is plugged in (listed, never touched). Helper carrier only. Default false; a bad
//   # value reads as false (the password alone still works).
//   security-keys = false
//   # true: in the person's session (unlock screen), unplugging the key that unlocked it locks
//   # the session again (logind LockSession). Default false; a bad value reads as true.
//   lock-on-key-removal = false
//   # The tray (read by loadOfflineExpiryWarning): a desktop notification this many minutes
//   # before the cached (offline) login expires, once per expiry. 0 turns it off; at most
//   # 10080 (a week). Default 60; a bad value reads as 60.
//   offline-expiry-warning-minutes = 60
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

/** One `key = value` entry of greeter.conf's [greeter] group; `line` counts from 1. */
interface ConfEntry {
  line: number;
  key: string;
  value: string;
}

/**
 * greeter.conf's grammar, once for every reader of the file: `#`/`;` comments, `[group]`
 * headers, `key = value` lines. Yields the first entry of each key in [greeter], lazily, so a
 * reader's own log lines stay in file order with the structural ones `report` receives
 * (unknown group, not a key = value line, a key outside [greeter], a repeated key); the
 * readers of one part of the file pass no `report`, parsePolicy logs them once.
 */
function* greeterConfEntries(
  text: string,
  report: (line: string) => void = () => undefined,
): Generator<ConfEntry> {
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
      if (group !== GROUP) report(`${where}: unknown group [${group}] ignored`);
      continue;
    }
    const entry = LINE.exec(line);
    if (!entry) {
      report(`${where}: not a key = value line; ignored`);
      continue;
    }
    const key = entry[1]!;
    if (group !== GROUP) {
      report(`${where}: ${key} outside [${GROUP}] ignored`);
      continue;
    }
    if (seen.has(key)) {
      report(`${where}: ${key} repeated; the first value is kept`);
      continue;
    }
    seen.add(key);
    yield { line: n + 1, key, value: entry[2]! };
  }
}

/**
 * loadPolicy's reading rules, for every reader of one part of the file: absent → `absent()`;
 * unreadable, unsafe or not UTF-8 → `refused()` and one log line ending in `consequence`.
 */
function loadGreeterConfPart<T>(
  path: string,
  log: (line: string) => void,
  parse: (text: string, log: (line: string) => void) => T,
  absent: () => T,
  refused: () => T,
  consequence: string,
): T {
  let bytes: Buffer | null;
  try {
    bytes = readBoundedFile(path, MAX_POLICY_BYTES);
  } catch (error) {
    const reason = error instanceof ReadRefusedError ? error.message : (error as Error).name;
    log(`policy: ${path} refused (${reason}); ${consequence}`);
    return refused();
  }
  if (bytes === null) return absent();
  let text: string;
  try {
    text = decodeUtf8(bytes);
  } catch (error) {
    if (!(error instanceof DesktopEntryError)) throw error;
    log(`policy: ${path} refused (not valid UTF-8); ${consequence}`);
    return refused();
  }
  return parse(text.replace(/^\uFEFF/, ''), log);
}

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
  for (const { line, key, value } of greeterConfEntries(text, log)) {
    const where = `policy: line ${line}`;
    if (KEY_POLICY_KEYS.has(key)) continue; // the key manager's (parseKeyPolicy)
    if (SECURITY_KEY_SETTING_KEYS.has(key)) continue; // touch to sign in (parseSecurityKeySettings)
    if (key === OFFLINE_EXPIRY_WARNING_KEY) continue; // the tray's (parseOfflineExpiryWarning)
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
  return loadGreeterConfPart(
    path,
    log,
    parsePolicy,
    () => ({ ...DEFAULT_POLICY }),
    () => ({ ...REFUSED_POLICY }),
    'the strictest settings apply',
  );
}

/** The key manager's part of greeter.conf (`key-*`): parsed apart from the login screen's. */
export type KeyRequirement = 'presence' | 'pin' | 'verification';

export interface KeyPolicy {
  /** key-require: the attributes of newly enrolled keys' mappings. */
  keyRequire: KeyRequirement;
  /** key-authfile: null = each person's own file; a path (or '' when unusable) = central. */
  keyAuthfile: string | null;
  /** key-origin: null = pam://<hostname>; '' = a bad value (the wizard stops). */
  keyOrigin: string | null;
}

const KEY_POLICY_KEYS: ReadonlySet<string> = new Set(['key-require', 'key-authfile', 'key-origin']);
const KEY_REQUIREMENTS: readonly string[] = ['presence', 'pin', 'verification'];
/** An origin as pam_u2f and `bastion-keys --origin` take it: one printable word. */
const KEY_ORIGIN_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const DEFAULT_KEY_POLICY: KeyPolicy = Object.freeze({
  keyRequire: 'presence',
  keyAuthfile: null,
  keyOrigin: null,
});

/** The safe reading: the PIN demanded, no personal file written, no origin guessed. */
export const REFUSED_KEY_POLICY: KeyPolicy = Object.freeze({
  keyRequire: 'pin',
  keyAuthfile: '',
  keyOrigin: '',
});

/** The `key-*` entries of greeter.conf's text (same grammar as parsePolicy); never throws. */
export function parseKeyPolicy(
  text: string,
  log: (line: string) => void = () => undefined,
): KeyPolicy {
  const policy: KeyPolicy = { ...DEFAULT_KEY_POLICY };
  for (const { line, key, value } of greeterConfEntries(text)) {
    if (!KEY_POLICY_KEYS.has(key)) continue;
    const where = `policy: line ${line}`;
    const clean = !hasControlCharacter(value, '\t');
    if (key === 'key-require') {
      const ok = clean && KEY_REQUIREMENTS.includes(value);
      policy.keyRequire = ok ? (value as KeyRequirement) : REFUSED_KEY_POLICY.keyRequire;
      if (!ok) log(`${where}: key-require is not presence, pin or verification; pin is used`);
    } else if (key === 'key-authfile') {
      const ok = clean && value.startsWith('/') && !value.split('/').includes('..');
      policy.keyAuthfile = ok ? value : REFUSED_KEY_POLICY.keyAuthfile;
      if (!ok) log(`${where}: key-authfile is not an absolute path; an admin enrolls keys`);
    } else {
      const ok = clean && KEY_ORIGIN_PATTERN.test(value);
      policy.keyOrigin = ok ? value : REFUSED_KEY_POLICY.keyOrigin;
      if (!ok) log(`${where}: key-origin is not one printable word; the key manager stops`);
    }
  }
  return policy;
}

/** loadPolicy's reading rules for the `key-*` part: absent → defaults; refused → the safe one. */
export function loadKeyPolicy(
  path: string = DEFAULT_POLICY_PATH,
  log: (line: string) => void = () => undefined,
): KeyPolicy {
  return loadGreeterConfPart(
    path,
    log,
    parseKeyPolicy,
    () => ({ ...DEFAULT_KEY_POLICY }),
    () => ({ ...REFUSED_KEY_POLICY }),
    'the key manager takes the strictest settings',
  );
}

/** Touch to sign in (issue #9 items 4-5): `security-keys` and `lock-on-key-removal`. */
export interface SecurityKeySettings {
  /** Run the key's PAM service beside the password's when a FIDO key is plugged in. */
  securityKeys: boolean;
  /** Unlock screen: unplugging the key that unlocked the session locks it again. */
  lockOnKeyRemoval: boolean;
}

const SECURITY_KEY_SETTING_KEYS: ReadonlyMap<string, keyof SecurityKeySettings> = new Map([
  ['security-keys', 'securityKeys'],
  ['lock-on-key-removal', 'lockOnKeyRemoval'],
]);

export const DEFAULT_SECURITY_KEY_SETTINGS: SecurityKeySettings = Object.freeze({
  securityKeys: false,
  lockOnKeyRemoval: false,
});

/**
 * The safe reading of a bad value or a refused file: no key transaction (the password alone
 * still signs in; a key answering where the site did not clearly ask for it would not), and
 * locking on removal (locks more, never less).
 */
export const REFUSED_SECURITY_KEY_SETTINGS: SecurityKeySettings = Object.freeze({
  securityKeys: false,
  lockOnKeyRemoval: true,
});

/** The security-key entries of greeter.conf's text (same grammar as parsePolicy); never throws. */
export function parseSecurityKeySettings(
  text: string,
  log: (line: string) => void = () => undefined,
): SecurityKeySettings {
  const settings: SecurityKeySettings = { ...DEFAULT_SECURITY_KEY_SETTINGS };
  for (const { line, key, value } of greeterConfEntries(text)) {
    const field = SECURITY_KEY_SETTING_KEYS.get(key);
    if (field === undefined) continue;
    if (value === 'true' || value === 'false') {
      settings[field] = value === 'true';
    } else {
      settings[field] = REFUSED_SECURITY_KEY_SETTINGS[field];
      log(
        `policy: line ${line}: ${key} is not true or false; ` +
          `${String(REFUSED_SECURITY_KEY_SETTINGS[field])} is used`,
      );
    }
  }
  return settings;
}

/** loadPolicy's reading rules for these settings: absent → defaults; refused → the safe ones. */
export function loadSecurityKeySettings(
  path: string = DEFAULT_POLICY_PATH,
  log: (line: string) => void = () => undefined,
): SecurityKeySettings {
  return loadGreeterConfPart(
    path,
    log,
    parseSecurityKeySettings,
    () => ({ ...DEFAULT_SECURITY_KEY_SETTINGS }),
    () => ({ ...REFUSED_SECURITY_KEY_SETTINGS }),
    'security keys are off',
  );
}

/** The tray's expiry warning (issue #10 item 4): `offline-expiry-warning-minutes`. */
export const OFFLINE_EXPIRY_WARNING_KEY = 'offline-expiry-warning-minutes';
export const DEFAULT_OFFLINE_EXPIRY_WARNING_MINUTES = 60;
export const MAX_OFFLINE_EXPIRY_WARNING_MINUTES = 7 * 24 * 60;

/**
 * Minutes of lead time before the cached login expires (same grammar as parsePolicy); never
 * throws. A bad value reads as the default: a warning is harmless, its absence is not.
 */
export function parseOfflineExpiryWarning(
  text: string,
  log: (line: string) => void = () => undefined,
): number {
  for (const { line, key, value } of greeterConfEntries(text)) {
    if (key !== OFFLINE_EXPIRY_WARNING_KEY) continue;
    const minutes = /^(0|[1-9][0-9]{0,5})$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(minutes) && minutes <= MAX_OFFLINE_EXPIRY_WARNING_MINUTES) return minutes;
    log(
      `policy: line ${line}: ${OFFLINE_EXPIRY_WARNING_KEY} is not 0..${MAX_OFFLINE_EXPIRY_WARNING_MINUTES}; ` +
        `${DEFAULT_OFFLINE_EXPIRY_WARNING_MINUTES} is used`,
    );
    return DEFAULT_OFFLINE_EXPIRY_WARNING_MINUTES; // only the first counts (parsePolicy logs repeats)
  }
  return DEFAULT_OFFLINE_EXPIRY_WARNING_MINUTES;
}

/** loadPolicy's reading rules: absent or refused file → the default lead time. */
export function loadOfflineExpiryWarning(
  path: string = DEFAULT_POLICY_PATH,
  log: (line: string) => void = () => undefined,
): number {
  return loadGreeterConfPart(
    path,
    log,
    parseOfflineExpiryWarning,
    () => DEFAULT_OFFLINE_EXPIRY_WARNING_MINUTES,
    () => DEFAULT_OFFLINE_EXPIRY_WARNING_MINUTES,
    'the expiry warning keeps its default',
  );
}
