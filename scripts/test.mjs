#!/usr/bin/env node
// `npm test`: system packages, a full build (JS and C), then every test file of the tree
// (unit, helper, e2e, lint) under node:test. Ends with a plain "N passed, N failed" line.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { startWatchdog } from './test-watchdog.mjs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './ensure-system.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

ensureSystemPackages();

// Suites that run parts as other accounts (LightDM's test account, `nobody`) load modules,
// shims and bundles from this checkout, so every directory above it must be searchable by
// them. A clone made with `git clone . "$(mktemp -d)/c"` sits under a 0700 directory: as
// root, add search (x, not read) for others to such ancestors, and say so.
if (process.getuid?.() === 0) {
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      console.log(
        `test: ${dir} made searchable by other accounts (o+x) for the suites run as them`,
      );
    }
    if (dir === dirname(dir)) break;
  }
}
const built = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (built.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const TEST_ROOTS = [
  'app',
  'main',
  'preload',
  'renderer',
  'native-helper',
  'dev',
  'e2e',
  'scripts',
  'testkit',
];
function collect(dir, acc) {
  if (!existsSync(dir)) return acc;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, acc);
    else if (/\.test\.tsx?$/.test(name)) acc.push(relative(root, path));
  }
  return acc;
}
const filter = process.argv.slice(2);
let files = TEST_ROOTS.flatMap((d) => collect(join(root, d), []));
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
files.sort();
// A filter that matches nothing must not let `node --test` fall back to its own discovery.
if (files.length === 0) {
  console.log(`test: no test file matches ${filter.join(' ')}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// A hang must end as a named failure, never as a CI run that runs out of time: node's own
// timeout cancels a test, or a whole file whose process does not end; --test-force-exit ends a
// file's process once its tests and hooks are done (a handle left open by a test must not hold
// the run); the watchdog names what runs long and ends the run. The counts are read from the
// spec reporter's summary on stdout (the last 4 MiB kept), which force-exit leaves whole (a file destination it cuts).
const TEST_TIMEOUT_MS = 6 * 60_000;
const runner = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    `--test-timeout=${TEST_TIMEOUT_MS}`,
    '--test-force-exit',
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, BASTION_REPO_ROOT: root } },
);
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
let tail = '';
runner.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  // Without colour codes (FORCE_COLOR may be set), for the summary lines below.
  tail = (tail + chunk.toString('utf8').replace(ANSI_COLOUR, '')).slice(-4_194_304);
});
const watchdog = startWatchdog(runner.pid, files);
const status = await new Promise((resolve) => runner.on('close', (code) => resolve(code ?? 1)));
const endedByWatchdog = watchdog.stop();

// The LAST summary line of each kind: a test's own output may print such a line before it.
const count = (key) =>
  Number([...tail.matchAll(new RegExp(`^ℹ ${key} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
const summarised = /^ℹ tests \d+$/m.test(tail);
const passed = count('pass');
// A cancelled test (timed out, or its file's process ended early) is a failure; so is a run
// that ended without its summary (the watchdog, a crash) or with a failing status.
const counted = count('fail') + count('cancelled');
const failed =
  counted + ((status !== 0 || endedByWatchdog || !summarised) && counted === 0 ? 1 : 0);
const skipped = count('skipped');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
