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
const COMMIT_MARK = 'bastion-first-commit-at ';

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
  // The page's own mark (renderer/index.tsx) once React runs it: with a served first paint the
  // form is typeable before that, and what is done on it meanwhile is replayed then.
  new PerformanceObserver((list) => {
    for (const entry of list.getEntriesByName('bastion-first-commit')) {
      console.debug('${COMMIT_MARK}' + entry.startTime);
    }
  }).observe({ type: 'mark' });
})();`;

/** One navigation in a fresh browser context; returns milliseconds. */
export async function timeToInteractiveLoginForm(
  browser: Browser,
  pageUrl: string,
  timeoutMs = 10_000,
): Promise<number> {
  return (await navigationTimings(browser, pageUrl, timeoutMs, false)).interactiveMs;
}

export interface NavigationTimings {
  /** Navigation start → the form present, enabled and editable. */
  interactiveMs: number;
  /** Navigation start → the page's first React commit (hydration); null when not asked. */
  firstCommitMs: number | null;
}

/** One navigation in a fresh browser context; `withCommit` also waits for the page's mark. */
export async function navigationTimings(
  browser: Browser,
  pageUrl: string,
  timeoutMs = 10_000,
  withCommit = true,
): Promise<NavigationTimings> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript({ content: WATCH_FOR_INTERACTIVE_FORM });
    const marked = page.waitForEvent('console', {
      predicate: (message) => message.text().startsWith(MARK),
      timeout: timeoutMs,
    });
    marked.catch(() => undefined); // a failed goto below is the error worth reporting
    const committed = withCommit
      ? page.waitForEvent('console', {
          predicate: (message) => message.text().startsWith(COMMIT_MARK),
          timeout: timeoutMs,
        })
      : null;
    committed?.catch(() => undefined);
    await page.goto(pageUrl, { waitUntil: 'commit', timeout: timeoutMs });
    const interactiveMs = Number((await marked).text().slice(MARK.length));
    const firstCommitMs = committed
      ? Number((await committed).text().slice(COMMIT_MARK.length))
      : null;
    return { interactiveMs, firstCommitMs };
  } finally {
    await context.close();
  }
}

export interface LoginFormTimings {
  /** Each run in ms, in order (the first includes the cold start of the browser's caches). */
  runsMs: number[];
  medianMs: number;
  /** Navigation start → the page's first React commit (hydration), median of the same runs. */
  firstCommitMedianMs: number;
}

/**
 * Starts the dev server (real backend) and Chromium, then measures `runs` navigations.
 * The lead's bench/ calls this; it cleans up everything it started.
 */
export async function measureNavigationToInteractiveLogin(
  runs = 20,
  /** Extra environment of the server process (the test gives it a TMPDIR of its own). */
  serverEnv: Record<string, string> = {},
): Promise<LoginFormTimings> {
  const server = await startDevServerProcess(serverEnv);
  const browser = await launchChromium();
  try {
    const runsMs: number[] = [];
    const commitsMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const timings = await navigationTimings(browser, server.pageUrl);
      runsMs.push(timings.interactiveMs);
      commitsMs.push(timings.firstCommitMs!);
    }
    return { runsMs, medianMs: medianOf(runsMs), firstCommitMedianMs: medianOf(commitsMs) };
  } finally {
    await browser.close();
    await server.stop();
  }
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
