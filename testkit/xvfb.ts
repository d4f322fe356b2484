// A real Xvfb on a free display number for tests: `-displayfd` makes the server pick the
// number and write it once it accepts connections, so nothing is guessed and no two tests
// collide. `-noreset`: an X server resets its keymap and root properties when its last client
// leaves, which would undo between two short-lived clients (setxkbmap, then a query) exactly
// what a test wants to observe; LightDM's greeter holds a connection, so a real server does
// not reset under it either. Bounded start; stop() kills it and waits for it.
import { spawn } from 'node:child_process';
import { findExecutable } from './require';

export const XVFB_PATH = '/usr/bin/Xvfb';

export interface XvfbForTest {
  /** `:<n>` */
  display: string;
  stop(): Promise<void>;
}

export function hasXvfb(): boolean {
  return findExecutable(XVFB_PATH) !== null;
}

export async function startXvfb(timeoutMs = 10_000): Promise<XvfbForTest> {
  const child = spawn(
    XVFB_PATH,
    ['-displayfd', '3', '-noreset', '-nolisten', 'tcp', '-screen', '0', '640x480x24'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(forced);
    }
  };
  const displayFd = child.stdio[3] as NodeJS.ReadableStream;
  try {
    const number = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`Xvfb did not start: ${stderr}`)), timeoutMs);
      displayFd.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /^(\d+)\n/.exec(text);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Xvfb exited (${code}): ${stderr}`));
      });
    });
    return { display: `:${number}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
