// The desktop sessions a person may choose at the login screen: the Desktop Entry files of
// /usr/share/xsessions (X11) and /usr/share/wayland-sessions (Wayland), as LightDM and GDM
// list them, and the SessionRequest (main/auth/transport.ts) a display manager needs to start
// the chosen one.
//
// What is offered: `<id>.desktop` files (id = the file's basename) that parse strictly
// (./desktop-entry), are not Hidden or NoDisplay, and whose TryExec resolves to an executable
// (absolute, or found on PATH). Refused and logged: files over 64 KiB, symlinks leading out of
// their directory, anything but regular files, bad UTF-8, ids that are not plain names. When
// the same id is in both directories the X11 one wins (LightDM's own search order:
// xsessions before wayland-sessions).
import { accessSync, constants, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, sep } from 'node:path';
import type { SessionOption, SessionType } from '../../preload/api';
import type { SessionRequest } from '../auth/transport';
import { SESSION_ID_PATTERN } from '../ipc/validate';
import {
  localizedName,
  MAX_DESKTOP_FILE_BYTES,
  parseDesktopEntry,
  type DesktopEntry,
} from './desktop-entry';
import { readBoundedFile, ReadRefusedError } from './read-bounded';

export interface SessionDirs {
  x11: string;
  wayland: string;
}

export const SYSTEM_SESSION_DIRS: SessionDirs = Object.freeze({
  x11: '/usr/share/xsessions',
  wayland: '/usr/share/wayland-sessions',
});

/** Session ids travel to LightDM, greetd's env and the renderer: plain names only. */
export { SESSION_ID_PATTERN };
/** Files looked at per directory, at most (a session dir holds a handful). */
export const MAX_SESSION_FILES = 256;

export interface DesktopSession {
  id: string;
  type: SessionType;
  entry: DesktopEntry;
}

export interface ListSessionsOptions {
  dirs?: SessionDirs;
  /** The PATH TryExec is resolved on (default: this process's PATH). */
  path?: string;
  log?: (line: string) => void;
}

/** An executable regular file: `name` if absolute, else the first match on `path`. */
export function resolveExecutable(name: string, path: string): string | null {
  const candidates = isAbsolute(name)
    ? [name]
    : name.includes('/')
      ? []
      : path
          .split(delimiter)
          .filter((dir) => isAbsolute(dir))
          .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (realStat(candidate)) return candidate;
    } catch {
      // not there or not executable: try the next one
    }
  }
  return null;
}

function realStat(path: string): boolean {
  return lstatSync(realpathSync(path)).isFile();
}

function readSessionFile(dir: string, realDir: string, file: string): Buffer {
  const path = join(dir, file);
  const stat = lstatSync(path);
  let target = path;
  if (stat.isSymbolicLink()) {
    target = realpathSync(path);
    if (!target.startsWith(realDir + sep))
      throw new ReadRefusedError('symlink leads out of its directory');
  } else if (!stat.isFile()) {
    throw new ReadRefusedError('not a regular file');
  }
  const bytes = readBoundedFile(target, MAX_DESKTOP_FILE_BYTES);
  if (bytes === null) throw new ReadRefusedError('vanished');
  return bytes;
}

/** The sessions to offer, X11 first then Wayland, each sorted by id. */
export function listSessions(options: ListSessionsOptions = {}): DesktopSession[] {
  const dirs = options.dirs ?? SYSTEM_SESSION_DIRS;
  const path = options.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const log = options.log ?? (() => undefined);
  const sessions: DesktopSession[] = [];
  const seen = new Set<string>();
  for (const type of ['x11', 'wayland'] as const) {
    const dir = dirs[type];
    let names: string[];
    let realDir: string;
    try {
      realDir = realpathSync(dir);
      names = readdirSync(dir)
        .filter((name) => name.endsWith('.desktop'))
        .sort();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') log(`sessions: ${dir} not read (${code ?? 'error'})`);
      continue;
    }
    if (names.length > MAX_SESSION_FILES) {
      log(`sessions: ${dir} has ${names.length} files; only the first ${MAX_SESSION_FILES} read`);
      names = names.slice(0, MAX_SESSION_FILES);
    }
    for (const file of names) {
      const id = file.slice(0, -'.desktop'.length);
      const where = `${dir}/${file}`;
      if (!SESSION_ID_PATTERN.test(id)) {
        log(`sessions: ${where} skipped: not a plain session name`);
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = readSessionFile(dir, realDir, file);
      } catch (error) {
        const reason = error instanceof ReadRefusedError ? error.message : (error as Error).name;
        log(`sessions: ${where} skipped: ${reason}`);
        continue;
      }
      const parsed = parseDesktopEntry(bytes);
      if (!parsed.ok) {
        log(`sessions: ${where} skipped: ${parsed.reason}`);
        continue;
      }
      const entry = parsed.entry;
      if (entry.hidden || entry.noDisplay) continue;
      if (entry.tryExec !== null && resolveExecutable(entry.tryExec, path) === null) {
        log(`sessions: ${where} hidden: TryExec ${entry.tryExec} is not installed`);
        continue;
      }
      if (seen.has(id)) {
        log(`sessions: ${where} skipped: ${id} is already offered from another directory`);
        continue;
      }
      seen.add(id);
      sessions.push({ id, type, entry });
    }
  }
  return sessions;
}

/** What the renderer shows for a session. */
export function sessionOption(session: DesktopSession, locale: string): SessionOption {
  return { id: session.id, name: localizedName(session.entry, locale), type: session.type };
}

// Environment values must be one line; DesktopNames items are plain names.
const DESKTOP_NAME = /^[A-Za-z0-9_.+-]{1,64}$/;

/**
 * What the display manager needs to start `session` (main/auth/transport.ts): LightDM the
 * name (= id), greetd the command (Exec, split) and its environment: XDG_SESSION_TYPE,
 * XDG_SESSION_DESKTOP (the id, as GDM and LightDM set it) and XDG_CURRENT_DESKTOP (the
 * DesktopNames, `:`-joined; absent when the file names none).
 */
export function sessionRequest(session: DesktopSession): SessionRequest {
  const names = session.entry.desktopNames.filter((name) => DESKTOP_NAME.test(name));
  return {
    name: session.id,
    command: [...session.entry.exec],
    env: [
      `XDG_SESSION_TYPE=${session.type}`,
      `XDG_SESSION_DESKTOP=${session.id}`,
      ...(names.length > 0 ? [`XDG_CURRENT_DESKTOP=${names.join(':')}`] : []),
    ],
  };
}
