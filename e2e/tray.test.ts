// The tray's status view through every layer of the Chromium fallback: the built tray page →
// loopback bridge → main/ tray backend, with the demo's monitor stand-in
// (dev/tray-demo.ts DemoTrayMonitorForPreview) playing each state. Every state in en and fr:
// the headline and the facts, a screenshot (e2e/artifacts/tray-<state>-<lang>.png) and axe.
// Keyboard only: Tab reaches "Retry now" and "Open the key manager", Enter runs each — the
// retry brings the scripted portal back, and the key manager's own page opens.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TrayIconState } from '../preload/tray-api';
import { TRAY_ICON_STATES } from '../preload/tray-api';
import { axeViolations, seriousOrCritical } from './support/axe';
import { launchChromium, openPage, saveScreenshot } from './support/browser';
import { startDevServerProcess } from './support/dev-server-process';
import { e2ePrerequisites } from './support/greeter-harness';
import { requireE2ePrerequisites } from './support/session';

let browser: Browser | null = null;
before(async () => {
  if (e2ePrerequisites().every((p) => p.available)) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function openTray(
  t: TestContext,
  state: TrayIconState,
  locale: 'en' | 'fr',
  env: Record<string, string> = {},
): Promise<{ page: Page; pageErrors: string[] }> {
  const server = await startDevServerProcess({
    BASTION_DEV_TRAY: '1',
    BASTION_DEV_TRAY_STATE: state,
    BASTION_LOCALE: locale,
    ...env,
  });
  t.after(() => server.stop());
  const { page, pageErrors } = await openPage(browser!);
  t.after(() =>
    page
      .context()
      .pages()
      .forEach((p) => void p.close()),
  );
  await page.goto(server.pageUrl);
  await page.getByTestId('tray-card').waitFor();
  return { page, pageErrors };
}

const HEADLINE: Record<'en' | 'fr', Record<TrayIconState, RegExp>> = {
  en: {
    online: /^Online$/,
    offline: /^Offline$/,
    'portal-unreachable': /portal unreachable/,
    expiring: /cached login expiring/,
    'locked-out': /sign-in locked/,
  },
  fr: {
    online: /^En ligne$/,
    offline: /^Hors ligne$/,
    'portal-unreachable': /injoignable/,
    expiring: /bientôt expirée/,
    'locked-out': /verrouillée/,
  },
};

describe('tray status view: every state, en and fr', () => {
  for (const locale of ['en', 'fr'] as const) {
    for (const state of TRAY_ICON_STATES) {
      it(`${state} (${locale})`, async (t) => {
        if (!requireE2ePrerequisites(t)) return;
        const { page, pageErrors } = await openTray(t, state, locale);
        const headline = page.getByTestId('tray-state');
        assert.equal(await headline.getAttribute('data-state'), state);
        assert.match(await headline.innerText(), HEADLINE[locale][state]);
        assert.equal(await page.locator('html').getAttribute('lang'), locale);
        // The icon is the state's own SVG, and it loaded (the CSP allows it).
        const icon = headline.locator('img');
        assert.equal(await icon.getAttribute('src'), `tray-icons/${state}.svg`);
        const width = await icon.evaluate((img: HTMLImageElement) =>
          img.decode().then(() => img.naturalWidth),
        );
        assert.ok(width > 0, 'the icon loaded');
        const since = await page.getByTestId('tray-since').innerText();
        const cached = await page.getByTestId('tray-cached').innerText();
        const lock = await page.getByTestId('tray-lock').innerText();
        if (locale === 'en') {
          assert.match(since, /since .*\d{2}:\d{2} \((\d+ (minutes|hours|days) ago)\)/);
          assert.match(cached, /^Valid until .*\(in \d+ (minutes|days)\)/);
        } else {
          assert.match(since, /depuis le .*\d{2}:\d{2} \(il y a \d+ (minutes|heures|jours)\)/);
          assert.match(cached, /^Valable jusqu’?'?au .*\(dans \d+ (minutes|jours)\)/);
        }
        if (state === 'expiring')
          assert.match(cached, locale === 'en' ? /in 3[45] minutes/ : /dans 3[45] minutes/);
        if (state === 'locked-out') {
          assert.equal(await page.getByTestId('tray-lock').getAttribute('data-locked'), 'true');
          assert.match(
            lock,
            locale === 'en'
              ? /Locked until .* After 5 failed attempts\./
              : /Verrouillée jusqu.* Après 5 tentatives échouées\./,
          );
        } else {
          assert.match(lock, locale === 'en' ? /^Not locked\.$/ : /^Non verrouillée\.$/);
        }
        await saveScreenshot(page, `tray-${state}-${locale}`);
        assert.deepEqual(seriousOrCritical(await axeViolations(page)), [], `axe on ${state}`);
        assert.deepEqual(pageErrors, []);
      });
    }
  }
});

const focusedTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

describe('tray status view: keyboard only', () => {
  it('Tab reaches Retry now and Open the key manager; Enter runs each', async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    const { page, pageErrors } = await openTray(t, 'portal-unreachable', 'en');
    const seen: (string | null)[] = [];
    for (let i = 0; i < 6 && !seen.includes('tray-open-keys'); i++) {
      await page.keyboard.press('Tab');
      seen.push(await focusedTestId(page));
    }
    assert.ok(seen.includes('tray-retry'), `Tab order: ${seen.join(', ')}`);
    assert.ok(seen.includes('tray-open-keys'), `Tab order: ${seen.join(', ')}`);
    assert.ok(seen.indexOf('tray-retry') < seen.indexOf('tray-open-keys'), 'Retry first');

    // Enter on "Open the key manager": the key manager's own page opens in a new window.
    assert.equal(await focusedTestId(page), 'tray-open-keys');
    const opened = page.context().waitForEvent('page', { timeout: 20_000 });
    await page.keyboard.press('Enter');
    const keysPage = await opened;
    await keysPage.locator('[data-testid="keys-step"]').waitFor({ timeout: 20_000 });
    assert.match(keysPage.url(), /^http:\/\/127\.0\.0\.1:\d+\//);
    await page.getByTestId('tray-feedback').getByText('The key manager is opening.').waitFor();

    // Shift+Tab back to "Retry now", Enter: the scripted portal answers, the view goes online.
    await page.bringToFront();
    await page.getByTestId('tray-open-keys').focus();
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focusedTestId(page), 'tray-retry');
    await page.keyboard.press('Enter');
    await page
      .locator('[data-testid="tray-state"][data-state="online"]')
      .waitFor({ timeout: 5_000 });
    assert.deepEqual(pageErrors, []);
  });
});

describe('tray status view: live updates', () => {
  it('follows the monitor without a reload (the demo cycles its scenes)', async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    const { page } = await openTray(t, 'online', 'en', { BASTION_DEV_TRAY_CYCLE_MS: '600' });
    for (const state of ['offline', 'portal-unreachable', 'expiring', 'locked-out'] as const)
      await page
        .locator(`[data-testid="tray-state"][data-state="${state}"]`)
        .waitFor({ timeout: 5_000 });
  });
});
