// Issue 3 on screen: the REAL `bastion-offline verify` (build/cli) run by real pam_exec
// (`seteuid expose_authtok stdout`) in a pam_wrapper stack, through the helper test build
// and the real backend, into the built renderer. The cache is filled beforehand by the real
// `bastion-offline store`; nothing here prints OFFLINE_* lines but the engine itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { BUILD_DIR, REPO_ROOT } from '../testkit/paths';
import { GREETER_SERVICE, SYSTEM_PAM_MODULES } from '../dev/demo-stack';
import { saveScreenshot } from './support/browser';
import { e2ePrerequisites } from './support/greeter-harness';
import { launchChromium, openGreeter, requireE2ePrerequisites, signIn } from './support/session';

const CLI = join(BUILD_DIR, 'cli', 'bastion-offline.cjs');
const LOCKOUT_SECONDS = 240;
const MAX_FAILURES = 2;

let browser: Browser | null = null;
let dir = '';
let serviceDir = '';
let cacheArgs: string[] = [];

function ensureCliBuilt(): void {
  if (existsSync(CLI)) return;
  const built = spawnSync(process.execPath, ['scripts/build.mjs', 'cli'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  assert.equal(built.status, 0, 'building the CLI failed');
}

before(async () => {
  if (!e2ePrerequisites().every((p) => p.available)) return;
  ensureCliBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bastion-e2e-offline-'));
  chmodSync(dir, 0o700);
  const cacheDir = join(dir, 'credentials');
  mkdirSync(cacheDir, { mode: 0o700 });
  const keyFile = join(dir, 'cache.key');
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  const machineId = join(dir, 'machine-id');
  writeFileSync(machineId, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  cacheArgs = ['--cache-dir', cacheDir, '--key-file', keyFile, '--machine-id-file', machineId];

  // What an online success records (the store step of the shipped stacks).
  const stored = spawnSync(process.execPath, [CLI, 'store', ...cacheArgs], {
    input: 'cached-pass\0',
    env: { PAM_USER: 'alice', PATH: '/usr/bin:/bin' },
    encoding: 'utf8',
  });
  assert.equal(stored.status, 0, `bastion-offline store failed: ${stored.stderr}`);

  // The offline branch of a shipped stack, with our runtime's absolute path.
  serviceDir = join(dir, 'pam');
  mkdirSync(serviceDir, { mode: 0o700 });
  const verify = join(dir, 'offline-verify.sh');
  const args = [
    ...cacheArgs,
    '--max-failures',
    String(MAX_FAILURES),
    '--lockout',
    String(LOCKOUT_SECONDS),
  ];
  writeFileSync(verify, `#!/bin/sh\nexec ${process.execPath} ${CLI} verify ${args.join(' ')}\n`, {
    mode: 0o700,
  });
  writeFileSync(
    join(serviceDir, GREETER_SERVICE),
    [
      `auth [success=done default=ignore] ${SYSTEM_PAM_MODULES}/pam_exec.so seteuid expose_authtok quiet stdout ${verify}`,
      `auth requisite ${SYSTEM_PAM_MODULES}/pam_deny.so`,
      `account required ${SYSTEM_PAM_MODULES}/pam_permit.so`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(serviceDir, 'passdb'), '', { mode: 0o600 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function attempt(t: TestContext, user: string, password: string) {
  const session = await openGreeter(t, browser!, { pamServiceDir: serviceDir });
  await signIn(session.page, user, password);
  await session.page
    .locator('[data-testid="auth-success"], [data-testid="auth-failure"]')
    .first()
    .waitFor({ timeout: 20_000 });
  return session;
}

// The steps share one cache, so they run in order inside one test.
test('real bastion-offline verify: OK, NOTFOUND, PASSWORD, then LOCKED with a countdown', async (t) => {
  if (!requireE2ePrerequisites(t)) return;

  await t.test('right cached password → signed in, "Cached login valid until …"', async (t2) => {
    const { page } = await attempt(t2, 'alice', 'cached-pass');
    await page.getByTestId('auth-success').waitFor();
    assert.match(
      await page.getByTestId('cached-valid-until').innerText(),
      /^Cached login valid until .+\.$/,
    );
    await saveScreenshot(page, 'offline-real-ok');
  });

  await t.test(
    'no entry for the user → the wrong-password sentence (no enumeration)',
    async (t2) => {
      const { page } = await attempt(t2, 'bob', 'whatever');
      assert.match(
        await page.getByTestId('messages').innerText(),
        /Wrong password for offline sign-in, or no offline sign-in/,
      );
    },
  );

  for (let i = 1; i <= MAX_FAILURES; i++) {
    await t.test(`wrong password #${i} → OFFLINE_ERROR:-8 sentence`, async (t2) => {
      const { page } = await attempt(t2, 'alice', `wrong-${i}`);
      assert.match(
        await page.getByTestId('messages').innerText(),
        /Wrong password for offline sign-in/,
      );
    });
  }

  await t.test(
    'locked: even the right password is refused, "Locked, 4:00 left" counts down',
    async (t2) => {
      const { page } = await attempt(t2, 'alice', 'cached-pass');
      const countdown = page.getByTestId('lockout-countdown');
      await countdown.waitFor();
      const first = await countdown.innerText();
      assert.match(first, /^Locked, (4:00|3:5\d) left$/);
      await page.waitForFunction(
        (previous) => {
          const text =
            document.querySelector('[data-testid="lockout-countdown"]')?.textContent ?? '';
          return /^Locked, 3:5\d left$/.test(text) && text !== previous;
        },
        first,
        { timeout: 5_000 },
      );
      assert.match(await page.getByTestId('messages').innerText(), /Offline sign-in is locked/);
      await assert.rejects(page.getByTestId('auth-success').waitFor({ timeout: 200 }));
      await saveScreenshot(page, 'offline-real-locked');
    },
  );
});
