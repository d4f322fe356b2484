// Sign-in through every real layer: built renderer in Chromium → bridge → main/ backend →
// helper TEST build → libpam (pam_wrapper) → pam_matrix / pam_exec (dev/demo-stack.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { saveScreenshot } from './support/browser';
import { launchChromium, openGreeter, requireE2ePrerequisites, signIn } from './support/session';
import { axeViolations, seriousOrCritical } from './support/axe';
import { e2ePrerequisites } from './support/greeter-harness';

let browser: Browser | null = null;
before(async () => {
  if (e2eReady()) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

function e2eReady(): boolean {
  return e2ePrerequisites().every((p) => p.available);
}

test('right password: demo/demo-pass signs in', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { harness, page, pageErrors } = await openGreeter(t, browser!);
  await signIn(page, 'demo', 'demo-pass');
  await page.getByTestId('auth-success').waitFor();
  assert.match(await page.getByTestId('auth-success').innerText(), /Signing in/);
  const snapshot = (await harness.backend.handle('getAuthSnapshot', undefined)) as {
    phase: string;
    user: string;
  };
  assert.equal(snapshot.phase, 'success');
  assert.equal(snapshot.user, 'demo');
  await saveScreenshot(page, 'login-success');
  assert.deepEqual(pageErrors, []);
});

test('wrong password: demo/bad is refused with the wrong-password sentence', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { harness, page, pageErrors } = await openGreeter(t, browser!);
  await signIn(page, 'demo', 'bad-password');
  const failure = page.getByTestId('auth-failure');
  await failure.waitFor();
  assert.match(await failure.innerText(), /Wrong user name or password/);
  await assert.rejects(page.getByTestId('auth-success').waitFor({ timeout: 300 }));
  const snapshot = (await harness.backend.handle('getAuthSnapshot', undefined)) as {
    phase: string;
    failure: { reason: string; pamName: string } | null;
  };
  assert.equal(snapshot.phase, 'failure');
  assert.equal(snapshot.failure?.reason, 'credentials');
  assert.equal(snapshot.failure?.pamName, 'PAM_AUTH_ERR');
  await saveScreenshot(page, 'login-wrong-password');
  assert.deepEqual(pageErrors, []);
});

test('locked: pam_exec line OFFLINE_ERROR:-6:240 shows "Locked, 4:00 left" and counts down', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { page, pageErrors } = await openGreeter(t, browser!);
  await signIn(page, 'locked', 'any');
  const countdown = page.getByTestId('lockout-countdown');
  await countdown.waitFor();
  const first = await countdown.innerText();
  // The line arrives within a second of the lock starting: 4:00, or 3:59 on a slow tick.
  assert.match(first, /^Locked, (4:00|3:59) left$/);
  await saveScreenshot(page, 'login-locked');
  await page.waitForFunction(
    () =>
      /^Locked, 3:5\d left$/.test(
        document.querySelector('[data-testid="lockout-countdown"]')?.textContent ?? '',
      ),
    undefined,
    { timeout: 5_000 },
  );
  const later = await countdown.innerText();
  assert.match(later, /^Locked, 3:5\d left$/);
  assert.notEqual(later, first);
  // The offline cache's own sentence for LOCKED is shown too.
  assert.match(await page.getByTestId('messages').innerText(), /Offline sign-in is locked/);
  assert.deepEqual(pageErrors, []);
});

test('offline cache lines reach the screen: OK with validity, wrong password, expired', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  await t.test('OFFLINE_OK:<expiry> → signed in, cached login valid until …', async (t2) => {
    const { page } = await openGreeter(t2, browser!);
    await signIn(page, 'offline', 'offline-pass');
    await page.getByTestId('auth-success').waitFor();
    const validUntil = page.getByTestId('cached-valid-until');
    await validUntil.waitFor();
    assert.match(await validUntil.innerText(), /^Cached login valid until .+\.$/);
    await saveScreenshot(page, 'offline-ok');
  });
  await t.test('OFFLINE_ERROR:-8 → wrong password for offline sign-in', async (t2) => {
    const { page } = await openGreeter(t2, browser!);
    await signIn(page, 'offline', 'not-the-cached-one');
    await page.getByTestId('auth-failure').waitFor();
    assert.match(
      await page.getByTestId('messages').innerText(),
      /Wrong password for offline sign-in/,
    );
    await saveScreenshot(page, 'offline-wrong-password');
  });
  await t.test('OFFLINE_ERROR:-5 → offline credentials expired', async (t2) => {
    const { page } = await openGreeter(t2, browser!);
    await signIn(page, 'expired', 'any');
    await page.getByTestId('auth-failure').waitFor();
    assert.match(
      await page.getByTestId('messages').innerText(),
      /offline credentials have expired/,
    );
    await saveScreenshot(page, 'offline-expired');
  });
});

test('unlock screen: shows the locked session user and unlocks with the right password', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { page, pageErrors } = await openGreeter(t, browser!, {
    mode: 'unlock',
    currentUser: 'demo',
  });
  assert.equal((await page.getByTestId('current-user').innerText()).trim(), 'demo');
  assert.match(await page.locator('h1').innerText(), /Unlock this computer/);
  await saveScreenshot(page, 'unlock-screen');
  await signIn(page, 'demo', 'demo-pass');
  await page.getByTestId('auth-success').waitFor();
  assert.match(await page.getByTestId('auth-success').innerText(), /Unlocked/);
  assert.deepEqual(pageErrors, []);
});

test('axe-core: no serious or critical violations on the login and unlock screens', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  for (const mode of ['login', 'unlock'] as const) {
    const { page } = await openGreeter(t, browser!, { mode });
    const before = seriousOrCritical(await axeViolations(page));
    assert.deepEqual(before, [], `${mode} screen at rest`);
    // And with a failure message on screen.
    await signIn(page, 'demo', 'bad-password');
    await page.getByTestId('auth-failure').waitFor();
    assert.deepEqual(
      seriousOrCritical(await axeViolations(page)),
      [],
      `${mode} screen after a failure`,
    );
    await saveScreenshot(page, `axe-${mode}`);
  }
});
