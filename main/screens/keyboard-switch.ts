// Switching the active keyboard layout from the greeter, as lightdm-gtk-greeter and GDM let
// people do before typing a password.
//
// Only under X11 (LightDM: DISPLAY set, no WAYLAND_DISPLAY): the greeter's X server is a
// client-visible keymap that `/usr/bin/setxkbmap` replaces, and LightDM reuses that server for
// the session, so the choice carries into it until the desktop applies its own settings.
// Under Wayland (greetd + cage) the compositor owns the keymap and no client can change it:
// no switcher there, the layout stays an indicator.
//
// The argv is built from the parsed /etc/default/keyboard list only (./keyboard.ts), by index:
// nothing the renderer sends ever becomes an argument. The chosen layout goes first and the
// other configured layouts follow, so the group-switch key the system configures (XKBOPTIONS,
// which setxkbmap keeps from the server) still reaches them. No shell, fixed absolute path, a
// scrubbed environment (DISPLAY, XAUTHORITY), a deadline after which the child is killed.
import { execFile } from 'node:child_process';
import type { KeyboardLayout } from '../../preload/api';
import { isExecutableFile } from './assistive';
import { MAX_LAYOUTS, XKB_NAME } from './keyboard';

export const SETXKBMAP_PATH = '/usr/bin/setxkbmap';
/** setxkbmap asks the X server to compile a keymap: well under a second on a live server. */
export const SWITCH_TIMEOUT_MS = 5_000;

export type KeyboardSwitchErrorCode =
  | 'KEYBOARD_LAYOUT_UNKNOWN' // not an index of the parsed list, or the list is not plain XKB
  | 'KEYBOARD_SWITCH_FAILED' // setxkbmap exited non-zero or could not start
  | 'KEYBOARD_SWITCH_TIMEOUT'; // setxkbmap did not finish in time (killed)

export class KeyboardSwitchError extends Error {
  readonly code: KeyboardSwitchErrorCode;
  constructor(code: KeyboardSwitchErrorCode, message: string) {
    super(message);
    this.name = 'KeyboardSwitchError';
    this.code = code;
  }
}

/** What changes the active layout; main holds at most one (X11, or the demo's stand-in). */
export interface KeyboardSwitcher {
  /** Makes `layouts[index]` the active layout; rejects with KeyboardSwitchError. */
  switchTo(layouts: readonly KeyboardLayout[], index: number): Promise<void>;
}

/**
 * setxkbmap's arguments making `layouts[index]` active: `-layout fr,us -variant oss,` for
 * index 1 of [us, fr(oss)]. Throws KEYBOARD_LAYOUT_UNKNOWN for anything but a valid index
 * into a list of plain XKB names (re-checked here, whoever built the list).
 */
export function setxkbmapArgs(layouts: readonly KeyboardLayout[], index: number): string[] {
  if (!Number.isInteger(index) || index < 0 || index >= layouts.length) {
    throw new KeyboardSwitchError('KEYBOARD_LAYOUT_UNKNOWN', 'not a configured layout');
  }
  if (layouts.length > MAX_LAYOUTS) {
    throw new KeyboardSwitchError('KEYBOARD_LAYOUT_UNKNOWN', 'too many layouts');
  }
  for (const { layout, variant } of layouts) {
    if (!XKB_NAME.test(layout) || (variant !== '' && !XKB_NAME.test(variant))) {
      throw new KeyboardSwitchError('KEYBOARD_LAYOUT_UNKNOWN', 'not a plain XKB name');
    }
  }
  const order = [layouts[index]!, ...layouts.filter((_, i) => i !== index)];
  return [
    '-layout',
    order.map((l) => l.layout).join(','),
    '-variant',
    order.map((l) => l.variant).join(','),
  ];
}

/** X display names as display managers set them (`:0`, `:0.0`, `unix:1`, `host:10.0`). */
const DISPLAY_NAME = /^[A-Za-z0-9._/-]{0,64}:\d{1,5}(?:\.\d{1,3})?$/;

