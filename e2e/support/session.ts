// One greeter + one browser page for a test, torn down with it.
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { requireOrSkip } from '../../testkit/require';
import { launchChromium, openPage } from './browser';
import { e2ePrerequisites, startGreeterHarness } from './greeter-harness';
import type { GreeterHarness, GreeterHarnessOptions } from './greeter-harness';

export interface GreeterSession {
  harness: GreeterHarness;
  page: Page;
  pageErrors: string[];
}

/** True when every prerequisite is there; otherwise skips `t` (fails under CI=true). */
export function requireE2ePrerequisites(t: TestContext): boolean {
  for (const { what, available } of e2ePrerequisites()) {
    if (!requireOrSkip(t, available, what)) return false;
  }
  return true;
}

/** Starts the greeter and opens it in `browser`; registers cleanup on `t`. */
export async function openGreeter(
  t: TestContext,
  browser: Browser,
  options: GreeterHarnessOptions = {},
): Promise<GreeterSession> {
  const harness = await startGreeterHarness(options);
  const { page, pageErrors } = await openPage(browser);
  t.after(async () => {
    await page.close();
    await harness.close();
  });
  await page.goto(harness.bridge.pageUrl);
  await page.getByTestId('submit').waitFor();
  return { harness, page, pageErrors };
}

/**
 * Picks `user` in the user list as a person does. The list may already be folded to a
 * remembered account (the last user): unfold it first unless that is the one.
 */
export async function pickListedUser(page: Page, user: string): Promise<void> {
  const entry = page.getByTestId(`user-entry-${user}`);
  const picked = page.getByTestId('user-picked');
  await entry.or(picked).first().waitFor();
  if ((await picked.count()) > 0) {
    if ((await page.getByTestId('user').inputValue()) === user) return;
    await page.getByTestId('user-list-show').click();
  }
  await entry.click();
  await page.getByTestId('password').waitFor();
}

export async function signIn(page: Page, user: string, password: string): Promise<void> {
  // The unlock screen has no user field: it shows the locked session's user.
  const userField = page.getByTestId('user');
  if ((await userField.count()) > 0 && (await userField.isEditable())) await userField.fill(user);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('submit').click();
}

export { launchChromium };
