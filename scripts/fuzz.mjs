#!/usr/bin/env node
// `npm run fuzz`: builds the libFuzzer target of the helper's frame decoder (native-helper/frame.c,
// `make -C native-helper fuzz`, clang -fsanitize=fuzzer,address,undefined) and runs it from the
// seeds in native-helper/test/fuzz-corpus/ (read-only) plus a working corpus in .fuzz/corpus/.
// Prints one JSON line: {"execs","crashes","seconds",...}; exits 1 on any crash or failed run.
// Options: --runs=N (default 1000000), --seed=N, --max-len=N. libFuzzer's log: .fuzz/last-run.log.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.slice(name.length + 3)) : fallback;
};
const runs = arg('runs', 1_000_000);
const seed = arg('seed', 0); // 0: libFuzzer picks one (reported)
const maxLen = arg('max-len', 8300); // one largest frame (8197 bytes) and change
if (![runs, seed, maxLen].every((n) => Number.isInteger(n) && n >= 0)) {
  console.error('usage: node scripts/fuzz.mjs [--runs=N] [--seed=N] [--max-len=N]');
  process.exit(2);
}

const made = spawnSync('make', ['-s', '-C', join(root, 'native-helper'), 'fuzz'], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (made.status !== 0) {
  console.error('fuzz: building native-helper/out/fuzz-frames failed (needs clang, libclang-rt)');
  process.exit(1);
}

const work = join(root, '.fuzz');
const corpus = join(work, 'corpus');
const artifacts = join(work, 'artifacts', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(corpus, { recursive: true });
mkdirSync(artifacts, { recursive: true });

const started = Date.now();
const fuzz = spawnSync(
  join(root, 'native-helper/out/fuzz-frames'),
  [
    `-runs=${runs}`,
    ...(seed > 0 ? [`-seed=${seed}`] : []),
    `-max_len=${maxLen}`,
    '-timeout=10',
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}/`,
    corpus, // new inputs are written to the first directory only
    join(root, 'native-helper/test/fuzz-corpus'),
  ],
  {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' },
  },
);
const seconds = (Date.now() - started) / 1000;
const log = `${fuzz.stdout ?? ''}${fuzz.stderr ?? ''}`;
writeFileSync(join(work, 'last-run.log'), log);

const stat = (key) => Number(log.match(new RegExp(`^stat::${key}:\\s*(\\d+)`, 'm'))?.[1] ?? NaN);
const found = readdirSync(artifacts).filter((f) => /^(crash|leak|timeout|oom|slow-unit)-/.test(f));
if (found.length === 0) rmdirSync(artifacts);
const execs = stat('number_of_executed_units');
const crashed = found.length > 0 || fuzz.status !== 0 || fuzz.signal !== null;
const summary = {
  target: 'native-helper/out/fuzz-frames',
  execs: Number.isNaN(execs) ? null : execs,
  crashes: crashed ? Math.max(1, found.length) : 0,
  seconds: Math.round(seconds * 10) / 10,
  execsPerSecond: Number.isNaN(execs) ? null : Math.round(execs / Math.max(seconds, 0.001)),
  corpusFiles: readdirSync(corpus).length,
  seed: Number(log.match(/^INFO: Seed: (\d+)/m)?.[1] ?? seed),
  artifacts: found.map((f) => join(artifacts, f)),
  exitStatus: fuzz.status,
};
console.log(JSON.stringify(summary));
if (crashed || summary.execs === null || summary.execs < runs) {
  console.error(log.split('\n').slice(-40).join('\n'));
  process.exit(1);
}
