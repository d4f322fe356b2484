// Renderer figures: bundle size (gzip) and time from navigation to an interactive login form in
// Chromium over the real backend and bridge (as `npm start` serves it), against a baseline
// measured the same way in the same run: a static page holding the same two form controls in
// its HTML, served from loopback (what any page costs this browser on this machine).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
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

const STATIC_FORM = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>baseline</title></head>
<body><main><label>User <input data-testid="user"></label><button data-testid="submit">Sign in</button></main></body></html>`;

async function baselineMs(): Promise<number> {
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(STATIC_FORM);
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

const baseline = await baselineMs();
const greeter = await measureNavigationToInteractiveLogin(RUNS);
console.log(
  JSON.stringify({
    app_js_gzip_kb: round(gzipKb('app.js'), 1),
    styles_css_gzip_kb: round(gzipKb('styles.css'), 1),
    js_goal_kb: 150,
    runs: RUNS,
    navigation_to_interactive_login_median_ms: round(greeter.medianMs, 1),
    static_form_baseline_median_ms: round(baseline, 1),
    ratio_vs_static_form: round(greeter.medianMs / baseline, 2),
    navigation_goal_ms: 300,
  }),
);
