// Chromium through playwright-core (Debian's chromium; `npx playwright install` cannot
// download here), with the page's console errors and uncaught exceptions collected.
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../testkit/paths';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../testkit/chromium';

export const ARTIFACTS_DIR = join(REPO_ROOT, 'e2e', 'artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
    headless: true,
  });
}

export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions of the page. */
  pageErrors: string[];
}

export async function openPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { page, pageErrors };
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
