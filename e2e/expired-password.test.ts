// Issue 8, expired passwords on screen: pam_acct_mgmt answers PAM_NEW_AUTHTOK_REQD, the helper
// runs pam_chauthtok in the same conversation, and its prompts ("New password:", "Retype new
// password:") reach the screen as fields of their own; a rejected new password says why.
// Real helper test build, real libpam (pam_wrapper), pam_matrix for the password and the test
// module pam_probe (native-helper/test/pam_probe.c) for the expiry and the change.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { GREETER_SERVICE } from '../dev/demo-stack';
import { PAM_MATRIX } from '../testkit/pam-stack';
import { HELPER_OUT } from '../testkit/paths';
import { axeViolations, seriousOrCritical } from './support/axe';
import { saveScreenshot } from './support/browser';
import { launchChromium, openGreeter, requireE2ePrerequisites, signIn } from './support/session';

const PAM_PROBE = join(HELPER_OUT, 'pam_probe.so');

let browser: Browser | null = null;
let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-e2e-expired-'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A stack where alice's password `old-pass` has expired; `changed` appears once it is changed. */
function expiredStack(name: string): { serviceDir: string; changed: string } {
  const serviceDir = join(dir, name);
  mkdirSync(serviceDir, { mode: 0o700 });
  const passdb = join(serviceDir, 'passdb');
  const changed = join(serviceDir, 'changed');
  writeFileSync(passdb, `alice:old-pass:${GREETER_SERVICE}\n`, { mode: 0o600 });
  writeFileSync(
    join(serviceDir, GREETER_SERVICE),
    [
      `auth required ${PAM_MATRIX} passdb=${passdb}`,
      `account required ${PAM_PROBE} expired=${changed}`,
      `password required ${PAM_PROBE} expired=${changed}`,
      '',
    ].join('\n'),
  );
  return { serviceDir, changed };
}

async function answerPrompt(page: Page, label: RegExp, text: string): Promise<void> {
  const field = page.getByTestId('prompt-answer');
  await field.waitFor();
  await page.getByText(label).first().waitFor();
  await field.fill(text);
  await field.press('Enter');
}

test('an expired password is changed on the screen, then the sign-in succeeds', async (t: TestContext) => {
  if (!requireE2ePrerequisites(t) || !existsSync(PAM_PROBE)) {
    assert.ok(existsSync(PAM_PROBE) || process.env.CI !== 'true', `${PAM_PROBE} missing`);
    return;
  }
  for (const locale of ['en', 'fr'] as const) {
    const { serviceDir, changed } = expiredStack(`ok-${locale}`);
    const { page } = await openGreeter(t, browser!, { pamServiceDir: serviceDir, locale });
    await signIn(page, 'alice', 'old-pass');
    await answerPrompt(page, /^New password:/, 'n3w-Secret');
    await saveScreenshot(page, `expired-password-retype-${locale}`);
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);
    await answerPrompt(page, /^Retype new password:/, 'n3w-Secret');
    await page.getByTestId('auth-success').waitFor({ timeout: 20_000 });
    assert.equal(existsSync(changed), true, 'the stack changed the password');
  }
});

test('a rejected new password says why and what to do; nothing changed', async (t: TestContext) => {
  if (!requireE2ePrerequisites(t) || !existsSync(PAM_PROBE)) return;
  for (const locale of ['en', 'fr'] as const) {
    const { serviceDir, changed } = expiredStack(`weak-${locale}`);
    const { page } = await openGreeter(t, browser!, { pamServiceDir: serviceDir, locale });
    await signIn(page, 'alice', 'old-pass');
    await answerPrompt(page, /^New password:/, 'weak');
    await answerPrompt(page, /^Retype new password:/, 'weak');
    await page.getByTestId('auth-failure').waitFor({ timeout: 20_000 });
    const text = await page.getByTestId('messages').innerText();
    assert.match(text, /BAD PASSWORD: it is too simplistic/);
    const failure = await page.getByTestId('auth-failure').innerText();
    assert.match(
      failure,
      locale === 'en'
        ? /new password was not accepted/
        : /nouveau mot de passe n'a pas été accepté/,
    );
    await saveScreenshot(page, `expired-password-rejected-${locale}`);
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);
    assert.equal(existsSync(changed), false);
  }
});
