// Issue 8, "What it must show", LightDM: a real LightDM 1.26 (`--test-mode`, Xvfb, as the
// non-root test account; testkit/dm/lightdm-rig.ts, pam_wrapper + pam_matrix) launches the
// project's real greeter — the Chromium fallback's main process, build/dev/server.mjs, through
// e2e/support/dm-greeter.ts — and the test drives its real renderer in Playwright's Chromium
// on the URL that process printed. The conversation goes over LightDM's greeter protocol
// (main/dm/lightdm); the helper is never involved (BASTION_HELPER points nowhere).
//
// One daemon for the whole file: every case but the last ends with a started session (the
// rig's session script, as the user, exits at once), after which LightDM starts the next
// greeter process, whose page the next case opens. The last case leaves its greeter on screen
// (an offline lockout) and the rig stops everything by PID.
//
// Why not scripts/start.mjs (npm start) as the greeter command, with its own Chromium: it runs
// the server with the demo PAM stack and its demo sessions (BASTION_DEV_DEMO_DIR), which a
// display manager's greeter must not use, and its Chromium (`--app`, no remote debugging) is a
// window nobody can drive or check. The greeter command is the process it starts,
// build/dev/server.mjs, and the browser is Playwright's (headless, the same Chromium binary),
// so each case asserts on what the page shows. On a real seat the Electron entry shows it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  LOGIN_PASS,
  LOGIN_USER,
  OTP,
  TEST_SESSION,
  lightdmRigMissing,
  startLightdmRig,
  type LightdmRig,
} from '../testkit/dm/lightdm-rig';
import { HELPER_OUT } from '../testkit/paths';
import { requireOrSkip } from '../testkit/require';
import { launchChromium, saveScreenshot } from './support/browser';
import { prepareDmGreeter, type DmGreeter } from './support/dm-greeter';
import { lightdmGreeters } from './support/lightdm-greeters';
import {
  answerPrompt,
  assertAxeClean,
  chooseUser,
  focusedTestId,
  submitPassword,
  waitForSuccess,
} from './support/dm-screen';
import { e2ePrerequisites } from './support/greeter-harness';

const PAM_PROBE = join(HELPER_OUT, 'pam_probe.so');

function whatIsMissing(): string | null {
  const missing = [lightdmRigMissing()];
  for (const p of e2ePrerequisites()) if (!p.available) missing.push(p.what);
  if (!existsSync(PAM_PROBE)) missing.push(`${PAM_PROBE} (make -C native-helper)`);
  const list = missing.filter((m): m is string => m !== null);
  return list.length === 0 ? null : list.join(', ');
}
const missing = whatIsMissing();

