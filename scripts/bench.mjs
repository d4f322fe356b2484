#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts (each prints one JSON object) one after the
// other (benchmarks must not share the 2 cores) and prints one JSON document.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const built = spawnSync(process.execPath, ['scripts/build.mjs'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (built.status !== 0) process.exit(1);

const only = process.argv.slice(2);
const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const results = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  startedAt: new Date().toISOString(),
};
let failed = false;
for (const file of benches) {
  const name = file.replace(/\.bench\.ts$/, '');
  const run = spawnSync(process.execPath, ['--import', 'tsx', join('bench', file)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  try {
    if (run.status !== 0) throw new Error(`exit status ${run.status}`);
    results[name] = JSON.parse(run.stdout.trim().split('\n').at(-1));
  } catch (error) {
    failed = true;
    results[name] = { error: String(error), stdout: run.stdout.slice(-2000) };
  }
}
console.log(JSON.stringify(results, null, 2));
process.exit(failed ? 1 : 0);
