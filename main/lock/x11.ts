// X11 facts read with xwininfo (x11-utils), an independent check of what the blanker reports
// (the tests use it): the root window's size and whether a window of a given id is mapped and
// covers it. No X library in Node: each question is one bounded child process, no shell,
// environment = DISPLAY and XAUTHORITY only.
import { execFile } from 'node:child_process';

export interface X11Target {
  /** DISPLAY of the session, e.g. `:0`. */
  display: string;
  /** XAUTHORITY of the session (LightDM sets one), if any. */
  xauthority?: string;
  xwininfoPath?: string;
}

export interface WindowGeometry {
  x: number;
  y: number;
  width: number;
  height: number;
  viewable: boolean;
}

function xEnv(target: X11Target): Record<string, string> {
  return target.xauthority
    ? { DISPLAY: target.display, XAUTHORITY: target.xauthority }
    : { DISPLAY: target.display };
}

function xwininfo(target: X11Target, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      target.xwininfoPath ?? '/usr/bin/xwininfo',
      ['-display', target.display, ...args],
      { env: xEnv(target), timeout: 3_000, maxBuffer: 64 * 1024, shell: false },
      (error, stdout) => resolve(error ? null : stdout),
    );
  });
}

/** Parses `xwininfo` output (absolute position, size, map state); null when incomplete. */
export function parseXwininfo(text: string): WindowGeometry | null {
  const number = (label: string): number | null => {
    const match = new RegExp(`^\\s*${label}:\\s+(-?\\d+)\\s*$`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  };
  const x = number('Absolute upper-left X');
  const y = number('Absolute upper-left Y');
  const width = number('Width');
  const height = number('Height');
  if (x === null || y === null || width === null || height === null) return null;
  return { x, y, width, height, viewable: /^\s*Map State:\s+IsViewable\s*$/m.test(text) };
}

/** The root window's geometry (the whole X screen, every monitor of it). */
export async function rootGeometry(target: X11Target): Promise<WindowGeometry | null> {
  const out = await xwininfo(target, ['-root']);
  return out === null ? null : parseXwininfo(out);
}

/** The geometry of the window `id` (`0x…`), or null when there is none. */
export async function windowGeometry(
  target: X11Target,
  id: string,
): Promise<WindowGeometry | null> {
  if (!/^0x[0-9a-f]+$/.test(id)) return null;
  const out = await xwininfo(target, ['-id', id]);
  return out === null ? null : parseXwininfo(out);
}

/** Whether `window` is mapped and covers all of `root`. */
export function covers(window: WindowGeometry, root: WindowGeometry): boolean {
  return (
    window.viewable &&
    window.x <= root.x &&
    window.y <= root.y &&
    window.x + window.width >= root.x + root.width &&
    window.y + window.height >= root.y + root.height
  );
}
