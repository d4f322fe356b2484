// Benchmark hook for the lead's bench/: time from navigation start to the login form being
// interactive (user-name field present, enabled and editable, submit button present), in the
// system Chromium over the real backend and bridge, the server in its own process as
// `npm start` runs it. The moment is taken inside the page by a
// MutationObserver (performance.now() counts from navigation start) and reported as a console
// message, which reaches the test over the DevTools protocol: nothing is injected into or
// polled in the page while it loads (Playwright's injected helper scripts cost the page's main
// thread ~15 ms here, which would land inside the figure).
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';
import { startDevServerProcess } from './dev-server-process';

const MARK = 'bastion-login-interactive-at ';

// Plain JavaScript, not a TypeScript function: tsx would wrap named inner functions in a
// `__name` helper that does not exist in the page.
const WATCH_FOR_INTERACTIVE_FORM = `(() => {
  const ready = () => {
    const user = document.querySelector('[data-testid="user"]');
    const submit = document.querySelector('[data-testid="submit"]');
    return !!user && !!submit && !user.disabled && !user.readOnly;
  };
  const observer = new MutationObserver(() => {
    if (ready()) {
      observer.disconnect();
      console.debug('${MARK}' + performance.now());
    }
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
})();`;

/** One navigation in a fresh browser context; returns milliseconds. */
export async function timeToInteractiveLoginForm(
  browser: Browser,
  pageUrl: string,
  timeoutMs = 10_000,
): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript({ content: WATCH_FOR_INTERACTIVE_FORM });
    const marked = page.waitForEvent('console', {
      predicate: (message) => message.text().startsWith(MARK),
      timeout: timeoutMs,
    });
    marked.catch(() => undefined); // a failed goto below is the error worth reporting
    await page.goto(pageUrl, { waitUntil: 'commit', timeout: timeoutMs });
    return Number((await marked).text().slice(MARK.length));
  } finally {
    await context.close();
  }
}

export interface LoginFormTimings {
  /** Each run in ms, in order (the first includes the cold start of the browser's caches). */
  runsMs: number[];
  medianMs: number;
}

/**
 * Starts the dev server (real backend) and Chromium, then measures `runs` navigations.
 * The lead's bench/ calls this; it cleans up everything it started.
 */
export async function measureNavigationToInteractiveLogin(runs = 20): Promise<LoginFormTimings> {
  const server = await startDevServerProcess();
  const browser = await launchChromium();
  try {
    const runsMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      runsMs.push(await timeToInteractiveLoginForm(browser, server.pageUrl));
    }
    const sorted = [...runsMs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const medianMs = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return { runsMs, medianMs };
  } finally {
    await browser.close();
    await server.stop();
  }
}
