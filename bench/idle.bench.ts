// The greeter's cost while it waits (a lock screen sits for hours on laptops): CPU time used by
// the browser over an idle window on (a) the login screen and (b) the unlock screen, against
// (c) a static page with the same styles (build/renderer/styles.css) and the same visible
// control (a focused text field, whose caret blinks on every page), in the same browser in the
// same run, one page at a time.
//
// Measured two ways:
// * the whole Chromium process tree (browser, GPU, network, renderer, …): utime+stime from
//   /proc/<pid>/stat, per process, between the window's two ends. This is what the battery
//   pays; the goal is judged on it.
// * the page's renderer main thread: DevTools Performance.getMetrics TaskDuration (all tasks:
//   script, style, layout, paint) and ScriptDuration, to show where a difference comes from.
// The greeter's backend (the dev server's Node process, not the browser) is reported apart.
//
// BASTION_BENCH_IDLE_SECONDS sets the window (default 60, as `npm run bench` runs it).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../e2e/support/browser';
import { startDevServerProcess } from '../e2e/support/dev-server-process';
import { BUILD_DIR } from '../testkit/paths';
import { round } from './stats';

const WINDOW_S = Number(process.env.BASTION_BENCH_IDLE_SECONDS || '60');
if (!Number.isFinite(WINDOW_S) || WINDOW_S < 1) {
  throw new Error('BASTION_BENCH_IDLE_SECONDS must be a number of seconds >= 1');
}
/** After load, before the window: the first paints, the clock's first format, GC settle. */
const SETTLE_MS = 5_000;
const GOAL_RATIO = 1.1;
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cpuMs: number;
}

function readProcs(): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const pid = Number(name);
    procs.set(pid, {
      pid,
      ppid: Number(fields[1]),
      comm,
      cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
    });
  }
  return procs;
}

function descendants(procs: Map<number, Proc>, root: number): Proc[] {
  const out: Proc[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const proc of procs.values()) {
      if (proc.ppid === parent) {
        out.push(proc);
        queue.push(proc.pid);
      }
    }
  }
  return out;
}

/** CPU ms per pid of our Chromium tree and, apart, of the dev servers (our other children). */
function sample(): { browser: Map<number, number>; backend: Map<number, number> } {
  const procs = readProcs();
  const browser = new Map<number, number>();
  const backend = new Map<number, number>();
  for (const child of descendants(procs, process.pid)) {
    const isBrowser = /chrom/i.test(child.comm) || isBrowserDescendant(procs, child);
    (isBrowser ? browser : backend).set(child.pid, child.cpuMs);
  }
  return { browser, backend };
}

function isBrowserDescendant(procs: Map<number, Proc>, proc: Proc): boolean {
  for (let p = procs.get(proc.ppid); p !== undefined; p = procs.get(p.ppid)) {
    if (/chrom/i.test(p.comm)) return true;
    if (p.pid === process.pid) return false;
  }
  return false;
}

/** CPU used between two samples; a process that appeared meanwhile counts from zero. */
function used(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

interface IdleFigures {
  browserCpuMs: number;
  rendererTaskMs: number;
  rendererScriptMs: number;
  backendCpuMs: number;
  focused: string;
}

async function measureIdle(browser: Browser, url: string): Promise<IdleFigures> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(url);
    // Every page must show a focused text field (a blinking caret), or the comparison is unfair.
    await page.waitForFunction(
      () => document.activeElement instanceof HTMLInputElement,
      undefined,
      {
        timeout: 10_000,
      },
    );
    const focused = await page.evaluate(
      () => (document.activeElement as HTMLInputElement).dataset.testid ?? 'input',
    );
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.waitForTimeout(SETTLE_MS);
    const metrics = async () =>
      new Map((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const m0 = await metrics();
    const s0 = sample();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
    const s1 = sample();
    const m1 = await metrics();
    const delta = (name: string) => ((m1.get(name) ?? 0) - (m0.get(name) ?? 0)) * 1000;
    return {
      browserCpuMs: used(s0.browser, s1.browser),
      rendererTaskMs: delta('TaskDuration'),
      rendererScriptMs: delta('ScriptDuration'),
      backendCpuMs: used(s0.backend, s1.backend),
      focused,
    };
  } finally {
    await context.close();
  }
}

const STATIC_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>baseline</title>
<link rel="stylesheet" href="styles.css"></head><body><div class="screen"><main class="stage">
<section class="card"><form class="form"><div class="field"><label for="user">User</label>
<input id="user" class="input" data-testid="user" autofocus></div>
<div class="actions"><button type="submit" class="primary">Sign in</button></div></form>
</section></main></div></body></html>`;

const styles = readFileSync(join(BUILD_DIR, 'renderer', 'styles.css'));
const staticServer = createServer((request, response) => {
  const css = request.url === '/styles.css';
  response.writeHead(200, {
    'content-type': css ? 'text/css; charset=utf-8' : 'text/html; charset=utf-8',
  });
  response.end(css ? styles : STATIC_PAGE);
});
await new Promise<void>((resolve) => staticServer.listen(0, '127.0.0.1', resolve));
const staticUrl = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}/`;

const loadAtStart = loadavg()[0]!;
const browser = await launchChromium();
const results: Record<string, IdleFigures> = {};
try {
  results.static = await measureIdle(browser, staticUrl);
  for (const mode of ['login', 'unlock'] as const) {
    const server = await startDevServerProcess({ BASTION_MODE: mode });
    try {
      results[mode] = await measureIdle(browser, server.pageUrl);
    } finally {
      await server.stop();
    }
  }
} finally {
  await browser.close();
  staticServer.close();
}

const {
  static: base,
  login,
  unlock,
} = results as Record<'static' | 'login' | 'unlock', IdleFigures>;
const ratio = (a: number, b: number) => round(a / b, 2);
console.log(
  JSON.stringify({
    idle_window_s: WINDOW_S,
    loadavg_1m_at_start: round(loadAtStart, 2),
    focused_field: { login: login.focused, unlock: unlock.focused, static: base.focused },
    static_page_browser_cpu_ms: round(base.browserCpuMs, 0),
    login_browser_cpu_ms: round(login.browserCpuMs, 0),
    unlock_browser_cpu_ms: round(unlock.browserCpuMs, 0),
    login_ratio_vs_static_page: ratio(login.browserCpuMs, base.browserCpuMs),
    unlock_ratio_vs_static_page: ratio(unlock.browserCpuMs, base.browserCpuMs),
    ratio_goal: GOAL_RATIO,
    static_page_renderer_task_ms: round(base.rendererTaskMs, 1),
    login_renderer_task_ms: round(login.rendererTaskMs, 1),
    unlock_renderer_task_ms: round(unlock.rendererTaskMs, 1),
    static_page_renderer_script_ms: round(base.rendererScriptMs, 1),
    login_renderer_script_ms: round(login.rendererScriptMs, 1),
    unlock_renderer_script_ms: round(unlock.rendererScriptMs, 1),
    login_backend_cpu_ms: round(login.backendCpuMs, 0),
    unlock_backend_cpu_ms: round(unlock.backendCpuMs, 0),
  }),
);
