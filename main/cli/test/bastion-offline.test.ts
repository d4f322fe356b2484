// bastion-offline as a process: the stdout protocol, exit statuses, store's refusal of tokens,
// status, unsafe configuration, and the installed entry's cleared environment.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../testkit/paths';
import { OfflineCache } from '../../offline/cache';
import { cacheFileName } from '../../offline/format';
import {
  copyGolden,
  snapshotDir,
  storeFresh,
  type GoldenCopy,
} from '../../offline/test/golden-fixture';
import { SHIPPED_ENTRY, installEntryForTest, type InstalledEntry } from './installed-entry';

const SOURCE_CLI = join(REPO_ROOT, 'main/cli/bastion-offline.ts');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command from source (tsx), with only the variables given. */
function offline(args: string[], env: Record<string, string>, stdin = ''): Result {
  const run = spawnSync(process.execPath, ['--import', 'tsx', SOURCE_CLI, ...args], {
    env: { PATH: '/usr/bin:/bin', ...env },
    input: stdin,
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

describe('bastion-offline verify / store / status', () => {
  let copy: GoldenCopy;
  const DAVE = 'p@ss/with"quotes\\and é ünicode';
  before(async () => {
    // The command reads the real clock: fresh entries (golden ones expire on 2026-11-30).
    copy = copyGolden();
    await storeFresh(copy, 'dave', DAVE);
    await storeFresh(copy, 'alice', 'correct horse battery staple');
    await storeFresh(copy, 'eve', 'eve-pass');
    await storeFresh(copy, 'carol', 'carol pw', Math.floor(Date.now() / 1000) - 8 * 86_400);
  });
  after(() => copy.cleanup());
  const expiresOf = (user: string): number => {
    const cache = new OfflineCache(copy.options);
    try {
      return cache.get(user).expiresAt;
    } finally {
      cache.close();
    }
  };

  test('verify: OFFLINE_OK:<expires_at> and exit 0; NUL-terminated stdin with the OFFLINE: prefix', () => {
    const r = offline(['verify', ...copy.cliOptions], { PAM_USER: 'dave' }, `OFFLINE:${DAVE}\0`);
    assert.deepEqual([r.status, r.stdout], [0, `OFFLINE_OK:${expiresOf('dave')}`]);
  });

  test('verify: wrong password → OFFLINE_ERROR:-8, exit 1, reason on stderr without the password', () => {
    const r = offline(['verify', ...copy.cliOptions], { PAM_USER: 'alice' }, 'hunter2-wrong\n');
    assert.deepEqual([r.status, r.stdout], [1, 'OFFLINE_ERROR:-8']);
    assert.equal(r.stderr, 'bastion-offline: password does not match');
    assert.ok(!r.stderr.includes('hunter2'));
  });

  test('verify: lockout → OFFLINE_ERROR:-6:<remaining seconds>', () => {
    // One failure allowed, 60 s lockout: the second try is turned away with the countdown.
    const options = [...copy.cliOptions, '--max-failures', '1', '--lockout', '60'];
    assert.equal(
      offline(['verify', ...options], { PAM_USER: 'eve' }, 'nope').stdout,
      'OFFLINE_ERROR:-8',
    );
    const r = offline(['verify', ...options], { PAM_USER: 'eve' }, 'eve-pass');
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^OFFLINE_ERROR:-6:(4[0-9]|5[0-9]|60)$/); // 60 s minus the run time
  });

  test('verify: expired (carol, stored 8 days ago) → -5 and the entry is removed; unknown user → -4', () => {
    assert.equal(
      offline(['verify', ...copy.cliOptions], { PAM_USER: 'carol' }, 'carol pw').stdout,
      'OFFLINE_ERROR:-5',
    );
    assert.equal(existsSync(join(copy.cacheDir, cacheFileName('carol'))), false);
    assert.equal(
      offline(['verify', ...copy.cliOptions], { PAM_USER: 'mallory' }, 'x').stdout,
      'OFFLINE_ERROR:-4',
    );
  });

  test('store: refuses JWT, 64-hex and OFFLINE: answers (nothing written); records a typed password', () => {
    const before = snapshotDir(copy.cacheDir);
    for (const token of [
      'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ6ZWQifQ.c2ln\0',
      `${'ab'.repeat(32)}\0`,
      'OFFLINE:zed-pass\0',
    ]) {
      const r = offline(['store', ...copy.cliOptions], { PAM_USER: 'zed' }, token);
      assert.equal(r.status, 1, token);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /looks like a token/);
    }
    assert.deepEqual(snapshotDir(copy.cacheDir), before);
    assert.equal(
      offline(['store', ...copy.cliOptions], { PAM_USER: 'zed' }, 'zed-pass\0').status,
      0,
    );
    const r = offline(['verify', ...copy.cliOptions], { PAM_USER: 'zed' }, 'zed-pass\0');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^OFFLINE_OK:\d+$/);
  });

  test('status: OFFLINE_STATUS:<expires_at>:<locked_until>; no entry → OFFLINE_ERROR:-4', () => {
    // bob is the golden entry: expires_at and locked_until as the reference wrote them.
    assert.deepEqual(offline(['status', ...copy.cliOptions], { PAM_USER: 'bob' }), {
      status: 0,
      stdout: 'OFFLINE_STATUS:1796004800:1795400300',
      stderr: '',
    });
    assert.equal(
      offline(['status', ...copy.cliOptions], { PAM_USER: 'nobody' }).stdout,
      'OFFLINE_ERROR:-4',
    );
  });

  test('usage errors exit 2: no PAM_USER, unknown command or option; --help exits 0', () => {
    assert.equal(offline(['verify', ...copy.cliOptions], {}, 'x').status, 2);
    assert.equal(offline(['frobnicate', ...copy.cliOptions], { PAM_USER: 'alice' }).status, 2);
    assert.equal(offline(['verify', '--cache-dri', '/x'], { PAM_USER: 'alice' }).status, 2);
    const help = offline(['--help'], {});
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--cache-dir DIR/);
    assert.match(help.stdout, /--machine-id-file FILE/);
  });

  test('an unsafe cache dir is refused: OFFLINE_ERROR:-2 and a one-line reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'obcred-open-'));
    try {
      spawnSync('/bin/chmod', ['0755', dir]);
      const r = offline(
        ['verify', '--cache-dir', dir, '--key-file', copy.keyFile],
        { PAM_USER: 'alice' },
        'x',
      );
      assert.deepEqual([r.status, r.stdout], [1, 'OFFLINE_ERROR:-2']);
      assert.equal(
        r.stderr,
        `bastion-offline: cache dir ${dir} is group/world accessible (mode 0755)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('installed entry (resources/bin/bastion-offline)', () => {
  let installed: InstalledEntry;
  let copy: GoldenCopy;
  let scratch: string;
  before(async () => {
    installed = await installEntryForTest();
    copy = copyGolden();
    scratch = mkdtempSync(join(tmpdir(), 'evil-'));
    await storeFresh(copy, 'alice', 'correct horse battery staple');
  });
  after(() => {
    installed.cleanup();
    copy.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('NODE_OPTIONS=--require=<evil> and NODE_PATH never reach the runtime; PAM_* does', () => {
    const marker = join(scratch, 'evil-ran');
    const evil = join(scratch, 'evil.cjs');
    writeFileSync(
      evil,
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, String(process.pid));\n`,
    );
    const hostile = {
      PAM_USER: 'alice',
      NODE_OPTIONS: `--require=${evil}`,
      NODE_PATH: scratch,
      BASH_ENV: evil,
      ENV: evil,
      PATH: `${scratch}:/usr/bin:/bin`,
    };
    // Control: the same environment does run evil.cjs in a plain node.
    spawnSync('/usr/bin/node', ['-e', '0'], { env: hostile });
    assert.equal(existsSync(marker), true, 'control: NODE_OPTIONS works when not cleared');
    rmSync(marker);
    const r = spawnSync(installed.entry, ['verify', ...copy.cliOptions], {
      env: hostile,
      input: 'correct horse battery staple\0',
      encoding: 'utf8',
    });
    assert.match(r.stdout.trim(), /^OFFLINE_OK:\d+$/, r.stderr);
    assert.equal(r.status, 0);
    assert.equal(existsSync(marker), false, 'evil.cjs never ran');
    assert.deepEqual(readdirSync(scratch).sort(), ['evil.cjs']);
  });
});

