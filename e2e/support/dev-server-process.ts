// The dev server as `npm start` runs it: its own Node process (build/dev/server.mjs) with
// the demo PAM stack, so nothing else shares its event loop (in-process harnesses share it
// with the Playwright driver, which skews timings).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BUILD_DIR } from '../../testkit/paths';
import { ensureRendererBuilt, HELPER_TEST_BUILD } from './greeter-harness';

export interface DevServerProcess {
  pageUrl: string;
  stop(): Promise<void>;
}

export async function startDevServerProcess(
  env: Record<string, string> = {},
): Promise<DevServerProcess> {
  ensureRendererBuilt();
  const demoDir = mkdtempSync(join(tmpdir(), 'bastion-devserver-'));
  const child = spawn(process.execPath, [join(BUILD_DIR, 'dev', 'server.mjs')], {
    env: {
      ...process.env,
      // The form at once, as on most sites' login screens (e2e/screens.test.ts shows the list).
      BASTION_DEV_DEMO_POLICY: '[greeter]\nhide-user-list=true\n',
      ...env,
      BASTION_HELPER: HELPER_TEST_BUILD,
      BASTION_DEV_DEMO_DIR: demoDir,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(demoDir, { recursive: true, force: true });
  };
  try {
    const pageUrl = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^BASTION_DEV_URL (\S+)$/.exec(line);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`dev server exited (${code})`)));
    });
    return { pageUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
