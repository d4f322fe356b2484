// The accessibility menu and the keyboard layout indicator through every real layer: built
// renderer in Chromium → bridge → main/ backend (validated call, the launcher spawning the
// tool). The tools are stand-ins named *-for-test in a temp dir, given to main as its paths
// (main's detection itself is real); the machine's own Orca/onboard are never started.
// Keyboard only; screenshots in en and fr with high contrast and large text applied; axe: no
// serious/critical issue with high contrast on.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { GreeterMode, Locale } from '../preload/api';
import { axeViolations, seriousOrCritical } from './support/axe';
import { openPage, saveScreenshot } from './support/browser';
import { e2ePrerequisites, startGreeterHarness } from './support/greeter-harness';
import { launchChromium, requireE2ePrerequisites } from './support/session';

let browser: Browser | null = null;
const tools = mkdtempSync(join(tmpdir(), 'bastion-a11y-tools-'));
before(async () => {
  if (e2ePrerequisites().every((p) => p.available)) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  rmSync(tools, { recursive: true, force: true });
});

let n = 0;
/** A stand-in tool recording each start, then waiting to be stopped by the greeter. */
function fakeTool(name: string): string {
  const path = join(tools, `${name}-${n++}-for-test`);
  writeFileSync(path, `#!/bin/sh\necho "$$" >> '${path}.runs'\nexec sleep 60\n`, {
    mode: 0o755,
  });
  return path;
}
const runs = (path: string): number =>
  existsSync(`${path}.runs`) ? readFileSync(`${path}.runs`, 'utf8').trim().split('\n').length : 0;

async function open(
  t: TestContext,
  locale: Locale,
  mode: GreeterMode = 'login',
): Promise<{ page: Page; pageErrors: string[]; onboard: string }> {
  const onboard = fakeTool('onboard');
  const harness = await startGreeterHarness({
    locale,
    mode,
    assistivePaths: { 'screen-reader': fakeTool('orca'), 'on-screen-keyboard': onboard },
  });
  const { page, pageErrors } = await openPage(browser!);
  t.after(async () => {
    await page.close();
    await harness.close();
  });
  await page.goto(harness.bridge.pageUrl);
  await page.getByTestId('hostname').waitFor();
  return { page, pageErrors, onboard };
}

const focusedTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

async function tabTo(page: Page, testId: string): Promise<void> {
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    if ((await focusedTestId(page)) === testId) return;
  }
  assert.fail(`${testId} is not reachable with Tab`);
}

const rootClasses = (page: Page): Promise<string[]> =>
  page.evaluate(() => [...document.documentElement.classList].sort());

const TEXT = {
  en: {
    items: ['High contrast', 'Large text', 'Screen reader', 'On-screen keyboard'],
    started: 'On-screen keyboard started.',
  },
  fr: {
    items: ['Contraste élevé', 'Grands caractères', 'Lecteur d’écran', 'Clavier virtuel'],
    started: 'Clavier virtuel démarré.',
  },
} as const;

for (const locale of ['en', 'fr'] as const) {
  test(`${locale}: high contrast and large text with the keyboard, tools started by main, layouts shown`, async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    const { page, pageErrors, onboard } = await open(t, locale);
    await page.getByTestId('user').waitFor();

    // The demo's keyboard file: us first (current), both listed.
    const indicator = page.getByTestId('keyboard-layout');
    assert.equal(await indicator.locator('.keyboard-current').innerText(), 'US');
    assert.match(await indicator.getByTestId('keyboard-layouts').innerText(), /us, fr$/);
    const label = locale === 'en' ? 'Keyboard layout' : 'Disposition du clavier';
    assert.ok((await indicator.textContent())?.startsWith(`${label}: US`));

    await tabTo(page, 'a11y-button');
    const button = page.getByTestId('a11y-button');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    assert.equal(await focusedTestId(page), 'a11y-high-contrast');
    const labels = (await page.getByRole('menu').locator('button').allInnerTexts()).map((s) =>
      s.replace('✓', '').trim(),
    );
    assert.deepEqual(labels, TEXT[locale].items);

    // Enter toggles High contrast, the menu stays open; Space toggles Large text.
    await page.keyboard.press('Enter');
    assert.equal(await page.getByTestId('a11y-high-contrast').getAttribute('aria-checked'), 'true');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedTestId(page), 'a11y-large-text');
    await page.keyboard.press(' ');
    assert.equal(await page.getByTestId('a11y-large-text').getAttribute('aria-checked'), 'true');
    assert.deepEqual(await rootClasses(page), ['a11y-high-contrast', 'a11y-large-text']);
    const style = await page.evaluate(() => ({
      rootSize: getComputedStyle(document.documentElement).fontSize,
      body: getComputedStyle(document.body).backgroundColor,
      text: getComputedStyle(document.body).color,
    }));
    assert.deepEqual(style, {
      rootSize: '22.4px',
      body: 'rgb(0, 0, 0)',
      text: 'rgb(255, 255, 255)',
    });
    await saveScreenshot(page, `a11y-menu-${locale}`);
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);

    // Escape closes, focus back on the button; the settings stay.
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    assert.equal(await focusedTestId(page), 'a11y-button');
    assert.deepEqual(await rootClasses(page), ['a11y-high-contrast', 'a11y-large-text']);
    await saveScreenshot(page, `a11y-applied-${locale}`);
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);

    // End → On-screen keyboard; Enter asks main, which starts it once.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    assert.equal(await focusedTestId(page), 'a11y-on-screen-keyboard');
    await page.keyboard.press('Enter');
    await page.getByTestId('a11y-status').getByText(TEXT[locale].started).waitFor();
    assert.equal(await focusedTestId(page), 'a11y-button');
    for (let i = 0; i < 50 && runs(onboard) === 0; i++) await page.waitForTimeout(20);
    assert.equal(runs(onboard), 1);

    // Toggled off again: the ordinary palette and size.
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.deepEqual(await rootClasses(page), []);
    assert.deepEqual(pageErrors, []);
  });
}

for (const locale of ['en', 'fr'] as const) {
  test(`${locale}: unlock screen: the accessibility menu is offered too`, async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    const { page } = await open(t, locale, 'unlock');
    await page.getByTestId('password').waitFor();
    await tabTo(page, 'a11y-button');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    assert.deepEqual(await rootClasses(page), ['a11y-high-contrast']);
    assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
    await saveScreenshot(page, `a11y-unlock-high-contrast-${locale}`);
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);
  });
}
