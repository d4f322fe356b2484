// The power menu through every real layer: built renderer in Chromium → bridge → main/
// backend → busctl → python3-dbusmock's logind on a PRIVATE bus (never the machine's), and
// the `npm start` demo's stand-in (DemoPowerActionsForPreview). Keyboard only; screenshots
// in en and fr of the menu and the confirmation; axe: no serious/critical issue.
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Locale } from '../preload/api';
import { DemoPowerActionsForPreview } from '../dev/demo-stack';
import { LogindPowerActions, type PowerActions } from '../main/power';
import {
  logindMockMissing,
  startLogindMock,
  type LogindMock,
} from '../main/power/test/logind-mock';
import { requireOrSkip } from '../testkit/require';
import { axeViolations, seriousOrCritical } from './support/axe';
import { openPage, saveScreenshot } from './support/browser';
import { e2ePrerequisites, startGreeterHarness } from './support/greeter-harness';
import { launchChromium, requireE2ePrerequisites } from './support/session';

let browser: Browser | null = null;
before(async () => {
  if (e2ePrerequisites().every((p) => p.available)) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function open(
  t: TestContext,
  options: { locale: Locale; power: PowerActions; policy?: string; mode?: 'login' | 'unlock' },
): Promise<{ page: Page; pageErrors: string[] }> {
  const harness = await startGreeterHarness({
    locale: options.locale,
    power: options.power,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
  const { page, pageErrors } = await openPage(browser!);
  t.after(async () => {
    await page.close();
    await harness.close();
  });
  await page.goto(harness.bridge.pageUrl);
  await page.getByTestId('hostname').waitFor();
  return { page, pageErrors };
}

async function withMock(
  t: TestContext,
  parameters: Record<string, string>,
): Promise<LogindMock | null> {
  const missing = logindMockMissing();
  if (!requireOrSkip(t, missing === null, `${missing} (logind mock)`)) return null;
  const mock = await startLogindMock(parameters);
  t.after(() => mock.stop());
  assert.match(mock.address, /^unix:path=\/tmp\/bastion-logind-[^/]+\/system_bus_socket$/);
  return mock;
}

const focusedTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

async function methodCalls(mock: LogindMock, method: string): Promise<number> {
  const reply = await mock.mockCall('GetMethodCalls', ['s', method]);
  return (reply.data[0] as unknown[]).length;
}

async function assertAxeClean(page: Page): Promise<void> {
  assert.deepEqual(seriousOrCritical(await axeViolations(page)), []);
}

/** Tabs from the page start until the power button has the focus. */
async function tabToPowerButton(page: Page): Promise<void> {
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    if ((await focusedTestId(page)) === 'power-button') return;
  }
  assert.fail('the power button is not reachable with Tab');
}

const TEXT = {
  en: { reboot: 'Restart', question: 'Restart now?', requested: 'Restarting…' },
  fr: { reboot: 'Redémarrer', question: 'Redémarrer maintenant\u202f?', requested: 'Redémarrage…' },
} as const;

for (const locale of ['en', 'fr'] as const) {
  test(`${locale}: logind (mock) allows reboot and power off: menu, confirmation with Cancel focused, Restart reaches logind`, async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    const mock = await withMock(t, { CanSuspend: 'no', CanReboot: 'yes', CanPowerOff: 'yes' });
    if (mock === null) return;
    const power = new LogindPowerActions({ systemBusAddress: mock.address });
    const { page, pageErrors } = await open(t, { locale, power });

    await tabToPowerButton(page);
    const button = page.getByTestId('power-button');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    await page.keyboard.press('Enter');
    await page.getByRole('menu').waitFor();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    // CanSuspend "no": no Suspend entry at all.
    assert.deepEqual(await page.getByRole('menuitem').allInnerTexts(), [
      TEXT[locale].reboot,
      locale === 'en' ? 'Power off' : 'Éteindre',
    ]);
    assert.equal(await focusedTestId(page), 'power-reboot');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedTestId(page), 'power-power-off');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedTestId(page), 'power-reboot');
    await saveScreenshot(page, `power-menu-${locale}`);
    await assertAxeClean(page);

    // Escape closes the menu and gives the focus back to the button.
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    assert.equal(await focusedTestId(page), 'power-button');

    // Enter on Restart: the confirmation, Cancel focused; a stray Enter cancels.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getByText(TEXT[locale].question).count(), 1);
    assert.equal(await focusedTestId(page), 'power-cancel');
    await saveScreenshot(page, `power-confirm-${locale}`);
    await assertAxeClean(page);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await focusedTestId(page), 'power-button');
    assert.equal(await methodCalls(mock, 'Reboot'), 0);

    // Escape also cancels; then Tab to Restart in the dialog and confirm.
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await methodCalls(mock, 'Reboot'), 0);
    assert.equal(await focusedTestId(page), 'power-button');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await focusedTestId(page), 'power-confirm-action');
    await page.keyboard.press('Enter');
    await page.getByTestId('power-status').getByText(TEXT[locale].requested).waitFor();
    assert.equal(await methodCalls(mock, 'Reboot'), 1);
    assert.equal(await methodCalls(mock, 'PowerOff'), 0);
    assert.equal(await methodCalls(mock, 'Suspend'), 0);
    assert.deepEqual(pageErrors, []);
  });
}

test('logind (mock) allows nothing: no power menu', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const mock = await withMock(t, { CanSuspend: 'na', CanReboot: 'challenge', CanPowerOff: 'no' });
  if (mock === null) return;
  const { page } = await open(t, {
    locale: 'en',
    power: new LogindPowerActions({ systemBusAddress: mock.address }),
  });
  await page.getByTestId('user').waitFor();
  assert.equal(await page.getByTestId('power-menu').count(), 0);
});

test('policy hide-power-actions and the unlock screen: no power menu', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const mock = await withMock(t, {});
  if (mock === null) return;
  const power = new LogindPowerActions({ systemBusAddress: mock.address });
  const hidden = await open(t, {
    locale: 'en',
    power,
    policy: '[greeter]\nhide-user-list=true\nhide-power-actions=true\n',
  });
  await hidden.page.getByTestId('user').waitFor();
  assert.equal(await hidden.page.getByTestId('power-menu').count(), 0);
  for (const locale of ['en', 'fr'] as const) {
    const unlock = await open(t, { locale, power, mode: 'unlock' });
    await unlock.page.getByTestId('password').waitFor();
    assert.equal(await unlock.page.getByTestId('power-menu').count(), 0);
    assert.equal(await unlock.page.evaluate(() => document.documentElement.lang), locale);
    await saveScreenshot(unlock.page, `power-unlock-none-${locale}`);
    await assertAxeClean(unlock.page);
  }
});

test('the npm start demo: power actions go to DemoPowerActionsForPreview, never to logind', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const lines: string[] = [];
  const demo = new DemoPowerActionsForPreview((line) => lines.push(line));
  const { page } = await open(t, { locale: 'en', power: demo });
  await tabToPowerButton(page);
  await page.keyboard.press('Enter');
  assert.deepEqual(await page.getByRole('menuitem').allInnerTexts(), [
    'Suspend',
    'Restart',
    'Power off',
  ]);
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').getByText('Power off now?').waitFor();
  await page.getByTestId('power-confirm-action').click();
  await page.getByTestId('power-status').getByText('Powering off…').waitFor();
  assert.deepEqual(demo.requested, ['power-off']);
  assert.deepEqual(lines, ['bastion demo: (demo) would power off — no real power action']);
});
