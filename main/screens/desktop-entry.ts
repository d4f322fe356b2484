// A strict, bounded reader of freedesktop.org Desktop Entry files (the session files of
// /usr/share/xsessions and /usr/share/wayland-sessions), after the Desktop Entry
// Specification 1.5: "Basic format", "Possible value types", "Localized values for keys" and
// "The Exec key".
//
// Strict: a file is accepted only when every line is a comment, a blank line, a group header
// or a `Key=Value` entry; a duplicate group or key, a bad boolean, a bad escape or quoting in
// Exec makes the whole file invalid (the session is not offered, the reason is logged).
// Bounded: the caller refuses files over MAX_DESKTOP_FILE_BYTES; Exec has at most
// MAX_EXEC_ARGS arguments.
import { hasControlCharacter } from './read-bounded';

/** Files larger than this are not read at all. */
export const MAX_DESKTOP_FILE_BYTES = 64 * 1024;
/** More arguments than this in Exec make the entry invalid. */
export const MAX_EXEC_ARGS = 256;

/** What a session chooser needs from the `[Desktop Entry]` group. */
export interface DesktopEntry {
  /** `Name`, unlocalized. */
  name: string;
  /** `Name[<locale>]` values by locale tag as written (`fr`, `fr_FR`, `sr@latin`). */
  localizedNames: ReadonlyMap<string, string>;
  /** `Exec`, split into arguments (quoting and escapes resolved, field codes removed). */
  exec: readonly string[];
  /** `TryExec`, or null. */
  tryExec: string | null;
  hidden: boolean;
  noDisplay: boolean;
  /** `DesktopNames` (becomes XDG_CURRENT_DESKTOP). */
  desktopNames: readonly string[];
}

export type DesktopEntryResult = { ok: true; entry: DesktopEntry } | { ok: false; reason: string };

export class DesktopEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DesktopEntryError';
  }
}

const GROUP_LINE = /^\[([^[\]]+)\]$/; // control characters are refused file-wide first
// Key names: A-Za-z0-9- ; an optional [locale] (lang_COUNTRY.ENCODING@MODIFIER).
const ENTRY_LINE = /^([A-Za-z0-9-]+)(?:\[([A-Za-z0-9_.@-]+)\])?[ \t]*=[ \t]*(.*)$/;
const MAIN_GROUP = 'Desktop Entry';

/**
 * Decodes the value escapes of type string (`\s \n \t \r \\`). Any other backslash pair is
 * kept as written, so that Exec's own quoting layer (applied after this one, as the
 * specification says) sees it: `"\$HOME"` reaches the Exec splitter as `\$HOME`.
 */
export function unescapeString(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = value[i + 1];
    if (next === undefined) throw new DesktopEntryError('value ends with a lone backslash');
    i++;
    switch (next) {
      case 's':
        out += ' ';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      default:
        out += `\\${next}`;
    }
  }
  return out;
}

/** Splits a value of type `string(s)` on unescaped `;` (a trailing `;` ends the list). */
export function splitList(value: string): string[] {
  const items: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && value[i + 1] === ';') {
      current += ';';
      i++;
    } else if (c === ';') {
      items.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current !== '') items.push(current);
  return items.map(unescapeString);
}

// Outside double quotes these must not appear unquoted (the specification's reserved list).
const RESERVED = new Set([' ', '\t', '\n', '"', "'", '\\', '>', '<', '~', '|', '&', ';', '$', '*']);
for (const c of ['?', '#', '(', ')', '`']) RESERVED.add(c);
// Inside double quotes a backslash may escape only these.
const QUOTE_ESCAPABLE = new Set(['"', '`', '$', '\\']);
// Field codes that expand to nothing for a session (no files, URLs or icon are passed).
const EMPTY_FIELD_CODES = new Set(['%f', '%F', '%u', '%U', '%i', '%c', '%k']);
const FIELD_CODE = '\u0000field\u0000';

/**
 * Splits an Exec value (already through `unescapeString`) into arguments, after "The Exec
 * key": arguments are separated by spaces; an argument may be quoted in double quotes, inside
 * which `\"`, `` \` ``, `\$` and `\\` stand for the character; reserved characters must be
 * quoted; `%%` is a literal `%`; an argument that is exactly `%f %F %u %U %i %c %k` is dropped
 * (a session gets no files, URLs or icon); any other field code is refused. Throws
 * DesktopEntryError on anything else.
 */
export function splitExec(value: string): string[] {
  const args: string[] = [];
  let current: string | null = null;
  let i = 0;
  const push = (): void => {
    if (current === null) return;
    if (args.length >= MAX_EXEC_ARGS) throw new DesktopEntryError('too many Exec arguments');
    args.push(current);
    current = null;
  };
  while (i < value.length) {
    const c = value[i]!;
    if (c === ' ') {
      push();
      i++;
      continue;
    }
    if (c === '"') {
      current ??= '';
      i++;
      for (;;) {
        const q = value[i];
        if (q === undefined) throw new DesktopEntryError('unterminated quote in Exec');
        i++;
        if (q === '"') break;
        if (q === '\\') {
          const e = value[i];
          if (e === undefined || !QUOTE_ESCAPABLE.has(e)) {
            throw new DesktopEntryError('bad backslash escape inside quotes in Exec');
          }
          current += e;
          i++;
        } else if (q === '%') {
          current += percent(value, i);
          i++;
        } else {
          current += q;
        }
      }
      continue;
    }
    if (RESERVED.has(c)) {
      throw new DesktopEntryError(`reserved character ${JSON.stringify(c)} unquoted in Exec`);
    }
    current ??= '';
    if (c === '%') {
      current += percent(value, i + 1);
      i += 2;
      continue;
    }
    current += c;
    i++;
  }
  push();
  const result: string[] = [];
  for (const arg of args) {
    if (arg === FIELD_CODE) continue;
    if (arg.includes(FIELD_CODE)) throw new DesktopEntryError('field code inside an argument');
    result.push(arg);
  }
  return result;
}

