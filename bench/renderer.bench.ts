// Renderer figures: bundle size (gzip) and time from navigation to an interactive login form in
// Chromium over the real backend and bridge (as `npm start` serves it), against two baselines
// measured the same way in the same browser build and run, both static pages holding the same
// two form controls in their HTML, served from loopback:
// * "bare": the HTML alone (what any page costs this browser on this machine);
// * "same styles": the HTML plus a <link> to the greeter's own build/renderer/styles.css, served
//   with the bridge's response headers (CSP, COOP, no-store…): everything the greeter's page
//   costs before its own script runs. The goal is judged against this one.
import { readFileSync } from 'node:fs';
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CONTENT_SECURITY_POLICY } from '../preload/api';
import { launchChromium } from '../e2e/support/browser';
import {
  measureNavigationToInteractiveLogin,
  timeToInteractiveLoginForm,
} from '../e2e/support/measure';
import { BUILD_DIR } from '../testkit/paths';
import { median, round } from './stats';

const RUNS = 21;
const gzipKb = (file: string): number =>
  gzipSync(readFileSync(join(BUILD_DIR, 'renderer', file)), { level: 9 }).length / 1024;

const FORM = `<main><label>User <input data-testid="user"></label><button data-testid="submit">Sign in</button></main>`;
const BARE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>baseline</title></head>
<body>${FORM}</body></html>`;
const STYLED_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>baseline</title>
<link rel="stylesheet" href="styles.css"></head><body>${FORM}</body></html>`;

// The headers dev/bridge-server.ts sends with every file.
const BRIDGE_HEADERS: OutgoingHttpHeaders = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

async function baselineMs(page: string, headers: OutgoingHttpHeaders): Promise<number> {
  const styles = readFileSync(join(BUILD_DIR, 'renderer', 'styles.css'));
  const server = createServer((request, response) => {
    if (request.url === '/styles.css') {
      response.writeHead(200, { ...headers, 'content-type': 'text/css; charset=utf-8' });
      response.end(styles);
      return;
    }
    response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await launchChromium();
  try {
    const samples: number[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await timeToInteractiveLoginForm(browser, url));
    return median(samples);
  } finally {
    await browser.close();
    server.close();
  }
}

const bare = await baselineMs(BARE_PAGE, {});
const styled = await baselineMs(STYLED_PAGE, BRIDGE_HEADERS);
const greeter = await measureNavigationToInteractiveLogin(RUNS);
console.log(
  JSON.stringify({
    app_js_gzip_kb: round(gzipKb('app.js'), 1),
    styles_css_gzip_kb: round(gzipKb('styles.css'), 1),
    js_goal_kb: 150,
    runs: RUNS,
    navigation_to_interactive_login_median_ms: round(greeter.medianMs, 1),
    // The form is served rendered (main/screens/first-paint.ts) and typeable at once; React
    // takes it over here, replaying what was clicked or pressed meanwhile.
    navigation_to_hydrated_median_ms: round(greeter.firstCommitMedianMs, 1),
    static_form_baseline_median_ms: round(bare, 1),
    ratio_vs_static_form: round(greeter.medianMs / bare, 2),
    static_form_same_styles_and_headers_baseline_median_ms: round(styled, 1),
    ratio_vs_static_form_same_styles_and_headers: round(greeter.medianMs / styled, 2),
    ratio_vs_static_form_same_styles_and_headers_goal: 3,
    navigation_goal_ms: 300,
  }),
);
