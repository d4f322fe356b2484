// The blanker: native-helper/bastion-session-blanker (C, Xlib), one black override-redirect
// window over the whole X screen of the locked session that grabs the keyboard and the
// pointer, in a process of its own. The same binary serves Electron's locker and the Chromium
// fallback's.
//
// Its own process, started detached (a session and process group of its own): it outlives the
// locker. A locker that dies while locked leaves the session covered (fail closed); the blanker
// goes away when told (hide: SIGTERM) or when the session's X server ends, which ends every
// client.
//
// "Shown" means proved by the blanker itself after a round trip to the X server: its line
// `ready 0x<window> grabbed=<0|1>` comes once its window is mapped and covers the root window,
// not merely "a process was started".
import { spawn, type ChildProcess } from 'node:child_process';
import { LockError } from './errors';
import type { X11Target } from './x11';

/** Where packages install the blanker (beside the PAM helper; see README.md). */
export const DEFAULT_BLANKER_PATH = '/usr/libexec/bastion-greeter/bastion-session-blanker';

export interface Blanker {
  /** Shows the blanker (no-op when up); resolves once it covers the screen. Rejects: LockError. */
  show(): Promise<void>;
  /** Takes it away; resolves once its process has exited. */
  hide(): Promise<void>;
  /** Whether its process runs. */
  alive(): boolean;
  /** Its process id while it runs (for logs). */
  pid(): number | null;
  /** Whether it holds the keyboard and pointer grabs; null while it is not up. */
  inputGrabbed(): boolean | null;
  /** Called when the blanker's process ends without hide() (killed, crashed, closed). */
  onDied(listener: (why: string) => void): () => void;
}

export interface X11BlankerOptions extends X11Target {
  /** The blanker binary (default DEFAULT_BLANKER_PATH). */
  blankerPath?: string;
  /** How long show() waits for its ready line, in ms (default 10 000). */
  readyTimeoutMs?: number;
  /** HOME of the session: Xlib reads $HOME/.Xauthority when no XAUTHORITY is set. */
  home?: string;
  /** Its stderr lines and grab changes (prefixed `blanker: `). */
  log?: (line: string) => void;
}

/** The blanker's ready line: its window id and whether both grabs are held. */
export function parseReadyLine(line: string): { window: string; grabbed: boolean } | null {
  const match = /^ready (0x[0-9a-f]+) grabbed=([01])$/.exec(line);
  return match ? { window: match[1]!, grabbed: match[2] === '1' } : null;
}

/** Calls `onLine` for each complete line of `stream` (bounded: a runaway line is cut). */
function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    const lines = text.split('\n');
    text = lines.pop()!.slice(-4096);
    for (const line of lines) onLine(line);
  });
}

export class X11Blanker implements Blanker {
  private child: ChildProcess | null = null;
  private window: string | null = null;
  private grabbed: boolean | null = null;
  private hiding = false;
  private showing: Promise<void> | null = null;
  private readonly listeners = new Set<(why: string) => void>();

  constructor(private readonly options: X11BlankerOptions) {}

  alive(): boolean {
    return this.child !== null;
  }

  pid(): number | null {
    return this.child?.pid ?? null;
  }

  inputGrabbed(): boolean | null {
    return this.child ? this.grabbed : null;
  }

  /** Its X window id (`0x…`) once ready, for xwininfo in tests. */
  windowId(): string | null {
    return this.child ? this.window : null;
  }

  onDied(listener: (why: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  show(): Promise<void> {
    if (this.showing) return this.showing;
    if (this.child) return Promise.resolve();
    this.showing = this.start().finally(() => (this.showing = null));
    return this.showing;
  }

  private start(): Promise<void> {
    const log = this.options.log ?? (() => undefined);
    const child = spawn(this.options.blankerPath ?? DEFAULT_BLANKER_PATH, [], {
      env: {
        DISPLAY: this.options.display,
        ...(this.options.xauthority ? { XAUTHORITY: this.options.xauthority } : {}),
        ...(this.options.home ? { HOME: this.options.home } : {}),
      },
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.window = null;
    this.grabbed = null;
    this.hiding = false;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error: LockError | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      let timedOut = false;
      const timer = setTimeout(() => {
        // Not trusted to cover: ended (the caller retries with a new one once it is gone).
        timedOut = true;
        void this.hide();
      }, this.options.readyTimeoutMs ?? 10_000);
      eachLine(child.stdout!, (line) => {
        const ready = parseReadyLine(line);
        if (ready && this.window === null) {
          this.window = ready.window;
          this.grabbed = ready.grabbed;
          settle(null);
        } else if (line === 'grabbed=1' || line === 'grabbed=0') {
          this.grabbed = line === 'grabbed=1';
          log(`blanker: input ${this.grabbed ? 'grabbed' : 'NOT grabbed (grab lost)'}`);
        }
      });
      eachLine(child.stderr!, (line) => log(`blanker: ${line}`));
      let exited = false;
      const finish = (why: string): void => {
        if (exited) return;
        exited = true;
        settle(
          new LockError('BLANKER_FAILED', timedOut ? 'not ready in time' : `the blanker ${why}`),
        );
        if (this.child !== child) return;
        this.child = null;
        if (!this.hiding) for (const listener of this.listeners) listener(why);
      };
      child.on('error', (error) => finish(`could not start: ${error.message}`));
      child.on('exit', (code, signal) => finish(`exited (${signal ?? code})`));
    });
  }

  hide(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.hiding = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