/** The text for the `%x` whose letter is at `value[at]`. */
function percent(value: string, at: number): string {
  const letter = value[at];
  if (letter === '%') return '%';
  // A field code stands alone as its argument; mark it, the caller drops or refuses it.
  const code = `%${letter ?? ''}`;
  if (EMPTY_FIELD_CODES.has(code)) {
    const before = value[at - 2];
    const after = value[at + 1];
    if ((before === undefined || before === ' ') && (after === undefined || after === ' ')) {
      return FIELD_CODE;
    }
  }
  throw new DesktopEntryError(`unsupported field code ${JSON.stringify(code)} in Exec`);
}

/** Quotes arguments so that `splitExec(unescapeString(result))` gives them back. */
export function quoteExec(args: readonly string[]): string {
  return args
    .map((arg) => {
      let out = '"';
      for (const c of arg) {
        if (QUOTE_ESCAPABLE.has(c)) out += `\\${c}`;
        else if (c === '%') out += '%%';
        else out += c;
      }
      return `${out}"`;
    })
    .join(' ')
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r');
}

function parseBoolean(key: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new DesktopEntryError(`${key} is not true or false`);
}

/** Decodes `bytes` as UTF-8, refusing malformed sequences (fatal decoder). */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new DesktopEntryError('not valid UTF-8');
  }
}

/** Parses a whole Desktop Entry file; never throws. */
export function parseDesktopEntry(input: string | Uint8Array): DesktopEntryResult {
  try {
    const text = typeof input === 'string' ? input : decodeUtf8(input);
    return { ok: true, entry: parseStrict(text) };
  } catch (error) {
    if (error instanceof DesktopEntryError) return { ok: false, reason: error.message };
    throw error;
  }
}

function parseStrict(text: string): DesktopEntry {
  if (text.length > MAX_DESKTOP_FILE_BYTES) throw new DesktopEntryError('file too large');
  // Control characters other than tab, CR and LF have no place in a desktop file.
  if (hasControlCharacter(text, '\t\r\n')) {
    throw new DesktopEntryError('control character in file');
  }
  const groups = new Set<string>();
  const main = new Map<string, string>();
  let group: string | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const header = GROUP_LINE.exec(line);
    if (header) {
      group = header[1]!;
      if (groups.has(group)) throw new DesktopEntryError(`line ${n + 1}: group ${group} repeated`);
      groups.add(group);
      continue;
    }
    const entry = ENTRY_LINE.exec(line);
    if (!entry) throw new DesktopEntryError(`line ${n + 1}: not a group, entry or comment`);
    if (group === null) throw new DesktopEntryError(`line ${n + 1}: entry before any group`);
    if (group !== MAIN_GROUP) continue;
    const key = entry[2] === undefined ? entry[1]! : `${entry[1]}[${entry[2]}]`;
    if (main.has(key)) throw new DesktopEntryError(`line ${n + 1}: key ${key} repeated`);
    main.set(key, entry[3]!);
  }
  if (!groups.has(MAIN_GROUP)) throw new DesktopEntryError('no [Desktop Entry] group');
  // The first group must be Desktop Entry (the specification requires it to come first).
  if ([...groups][0] !== MAIN_GROUP) throw new DesktopEntryError('[Desktop Entry] is not first');
  const type = main.get('Type');
  if (type !== 'Application' && type !== 'XSession') {
    throw new DesktopEntryError('Type is not Application');
  }
  const rawName = main.get('Name');
  if (rawName === undefined) throw new DesktopEntryError('no Name');
  const name = unescapeString(rawName).trim();
  if (name === '') throw new DesktopEntryError('empty Name');
  const localizedNames = new Map<string, string>();
  for (const [key, value] of main) {
    const match = /^Name\[(.+)\]$/.exec(key);
    if (!match) continue;
    const localized = unescapeString(value).trim();
    if (localized !== '') localizedNames.set(match[1]!, localized);
  }
  const rawExec = main.get('Exec');
  if (rawExec === undefined) throw new DesktopEntryError('no Exec');
  const exec = splitExec(unescapeString(rawExec));
  if (exec.length === 0) throw new DesktopEntryError('empty Exec');
  const rawTryExec = main.get('TryExec');
  const tryExec = rawTryExec === undefined ? null : unescapeString(rawTryExec);
  if (tryExec === '') throw new DesktopEntryError('empty TryExec');
  const hidden = main.has('Hidden') ? parseBoolean('Hidden', main.get('Hidden')!) : false;
  const noDisplay = main.has('NoDisplay')
    ? parseBoolean('NoDisplay', main.get('NoDisplay')!)
    : false;
  const desktopNames = main.has('DesktopNames') ? splitList(main.get('DesktopNames')!) : [];
  return { name, localizedNames, exec, tryExec, hidden, noDisplay, desktopNames };
}

/** `Name[locale]` for a two-letter UI locale (`fr`), else `Name` (the specification's rule). */
export function localizedName(entry: DesktopEntry, locale: string): string {
  return entry.localizedNames.get(locale) ?? entry.name;
}
