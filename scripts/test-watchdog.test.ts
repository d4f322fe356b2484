// The test run's watchdog on a stand-in runner: a node process with one "test file" child that
// never ends (and a grandchild), as a hung suite would. The watchdog names the file with its
// processes, then at the deadline kills everything under the runner and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
// @ts-expect-error plain ESM script without types
import { startWatchdog } from './test-watchdog.mjs';

/** Running, not a zombie left for a parent that was killed too (PID 1 may not reap here). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

test('names a long-running test file with its processes, then ends the run at the deadline', async () => {
  const file = 'e2e/stand-in-hang.test.ts';
  // The runner stand-in spawns the "file" process, which spawns a sleeping grandchild.
  const script = `
    const { spawn } = require('node:child_process');
    spawn(process.execPath, ['-e', "require('node:child_process').spawn('sleep', ['300'], { stdio: 'ignore' }); setInterval(() => {}, 1000)", ${JSON.stringify(file)}], { stdio: 'ignore' });
    setInterval(() => {}, 1000);`;
  const runner = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) =>
    runner.on('exit', (code) => resolve(code)),
  );
  const lines: string[] = [];
  const watchdog = startWatchdog(
    runner.pid,
    [file, 'e2e/other.test.ts'],
    { tickMs: 100, slowFileMs: 400, deadlineMs: 1500 },
    (line: string) => lines.push(line),
  );
  try {
    await exited;
    assert.equal(watchdog.stop(), true, 'the watchdog ended the run');
    const said = lines.join('\n');
    assert.match(said, new RegExp(`test watchdog: ${file} has run for \\d+ s; its processes:`));
    assert.match(said, /sleep 300/, 'the grandchild is listed');
    assert.match(said, /the run passed its 2 s limit; ending it/);
    const pids = [...said.matchAll(/^\s+(\d+) /gm)].map((m) => Number(m[1]));
    assert.ok(pids.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(pids.filter(alive), [], 'every process under the runner is gone');
  } finally {
    watchdog.stop();
    runner.kill('SIGKILL');
  }
});

test('a run that ends in time: nothing said, not ended by the watchdog', async () => {
  const runner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300)'], { stdio: 'ignore' });
  const lines: string[] = [];
  const watchdog = startWatchdog(
    runner.pid,
    ['a.test.ts'],
    { tickMs: 50, slowFileMs: 1000, deadlineMs: 5000 },
    (l: string) => lines.push(l),
  );
  await new Promise((resolve) => runner.on('exit', resolve));
  assert.equal(watchdog.stop(), false);
  assert.deepEqual(lines, []);
});
