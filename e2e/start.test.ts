// `npm start` on a machine without Electron and without a display: it must say so, start
// the same app behind the bridge with the demo PAM stack, print a working URL, and stop
// everything it started on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { REPO_ROOT } from '../testkit/paths';
import { launchChromium } from './support/browser';
import { saveScreenshot } from './support/browser';
import { pickListedUser, requireE2ePrerequisites, signIn } from './support/session';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test(
  'npm start without Electron or display: Chromium fallback, demo user signs in, clean stop',
  { timeout: 240_000 },
  async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && key !== 'DISPLAY' && key !== 'WAYLAND_DISPLAY') env[key] = value;
    }
    const child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: REPO_ROOT,
      // scripts/test.mjs built everything; a second build would rewrite build/ under the
      // tests running beside this one.
      env: { ...env, BASTION_START: 'chromium', BASTION_START_PREBUILT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Shown as before, and kept: the demo's power stand-in logs there.
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString('utf8'));
      process.stderr.write(chunk);
    });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const output: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      let found: string | null = null;
      lines.on('line', (line) => {
        output.push(line);
        const match = /^\s+(http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/#token=[0-9a-f]{64})$/.exec(
          line,
        );
        if (match) found = match[1]!;
        // The hints end with this line: read them all before checking them.
        if (found !== null && line === 'Press Ctrl-C to stop.') resolve(found);
      });
      child.once('exit', (code) =>
        reject(new Error(`npm start exited (${code}):\n${output.join('\n')}`)),
      );
    });
    const text = output.join('\n');
    assert.match(
      text,
      /Electron binary not available here; running the same app in the system Chromium/,
    );
    assert.match(text, /demo\s+demo-pass/);
    assert.match(text, /locked\s+any/);
    assert.match(text, /xvfb-run/);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(url);
      // The demo's power menu: all three actions, each going to DemoPowerActionsForPreview
      // (dev/demo-stack.ts), which only logs; nothing real restarts.
      await page.getByTestId('power-button').click();
      assert.deepEqual(await page.getByRole('menuitem').allInnerTexts(), [
        'Suspend',
        'Restart',
        'Power off',
      ]);
      await page.getByTestId('power-reboot').click();
      await page.getByRole('dialog').getByText('Restart now?').waitFor();
      await saveScreenshot(page, 'npm-start-demo-power-confirm');
      await page.getByTestId('power-confirm-action').click();
      await page.getByTestId('power-status').getByText('Restarting…').waitFor();
      for (let i = 0; i < 50 && !stderr.join('').includes('(demo) would restart'); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(stderr.join(''), /\(demo\) would restart — no real power action/);
      // The demo lists its users, as a login screen with local accounts does: pick one.
      await pickListedUser(page, 'demo');
      await signIn(page, 'demo', 'demo-pass');
      await page.getByTestId('auth-success').waitFor();
      await saveScreenshot(page, 'npm-start-demo-success');
    } finally {
      await browser.close();
    }

    const port = Number(new URL(url).port);
    assert.equal(await portOpen(port), true);
    // The page and its first paint (the demo's users, the host name) only at the printed URL.
    const bare = await fetch(new URL(url).origin + '/');
    assert.equal(bare.status, 404);
    assert.doesNotMatch(await bare.text(), /bastion-first-paint|demo/);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    // The server it started is gone too (it closes its port before exiting).
    let open = true;
    for (let i = 0; i < 50 && open; i++) {
      open = await portOpen(port);
      if (open) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(open, false, 'the dev server was stopped');
  },
);