export interface SetxkbmapOptions {
  /** The X display of the greeter (its DISPLAY). */
  display: string;
  /** The greeter's X authority file (LightDM sets XAUTHORITY); null when the server needs none. */
  xauthority?: string | null;
  /** Default /usr/bin/setxkbmap; tests may name another absolute path. */
  path?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export class SetxkbmapSwitcher implements KeyboardSwitcher {
  private readonly env: Record<string, string>;
  private readonly path: string;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(options: SetxkbmapOptions) {
    if (!DISPLAY_NAME.test(options.display)) throw new TypeError('not an X display name');
    const xauthority = options.xauthority ?? null;
    if (xauthority !== null && (!xauthority.startsWith('/') || xauthority.includes('\0'))) {
      throw new TypeError('XAUTHORITY must be an absolute path');
    }
    this.path = options.path ?? SETXKBMAP_PATH;
    if (!this.path.startsWith('/')) throw new TypeError('setxkbmap path must be absolute');
    this.env = { DISPLAY: options.display, ...(xauthority ? { XAUTHORITY: xauthority } : {}) };
    this.timeoutMs = options.timeoutMs ?? SWITCH_TIMEOUT_MS;
    this.log = options.log ?? (() => undefined);
  }

  switchTo(layouts: readonly KeyboardLayout[], index: number): Promise<void> {
    const args = setxkbmapArgs(layouts, index);
    return new Promise((resolve, reject) => {
      execFile(
        this.path,
        args,
        {
          env: this.env,
          shell: false,
          timeout: this.timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024,
          windowsHide: true,
        },
        (error, _stdout, stderr) => {
          if (error === null) {
            this.log(`keyboard: switched to ${args[1]} (${args[3]})`);
            resolve();
            return;
          }
          const timedOut = error.killed === true && error.signal === 'SIGKILL';
          // stderr is setxkbmap's own diagnostic (no secret can be in it); one line, bounded.
          const detail = String(stderr).split('\n')[0]!.slice(0, 200);
          this.log(
            `keyboard: setxkbmap ${timedOut ? 'timed out' : `failed (${String(error.code)})`}${detail ? `: ${detail}` : ''}`,
          );
          reject(
            timedOut
              ? new KeyboardSwitchError('KEYBOARD_SWITCH_TIMEOUT', 'setxkbmap did not finish')
              : new KeyboardSwitchError('KEYBOARD_SWITCH_FAILED', 'setxkbmap failed'),
          );
        },
      );
    });
  }
}

/**
 * The switcher this environment allows: setxkbmap on the greeter's X display under X11 when
 * /usr/bin/setxkbmap is installed; null under Wayland (WAYLAND_DISPLAY set: the compositor
 * owns the keymap, even where Xwayland also sets DISPLAY) and without a display.
 */
export function keyboardSwitcherFromEnvironment(
  env: NodeJS.ProcessEnv,
  options: { path?: string; log?: (line: string) => void } = {},
): KeyboardSwitcher | null {
  const log = options.log ?? (() => undefined);
  const path = options.path ?? SETXKBMAP_PATH;
  if (env.WAYLAND_DISPLAY) {
    log('keyboard: Wayland session, the compositor owns the layout; indicator only');
    return null;
  }
  const display = env.DISPLAY ?? '';
  if (display === '') return null;
  if (!DISPLAY_NAME.test(display)) {
    log('keyboard: DISPLAY is not a plain X display name; indicator only');
    return null;
  }
  if (!isExecutableFile(path)) {
    log(`keyboard: ${path} not installed (x11-xkb-utils); indicator only`);
    return null;
  }
  const xauthority = env.XAUTHORITY?.startsWith('/') ? env.XAUTHORITY : null;
  return new SetxkbmapSwitcher({ display, xauthority, path, log });
}
