// Assistive tools the accessibility menu may start: the Orca screen reader and the onboard
// on-screen keyboard, each at a fixed absolute path, offered only when that path is an
// executable regular file. Started without a shell, with no arguments, in the greeter's own
// environment (its display), at most one instance of each at a time; stopped when the greeter
// closes. Offered on the login and the unlock screen alike, as GDM does: the person at a
// locked session may need a screen reader or a keyboard to type the password at all, and
// neither tool gives access to the locked session.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { AssistiveTool, AssistiveTools } from '../../preload/api';

export const DEFAULT_ASSISTIVE_PATHS: Readonly<Record<AssistiveTool, string>> = Object.freeze({
  'screen-reader': '/usr/bin/orca',
  'on-screen-keyboard': '/usr/bin/onboard',
});

export type AssistivePaths = Partial<Record<AssistiveTool, string>>;

/** Whether `path` is absolute and an executable regular file (symlinks followed, like exec). */
export function isExecutableFile(path: string): boolean {
  if (!path.startsWith('/')) return false;
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class AssistiveLauncher {
  private readonly paths: Record<AssistiveTool, string>;
  private readonly running = new Map<AssistiveTool, ChildProcess>();
  private readonly log: (line: string) => void;

  constructor(paths: AssistivePaths = {}, log: (line: string) => void = () => undefined) {
    this.paths = { ...DEFAULT_ASSISTIVE_PATHS, ...paths };
    this.log = log;
  }

  /** Which tools are installed now. */
  available(): AssistiveTools {
    return {
      screenReader: isExecutableFile(this.paths['screen-reader']),
      onScreenKeyboard: isExecutableFile(this.paths['on-screen-keyboard']),
    };
  }

  offers(tool: AssistiveTool): boolean {
    const available = this.available();
    return tool === 'screen-reader' ? available.screenReader : available.onScreenKeyboard;
  }

  /** Whether an instance started by us is still running. */
  isRunning(tool: AssistiveTool): boolean {
    return this.running.has(tool);
  }

  /**
   * Starts `tool` unless an instance started by us still runs (then nothing happens).
   * Resolves once the process was spawned; rejects when it could not be.
   */
  start(tool: AssistiveTool): Promise<void> {
    if (this.running.has(tool)) return Promise.resolve();
    const path = this.paths[tool];
    return new Promise((resolve, reject) => {
      const child = spawn(path, [], { shell: false, stdio: 'ignore', detached: false });
      this.running.set(tool, child);
      const forget = () => {
        if (this.running.get(tool) === child) this.running.delete(tool);
      };
      child.once('spawn', () => {
        this.log(`assistive tool started: ${tool}`);
        resolve();
      });
      child.once('error', (error) => {
        forget();
        this.log(`assistive tool ${tool} not started: ${(error as NodeJS.ErrnoException).code}`);
        reject(new Error(`${tool} could not be started`));
      });
      child.once('exit', forget);
    });
  }

  /** Stops the tools we started (the greeter is going away). */
  close(): void {
    for (const child of this.running.values()) child.kill('SIGTERM');
    this.running.clear();
  }
}
