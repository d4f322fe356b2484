// The keyboard layout switcher through every real layer: built renderer in Chromium → bridge
// → main/ backend (validated index) → the REAL /usr/bin/setxkbmap → a REAL Xvfb started on a
// free display for this file, whose layout `setxkbmap -query` then reads. The demo's keyboard
// file lists us and fr. Keyboard only; screenshots en and fr; axe: no serious/critical issue.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Locale } from '../preload/api';
import { SETXKBMAP_PATH, SetxkbmapSwitcher } from '../main/screens/keyboard-switch';
import { findExecutable, requireOrSkip } from '../testkit/require';
import { hasXvfb, startXvfb, type XvfbForTest } from '../testkit/xvfb';
import { axeViolations, seriousOrCritical } from './support/axe';
import { saveScreenshot } from './support/browser';
import { e2ePrerequisites } from './support/greeter-harness';
import { launchChromium, openGreeter, requireE2ePrerequisites } from './support/session';

const xReady = hasXvfb() && findExecutable(SETXKBMAP_PATH) !== null;
let browser: Browser | null = null;
let xvfb: XvfbForTest | null = null;
before(async () => {
  if (e2ePrerequisites().every((p) => p.available)) browser = await launchChromium();
  if (xReady) xvfb = await startXvfb();
});
after(async () => {
  await browser?.close();
  await xvfb?.stop();
});

const layoutOf = (display: string): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(SETXKBMAP_PATH, ['-query'], { env: { DISPLAY: display }, timeout: 5_000 }, (e, out) =>
      e ? reject(e) : resolve(/^layout:\s*(\S+)$/m.exec(out)?.[1] ?? ''),
    ),
  );

const focusedTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

async function tabTo(page: Page, testId: string): Promise<void> {
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    if ((await focusedTestId(page)) === testId) return;
  }
  assert.fail(`${testId} is not reachable with Tab`);
}

function ready(t: TestContext): boolean {
  if (!requireE2ePrerequisites(t)) return false;
  return requireOrSkip(t, xReady && xvfb !== null, 'Xvfb and setxkbmap (xvfb, x11-xkb-utils)');
}

const TEXT = {
  en: { label: 'Keyboard layout', switched: 'Keyboard layout: FR', still: 'it is still US' },
  fr: {
    label: 'Disposition du clavier',
    switched: 'Disposition du clavier : FR',
    still: 'elle reste US',
  },
} as const;

for (const locale of ['en', 'fr'] as const satisfies readonly Locale[]) {
  test(`${locale}: the switcher opens with the keyboard, "fr" switches the real X server`, async (t) => {
    if (!ready(t)) return;
    const display = xvfb!.display;
    // Each run starts from the file's order on the server, as LightDM's X server would.
    await new SetxkbmapSwitcher({ display }).switchTo(
      [
        { layout: 'us', variant: '' },
        { layout: 'fr', variant: '' },
      ],
      0,
    );
    assert.equal(await layoutOf(display), 'us,fr');
    const { page, pageErrors } = await openGreeter(t, browser!, {
      locale,
      keyboard: new SetxkbmapSwitcher({ display }),
    });
    const current = page.getByTestId('keyboard-current');
    assert.equal(await current.innerText(), 'US');
    const button = page.getByTestId('keyboard-button');
    assert.equal(await button.getAttribute('aria-haspopup'), 'menu');
    assert.ok((await button.textContent())?.startsWith(`${TEXT[locale].label}: US`));

    await tabTo(page, 'keyboard-button');
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu');
    await menu.waitFor();
    // Opens on the active layout, a radio item each.
    assert.equal(await focusedTestId(page), 'keyboard-item-0');
    const items = menu.getByRole('menuitemradio');
    assert.deepEqual(
      (await items.allInnerTexts()).map((s) => s.replace('✓', '').trim()),
      ['us', 'fr'],
    );
    assert.equal(await page.getByTestId('keyboard-item-0').getAttribute('aria-checked'), 'true');
    await saveScreenshot(page, `keyboard-menu-${locale}`);
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);

    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedTestId(page), 'keyboard-item-1');
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'detached' });
    await page.getByTestId('keyboard-status').getByText(TEXT[locale].switched).waitFor();
    assert.equal(await current.innerText(), 'FR');
    assert.equal(await focusedTestId(page), 'keyboard-button');
    // The real X server has fr first now (us kept after it for the system's switch key).
    assert.equal(await layoutOf(display), 'fr,us');
    await saveScreenshot(page, `keyboard-switched-${locale}`);
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);

    // Escape in the menu closes it without switching.
    await page.keyboard.press('ArrowDown');
    await menu.waitFor();
    assert.equal(await focusedTestId(page), 'keyboard-item-1');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    assert.equal(await layoutOf(display), 'fr,us');
    assert.deepEqual(pageErrors, []);
  });
}

for (const locale of ['en', 'fr'] as const satisfies readonly Locale[]) {
  test(`${locale}: a switch that fails says so and keeps showing the real layout`, async (t) => {
    if (!ready(t)) return;
    // A real failure: setxkbmap on an X server that has gone away cannot open the display.
    const gone = await startXvfb();
    await gone.stop();
    const { page } = await openGreeter(t, browser!, {
      locale,
      keyboard: new SetxkbmapSwitcher({ display: gone.display }),
    });
    await tabTo(page, 'keyboard-button');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.getByTestId('keyboard-status').getByText(TEXT[locale].still).waitFor();
    assert.equal(await page.getByTestId('keyboard-current').innerText(), 'US');
    await saveScreenshot(page, `keyboard-failed-${locale}`);
    assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);
  });
}

test('no switcher (Wayland): the layout stays an indicator, no menu button', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { page } = await openGreeter(t, browser!, { locale: 'en' });
  await page.getByTestId('keyboard-layout').waitFor();
  assert.equal(await page.getByTestId('keyboard-button').count(), 0);
  assert.equal(await page.getByTestId('keyboard-layouts').count(), 1);
});
