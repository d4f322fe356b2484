// The test run's watchdog, so that a CI log says what hung: a test file whose process runs
// long is named once, with every process under it; at the run's deadline everything under the
// runner is listed and killed, and the run ends as a failure instead of running out of CI time.
// node's --test-timeout cancels a hung test or file first; this covers what it cannot (a stuck
// runner, a reporter that stopped).
import { readdirSync, readFileSync } from 'node:fs';

/** How often the process table is read. */
const TICK_MS = 15_000;
/** A file running this long is named, with its processes (the slowest suite takes ~1 min). */
const SLOW_FILE_MS = 3 * 60_000;
/** The whole run's limit (a full run takes ~6 min on 2 cores). */
const RUN_DEADLINE_MS = 40 * 60_000;

/** pid → parent pid and command line, from /proc (Linux only; elsewhere an empty table). */
function processTable() {
  const table = new Map();
  let names = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return table;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: the fields follow the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const args = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim();
      table.set(Number(name), { ppid, args });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return table;
}

function descendants(table, pid) {
  const out = [];
  const walk = (parent, depth) => {
    for (const [child, info] of table) {
      if (info.ppid !== parent) continue;
      out.push({ pid: child, depth, args: info.args });
      walk(child, depth + 1);
    }
  };
  walk(pid, 0);
  return out;
}

function describeTree(tree) {
  return tree
    .map(({ pid, depth, args }) => `  ${'  '.repeat(depth)}${pid} ${args.slice(0, 240)}`)
    .join('\n');
}

/**
 * Watches the `node --test` runner `runnerPid` running `files`. `stop()` ends the watch and
 * says whether the watchdog ended the run. `limits` (tests only) shortens the times above;
 * `log` receives what would go to stdout.
 */
export function startWatchdog(runnerPid, files, limits = {}, log = console.log) {
  const tickMs = limits.tickMs ?? TICK_MS;
  const slowFileMs = limits.slowFileMs ?? SLOW_FILE_MS;
  const deadlineMs = limits.deadlineMs ?? RUN_DEADLINE_MS;
  const started = Date.now();
  const firstSeen = new Map(); // test file → when its process was first seen
  const named = new Set();
  let endedRun = false;
  const tick = () => {
    const table = processTable();
    const now = Date.now();
    for (const [pid, info] of table) {
      if (info.ppid !== runnerPid) continue;
      const file = files.find((f) => info.args.includes(f));
      if (!file) continue;
      const key = `${pid} ${file}`;
      if (!firstSeen.has(key)) firstSeen.set(key, now);
      if (now - firstSeen.get(key) >= slowFileMs && !named.has(key)) {
        named.add(key);
        log(
          `test watchdog: ${file} has run for ${Math.round((now - firstSeen.get(key)) / 1000)} s; its processes:\n` +
            describeTree([
              { pid, depth: 0, args: info.args },
              ...descendants(table, pid).map((d) => ({ ...d, depth: d.depth + 1 })),
            ]),
        );
      }
    }
    if (now - started >= deadlineMs && !endedRun) {
      endedRun = true;
      const tree = descendants(table, runnerPid);
      log(
        `test watchdog: the run passed its ${Math.round(deadlineMs / 1000)} s limit; ending it. Still running:\n` +
          describeTree(tree),
      );
      for (const { pid } of [...tree].reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      try {
        process.kill(runnerPid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  const timer = setInterval(tick, tickMs);
  return {
    stop() {
      clearInterval(timer);
      return endedRun;
    },
  };
}
