// The login screen's surroundings through every real layer (built renderer in Chromium →
// bridge → main/ backend → helper TEST build → libpam): the site's legal notice before the
// form, the user list, the session chooser with the keyboard, and the chosen session
// remembered after a real sign-in. Screenshots in en and fr; axe: no serious/critical issue.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Locale } from '../preload/api';
import { axeViolations, seriousOrCritical } from './support/axe';
import { openPage, saveScreenshot } from './support/browser';
import {
  e2ePrerequisites,
  startGreeterHarness,
  type GreeterHarness,
} from './support/greeter-harness';
import { launchChromium, requireE2ePrerequisites } from './support/session';

const POLICY =
  '[greeter]\n' +
  '# e2e: a STIG-style notice, the user list, choices remembered\n' +
  'banner-message = This computer is for authorized use only.\\nActivity is monitored and recorded.\n';

let browser: Browser | null = null;
before(async () => {
  if (e2ePrerequisites().every((p) => p.available)) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function open(
  t: TestContext,
  locale: Locale,
): Promise<{ harness: GreeterHarness; page: Page; pageErrors: string[] }> {
  const harness = await startGreeterHarness({ locale, policy: POLICY });
  const { page, pageErrors } = await openPage(browser!);
  t.after(async () => {
    await page.close();
    await harness.close();
  });
  await page.goto(harness.bridge.pageUrl);
  await page.getByTestId('legal-notice').waitFor();
  return { harness, page, pageErrors };
}

const focusedTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

async function assertAxeClean(page: Page): Promise<void> {
  assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);
}

for (const locale of ['en', 'fr'] as const) {
  test(`${locale}: notice first, then user list and session chooser, all by keyboard; the session is remembered`, async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    const { harness, page, pageErrors } = await open(t, locale);

    // 1. The notice, focused, with no way to the form around it.
    assert.match(
      await page.getByTestId('notice-text').innerText(),
      /authorized use only\.\nActivity is monitored/,
    );
    assert.equal(await focusedTestId(page), 'notice-acknowledge');
    assert.equal(await page.getByTestId('password').count(), 0);
    assert.equal(await page.getByTestId('user-list').count(), 0);
    const region = page.getByRole('region', { name: locale === 'en' ? 'Notice' : 'Avertissement' });
    assert.equal(await region.count(), 1);
    await saveScreenshot(page, `screens-notice-${locale}`);
    await assertAxeClean(page);

    // 2. Enter acknowledges; the user list takes the focus; the form waits for a choice.
    await page.keyboard.press('Enter');
    await page.getByTestId('user-list').waitFor();
    assert.equal(await page.getByTestId('legal-notice').count(), 0);
    assert.equal(await focusedTestId(page), 'user-entry-demo');
    assert.equal(await page.getByTestId('password').count(), 0);
    const session = page.getByTestId('session');
    assert.equal(await session.inputValue(), 'demo-x11');
    await saveScreenshot(page, `screens-user-list-${locale}`);
    await assertAxeClean(page);

    // 3. The session with the keyboard: Tab from the list to the chooser, ArrowDown.
    await page.keyboard.press('Tab');
    assert.equal(await focusedTestId(page), 'session');
    await page.keyboard.press('ArrowDown');
    assert.equal(await session.inputValue(), 'demo-wayland');
    assert.match(
      await session.locator('option:checked').innerText(),
      locale === 'en' ? /Demo Wayland session \(stand-in\)/ : /Session Wayland de démonstration/,
    );

    // 4. Back to the list; arrows move, Enter picks: the name is filled, the password focused.
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focusedTestId(page), 'user-entry-demo');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedTestId(page), 'user-entry-locked');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.getByTestId('password').waitFor();
    assert.equal(await page.getByTestId('user').inputValue(), 'demo');
    assert.equal(await focusedTestId(page), 'password');
    // The list folds to the chosen account, with a way back to it.
    assert.match(await page.getByTestId('user-picked').innerText(), /Demo User/);
    assert.equal(await page.getByTestId('user-list').count(), 0);
    await saveScreenshot(page, `screens-user-chosen-${locale}`);
    await assertAxeClean(page);

    // 5. Real sign-in; the chosen session travelled with it and is remembered for demo.
    await page.keyboard.type('demo-pass');
    await page.keyboard.press('Enter');
    await page.getByTestId('auth-success').waitFor();
    let remembered = '';
    for (let i = 0; i < 50 && !remembered.includes('demo-wayland'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        remembered = readFileSync(
          join(harness.demo.greeterStateDir, 'screen-choices.json'),
          'utf8',
        );
      } catch {
        // not written yet
      }
    }
    assert.deepEqual(JSON.parse(remembered), {
      v: 1,
      lastUser: 'demo',
      sessions: { demo: 'demo-wayland' },
    });
    assert.deepEqual(pageErrors, []);
  });
}

const SIGNING_IN = { en: /^Signing in…$/, fr: /^Connexion en cours…$/ } as const;

for (const locale of ['en', 'fr'] as const) {
  test(`${locale}: clicking a user fills the name and focuses the password; "Other user…" shows an empty name field`, async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    const { page, pageErrors } = await open(t, locale);
    await page.getByTestId('notice-acknowledge').click();
    await page.getByTestId('user-entry-offline').click();
    assert.equal(await page.getByTestId('user').inputValue(), 'offline');
    assert.equal(await focusedTestId(page), 'password');
    await page.getByTestId('user-list-show').click();
    await page.getByTestId('user-entry-other').click();
    assert.equal(await page.getByTestId('user').inputValue(), '');
    assert.equal(await focusedTestId(page), 'user');
    await page.keyboard.type('demo');
    await page.getByTestId('password').fill('demo-pass');
    await page.getByTestId('password').press('Enter');
    await page.getByTestId('auth-success').waitFor();
    assert.match(await page.getByTestId('auth-success').innerText(), SIGNING_IN[locale]);
    await saveScreenshot(page, `screens-other-user-${locale}`);
    await assertAxeClean(page);
    assert.deepEqual(pageErrors, []);
  });
}