describe('LightDM launches the real greeter (Chromium fallback)', { timeout: 150_000 }, () => {
  let rig: LightdmRig | null = null;
  let greeter: DmGreeter | null = null;
  let browser: Browser | null = null;

  before(async () => {
    if (missing !== null) return;
    greeter = prepareDmGreeter({ sessionType: 'x11' });
    browser = await launchChromium();
    rig = await startLightdmRig({ greeterCommand: greeter.command });
  });
  after(async () => {
    await Promise.allSettled([rig?.stop(), browser?.close()]);
    greeter?.cleanup();
  });
  const greeters = lightdmGreeters(() => ({ rig: rig!, greeter: greeter!, browser: browser! }));
  const nextGreeter = (t: TestContext) => greeters.next(t);
  const diagnostics = (run: number) => greeters.diagnostics(run);
  const sessionStarted = (count: number) => greeters.sessionStarted(count);

  test('login screen: user list and the rig’s session, axe clean; right password → the session script ran as the user', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const started = Date.now();
    const { page, pageErrors, run } = await nextGreeter(t);
    await page.getByTestId('user-list').waitFor();
    assert.equal(await page.getByTestId(`user-entry-${LOGIN_USER}`).count(), 1);
    // LightDM's default-session hint, offered from the rig's sessions dir.
    assert.equal(await page.getByTestId('session').inputValue(), TEST_SESSION);
    await saveScreenshot(page, 'dm-lightdm-login-en');
    await assertAxeClean(page, 'login screen with the user list');
    await chooseUser(page, LOGIN_USER);
    assert.equal(await focusedTestId(page), 'password');
    await assertAxeClean(page, 'login screen, user chosen');
    const before = rig!.sessionStarts().length;
    await submitPassword(page, LOGIN_PASS);
    await waitForSuccess(page, () => diagnostics(run));
    assert.match(await page.getByTestId('auth-success').innerText(), /Signing in/);
    const marker = await sessionStarted(before + 1);
    assert.match(marker, new RegExp(`USER=${LOGIN_USER}$`));
    assert.match(
      greeter!.stderr(run),
      new RegExp(`attempt for ${LOGIN_USER} via lightdm: success`),
    );
    assert.doesNotMatch(greeter!.stderr(run), new RegExp(LOGIN_PASS));
    assert.deepEqual(pageErrors, []);
    t.diagnostic(`case start → session script: ${Date.now() - started} ms`);
  });

  test('wrong password: the message, the form usable again, then a login starts the session', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const { page, pageErrors, run } = await nextGreeter(t);
    await chooseUser(page, LOGIN_USER);
    await submitPassword(page, 'wrong-password');
    const failure = page.getByTestId('auth-failure');
    await failure.waitFor();
    assert.match(await failure.innerText(), /Wrong user name or password/);
    await saveScreenshot(page, 'dm-lightdm-wrong-password-en');
    await assertAxeClean(page, 'after a failure');
    // Usable again: the password field is focused, editable, and empty.
    await page.waitForFunction(
      () => document.activeElement?.getAttribute('data-testid') === 'password',
    );
    assert.equal(await page.getByTestId('password').isEditable(), true);
    assert.equal(await page.getByTestId('password').inputValue(), '');
    const before = rig!.sessionStarts().length;
    await page.keyboard.type(LOGIN_PASS);
    await page.keyboard.press('Enter');
    await waitForSuccess(page, () => diagnostics(run));
    await sessionStarted(before + 1);
    assert.deepEqual(pageErrors, []);
  });

  test('cancel at the prompt: back to the form, nothing started; then a login works', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const { page, pageErrors, run } = await nextGreeter(t);
    await chooseUser(page, LOGIN_USER);
    const before = rig!.sessionStarts().length;
    // An empty password: PAM's prompt is shown as a field of its own, which we cancel.
    await submitPassword(page, '');
    await page.getByTestId('prompt-answer').waitFor();
    await page.getByTestId('cancel').click();
    await page.getByTestId('password').waitFor();
    assert.equal(await page.getByTestId('prompt-answer').count(), 0);
    assert.match(await page.getByTestId('messages').innerText(), /Sign-in was cancelled/);
    await saveScreenshot(page, 'dm-lightdm-cancelled-en');
    assert.equal(rig!.sessionStarts().length, before, 'no session after a cancel');
    await submitPassword(page, LOGIN_PASS);
    await waitForSuccess(page, () => diagnostics(run));
    await sessionStarted(before + 1);
    assert.deepEqual(pageErrors, []);
  });

  test('a two-prompt PAM stack is relayed in order: info, visible code, info, secret password', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const { page, pageErrors, run } = await nextGreeter(t);
    rig!.setMode('two-prompt', true);
    t.after(() => rig!.setMode('two-prompt', false));
    await chooseUser(page, LOGIN_USER);
    const before = rig!.sessionStarts().length;
    await submitPassword(page, '');
    const messages = page.getByTestId('messages');
    const first = await answerPrompt(page, /^Password:/, OTP);
    assert.equal(first, 'text', 'the one-time code is asked in the clear (PAM_PROMPT_ECHO_ON)');
    assert.match(
      await messages.innerText(),
      new RegExp(`First factor: one-time code for ${LOGIN_USER}`),
    );
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="messages"]')?.textContent ?? '').includes(
          'Second factor: password',
        ) &&
        document.querySelector('[data-testid="prompt-answer"]')?.getAttribute('type') ===
          'password',
    );
    const text = await messages.innerText();
    assert.ok(
      text.indexOf('First factor') < text.indexOf('Second factor'),
      `messages in PAM's order:\n${text}`,
    );
    await saveScreenshot(page, 'dm-lightdm-two-prompt-en');
    await assertAxeClean(page, 'second prompt');
    assert.equal(await answerPrompt(page, /^Password:/, LOGIN_PASS), 'password');
    await waitForSuccess(page, () => diagnostics(run));
    await sessionStarted(before + 1);
    assert.deepEqual(pageErrors, []);
  });

  test('an expired password is changed through the screen (pam_chauthtok by LightDM), then the session starts', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const { page, pageErrors, run } = await nextGreeter(t);
    rig!.setMode('expired', true);
    t.after(() => rig!.setMode('expired', false));
    // The greeter after this one is the French pass (the last case).
    greeter!.setLocale('fr');
    await chooseUser(page, LOGIN_USER);
    const before = rig!.sessionStarts().length;
    await submitPassword(page, LOGIN_PASS);
    assert.equal(await answerPrompt(page, /^New password:/, 'n3w-Secret'), 'password');
    await page.getByTestId('prompt-answer').waitFor();
    await page.waitForFunction(() =>
      /^Retype new password:/.test(
        document.querySelector('label[for="prompt-answer"]')?.textContent ?? '',
      ),
    );
    await saveScreenshot(page, 'dm-lightdm-expired-password-en');
    await assertAxeClean(page, 'password change');
    await answerPrompt(page, /^Retype new password:/, 'n3w-Secret');
    await waitForSuccess(page, () => diagnostics(run));
    const marker = await sessionStarted(before + 1);
    assert.match(marker, new RegExp(`USER=${LOGIN_USER}$`));
    assert.equal(existsSync(rig!.passwordChangedFile), true, 'the PAM stack changed the password');
    assert.deepEqual(pageErrors, []);
  });

  // Last: the lockout stays on screen (this greeter ends with the rig).
  test('fr: OFFLINE_ERROR:-6:30 from a pam_exec line reaches the screen as a running countdown', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const { page, pageErrors } = await nextGreeter(t);
    rig!.setMode('offline-info', true);
    t.after(() => rig!.setMode('offline-info', false));
    await page.getByTestId('user-list').waitFor();
    await saveScreenshot(page, 'dm-lightdm-login-fr');
    await assertAxeClean(page, 'French login screen');
    await chooseUser(page, LOGIN_USER);
    await submitPassword(page, 'wrong-password');
    const countdown = page.getByTestId('lockout-countdown');
    await countdown.waitFor();
    const first = await countdown.innerText();
    assert.match(first, /^Verrouillé, encore 0:(30|29)$/);
    assert.match(
      await page.getByTestId('messages').innerText(),
      /connexion hors ligne est verrouillée/,
    );
    await saveScreenshot(page, 'dm-lightdm-offline-locked-fr');
    await assertAxeClean(page, 'lockout countdown');
    await page.waitForFunction(
      (shown) =>
        (document.querySelector('[data-testid="lockout-countdown"]')?.textContent ?? shown) !==
        shown,
      first,
      { timeout: 3_000 },
    );
    assert.match(await countdown.innerText(), /^Verrouillé, encore 0:2\d$/);
    assert.deepEqual(pageErrors, []);
  });
});
