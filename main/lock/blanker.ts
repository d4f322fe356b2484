// The blanker: black windows over the whole X screen of the locked session, in a process of
// their own. Two implementations share one shape: the Chromium fallback (here: /usr/bin/chromium
// in kiosk app mode on a black data: page) and Electron's (app/session-blanker.ts, the
// `bastion-greeter --session-blanker` process, one window per display).
//
// Its own process, started detached (a session and process group of its own): it outlives the
// locker. A locker that dies while locked leaves the session covered (fail closed); the blanker
// goes away when told (hide) or when the session's X server ends, which ends every client.
//
// "Shown" means proved on the X server: a window with the blanker's unique title is mapped and
// covers the root window (xwininfo), not merely "a process was started".
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockError } from './errors';
import { covers, rootGeometry, windowGeometry, type WindowGeometry, type X11Target } from './x11';

export interface Blanker {
  /** Shows the blanker (no-op when up); resolves once it covers the screen. Rejects: LockError. */
  show(): Promise<void>;
  /** Takes it away; resolves once its process has exited. */
  hide(): Promise<void>;
  /** Whether its process runs. */
  alive(): boolean;
  /** Its process id while it runs (for logs). */
  pid(): number | null;
  /** Called when the blanker's process ends without hide() (killed, crashed, closed). */
  onDied(listener: (why: string) => void): () => void;
}

/** How to start one blanker process, given the unique window title and the screen. */
export type BlankerCommand = (spec: {
  title: string;
  root: WindowGeometry;
  profileDir: string;
}) => { path: string; args: string[]; env?: Record<string, string> };

export interface ProcessBlankerOptions extends X11Target {
  command: BlankerCommand;
  /** How long show() waits for a covering window, in ms (default 10 000). */
  readyTimeoutMs?: number;
  /** Where its temporary profile dir goes (default: XDG_RUNTIME_DIR, else the temp dir). */
  runtimeDir?: string;
  /**
   * Shown = this line on the process's stdout (Electron's blanker prints it once every
   * display's window is shown: one window per display, which no single xwininfo answer
   * proves) instead of a covering window of the title (Chromium).
   */
  readyLine?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ProcessBlanker implements Blanker {
  private child: ChildProcess | null = null;
  private profileDir: string | null = null;
  private hiding = false;
  private showing: Promise<void> | null = null;
  private readonly listeners = new Set<(why: string) => void>();

  constructor(private readonly options: ProcessBlankerOptions) {}

  alive(): boolean {
    return this.child !== null;
  }

  pid(): number | null {
    return this.child?.pid ?? null;
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

  private async start(): Promise<void> {
    const root = await rootGeometry(this.options);
    if (!root) {
      throw new LockError('BLANKER_FAILED', `no X screen on ${this.options.display}`);
    }
    const title = `bastion-blanker-${randomBytes(6).toString('hex')}`;
    const base = this.options.runtimeDir ?? process.env.XDG_RUNTIME_DIR ?? tmpdir();
    const profileDir = mkdtempSync(join(base, 'bastion-blanker-'));
    const command = this.options.command({ title, root, profileDir });
    const env: Record<string, string> = {
      DISPLAY: this.options.display,
      ...(this.options.xauthority ? { XAUTHORITY: this.options.xauthority } : {}),
      HOME: profileDir,
      PATH: '/usr/bin:/bin',
      ...command.env,
    };
    const child = spawn(command.path, command.args, {
      env,
      shell: false,
      detached: true,
      stdio: ['ignore', this.options.readyLine ? 'pipe' : 'ignore', 'ignore'],
    });
    let announced = false;
    if (this.options.readyLine) {
      let text = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        if (announced) return;
        text = (text + chunk.toString('utf8')).slice(-4096);
        announced = text.split('\n').includes(this.options.readyLine!);
      });
    }
    this.child = child;
    this.profileDir = profileDir;
    this.hiding = false;
    let exited: string | null = null;
    const finish = (why: string): void => {
      if (exited !== null) return;
      exited = why;
      if (this.child !== child) return;
      this.child = null;
      rmSync(profileDir, { recursive: true, force: true });
      if (!this.hiding) for (const listener of this.listeners) listener(why);
    };
    child.on('error', (error) => finish(`could not start: ${error.message}`));
    child.on('exit', (code, signal) => finish(`exited (${signal ?? code})`));
    const end = Date.now() + (this.options.readyTimeoutMs ?? 10_000);
    for (;;) {
      if (exited !== null) throw new LockError('BLANKER_FAILED', `the blanker ${exited}`);
      if (this.options.readyLine ? announced : await this.coversScreen(title, root)) break;
      if (Date.now() > end) {
        // Not trusted to cover: ended quietly (the caller retries with a new one).
        await this.hide();
        throw new LockError('BLANKER_FAILED', 'no covering blanker window in time');
      }
      await sleep(50);
    }
    // Mapped is not painted: one frame of the (tiny, local) black page.
    await sleep(100);
  }

  private async coversScreen(title: string, root: WindowGeometry): Promise<boolean> {
    const window = await windowGeometry(this.options, title);
    return window !== null && covers(window, root);
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

export interface ChromiumBlankerOptions extends X11Target {
  chromiumPath?: string;
  readyTimeoutMs?: number;
  runtimeDir?: string;
}

/** The black page: no script, no network, no cursor. */
export function blankerPageUrl(title: string): string {
  const html =
    `<!doctype html><meta charset="utf-8"><title>${title}</title>` +
    '<style>html,body{margin:0;width:100%;height:100%;background:#000;cursor:none;overflow:hidden}</style>';
  return `data:text/html;charset=utf-8,${encodeURIComponent(html)}`;
}

/**
 * Chromium's command line for the blanker. The window is asked one pixel larger than the
 * root window: Chromium (Debian 1xx on Xvfb, no window manager) shrinks a window asked at
 * exactly the screen's size to one pixel less each way, which leaves a line of the session
 * uncovered; larger is placed as asked, the excess off-screen.
 */
export function chromiumBlankerArgs(spec: {
  title: string;
  root: WindowGeometry;
  profileDir: string;
}): string[] {
  const args = [
    '--kiosk',
    `--app=${blankerPageUrl(spec.title)}`,
    `--window-position=${spec.root.x},${spec.root.y}`,
    `--window-size=${spec.root.width + 1},${spec.root.height + 1}`,
    `--user-data-dir=${spec.profileDir}`,
    '--class=bastion-blanker',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-translate',
    '--disable-session-crashed-bubble',
    '--noerrdialogs',
    '--password-store=basic',
  ];
  // Chromium refuses its sandbox as root (a root X session is not a supported setup anyway).
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return args;
}

/** The Chromium-fallback blanker (tests, `npm start`-style runs without Electron). */
export function chromiumBlanker(options: ChromiumBlankerOptions): ProcessBlanker {
  return new ProcessBlanker({
    ...options,
    command: (spec) => ({
      path: options.chromiumPath ?? '/usr/bin/chromium',
      args: chromiumBlankerArgs(spec),
    }),
  });
}
