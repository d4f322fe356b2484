// One window per display, as GDM and lightdm-gtk-greeter do: the full greeter (form, preload
// bridge) on the PRIMARY display (`screen.getPrimaryDisplay()`: deterministic, where the desktop
// puts its panel, and what GDM uses; the pointer's position when the greeter starts is
// arbitrary), a background-only window on every other display, so no display shows a bare X
// root or a stale frame. Windows follow `display-added`, `display-removed` and
// `display-metrics-changed`; the greeter window itself is never recreated (it holds the
// conversation and is the only window IPC trusts), only moved to the new primary display.
//
// HiDPI: each window's bounds are its display's bounds in DIPs; Electron applies each
// display's scaleFactor to the page itself and the renderer sizes in rem/CSS px, so nothing
// here zooms.
//
// Only where the greeter can place windows: X11 (LightDM). Under Wayland (greetd + cage) a
// client cannot choose an output and cage shows one view, so a second window could cover the
// form: there, and in `--windowed` debugging, the greeter window alone.
import type * as ElectronModule from 'electron';
import type { BrowserWindow, Display, Rectangle } from 'electron';
import {
  createBackgroundWindow,
  createGreeterWindow,
  type GreeterWindowOptions,
  type WindowElectron,
} from './window';

export type DisplaysElectron = WindowElectron & Pick<typeof ElectronModule, 'screen'>;

export interface GreeterWindowsOptions extends Omit<GreeterWindowOptions, 'bounds'> {
  /** Whether windows can be placed per display (X11, fullscreen); else one greeter window. */
  perDisplay: boolean;
  /** A background page that failed to load (the display then stays blank). */
  log?: (line: string) => void;
}

export interface GreeterWindows {
  /** The window with the form and the preload; the one app/ipc.ts serves. */
  greeter: BrowserWindow;
  /** The background windows, by display id (for tests and diagnostics). */
  backgrounds(): ReadonlyMap<number, BrowserWindow>;
  /** Stops following the displays and closes the background windows. */
  close(): void;
}

const sameBounds = (a: Rectangle, b: Rectangle): boolean =>
  a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;

/** Whether two rectangles share any area (touching edges do not). */
const intersects = (a: Rectangle, b: Rectangle): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

export function openGreeterWindows(
  electron: DisplaysElectron,
  options: GreeterWindowsOptions,
): GreeterWindows {
  const { perDisplay, log = () => undefined, ...windowOptions } = options;
  const { screen } = electron;
  const backgrounds = new Map<number, BrowserWindow>();

  if (!perDisplay) {
    const greeter = createGreeterWindow(electron, windowOptions);
    return { greeter, backgrounds: () => backgrounds, close: () => undefined };
  }

  const primary = screen.getPrimaryDisplay();
  const greeter = createGreeterWindow(electron, { ...windowOptions, bounds: primary.bounds });
  let greeterBounds = primary.bounds;
  let closed = false;

  const place = (window: BrowserWindow, bounds: Rectangle): void => {
    if (!window.isDestroyed()) window.setBounds(bounds);
  };

  const relayout = (): void => {
    if (closed) return;
    const primaryNow = screen.getPrimaryDisplay();
    if (!greeter.isDestroyed() && !sameBounds(greeterBounds, primaryNow.bounds)) {
      greeterBounds = primaryNow.bounds;
      place(greeter, primaryNow.bounds);
    }
    // A display overlapping the form's (clone mode: mirrored monitors share one area) gets no
    // background window: it would lie over the form there, and the form already shows there.
    const others = new Map<number, Display>(
      screen
        .getAllDisplays()
        .filter(
          (display) =>
            display.id !== primaryNow.id && !intersects(display.bounds, primaryNow.bounds),
        )
        .map((display) => [display.id, display]),
    );
    for (const [id, window] of backgrounds) {
      if (others.has(id) && !window.isDestroyed()) continue;
      backgrounds.delete(id);
      if (!window.isDestroyed()) window.destroy();
    }
    for (const [id, display] of others) {
      const existing = backgrounds.get(id);
      if (existing) {
        place(existing, display.bounds);
        continue;
      }
      backgrounds.set(
        id,
        createBackgroundWindow(electron, {
          rendererDir: windowOptions.rendererDir,
          contentSecurityPolicy: windowOptions.contentSecurityPolicy,
          bounds: display.bounds,
          onLoadFailed: (error) => log(`display ${id}: background not loaded: ${error.message}`),
        }),
      );
    }
    // The form above every background and with the keyboard focus, whatever was (re)placed.
    if (!greeter.isDestroyed()) {
      greeter.moveTop();
      greeter.focus();
    }
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    screen.removeListener('display-added', relayout);
    screen.removeListener('display-removed', relayout);
    screen.removeListener('display-metrics-changed', relayout);
    for (const window of backgrounds.values()) if (!window.isDestroyed()) window.destroy();
    backgrounds.clear();
  };

  relayout();
  screen.on('display-added', relayout);
  screen.on('display-removed', relayout);
  screen.on('display-metrics-changed', relayout);
  // Background windows must not outlive the form: with them gone too, `window-all-closed`
  // fires and the entry quits as it did with one window.
  greeter.on('closed', close);

  return { greeter, backgrounds: () => backgrounds, close };
}