describe('installed entry: the environment node receives', () => {
  test('exactly the PAM_* items pam_exec sets, whatever else the caller had', () => {
    const dir = mkdtempSync(join(tmpdir(), 'entry-env-'));
    try {
      const printer = join(dir, 'print-env.mjs');
      writeFileSync(printer, 'console.log(JSON.stringify(process.env));\n');
      const entry = join(dir, 'bastion-offline');
      const shipped = readFileSync(SHIPPED_ENTRY, 'utf8');
      writeFileSync(entry, shipped.replace(/^BASTION_CLI=.*$/m, `BASTION_CLI=${printer}`), {
        mode: 0o755,
      });
      const run = spawnSync(entry, ['verify'], {
        env: {
          PAM_USER: 'alice',
          PAM_SERVICE: 'bastion-greeter',
          PAM_TYPE: 'auth',
          NODE_OPTIONS: '--require=/nonexistent/evil.cjs',
          NODE_PATH: dir,
          LD_LIBRARY_PATH: dir,
          BASTION_CLI: '/nonexistent/other.mjs',
          BASTION_NODE: '/nonexistent/node',
          PATH: `${dir}:/usr/bin:/bin`,
        },
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        PAM_USER: 'alice',
        PAM_SERVICE: 'bastion-greeter',
        PAM_TYPE: 'auth',
        PAM_RHOST: '',
        PAM_RUSER: '',
        PAM_TTY: '',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
