// Driving the real login screen that a display manager's greeter serves (e2e/dm-*.test.ts):
// the page of one greeter run in Playwright's Chromium, and the sign-in gestures a person
// makes on it (pick the account in the user list, type, Enter).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, seriousOrCritical } from './axe';
import { openPage } from './browser';

export interface DmPage {
  page: Page;
  pageErrors: string[];
}

/** Opens `url` (a greeter run's page) in `browser`; closed when `t` ends. */
export async function openDmPage(t: TestContext, browser: Browser, url: string): Promise<DmPage> {
  const { page, pageErrors } = await openPage(browser);
  t.after(() => page.close());
  // For failure messages: the phases the page was pushed, and when its event stream broke.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __bastionPushed: string[] }).__bastionPushed = seen;
    const Original = window.EventSource;
    window.EventSource = class extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        this.addEventListener('snapshot', (event) => {
          const data = (event as MessageEvent<string>).data;
          seen.push(`${Date.now()} ${(JSON.parse(data) as { phase: string }).phase}`);
        });
        this.addEventListener('error', () => seen.push(`${Date.now()} stream error`));
      }
    };
  });
  await page.goto(url);
  await page.getByTestId('submit').or(page.getByTestId('user-list')).first().waitFor();
  return { page, pageErrors };
}

/** Picks `user` in the user list (or types it where there is none). */
export async function chooseUser(page: Page, user: string): Promise<void> {
  const entry = page.getByTestId(`user-entry-${user}`);
  if ((await entry.count()) > 0) await entry.click();
  else await page.getByTestId('user').fill(user);
  await page.getByTestId('password').waitFor();
}

/** Types the password (possibly empty) and presses Enter, as a person does. */
export async function submitPassword(page: Page, password: string): Promise<void> {
  const field = page.getByTestId('password');
  await field.fill(password);
  await field.press('Enter');
}

/** Waits for the prompt labelled `label` and answers it with Enter; returns its input type. */
export async function answerPrompt(page: Page, label: RegExp, text: string): Promise<string> {
  const field = page.getByTestId('prompt-answer');
  await field.waitFor();
  await page.waitForFunction(
    (source) =>
      new RegExp(source).test(
        document.querySelector('label[for="prompt-answer"]')?.textContent ?? '',
      ),
    label.source,
  );
  const type = (await field.getAttribute('type')) ?? '';
  await field.fill(text);
  await field.press('Enter');
  return type;
}

export const focusedTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

export async function assertAxeClean(page: Page, what: string): Promise<void> {
  assert.deepEqual(seriousOrCritical(await axeViolations(page)), [], what);
}

/**
 * Waits for the success line; on a timeout the error carries what the screen shows and the
 * greeter's log (`diagnostics`), which a bare locator timeout would not.
 */
export async function waitForSuccess(
  page: Page,
  diagnostics: () => string,
  timeoutMs = 15_000,
): Promise<void> {
  try {
    await page.getByTestId('auth-success').waitFor({ timeout: timeoutMs });
  } catch (error) {
    const screen = await page
      .locator('body')
      .innerText({ timeout: 1_000 })
      .catch(() => '(no form)');
    const pushed = await page
      .evaluate(() => (window as unknown as { __bastionPushed?: string[] }).__bastionPushed ?? [])
      .catch(() => []);
    throw new Error(
      `${(error as Error).message}\n--- screen ---\n${screen}\n--- pushed ---\n` +
        `${pushed.join('\n')}\n--- greeter ---\n${diagnostics()}`,
    );
  }
}
