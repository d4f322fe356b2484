// bastion-offline's own stdin/stdout (read(2)/write(2) on fds 0 and 1, main/cli/bastion-offline.ts),
// on the bundle scripts/build.mjs makes: a blocking pipe, a non-blocking one whose data comes
// late or in parts (EAGAIN: the stream's path), and the 4096-byte cap.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { findExecutable, requireOrSkip } from '../../../testkit/require';
import { copyGolden, storeFresh, type GoldenCopy } from '../../offline/test/golden-fixture';
import { bundleForTest } from './installed-entry';

const PASSWORD = 'correct horse battery staple';

/**
 * Runs the bundle with stdin a non-blocking pipe: `early` is in it before the command starts,
 * `late` and pam_exec's NUL come 300 ms later, then the pipe closes.
 */
const NON_BLOCKING_FEEDER = `
import fcntl, os, subprocess, sys, time
early, late = sys.argv[1].encode(), sys.argv[2].encode() + b'\\0'
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
if early:
    os.write(w, early)
p = subprocess.Popen(sys.argv[3:], stdin=r, stdout=subprocess.PIPE, env={'PAM_USER': 'alice'})
os.close(r)
time.sleep(0.3)
os.write(w, late)
os.close(w)
out, _ = p.communicate()
sys.stdout.write('%d %s' % (p.returncode, out.decode()))
`;

describe('bastion-offline stdin and stdout', () => {
  let copy: GoldenCopy;
  let bundle: { bundle: string; cleanup(): void };
  before(async () => {
    copy = copyGolden();
    await storeFresh(copy, 'alice', PASSWORD);
    bundle = await bundleForTest('bastion-offline');
  });
  after(() => {
    bundle.cleanup();
    copy.cleanup();
  });
  const command = (): string[] => ['/usr/bin/node', bundle.bundle, 'verify', ...copy.cliOptions];

  test('a blocking pipe: the password, the one protocol line; over 4096 bytes: usage (2)', () => {
    const [node, ...args] = command();
    const run = (input: string | Buffer) =>
      spawnSync(node!, args, { env: { PAM_USER: 'alice' }, input, encoding: 'utf8' });
    const ok = run(`${PASSWORD}\0`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^OFFLINE_OK:\d+\n$/);
    const long = run(Buffer.alloc(4097, 0x61));
    assert.equal(long.status, 2);
    assert.equal(long.stdout, '');
    assert.match(long.stderr, /stdin longer than 4096 bytes/);
  });

  test('a non-blocking pipe, data late or in two parts: the same answer', (t) => {
    const python = findExecutable('python3');
    if (!requireOrSkip(t, python !== null, 'python3 is not installed')) return;
    for (const [early, late] of [
      ['', PASSWORD],
      ['correct horse ', 'battery staple'],
    ]) {
      const run = spawnSync(python!, ['-c', NON_BLOCKING_FEEDER, early!, late!, ...command()], {
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^0 OFFLINE_OK:\d+\n$/, `early ${JSON.stringify(early)}`);
    }
  });
});
