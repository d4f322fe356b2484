// The system's keyboard layouts for the top bar's indicator, from Debian's
// `/etc/default/keyboard` (the file `localectl`/keyboard-configuration write, read by the
// console and by X11/Wayland sessions), another path for tests and the demo.
//
// Format: shell-style `KEY="value"` or `KEY=value` lines, `#` comments, blank lines. Only
// XKBLAYOUT and XKBVARIANT are read: comma-separated lists, one variant per layout (missing
// variants are empty). Strict: the file is read bounded (16 KiB, no symlink, regular file),
// every layout and variant must be a plain XKB name ([a-z0-9_-], not starting with `-`, at
// most 32 characters) and at most 4 layouts (XKB's group limit) are accepted; anything else
// gives no layouts at all (the indicator is then hidden) and a log line, never a guess.
//
// Reading only: switching the active layout (setxkbmap under X11; never under Wayland, where
// the compositor owns the keymap) is ./keyboard-switch.ts, which takes its argv from this
// parsed list and nothing else.
import type { KeyboardLayout } from '../../preload/api';
import { decodeUtf8, DesktopEntryError } from './desktop-entry';
import { readBoundedFile, ReadRefusedError } from './read-bounded';

export const DEFAULT_KEYBOARD_PATH = '/etc/default/keyboard';
export const MAX_KEYBOARD_BYTES = 16 * 1024;
export const MAX_LAYOUTS = 4;

/**
 * A plain XKB layout or variant name; what this parser and setxkbmap's argv accept. Never
 * starting with `-`: no XKB name does, and an argv word must never read as an option.
 */
export const XKB_NAME = /^[a-z0-9_][a-z0-9_-]{0,31}$/;
const NAME = XKB_NAME;
const ASSIGNMENT = /^([A-Z_][A-Z0-9_]*)=(?:"([^"\\$`]*)"|'([^']*)'|([^\s"'\\$`#;|&<>()]*))$/;

/** Parses the file's text; null when it cannot be accepted (the reason is logged). */
export function parseKeyboardFile(
  text: string,
  log: (line: string) => void = () => undefined,
): KeyboardLayout[] | null {
  const values = new Map<string, string>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = ASSIGNMENT.exec(line);
    if (!match) {
      log(`keyboard: line ${n + 1} is not a plain KEY=value assignment; no layouts shown`);
      return null;
    }
    const key = match[1]!;
    if (values.has(key)) {
      log(`keyboard: ${key} repeated; no layouts shown`);
      return null;
    }
    values.set(key, match[2] ?? match[3] ?? match[4] ?? '');
  }
  const layoutText = values.get('XKBLAYOUT') ?? '';
  if (layoutText === '') return [];
  const layouts = layoutText.split(',');
  const variants = (values.get('XKBVARIANT') ?? '').split(',');
  if (layouts.length > MAX_LAYOUTS) {
    log(`keyboard: more than ${MAX_LAYOUTS} layouts; no layouts shown`);
    return null;
  }
  if (variants.length > layouts.length) {
    log('keyboard: more variants than layouts; no layouts shown');
    return null;
  }
  const result: KeyboardLayout[] = [];
  for (let i = 0; i < layouts.length; i++) {
    const layout = layouts[i]!;
    const variant = variants[i] ?? '';
    if (!NAME.test(layout) || (variant !== '' && !NAME.test(variant))) {
      log('keyboard: a layout or variant is not a plain XKB name; no layouts shown');
      return null;
    }
    result.push({ layout, variant });
  }
  return result;
}

/** The layouts of the keyboard file; [] when absent, unreadable or refused. */
export function loadKeyboardLayouts(
  path: string = DEFAULT_KEYBOARD_PATH,
  log: (line: string) => void = () => undefined,
): KeyboardLayout[] {
  let bytes: Buffer | null;
  try {
    bytes = readBoundedFile(path, MAX_KEYBOARD_BYTES);
  } catch (error) {
    const reason = error instanceof ReadRefusedError ? error.message : (error as Error).name;
    log(`keyboard: ${path} refused (${reason}); no layouts shown`);
    return [];
  }
  if (bytes === null) return [];
  try {
    return parseKeyboardFile(decodeUtf8(bytes), log) ?? [];
  } catch (error) {
    if (!(error instanceof DesktopEntryError)) throw error;
    log(`keyboard: ${path} refused (not valid UTF-8); no layouts shown`);
    return [];
  }
}
