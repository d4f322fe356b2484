// Runs the fake-hidraw shim's C unit test (built with ASan+UBSan by `make test`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findExecutable, requireOrSkip } from '../../../testkit/require';

const here = dirname(fileURLToPath(import.meta.url));

it('fake-hidraw shim: open/stat/ioctl/read/write and libudev answers (ASan+UBSan)', (t) => {
  if (!requireOrSkip(t, findExecutable('gcc') !== null && findExecutable('make') !== null, 'gcc and make (build-essential)')) return;
  const run = spawnSync('make', ['-s', '-C', here, 'test'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /all checks passed/);
});
