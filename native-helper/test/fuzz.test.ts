// Bounded CI pass of the frame decoder's libFuzzer target (the full run is `npm run fuzz`, 10^6).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../testkit/paths';
import { findExecutable, requireOrSkip } from '../../testkit/require';

it('fuzz-frames: 50 000 executions, no crash', (t) => {
  if (!requireOrSkip(t, findExecutable('clang') !== null, 'clang (libFuzzer)')) return;
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/fuzz.mjs'), '--runs=50000'], { encoding: 'utf8', timeout: 300_000 });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  const summary = JSON.parse(last) as { execs: number; crashes: number; seconds: number };
  assert.equal(summary.crashes, 0);
  assert.ok(summary.execs >= 50_000, `only ${summary.execs} executions`);
});
