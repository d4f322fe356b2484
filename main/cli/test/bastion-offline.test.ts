// bastion-offline as a process: the stdout protocol, exit statuses, store's refusal of tokens,
// status, unsafe configuration, and the installed entry's cleared environment.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../testkit/paths';
import { findExecutable, requireOrSkip } from '../../../testkit/require';
import { OfflineCache } from '../../offline/cache';
import { cacheFileName } from '../../offline/format';
import {
  copyGolden,
  snapshotDir,
  storeFresh,
  type GoldenCopy,
} from '../../offline/test/golden-fixture';
import {
  LAUNCHER_SOURCE,
  buildLauncherForTest,
  installEntryForTest,
  type InstalledEntry,
  buildLdMarkersForTest,
} from './installed-entry';

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

  test('verify: expired (carol, stored 8 days ago) → -5 and the entry is removed; unknown user → -8 like a wrong password', () => {
    assert.equal(
      offline(['verify', ...copy.cliOptions], { PAM_USER: 'carol' }, 'carol pw').stdout,
      'OFFLINE_ERROR:-5',
    );
    assert.equal(existsSync(join(copy.cacheDir, cacheFileName('carol'))), false);
    const unknown = offline(['verify', ...copy.cliOptions], { PAM_USER: 'mallory' }, 'x');
    assert.deepEqual(
      [unknown.status, unknown.stdout, unknown.stderr],
      [1, 'OFFLINE_ERROR:-8', 'bastion-offline: no cached credentials for this user'],
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

describe('installed entry (native-helper/bastion-offline-launcher.c)', () => {
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

  test('is statically linked: no loader runs, so no LD_* variable is ever read', (t) => {
    if (!requireOrSkip(t, findExecutable('file') !== null, 'file(1)')) return;
    const description = execFileSync('file', ['-b', installed.entry], { encoding: 'utf8' });
    assert.match(description, /\bstatic(-pie)? linked\b/, description);
    assert.doesNotMatch(description, /dynamically linked|interpreter/, description);
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

  test('LD_PRELOAD, LD_LIBRARY_PATH and LD_AUDIT load nothing, and verify still answers', () => {
    const dir = mkdtempSync(join(scratch, 'ld-'));
    const marks = buildLdMarkersForTest(dir);
    // A bare LD_PRELOAD name is found through LD_LIBRARY_PATH: one marker covers both.
    const hostile = {
      PAM_USER: 'alice',
      LD_PRELOAD: 'libpreload-marker.so',
      LD_LIBRARY_PATH: dir,
      LD_AUDIT: join(dir, 'libaudit-marker.so'),
    };
    // Control: a dynamically linked program started with the same environment loads both.
    spawnSync('/bin/true', [], { env: hostile });
    assert.deepEqual([existsSync(marks.preload), existsSync(marks.audit)], [true, true]);
    rmSync(marks.preload);
    rmSync(marks.audit);
    const r = spawnSync(installed.entry, ['verify', ...copy.cliOptions], {
      env: hostile,
      input: 'correct horse battery staple\0',
      encoding: 'utf8',
    });
    assert.match(r.stdout.trim(), /^OFFLINE_OK:\d+$/, r.stderr);
    assert.deepEqual([existsSync(marks.preload), existsSync(marks.audit)], [false, false]);
  });
});

describe('installed entry: the environment and arguments the runtime receives', () => {
  let dir: string;
  let entry: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'entry-env-'));
    chmodSync(dir, 0o755);
    // The "runtime" prints what it was given; the "script" is then its first printed argument.
    const printer = join(dir, 'print-exec');
    writeFileSync(
      printer,
      `#!${process.execPath}\nconsole.log(JSON.stringify({ argv: process.argv.slice(2), env: process.env }));\n`,
      { mode: 0o755 },
    );
    entry = buildLauncherForTest(dir, printer, '/fixed/script.mjs');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const launch = (args: string[], env: Record<string, string>) =>
    spawnSync(entry, args, { env, encoding: 'utf8' });

  test('exactly the PAM items it needs (of those pam_exec sets), ELECTRON_RUN_AS_NODE=1 and a fixed PATH', () => {
    const run = launch(['verify', '--cache-dir', '/x'], {
      PAM_USER: 'alice',
      PAM_SERVICE: 'bastion-greeter',
      PAM_TYPE: 'auth',
      PAM_RUSER: 'lightdm',
      PAM_TTY: ':0',
      PAM_RHOST: 'planted.example',
      PAM_OTHER: 'not an item pam_exec sets',
      NODE_OPTIONS: '--require=/nonexistent/evil.cjs',
      NODE_PATH: dir,
      LD_LIBRARY_PATH: dir,
      GLIBC_TUNABLES: 'glibc.malloc.check=3',
      ELECTRON_RUN_AS_NODE: '0',
      BASTION_RUNTIME: '/nonexistent/node',
      PATH: `${dir}:/usr/bin:/bin`,
    });
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as { argv: string[]; env: Record<string, string> };
    assert.deepEqual(seen.argv, [
      '--disallow-code-generation-from-strings',
      '/fixed/script.mjs',
      'verify',
      '--cache-dir',
      '/x',
    ]);
    assert.deepEqual(seen.env, {
      ELECTRON_RUN_AS_NODE: '1',
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      PAM_USER: 'alice',
      PAM_SERVICE: 'bastion-greeter',
      PAM_TYPE: 'auth',
      PAM_RUSER: 'lightdm',
    });
  });

  test('fails closed: a PAM item given twice, an overlong item or argument, too many arguments', () => {
    assert.equal(launch(['verify'], {}).status, 0, 'baseline: no items at all is fine');
    // Neither spawnSync nor env(1) can pass a name twice; execve itself can (through ctypes).
    const execveRaw =
      'import ctypes,sys; a=lambda l:(ctypes.c_char_p*(len(l)+1))(*[x.encode() for x in l],None); ' +
      'ctypes.CDLL(None).execve(sys.argv[1].encode(), a(sys.argv[1:2]), a(sys.argv[2:]))';
    const dup = spawnSync(
      'python3',
      ['-c', execveRaw, entry, 'PAM_USER=root', 'PAM_TYPE=auth', 'PAM_USER=alice'],
      { encoding: 'utf8' },
    );
    assert.deepEqual(
      [dup.status, dup.stdout, dup.stderr.trim()],
      [1, '', 'bastion-offline: a PAM item appears twice in the environment'],
    );
    const long = launch(['verify'], { PAM_USER: 'a'.repeat(1024) });
    assert.deepEqual([long.status, long.stdout], [1, '']);
    assert.match(long.stderr, /PAM item is too long/);
    assert.equal(launch(['verify'], { PAM_USER: 'a'.repeat(1024 - 'PAM_USER='.length) }).status, 0);
    const longArg = launch(['verify', 'x'.repeat(4097)], {});
    assert.deepEqual([longArg.status, longArg.stdout], [1, '']);
    assert.equal(
      launch(
        Array.from({ length: 32 }, () => 'a'),
        {},
      ).status,
      0,
    );
    const many = launch(
      Array.from({ length: 33 }, () => 'a'),
      {},
    );
    assert.deepEqual([many.status, many.stdout], [1, '']);
    assert.match(many.stderr, /too many arguments/);
  });

  test('the launcher source reads no variable but the PAM items (no getenv, no PATH search)', () => {
    const source = readFileSync(LAUNCHER_SOURCE, 'utf8');
    assert.doesNotMatch(source, /\bgetenv\b|\bexecvp|\bexeclp|\bsystem\s*\(|\bpopen\b/);
  });
});
