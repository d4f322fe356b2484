// The setuid PAM helper, driven over its frames, on real libpam through pam_wrapper + pam_matrix.
// The test build (ASan + UBSan, leak checks on) unless a test is about the release build.
// Every run is checked for sanitizer reports; every negative case asserts it is not a success by
// PROTOCOL.md's rule (exact RESULT, nothing after it, exit 0).
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { encodeFrame, FrameDecoder, FrameError, FrameType } from '../../main/pam/frames';
import { HELPER_BENCH_BUILD, HELPER_OUT, HELPER_TEST_BUILD } from '../../testkit/paths';
import { createPamStack, hasPamWrapper, matrixService, PAM_CHATTY, PAM_MATRIX, PAM_SET_ITEMS, privateTmpForPamWrapper } from '../../testkit/pam-stack';
import { fileExists, findExecutable, requireOrSkip } from '../../testkit/require';
import { SOCKET_ACTIVATE, startSocketActivatedHelper, type SocketActivatedHelper } from '../../testkit/socket-activate';
import { rawFrame, runHelper, runWithStuckReader, sanitizerReport, startFrame, SUCCESS_RESULT, type HelperRun, type PromptAction, type RunOptions } from './driver';

const TEST_BIN = HELPER_TEST_BUILD;
const RELEASE_BIN = join(HELPER_OUT, 'bastion-pam-helper');
const PAM_PROBE = join(HELPER_OUT, 'pam_probe.so');
const PASSWORD = 'correct horse';
const SANITIZERS = { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' };
const NOBODY = ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534'];
const PYTHON = '/usr/bin/python3';
/** CAP_SYS_RESOURCE (bit 24) in this process's effective set: without it (some containers) not
 *  even root can raise a hard rlimit. */
const CAN_RAISE_HARD_LIMITS = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`) >> 24n) & 1n;

const R = {
  protocol: '19:BASTION_PROTOCOL:helper',
  service: '6:BASTION_SERVICE_NOT_ALLOWED:helper',
  caller: '6:BASTION_CALLER_NOT_ALLOWED:helper',
  throttled: '11:BASTION_THROTTLED:helper',
  busy: '11:BASTION_BUSY:helper',
  userChanged: '6:BASTION_USER_CHANGED:helper',
  cancelled: '26:BASTION_CANCELLED:helper',
  timeout: '26:BASTION_TIMEOUT:helper',
  notPrivileged: '4:BASTION_NOT_PRIVILEGED:helper',
  system: '4:BASTION_SYSTEM:helper',
  notInstalled: '4:BASTION_SERVICE_NOT_INSTALLED:helper',
  authErr: '7:PAM_AUTH_ERR:authenticate',
};

type Mode = 'setuid' | 'socket';

function readyFor(t: TestContext, mode: Mode): boolean {
  return (
    (mode === 'setuid' || requireOrSkip(t, SOCKET_ACTIVATE !== null, 'systemd-socket-activate (systemd)')) &&
    requireOrSkip(t, hasPamWrapper(), 'libpam-wrapper') &&
    requireOrSkip(t, fileExists(TEST_BIN) && fileExists(RELEASE_BIN) && fileExists(PAM_PROBE), 'the helper build (make -C native-helper)') &&
    requireOrSkip(t, process.getuid?.() === 0, 'root (the helper tests switch uids and need root-owned state)') &&
    requireOrSkip(t, findExecutable('/usr/bin/setpriv') !== null, 'setpriv (util-linux)')
  );
}

interface Fixture {
  mode: Mode;
  env: Record<string, string>;
  stateDir: string;
  scratch: string;
  run(options: Partial<RunOptions>): Promise<HelperRun>;
  /** The test binary's helpers and module, copied where uid 65534 can execute them. */
  publicCopy(name: string): string;
}

/** A pam_wrapper stack (service → body; `{passdb}` is pam_matrix's file) and a state dir. In
 *  socket mode, runs go through systemd-socket-activate (one listener per helper environment). */
function makeFixture(t: TestContext, services: Record<string, string>, extraEnv: Record<string, string>, mode: Mode): Fixture {
  const stack = createPamStack({
    services,
    users: ['bastion-greeter', 'bastion-status'].flatMap((service) => [
      { user: 'alice', password: PASSWORD, service },
      { user: 'bob', password: 'bobpass', service },
    ]),
  });
  const scratch = mkdtempSync(join(tmpdir(), 'bastion-helper-test-'));
  chmodSync(scratch, 0o755);
  const stateDir = join(scratch, 'ratelimit');
  const sockets = new Map<string, Promise<SocketActivatedHelper>>();
  t.after(async () => {
    for (const socket of sockets.values()) {
      const s = await socket;
      await s.stop();
      assert.equal(sanitizerReport(s.log()), null, `sanitizer report:\n${s.log()}`);
    }
    stack.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });
  const socketFor = (helperEnv: Record<string, string>): Promise<SocketActivatedHelper> => {
    const key = JSON.stringify(helperEnv);
    if (!sockets.has(key)) sockets.set(key, startSocketActivatedHelper({ binary: TEST_BIN, env: helperEnv }));
    return sockets.get(key)!;
  };
  const env = {
    ...stack.env,
    UID_WRAPPER_DISABLE_DEEPBIND: '1', // pam_wrapper 1.1.4's switch; ASan refuses RTLD_DEEPBIND
    BASTION_TEST_STATE_DIR: stateDir,
    BASTION_TEST_DEADLINE_MS: '20000',
    ...SANITIZERS,
    ...extraEnv,
  };
  return {
    mode,
    env,
    stateDir,
    scratch,
    async run(options) {
      if (mode === 'setuid') return runHelper({ binary: TEST_BIN, env, ...options });
      const socket = await socketFor(options.env ?? env);
      return runHelper({ ...options, binary: TEST_BIN, env: { PATH: '/usr/bin:/bin' }, socket });
    },
    publicCopy(name) {
      const path = join(scratch, basename(name));
      copyFileSync(name.startsWith('/') ? name : join(HELPER_OUT, name), path);
      chmodSync(path, 0o755);
      return path;
    },
  };
}

/** The checks every run gets: its outcome, no sanitizer report, nothing after RESULT, and
 *  success exactly when it is expected. */
function expectRun(run: HelperRun, result: string | null, status: number | null): void {
  assert.equal(sanitizerReport(run.stderr), null, `sanitizer report:\n${run.stderr}`);
  assert.equal(run.result, result, `stderr:\n${run.stderr}`);
  if (!run.viaSocket) assert.equal(run.status, status); // a socket peer sees no exit status
  assert.equal(run.afterResult, 0, 'frames after RESULT');
  assert.equal(run.decodeError, null);
  assert.equal(run.success, result === SUCCESS_RESULT);
}

const answer = (text: string | Buffer) => (): PromptAction => ({ answer: text });
const prompts = (run: HelperRun) => run.frames.filter((f) => f.type === FrameType.PROMPT_ECHO_OFF || f.type === FrameType.PROMPT_ECHO_ON).length;
const matrix = matrixService();
/** For the key service in these tests: pam_matrix checks the password, but its account check
 *  only knows each user's first line (the bastion-greeter one), so pam_permit there. */
const keyMatrix = `auth required ${PAM_MATRIX} passdb={passdb}\naccount required pam_permit.so\n`;

/** A python3 process holding something (a flock) until killed; `ready` once it says so. */
function spawnHolder(code: string, ...args: string[]): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(PYTHON, ['-c', code, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
  return { child, ready };
}

/** Processes started with BASTION_TEST_STOP_IN_RECORD_LOCK=<marker> (the helper stops itself
 *  with SIGSTOP inside its record lock); `stoppedOnly`: those in state T. */
function marked(marker: string, stoppedOnly: boolean): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').includes(`BASTION_TEST_STOP_IN_RECORD_LOCK=${marker}\0`)) continue;
      if (!stoppedOnly || readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]![0] === 'T') found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
const markedStopped = (marker: string): number[] => marked(marker, true);
const killMarked = (marker: string): void => {
  for (const pid of marked(marker, false)) process.kill(pid, 'SIGKILL');
};

/** A release-build run (which checks the real /etc/pam.d, never pam_wrapper's dir) in a private
 *  mount namespace whose /etc/pam.d holds `services` (root-owned 0644), the way a package
 *  installs them. `then`: more of the command (prlimit…) before the helper. */
function privatePamd(scratch: string, services: string[], ...then: string[]): string[] {
  const pamd = mkdtempSync(join(scratch, 'pam.d-'));
  for (const service of services) writeFileSync(join(pamd, service), 'auth required pam_deny.so\n', { mode: 0o644 });
  const rest = then.length > 0 ? then : ['/usr/bin/env'];
  return ['/usr/bin/unshare', '-m', '--propagation', 'private', '/bin/sh', '-c', `mount --bind '${pamd}' /etc/pam.d && exec "$0" "$@"`, ...rest];
}


/** Processes whose command line is exactly `argv` (a sleep only one test runs). */
function processesRunning(argv: string[]): number[] {
  const want = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, 'latin1') === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Rate-limit records in a state dir (not the slot, lock and status-replay files beside them). */
const records = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => /^\d+-(?:[0-9a-f]+|u[0-9a-f]{2})$/.test(n)).sort() : []);
/** The record of a user NSS does not know (pam_matrix's alice and bob): one of 64 buckets per
 *  caller, by FNV-1a of the name (PROTOCOL.md). */
/** The helper's rate-limit key (name_records): the NSS account's name in hex when the machine
 *  has such an account (a test machine may have an `alice`), else one of 64 hashed buckets. */
const bucket = (caller: number, user: string): string => {
  let account = '';
  try {
    account = execFileSync('/usr/bin/getent', ['passwd', user], { encoding: 'utf8' }).split(':')[0] ?? '';
  } catch {
    // getent exits 2 for an unknown account
  }
  if (account !== '') return `${caller}-${Buffer.from(account).subarray(0, 100).toString('hex')}`;
  let h = 2166136261;
  for (const b of Buffer.from(user)) h = Math.imul((h ^ b) >>> 0, 16777619) >>> 0;
  return `${caller}-u${(h % 64).toString(16).padStart(2, '0')}`;
};

// The same suite for both ways the helper is started (PROTOCOL.md, "Modes"); what only a setuid
// start has (a parent, a caller's own limits and signals, exit statuses) runs once.
for (const mode of ['setuid', 'socket'] as const)
describe(`bastion-pam-helper on real libpam (pam_wrapper + pam_matrix), ${mode} mode`, () => {
  const fixture = (t: TestContext, services: Record<string, string>, extraEnv: Record<string, string> = {}) => makeFixture(t, services, extraEnv, mode);
  const setuidOnly = (body: () => void): void => {
    if (mode === 'setuid') body();
  };
  const ready = (t: TestContext): boolean => readyFor(t, mode);
  it('right password → 0:PAM_SUCCESS:acct_mgmt, exit 0', async (t) => {
    if (!ready(t)) return;
    const f = fixture(t, { 'bastion-greeter': matrix });
    const run = await f.run({ onPrompt: answer(PASSWORD) });
    expectRun(run, SUCCESS_RESULT, 0);
    assert.deepEqual(run.texts(FrameType.PROMPT_ECHO_OFF), ['Password: ']);
  });

  it('wrong password → 7:PAM_AUTH_ERR:authenticate, exit 1', async (t) => {
    if (!ready(t)) return;
    const f = fixture(t, { 'bastion-greeter': matrix });
    expectRun(await f.run({ onPrompt: answer('correct horse ') }), R.authErr, 1);
    expectRun(await f.run({ onPrompt: answer('') }), R.authErr, 1);
  });

  it('unknown user → the same failure as a wrong password', async (t) => {
    if (!ready(t)) return;
    const f = fixture(t, { 'bastion-greeter': matrix });
    const run = await f.run({ user: 'mallory', onPrompt: answer(PASSWORD) });
    expectRun(run, R.authErr, 1);
    assert.equal(prompts(run), 1);
  });

  it('services outside the compiled-in allowlist are refused before PAM runs', async (t) => {
    if (!ready(t)) return;
    const permit = 'auth required pam_permit.so\naccount required pam_permit.so';
    const names = ['login', 'other', 'bastion-greete', 'bastion-greeterx', 'BASTION-GREETER', 'bastion-status.d', '../bastion-greeter'];
    const f = fixture(t, Object.fromEntries(names.filter((n) => !n.includes('/')).map((n) => [n, permit])));
    for (const service of names) {
      const run = await f.run({ service, onPrompt: answer(PASSWORD) });
      expectRun(run, R.service, 2);
      assert.equal(run.frames.length, 1, `${service}: only RESULT`);
    }
  });

  it('the key service bastion-greeter-u2f is accepted; names close to it are still refused', async (t) => {
    if (!ready(t)) return;
    const permit = 'auth required pam_permit.so\naccount required pam_permit.so';
    const near = ['bastion-greeter-u2', 'bastion-greeter-u2fx', 'bastion-greeter-U2F', 'bastion-u2f', 'pam_u2f'];
    const f = fixture(t, { 'bastion-greeter-u2f': keyMatrix, ...Object.fromEntries(near.map((n) => [n, permit])) });
    const run = await f.run({ service: 'bastion-greeter-u2f', onPrompt: answer(PASSWORD) });
    expectRun(run, SUCCESS_RESULT, 0);
    for (const service of near) {
      const refused = await f.run({ service, onPrompt: answer(PASSWORD) });
      expectRun(refused, R.service, 2);
      assert.equal(refused.frames.length, 1, `${service}: only RESULT`);
    }
  });

  describe('a service runs only with its own PAM file (issue #9 review, finding 1)', () => {
    it("no bastion-greeter-u2f file: refused before PAM runs, never `other`'s password prompt", async (t) => {
      if (!ready(t)) return;
      // Debian's `other` is common-auth: a password prompt. Run by libpam for a missing key
      // service file, it would make the key service a second password service (own bucket).
      const f = fixture(t, { 'bastion-greeter': matrix, other: keyMatrix });
      for (const service of ['bastion-greeter-u2f', 'bastion-status']) {
        const run = await f.run({ service, onPrompt: answer(PASSWORD) });
        expectRun(run, R.notInstalled, 4);
        assert.equal(run.frames.length, 1, `${service}: only RESULT, no prompt`);
      }
      expectRun(await f.run({ onPrompt: answer(PASSWORD) }), SUCCESS_RESULT, 0);
    });

    it('a service file someone else may write, or that root does not own, is refused', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix, 'bastion-greeter-u2f': keyMatrix });
      const file = join(f.env.PAM_WRAPPER_SERVICE_DIR!, 'bastion-greeter-u2f');
      expectRun(await f.run({ service: 'bastion-greeter-u2f', onPrompt: answer(PASSWORD) }), SUCCESS_RESULT, 0);
      for (const [mode, uid] of [[0o664, 0], [0o646, 0], [0o644, 65534]] as const) {
        chmodSync(file, mode);
        chownSync(file, uid, 0);
        const run = await f.run({ service: 'bastion-greeter-u2f', onPrompt: answer(PASSWORD) });
        expectRun(run, R.notInstalled, 4);
        assert.equal(run.frames.length, 1, `mode ${mode.toString(8)} uid ${uid}`);
      }
      rmSync(file);
      mkdirSync(file); // not a regular file
      expectRun(await f.run({ service: 'bastion-greeter-u2f', onPrompt: answer(PASSWORD) }), R.notInstalled, 4);
    });
  });

  it('pam_chatty and friends: every message relayed in order, the prompt in its place', async (t) => {
    if (!ready(t)) return;
    // pam_chatty never frees the reply array of its conversations (a leak in pam_wrapper's test
    // module, which is unloaded before LeakSanitizer reports, hiding its name). Suppress exactly
    // those and check below that the suppressed leaks are its 20 replies of 16 bytes, nothing else.
    const f = fixture(t, {
      'bastion-greeter': [
        'auth optional pam_echo.so first',
        `auth required ${PAM_CHATTY} num_lines=16 info`,
        `auth required ${PAM_CHATTY} num_lines=4 error`,
        'auth optional pam_echo.so before-prompt',
        `auth required ${PAM_MATRIX} passdb={passdb}`,
        'auth optional pam_echo.so after-prompt',
        `account required ${PAM_MATRIX} passdb={passdb}`,
      ].join('\n'),
    });
    const supp = join(f.scratch, 'lsan.supp');
    writeFileSync(supp, 'leak:^conv$\n');
    const run = await f.run({ onPrompt: answer('wrong'), env: { ...f.env, LSAN_OPTIONS: `suppressions=${supp}:print_suppressions=1` } });
    expectRun(run, R.authErr, 1);
    const seen = run.frames.map((fr) => `${fr.type}:${fr.payload.toString('utf8')}`);
    assert.deepEqual(seen, [
      `${FrameType.INFO}:first`,
      ...Array(16).fill(`${FrameType.INFO}:Authentication succeeded`),
      ...Array(4).fill(`${FrameType.ERROR}:Authentication generated an error`),
      `${FrameType.INFO}:before-prompt`,
      `${FrameType.PROMPT_ECHO_OFF}:Password: `,
      `${FrameType.INFO}:after-prompt`,
      `${FrameType.RESULT}:${R.authErr}`,
    ]);
    const used = /^\s*(\d+)\s+(\d+)\s+\^conv\$\s*$/m.exec(run.stderr);
    assert.ok(used, `expected pam_chatty's suppressed leaks:\n${run.stderr}`);
    assert.deepEqual([Number(used[1]), Number(used[2])], [20, 20 * 16]);
  });

  it('a pam_exec stdout line OFFLINE_ERROR:-6:240 arrives as one INFO frame', async (t) => {
    if (!ready(t)) return;
    const scratch = mkdtempSync(join(tmpdir(), 'bastion-offline-'));
    t.after(() => rmSync(scratch, { recursive: true, force: true }));
    const script = join(scratch, 'offline-verify');
    writeFileSync(script, '#!/bin/sh\necho OFFLINE_ERROR:-6:240\nexit 1\n', { mode: 0o755 });
    const f = fixture(t, {
      'bastion-greeter': `auth requisite pam_exec.so stdout quiet ${script}\naccount required pam_permit.so`,
    });
    const run = await f.run({ onPrompt: answer(PASSWORD) });
    assert.deepEqual(run.texts(FrameType.INFO), ['OFFLINE_ERROR:-6:240']);
    assert.equal(run.frames.length, 2);
    assert.match(run.result ?? '', /^\d+:PAM_[A-Z_]+:authenticate$/);
    expectRun(run, run.result, 1);
  });

  it('CANCEL or a closed stdin mid-conversation → 26:BASTION_CANCELLED, exit 3, nothing charged', async (t) => {
    if (!ready(t)) return;
    const f = fixture(t, { 'bastion-greeter': `auth required ${PAM_CHATTY} num_lines=3 info\n${matrix}` });
    const supp = join(f.scratch, 'lsan.supp');
    writeFileSync(supp, 'leak:^conv$\n'); // pam_chatty's own leak, see above
    const env = { ...f.env, LSAN_OPTIONS: `suppressions=${supp}` };
    const cancelled = await f.run({ env, onPrompt: () => ({ cancel: true }) });
    expectRun(cancelled, R.cancelled, 3);
    assert.equal(cancelled.texts(FrameType.INFO).length, 3);
    expectRun(await f.run({ env, onPrompt: () => ({ closeStdin: true }) }), R.cancelled, 3);
    assert.deepEqual(records(f.stateDir), [], 'an unanswered attempt is not charged');
  });

  describe('malformed input → 19:BASTION_PROTOCOL:helper, exit 3', () => {
    const utf = (s: string) => Buffer.from(s);
    const bytes = (...parts: (Buffer | number[])[]) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
    let seed = 0x2545f491;
    const garbage = (n: number) => Buffer.from(Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff));
    const startCases: [string, Buffer][] = [
      ['nothing at all', Buffer.alloc(0)],
      ['a 2-byte header', Buffer.from([0, 0])],
      ['length 0', rawFrame(0, FrameType.START)],
      ['length 8194 (payload over 8192)', rawFrame(8194, FrameType.START, Buffer.alloc(8193, 0x61))],
      ['length 0xFFFFFFFF', rawFrame(0xffffffff, FrameType.START, utf('bastion-greeter\0alice'))],
      ['a START cut short', rawFrame(100, FrameType.START, utf('bastion-greeter\0al'))],
      ['unknown type 0x09', encodeFrame(9 as FrameType, 'bastion-greeter\0alice')],
      ['type 0x00', rawFrame(22, 0, utf('bastion-greeter\0alice'))],
      ['ANSWER first', encodeFrame(FrameType.ANSWER, PASSWORD)],
      ['CANCEL first', encodeFrame(FrameType.CANCEL)],
      ['RESULT first', encodeFrame(FrameType.RESULT, SUCCESS_RESULT)],
      ['START without NUL', encodeFrame(FrameType.START, 'bastion-greeter')],
      ['START with an empty user', encodeFrame(FrameType.START, 'bastion-greeter\0')],
      ['START with an empty service', encodeFrame(FrameType.START, '\0alice')],
      ['START with two NULs', encodeFrame(FrameType.START, 'bastion-greeter\0alice\0bob')],
      ['START with a newline in the user', encodeFrame(FrameType.START, 'bastion-greeter\0alice\nroot')],
      ['START with a space in the service', encodeFrame(FrameType.START, 'bastion greeter\0alice')],
      ['START with a 121-byte user', encodeFrame(FrameType.START, `bastion-greeter\0${'a'.repeat(121)}`)],
      ['START with a 65-byte service', encodeFrame(FrameType.START, `${'s'.repeat(65)}\0alice`)],
      ['garbage (64 bytes)', garbage(64)],
      ['garbage (9000 bytes)', garbage(9000)],
      ['garbage behind a valid length', bytes([0, 0, 0, 40], garbage(40))],
    ];
    for (const [name, start] of startCases) {
      it(`first frame: ${name}`, async (t) => {
        if (!ready(t)) return;
        const f = fixture(t, { 'bastion-greeter': matrix });
        const run = await f.run({ start, closeAfterStart: true, onPrompt: answer(PASSWORD) });
        expectRun(run, R.protocol, 3);
        assert.equal(run.frames.length, 1);
      });
    }

    const promptCases: [string, Buffer][] = [
      ['an ANSWER of 513 bytes', encodeFrame(FrameType.ANSWER, 'x'.repeat(513))],
      ['an ANSWER with a NUL', encodeFrame(FrameType.ANSWER, 'correct\0horse')],
      ['a frame over 8193 bytes', rawFrame(9000, FrameType.ANSWER, Buffer.alloc(8999, 0x61))],
      ['an ANSWER cut short', rawFrame(40, FrameType.ANSWER, utf('correct'))],
      ['a header cut short', Buffer.from([0, 0, 0])],
      ['unknown type 0x7f', encodeFrame(0x7f as FrameType, PASSWORD)],
      ['a second START', startFrame('bastion-greeter', 'root')],
      ['a RESULT', encodeFrame(FrameType.RESULT, SUCCESS_RESULT)],
      ['an INFO', encodeFrame(FrameType.INFO, 'hello')],
      ['a CANCEL with a payload', encodeFrame(FrameType.CANCEL, 'x')],
      ['garbage', garbage(300)],
    ];
    for (const [name, raw] of promptCases) {
      it(`at a prompt: ${name}`, async (t) => {
        if (!ready(t)) return;
        const f = fixture(t, { 'bastion-greeter': matrix });
        const run = await f.run({
          onPrompt: () => ({ raw }),
          onSpawn: (child) => setTimeout(() => child.stdin?.end(), 1500), // cut-short cases need EOF
        });
        expectRun(run, R.protocol, 3);
        assert.equal(prompts(run), 1);
        assert.deepEqual(records(f.stateDir), [], 'a rejected answer is not charged');
      });
    }

    it('an ANSWER of exactly 512 bytes is accepted (then fails as a wrong password)', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      expectRun(await f.run({ onPrompt: answer('y'.repeat(512)) }), R.authErr, 1);
    });
  });

  setuidOnly(() =>
  describe('the helper dies mid-conversation', () => {
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      it(`killed with ${signal} at a prompt: no RESULT, the client sees failure`, async (t) => {
        if (!ready(t)) return;
        const f = fixture(t, { 'bastion-greeter': matrix });
        const run = await f.run({ onPrompt: () => ({ kill: signal }) });
        assert.equal(run.result, null);
        assert.equal(run.signal, signal);
        assert.equal(run.success, false);
        assert.equal(sanitizerReport(run.stderr), null);
      });
    }

    it('job control cannot stop it: stop signals ignored, in a session of its own', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      let child: ChildProcess | undefined;
      let seen: { state: string; session: number; pid: number } | null = null;
      const run = await f.run({
        onSpawn: (c) => (child = c),
        onPrompt: () => {
          const pid = child!.pid!;
          for (const signal of ['SIGTSTP', 'SIGTTIN', 'SIGTTOU'] as const) process.kill(pid, signal);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // let them land
          // /proc/<pid>/stat: "pid (comm) state ppid pgrp session …"
          const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
          seen = { state: fields[0]!, session: Number(fields[3]), pid };
          return { answer: PASSWORD };
        },
      });
      assert.ok(seen, 'the helper prompted');
      const { state, session, pid } = seen as { state: string; session: number; pid: number };
      assert.notEqual(state, 'T', 'a stop signal stopped the helper');
      assert.equal(session, pid, 'the helper leads a session of its own');
      assert.equal(run.success, true);
    });

    it("its parent dies while a module's child runs: the child ends with it (finding 3, review)", async (t) => {
      if (!ready(t)) return;
      const tag = `${30 + (process.pid % 1000) / 1000}`; // a sleep this test alone runs
      const f = fixture(t, { 'bastion-greeter': `auth required pam_exec.so /bin/sleep ${tag}\n${matrix}` }, { BASTION_TEST_DEADLINE_MS: '20000' });
      let parent: ChildProcess | undefined;
      const sleeping = () =>
        readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
          try {
            return readFileSync(`/proc/${n}/cmdline`, 'latin1') === `/bin/sleep\0${tag}\0`;
          } catch {
            return false;
          }
        });
      const run = f.run({ wrapper: ['/bin/bash', '-c', '"$0" <&0 & wait'], onSpawn: (c) => (parent = c), limitMs: 15_000 });
      for (let i = 0; i < 300 && sleeping().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(sleeping().length, 1, "the module's child runs");
      parent!.kill('SIGKILL');
      await run;
      for (let i = 0; i < 200 && sleeping().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(sleeping(), [], 'no root child outlives the helper');
    });

    it('its parent dies at a prompt: PR_SET_PDEATHSIG ends it at once', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_DEADLINE_MS: '8000' });
      let parent: ChildProcess | undefined;
      const run = await f.run({
        // bash is the helper's parent; killing it must take the helper down (else the helper
        // would sit at its prompt until the 8 s deadline, holding the pipe open).
        wrapper: ['/bin/bash', '-c', '"$0" <&0 & wait'],
        onSpawn: (child) => (parent = child),
        onPrompt: () => {
          parent!.kill('SIGKILL');
          return { wait: true };
        },
        limitMs: 15_000,
      });
      assert.equal(run.result, null);
      assert.equal(run.success, false);
      assert.ok(run.ms < 4000, `the helper outlived its parent by ${run.ms} ms`);
    });
  }));

  describe('PAM_USER changed by a module → 6:BASTION_USER_CHANGED, exit 2', () => {
    const stacks: [string, string][] = [
      ['in auth, after a right password', `auth required ${PAM_MATRIX} passdb={passdb}\nauth required ${PAM_PROBE} user=root\naccount required pam_permit.so`],
      ['in account', `auth required ${PAM_MATRIX} passdb={passdb}\naccount required ${PAM_PROBE} user=bob`],
    ];
    for (const [name, body] of stacks) {
      it(name, async (t) => {
        if (!ready(t)) return;
        const f = fixture(t, { 'bastion-greeter': body });
        expectRun(await f.run({ onPrompt: answer(PASSWORD) }), R.userChanged, 2);
      });
    }

    it("pam_set_items cannot be steered from the caller's environment (the scrub drops PAM_USER)", async (t) => {
      if (!ready(t)) return;
      // pam_set_items copies PAM_USER etc. from the process environment into PAM items. Were the
      // caller's PAM_USER kept, this would be BASTION_USER_CHANGED; scrubbed, it is a plain login.
      const f = fixture(t, { 'bastion-greeter': `auth required ${PAM_SET_ITEMS}\n${matrix}` });
      const run = await f.run({ env: { ...f.env, PAM_USER: 'root' }, onPrompt: answer(PASSWORD) });
      expectRun(run, SUCCESS_RESULT, 0);
    });
  });

  describe('deadline → 26:BASTION_TIMEOUT:helper, exit 5', () => {
    it('a prompt never answered', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_DEADLINE_MS: '400' });
      const run = await f.run({ onPrompt: () => ({ wait: true }) });
      expectRun(run, R.timeout, 5);
      assert.ok(run.ms >= 400 && run.ms < 5000, `${run.ms} ms`);
    });

    it('no START at all', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_DEADLINE_MS: '300' });
      expectRun(await f.run({ start: null }), R.timeout, 5);
    });

    it("a module that takes glibc's password-file lock (as pam_unix does to change a password) does not switch it off", async (t) => {
      if (!ready(t)) return;
      // lckpwdf() arms and then clears ITIMER_REAL: a deadline kept there would be gone.
      const f = fixture(t, { 'bastion-greeter': `auth required ${PAM_PROBE} lckpwdf sleep=3000\n${matrix}` }, { BASTION_TEST_DEADLINE_MS: '500' });
      const run = await f.run({ onPrompt: answer(PASSWORD), limitMs: 10_000 });
      expectRun(run, R.timeout, 5);
      assert.ok(run.ms < 2900, `${run.ms} ms`);
    });

    it('a module that hangs', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': `auth required pam_exec.so /bin/sleep 3\n${matrix}` }, { BASTION_TEST_DEADLINE_MS: '500' });
      const run = await f.run({ onPrompt: answer(PASSWORD) });
      expectRun(run, R.timeout, 5);
      assert.ok(run.ms < 2900, `${run.ms} ms`);
    });
  });

  describe('who may ask (the unix_chkpwd rule)', () => {
    const cases: [string, string[], Record<string, string>, string, string][] = [
      ['uid 65534 outside the greeter group asking for alice', ['--clear-groups'], {}, 'alice', R.caller],
      ['uid 65534 asking for root', ['--clear-groups'], {}, 'root', R.caller],
      ['uid 65534 in another group asking for alice', ['--groups=4243'], { BASTION_TEST_GREETER_GID: '4242' }, 'alice', R.caller],
      // Passing the caller rule, the non-setuid test binary then cannot become root; the socket
      // mode's helper is root already and runs PAM for the peer (nobody is no pam_matrix user).
      ['uid 65534 asking for itself (nobody)', ['--clear-groups'], {}, 'nobody', mode === 'setuid' ? R.notPrivileged : R.authErr],
      ['a greeter-group member (supplementary) asking for alice', ['--groups=4242'], { BASTION_TEST_GREETER_GID: '4242' }, 'alice', mode === 'setuid' ? R.notPrivileged : SUCCESS_RESULT],
      ['a greeter-group member (primary gid) asking for alice', ['--clear-groups'], { BASTION_TEST_GREETER_GID: '65534' }, 'alice', mode === 'setuid' ? R.notPrivileged : SUCCESS_RESULT],
    ];
    const statusOf: Record<string, number> = { [R.caller]: 2, [R.notPrivileged]: 4, [R.authErr]: 1, [SUCCESS_RESULT]: 0 };
    for (const [name, groups, env, user, result] of cases) {
      it(`${name} → ${result}`, async (t) => {
        if (!ready(t)) return;
        const f = fixture(t, { 'bastion-greeter': matrix }, env);
        const run = await f.run({ binary: f.publicCopy(TEST_BIN), user, wrapper: [...NOBODY, ...groups], onPrompt: answer(PASSWORD) });
        expectRun(run, result, statusOf[result]!);
        if (result === R.caller || result === R.notPrivileged) assert.equal(run.frames.length, 1);
      });
    }
  });

  describe('rate limit per (caller, user): a leaky bucket', () => {
    const wrong = answer('wrong');
    const right = answer(PASSWORD);

    it('5 failures → BASTION_THROTTLED without running PAM; other users unaffected', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      for (let i = 0; i < 5; i++) expectRun(await f.run({ onPrompt: wrong }), R.authErr, 1);
      const run = await f.run({ onPrompt: right });
      expectRun(run, R.throttled, 2);
      assert.equal(run.frames.length, 1, 'no prompt while throttled');
      expectRun(await f.run({ user: 'bob', onPrompt: wrong }), R.authErr, 1);
      assert.equal(statSync(f.stateDir).mode & 0o777, 0o700);
      for (const name of readdirSync(f.stateDir)) assert.equal(statSync(join(f.stateDir, name)).mode & 0o777, 0o600, name);
      assert.deepEqual(records(f.stateDir), [bucket(0, 'bob'), bucket(0, 'alice')].sort());
      assert.notEqual(bucket(0, 'alice'), bucket(0, 'bob'));
    });

    it('a success resets the count', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      for (let i = 0; i < 4; i++) expectRun(await f.run({ onPrompt: wrong }), R.authErr, 1);
      expectRun(await f.run({ onPrompt: right }), SUCCESS_RESULT, 0);
      assert.deepEqual(records(f.stateDir), []);
      for (let i = 0; i < 4; i++) expectRun(await f.run({ onPrompt: wrong }), R.authErr, 1);
      expectRun(await f.run({ onPrompt: right }), SUCCESS_RESULT, 0);
    });

    it('the key service has a bucket of its own: wrong PINs never lock the password out, nor the reverse', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix, 'bastion-greeter-u2f': keyMatrix });
      const key = 'bastion-greeter-u2f';
      for (let i = 0; i < 5; i++) expectRun(await f.run({ service: key, onPrompt: wrong }), R.authErr, 1);
      expectRun(await f.run({ service: key, onPrompt: right }), R.throttled, 2);
      // The password still works, and its success does not clear the key's lock.
      expectRun(await f.run({ onPrompt: right }), SUCCESS_RESULT, 0);
      expectRun(await f.run({ service: key, onPrompt: right }), R.throttled, 2);
      assert.deepEqual(readdirSync(f.stateDir).filter((n) => /^\d+-(u[0-9a-f]{2}|[0-9a-f]+)-k$/.test(n)), [`${bucket(0, 'alice')}-k`]);
      // The reverse, for bob: a locked password leaves his key service usable.
      for (let i = 0; i < 5; i++) expectRun(await f.run({ user: 'bob', onPrompt: wrong }), R.authErr, 1);
      expectRun(await f.run({ user: 'bob', onPrompt: answer('bobpass') }), R.throttled, 2);
      expectRun(await f.run({ user: 'bob', service: key, onPrompt: answer('bobpass') }), SUCCESS_RESULT, 0);
    });

    it('a password and a key transaction of the same caller run side by side (2 of the 4 slots)', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix, 'bastion-greeter-u2f': keyMatrix });
      const children: ChildProcess[] = [];
      let prompted = 0;
      const both = ['bastion-greeter', 'bastion-greeter-u2f'].map((service) =>
        f.run({
          service,
          onSpawn: (child) => children.push(child),
          // Both wait at their prompt until both are there: they truly overlap.
          onPrompt: () => {
            if (++prompted === 2) for (const c of children) c.stdin!.write(encodeFrame(FrameType.ANSWER, PASSWORD));
            return { wait: true };
          },
        }),
      );
      for (const run of await Promise.all(both)) expectRun(run, SUCCESS_RESULT, 0);
    });

    it('transactions that never answer cost nothing', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      for (let i = 0; i < 6; i++) expectRun(await f.run({ onPrompt: () => ({ cancel: true }) }), R.cancelled, 3);
      expectRun(await f.run({ onPrompt: right }), SUCCESS_RESULT, 0);
    });

    it('charged before PAM sees the answer: after 3 failures, 4 helpers answering at once get 2 guesses', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      for (let i = 0; i < 3; i++) expectRun(await f.run({ onPrompt: wrong }), R.authErr, 1);
      const children: ChildProcess[] = [];
      let prompted = 0;
      const runs = Array.from({ length: 4 }, () =>
        f.run({
          onSpawn: (child) => children.push(child),
          onPrompt: () => {
            if (++prompted === 4) for (const c of children) c.stdin!.write(encodeFrame(FrameType.ANSWER, 'wrong'));
            return { wait: true };
          },
        }),
      );
      const results = (await Promise.all(runs)).map((run) => {
        assert.equal(sanitizerReport(run.stderr), null);
        assert.equal(run.success, false);
        return run.result;
      });
      assert.deepEqual(results.sort(), [...Array(2).fill(R.authErr), ...Array(2).fill(R.throttled)].sort());
    });

    it('slow guessing slows down: 4 guesses every 15 minutes for 12 hours → about one an hour (finding 8)', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      // The test build's clock is offset by BASTION_TEST_CLOCK_OFFSET seconds; each "hour" here
      // is a few runs. A fixed 15-minute window admitted all 192 of these (4 never reach 5).
      const at = (seconds: number) => ({ env: { ...f.env, BASTION_TEST_CLOCK_OFFSET: String(seconds) } });
      let admitted = 0;
      for (let quarter = 0; quarter < 48; quarter++)
        for (let k = 0; k < 4; k++) {
          const run = await f.run({ ...at(quarter * 900 + k * 60), onPrompt: wrong });
          if (run.result === R.authErr) admitted++;
          else expectRun(run, R.throttled, 2);
        }
      // 5 at once, then the bucket leaks one an hour (and each lockout passes at most one more).
      assert.ok(admitted >= 12 && admitted <= 5 + 2 * 12, `${admitted} guesses admitted in 12 h`);
    });

    it('the level persists: right after a lockout ends, one more failure locks again, for longer (finding 8)', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      const at = (seconds: number) => ({ ...f.env, BASTION_TEST_CLOCK_OFFSET: String(seconds) });
      for (let i = 0; i < 5; i++) expectRun(await f.run({ env: at(i), onPrompt: wrong }), R.authErr, 1);
      expectRun(await f.run({ env: at(10), onPrompt: right }), R.throttled, 2); // 60 s
      expectRun(await f.run({ env: at(70), onPrompt: wrong }), R.authErr, 1); // the lock has passed
      expectRun(await f.run({ env: at(75), onPrompt: right }), R.throttled, 2); // one more locks…
      expectRun(await f.run({ env: at(140), onPrompt: right }), R.throttled, 2); // …for 120 s, not 60
      expectRun(await f.run({ env: at(200), onPrompt: right }), SUCCESS_RESULT, 0);
    });

    it('a stored lock is honoured; broken state fails closed (BASTION_SYSTEM)', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      const now = Math.floor(Date.now() / 1000);
      const file = join(f.stateDir, bucket(0, 'alice'));
      const state = (body: string | null, dirMode = 0o700) => {
        rmSync(f.stateDir, { recursive: true, force: true });
        mkdirSync(f.stateDir, { mode: dirMode });
        chmodSync(f.stateDir, dirMode);
        if (body !== null) writeFileSync(file, body, { mode: 0o600 });
      };
      state(`v2 18000 ${now} ${now + 100}\n`);
      expectRun(await f.run({ onPrompt: right }), R.throttled, 2);
      state(`v2 18000 ${now} ${now - 1}\n`); // expired
      expectRun(await f.run({ onPrompt: right }), SUCCESS_RESULT, 0);
      for (const body of ['garbage\n', 'v2 1 2\n', 'v2 -1 0 0\n', `v2 86401 ${now} 0\n`, `v2 18000 ${now} ${now + 100}`, `0 ${now} ${now} 1 ${now + 100}\n`, '']) {
        state(body);
        expectRun(await f.run({ onPrompt: right }), R.system, 4);
      }
      state(null);
      symlinkSync('/etc/passwd', file);
      expectRun(await f.run({ onPrompt: right }), R.system, 4);
      state(null, 0o755); // a directory others can read is not used, not even to read a lock
      const run = await f.run({ onPrompt: right });
      expectRun(run, R.system, 4);
      assert.equal(run.frames.length, 1);
      state(null);
      chownSync(f.stateDir, 65534, 65534);
      expectRun(await f.run({ onPrompt: right }), R.system, 4);
      assert.equal(readFileSync('/etc/passwd', 'utf8').includes('root:'), true);
    });
  });

  describe('nothing one helper holds stalls another (finding 1)', () => {
    it('the whole state directory flock-ed by someone else (how a frozen helper stalled all): bob signs in at once', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      expectRun(await f.run({ onPrompt: answer('wrong') }), R.authErr, 1); // the directory exists
      const holder = spawnHolder(`import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_RDONLY)\nfcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(30)`, f.stateDir);
      t.after(() => holder.child.kill('SIGKILL'));
      await holder.ready;
      const run = await f.run({ user: 'bob', onPrompt: answer('bobpass'), limitMs: 8000 });
      expectRun(run, SUCCESS_RESULT, 0);
      assert.ok(run.ms < 3000, `bob waited ${run.ms} ms`);
    });

    it("a helper stopped while it holds its record's lock: other accounts unaffected, the same one refused in bounded time", async (t) => {
      if (!ready(t)) return;
      const marker = `stop-${process.pid}-${Date.now()}`;
      const f = fixture(t, { 'bastion-greeter': matrix });
      const stopping = { ...f.env, BASTION_TEST_STOP_IN_RECORD_LOCK: marker };
      t.after(() => killMarked(marker));
      // alice's first answer takes her record's lock and the helper stops (SIGSTOP) holding it.
      const frozen = f.run({ env: stopping, onPrompt: answer('wrong'), limitMs: 15_000 });
      let stopped: number[] = [];
      for (let i = 0; i < 300 && stopped.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        stopped = markedStopped(marker);
      }
      assert.equal(stopped.length, 1, 'one helper stopped inside the lock');
      const bob = await f.run({ user: 'bob', onPrompt: answer('bobpass') });
      expectRun(bob, SUCCESS_RESULT, 0);
      assert.ok(bob.ms < 3000, `bob waited ${bob.ms} ms`);
      const alice = await f.run({ onPrompt: answer(PASSWORD), limitMs: 10_000 });
      expectRun(alice, R.busy, 2);
      assert.ok(alice.ms >= 1800 && alice.ms < 5000, `alice refused after ${alice.ms} ms (lock wait bound 2 s)`);
      killMarked(marker);
      const run = await frozen;
      assert.equal(run.success, false);
    });
  });

  describe('bounded root work per caller (finding 3)', () => {
    it('at most 4 helpers per caller at once; the 5th is BASTION_BUSY before PAM runs, a freed slot serves again', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      const held: ChildProcess[] = [];
      let waiting = 0;
      const holders = Array.from({ length: 4 }, () =>
        f.run({ onSpawn: (c) => held.push(c), onPrompt: () => (waiting++, { wait: true }), limitMs: 15_000 }),
      );
      for (let i = 0; i < 500 && waiting < 4; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(waiting, 4, 'four helpers at their prompt');
      const fifth = await f.run({ user: 'bob', onPrompt: answer('bobpass') });
      expectRun(fifth, R.busy, 2);
      assert.equal(fifth.frames.length, 1, 'no prompt: PAM never ran');
      for (const c of held) c.stdin!.write(encodeFrame(FrameType.CANCEL));
      for (const run of await Promise.all(holders)) expectRun(run, R.cancelled, 3);
      expectRun(await f.run({ user: 'bob', onPrompt: answer('bobpass') }), SUCCESS_RESULT, 0);
    });

    // A pam_exec sleep stands in for pam_u2f waiting for a touch (named: the stand-in): a module
    // that reads nothing from main while it waits.
    const touchWait = (tag: string) => `auth required pam_exec.so /bin/sleep ${tag}\naccount required pam_permit.so`;
    const sleepTag = (n: number) => `${8 + n / 10 + (process.pid % 1000) / 100000}`;

    it('cancelled while a module waits (the touch-wait stand-in): 4 key helpers end within ~1 s, their children too; the password is not BASTION_BUSY (issue #9 review, finding 2)', async (t) => {
      if (!ready(t)) return;
      const tag = sleepTag(mode === 'setuid' ? 1 : 2);
      const f = fixture(t, { 'bastion-greeter': matrix, 'bastion-greeter-u2f': touchWait(tag) });
      const children: ChildProcess[] = [];
      const runs = Array.from({ length: 4 }, () => f.run({ service: 'bastion-greeter-u2f', onSpawn: (c) => children.push(c), limitMs: 15_000 }));
      for (let i = 0; i < 500 && processesRunning(['/bin/sleep', tag]).length < 4; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(processesRunning(['/bin/sleep', tag]).length, 4, 'four key helpers in their module');
      // As main cancels (helper-client stopHelper): CANCEL, then the end of its side.
      const cancelledAt = Date.now();
      for (const c of children) c.stdin!.end(encodeFrame(FrameType.CANCEL));
      const ended = await Promise.all(runs);
      for (const run of ended) {
        assert.equal(run.success, false);
        assert.equal(sanitizerReport(run.stderr), null, run.stderr);
        if (!run.viaSocket) assert.equal(run.status, 3, 'the cancelled status');
      }
      const took = Date.now() - cancelledAt;
      assert.ok(took < 1500, `cancelled helpers took ${took} ms to end (the stand-in sleeps 8 s)`);
      // SIGKILLed just before the helper exits; gone once the kernel has torn them down.
      for (let i = 0; i < 100 && processesRunning(['/bin/sleep', tag]).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(processesRunning(['/bin/sleep', tag]), [], 'no module child outlives its helper');
      expectRun(await f.run({ onPrompt: answer(PASSWORD) }), SUCCESS_RESULT, 0);
    });

    it('the key service has its own 4 slots: key helpers stuck in a module never make the password BASTION_BUSY (issue #9 review, finding 2)', async (t) => {
      if (!ready(t)) return;
      const tag = sleepTag(mode === 'setuid' ? 3 : 4);
      const f = fixture(t, { 'bastion-greeter': matrix, 'bastion-greeter-u2f': touchWait(tag) });
      const children: ChildProcess[] = [];
      const runs = Array.from({ length: 4 }, () => f.run({ service: 'bastion-greeter-u2f', onSpawn: (c) => children.push(c), limitMs: 15_000 }));
      t.after(() => children.forEach((c) => c.kill('SIGKILL')));
      for (let i = 0; i < 500 && processesRunning(['/bin/sleep', tag]).length < 4; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(processesRunning(['/bin/sleep', tag]).length, 4, 'four key helpers in their module');
      // Orphans of the key service (nobody cancels them here) hold key slots only.
      const fifthKey = await f.run({ service: 'bastion-greeter-u2f' });
      expectRun(fifthKey, R.busy, 2);
      expectRun(await f.run({ onPrompt: answer(PASSWORD) }), SUCCESS_RESULT, 0);
      for (const c of children) c.stdin!.end(encodeFrame(FrameType.CANCEL));
      for (const run of await Promise.all(runs)) assert.equal(run.success, false);
    });

    it('helpers that never send START hold their caller\'s slots, not anyone else\'s, and end at the idle cap', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_IDLE_MS: '1500' });
      const silent = Array.from({ length: 4 }, () => f.run({ start: null, limitMs: 10_000 }));
      await new Promise((r) => setTimeout(r, 300));
      const fifth = await f.run({ onPrompt: answer(PASSWORD) });
      expectRun(fifth, R.busy, 2);
      for (const run of await Promise.all(silent)) expectRun(run, R.timeout, 5);
      expectRun(await f.run({ onPrompt: answer(PASSWORD) }), SUCCESS_RESULT, 0);
    });

    it('a flood of 12 helpers started under prlimit --nproc=15: at most 4 ever reach PAM', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      // pam_wrapper (1.1.4) makes its runtime dir /tmp/pam.<c> in every process it is preloaded
      // into, at load time: c starts at getpid() % 70 and moves up past taken names, checked
      // with lstat and only then mkdir'ed, whose EEXIST it ignores. Twelve helpers exec'd at
      // once have neighbouring pids, so two can take the same name and the second fails to
      // copy the service files into it ("Failed to copy config files … File exists") and
      // deletes it under the first. It has no setting for another place (not TMPDIR either):
      // each helper gets a /tmp of its own (a mount namespace, as privatePamd does for
      // /etc/pam.d) with the fixture's dirs bound at their paths, and pam_wrapper is preloaded
      // only once /tmp is private, so no wrapper process races in the shared /tmp either.
      const { isolate, env } = privateTmpForPamWrapper(f.env, f.scratch);
      let socket: SocketActivatedHelper | null = null;
      if (mode === 'socket') {
        const helper = await startSocketActivatedHelper({ binary: isolate[0]!, args: [...isolate.slice(1), TEST_BIN, '--socket'], env });
        socket = helper;
        t.after(async () => {
          await helper.stop();
          assert.equal(sanitizerReport(helper.log()), null, `sanitizer report:\n${helper.log()}`);
        });
      }
      let prompted = 0;
      const held: ChildProcess[] = [];
      const prlimit = ['/usr/bin/prlimit', '--nproc=15'];
      let ended = 0;
      const flood: Partial<RunOptions> = { onSpawn: (c) => held.push(c), onPrompt: () => (prompted++, { wait: true }), limitMs: 15_000 };
      const runs = Array.from({ length: 12 }, () =>
        (socket
          ? runHelper({ ...flood, binary: TEST_BIN, env: { PATH: '/usr/bin:/bin' }, socket, wrapper: prlimit })
          : f.run({ ...flood, env, wrapper: [...isolate, ...prlimit] })
        ).finally(() => ended++),
      );
      // Every helper either waits at its prompt or has been turned away.
      for (let i = 0; i < 1000 && prompted + ended < 12; i++) await new Promise((r) => setTimeout(r, 10));
      const atPrompt = prompted;
      for (const c of held) c.stdin!.write(encodeFrame(FrameType.CANCEL));
      const finished = await Promise.all(runs);
      const results = finished.map((run) => run.result);
      assert.ok(atPrompt <= 4, `${atPrompt} helpers at a prompt at once`);
      assert.equal(results.filter((r) => r === R.busy).length, 12 - atPrompt, `${atPrompt} at a prompt; results: ${finished.map((r) => `${r.result}/${r.status}/${r.signal}/${r.stderr.slice(-300)}`).join(', ')}`);
    });

    it('a prompt left unanswered ends at the idle cap, long before the deadline', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_IDLE_MS: '400', BASTION_TEST_DEADLINE_MS: '20000' });
      const run = await f.run({ onPrompt: () => ({ wait: true }), limitMs: 10_000 });
      expectRun(run, R.timeout, 5);
      assert.ok(run.ms < 3000, `${run.ms} ms`);
      // START itself is bound by the same cap.
      const silent = await f.run({ start: null, limitMs: 10_000 });
      expectRun(silent, R.timeout, 5);
      assert.ok(silent.ms < 3000, `${silent.ms} ms`);
      // Once answered, the deadline (not the idle cap) bounds the rest: a second prompt may wait.
      const two = fixture(t, { 'bastion-greeter': `auth required ${PAM_MATRIX} passdb={passdb}\nauth required pam_exec.so /bin/sleep 1\naccount required pam_permit.so` }, { BASTION_TEST_IDLE_MS: '400' });
      expectRun(await two.run({ onPrompt: answer(PASSWORD) }), SUCCESS_RESULT, 0);
    });

    it('bastion-status: answered from a 30 s replay, so repeated calls start no root process', async (t) => {
      if (!ready(t)) return;
      const counter = join(mkdtempSync(join(tmpdir(), 'bastion-status-')), 'runs');
      t.after(() => rmSync(dirname(counter), { recursive: true, force: true }));
      const script = join(dirname(counter), 'status');
      writeFileSync(script, `#!/bin/sh\necho run >> '${counter}'\necho OFFLINE_STATUS:1999999999:0\n`, { mode: 0o755 });
      const f = fixture(t, {
        'bastion-status': `auth optional pam_exec.so stdout quiet ${script}\nauth requisite pam_deny.so\naccount requisite pam_deny.so`,
      });
      // Accounts NSS knows (made-up names share buckets and get no replay).
      const runs: HelperRun[] = [];
      for (let i = 0; i < 6; i++) runs.push(await f.run({ service: 'bastion-status', user: 'nobody' }));
      for (const run of runs) {
        expectRun(run, '7:PAM_AUTH_ERR:authenticate', 1);
        assert.deepEqual(run.texts(FrameType.INFO), ['OFFLINE_STATUS:1999999999:0']);
      }
      assert.equal(readFileSync(counter, 'utf8'), 'run\n', 'the stack ran once for 6 calls');
      // Past the replay's 30 s the stack runs again; another account has its own.
      expectRun(await f.run({ service: 'bastion-status', user: 'nobody', env: { ...f.env, BASTION_TEST_CLOCK_OFFSET: '31' } }), '7:PAM_AUTH_ERR:authenticate', 1);
      expectRun(await f.run({ service: 'bastion-status', user: 'daemon' }), '7:PAM_AUTH_ERR:authenticate', 1);
      assert.equal(readFileSync(counter, 'utf8'), 'run\nrun\nrun\n');
    });

    it('bastion-status dropped mid-run still counts: calls in the next 30 s are BASTION_BUSY, no new run', async (t) => {
      if (!ready(t)) return;
      const counter = join(mkdtempSync(join(tmpdir(), 'bastion-status-')), 'runs');
      t.after(() => rmSync(dirname(counter), { recursive: true, force: true }));
      const script = join(dirname(counter), 'status');
      writeFileSync(script, `#!/bin/sh\necho run >> '${counter}'\nsleep 1\necho OFFLINE_STATUS:1999999999:0\n`, { mode: 0o755 });
      const f = fixture(t, {
        'bastion-status': `auth optional pam_exec.so stdout quiet ${script}\nauth requisite pam_deny.so\naccount requisite pam_deny.so`,
      });
      // The caller goes away while the stack runs: nothing to save, the placeholder stays.
      const dropped = await f.run({ service: 'bastion-status', user: 'nobody', onSpawn: (c) => setTimeout(() => c.kill('SIGKILL'), 300) });
      assert.equal(dropped.success, false);
      await new Promise((r) => setTimeout(r, 1200)); // the helper finishes (or not) on its own
      for (let i = 0; i < 3; i++) {
        const run = await f.run({ service: 'bastion-status', user: 'nobody' });
        expectRun(run, R.busy, 2);
        assert.deepEqual(run.texts(FrameType.INFO), []);
      }
      assert.equal(readFileSync(counter, 'utf8'), 'run\n');
    });

    it('made-up user names share 64 buckets per caller: 150 names leave at most 64 records', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix });
      for (let i = 0; i < 150; i++) await f.run({ user: `nosuchuser${i}`, onPrompt: answer('wrong') });
      const files = readdirSync(f.stateDir);
      assert.ok(records(f.stateDir).length <= 64, `${records(f.stateDir).length} records`);
      assert.ok(files.length <= 64 * 2 + 4, `${files.length} files`);
      // An account NSS knows has its own record, named by its name's bytes.
      await f.run({ user: 'nobody', onPrompt: answer('wrong') });
      assert.ok(records(f.stateDir).includes(`0-${Buffer.from('nobody').toString('hex')}`));
    });
  });

  describe('an expired password is changed in the same conversation (pam_chauthtok)', () => {
    const stack = (file: string) =>
      `auth required ${PAM_MATRIX} passdb={passdb}\naccount required ${PAM_PROBE} expired=${file}\npassword required ${PAM_PROBE} expired=${file}`;

    it('new password typed twice → changed, then success (0:PAM_SUCCESS:acct_mgmt)', async (t) => {
      if (!ready(t)) return;
      const changed = join(mkdtempSync(join(tmpdir(), 'bastion-chauthtok-')), 'changed');
      t.after(() => rmSync(dirname(changed), { recursive: true, force: true }));
      const g = fixture(t, { 'bastion-greeter': stack(changed) });
      const answers = [PASSWORD, 'n3w-Secret', 'n3w-Secret'];
      const run = await g.run({ onPrompt: (_p, i) => ({ answer: answers[i]! }) });
      expectRun(run, SUCCESS_RESULT, 0);
      assert.deepEqual(run.texts(FrameType.PROMPT_ECHO_OFF), ['Password: ', 'New password: ', 'Retype new password: ']);
      assert.equal(existsSync(changed), true);
    });

    it('a rejected new password → its reason as an ERROR frame, then 20:PAM_AUTHTOK_ERR:chauthtok', async (t) => {
      if (!ready(t)) return;
      const changed = join(mkdtempSync(join(tmpdir(), 'bastion-chauthtok-')), 'changed');
      t.after(() => rmSync(dirname(changed), { recursive: true, force: true }));
      const g = fixture(t, { 'bastion-greeter': stack(changed) });
      for (const [again, reason] of [['other', 'Sorry, passwords do not match.'], ['weak', 'BAD PASSWORD: it is too simplistic']] as const) {
        const answers = [PASSWORD, again === 'other' ? 'n3w-Secret' : 'weak', again];
        const run = await g.run({ onPrompt: (_p, i) => ({ answer: answers[i]! }) });
        expectRun(run, '20:PAM_AUTHTOK_ERR:chauthtok', 1);
        assert.deepEqual(run.texts(FrameType.ERROR), [reason]);
      }
      assert.equal(existsSync(changed), false);
    });
  });

  it('a user name that is not UTF-8 → BASTION_PROTOCOL; a UTF-8 one is taken as it is (finding 6)', async (t) => {
    if (!ready(t)) return;
    const f = fixture(t, { 'bastion-greeter': matrix });
    const start = (user: Buffer) => encodeFrame(FrameType.START, Buffer.concat([Buffer.from('bastion-greeter\0'), user]));
    for (const bad of ['6a6f73e9', '6a6f73e8', 'c0af', 'eda080', 'f4908080', '6a6fc3']) {
      const run = await f.run({ start: start(Buffer.from(bad, 'hex')), onPrompt: answer(PASSWORD) });
      expectRun(run, R.protocol, 3);
      assert.equal(run.frames.length, 1, bad);
    }
    const run = await f.run({ start: start(Buffer.from('josé')), onPrompt: answer(PASSWORD) });
    expectRun(run, R.authErr, 1); // an unknown user, through PAM
    assert.equal(prompts(run), 1);
  });

  setuidOnly(() =>
  describe('a caller that stops reading stdout cannot outlive the deadline (review finding 1)', () => {
    const DEADLINE = 500;
    const stuck = (f: Fixture, room: number, refill: number) =>
      runWithStuckReader({ binary: TEST_BIN, env: f.env, start: startFrame('bastion-greeter', 'alice'), room, refill, waitMs: DEADLINE + 1000 });

    it('stdout full before the first prompt: the helper exits 5 within deadline + 1 s', async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable(PYTHON) !== null, 'python3')) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_DEADLINE_MS: String(DEADLINE) });
      const run = await stuck(f, 0, 0);
      assert.equal(sanitizerReport(run.stderr), null, run.stderr);
      assert.equal(run.aliveAfterWait, false, 'the helper was still running');
      assert.equal(run.status, 5);
      assert.ok(run.ms >= DEADLINE && run.ms < DEADLINE + 1000, `${run.ms} ms`);
      assert.equal(run.written.length, 0, 'nothing fits in the pipe');
    });

    it('full right after a whole prompt (waiting for the answer): the timeout write does not block', async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable(PYTHON) !== null, 'python3')) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_DEADLINE_MS: String(DEADLINE) });
      const prompt = encodeFrame(FrameType.PROMPT_ECHO_OFF, 'Password: ');
      const run = await stuck(f, 4096, 4096 - prompt.length); // room for exactly the prompt
      assert.equal(sanitizerReport(run.stderr), null, run.stderr);
      assert.equal(run.aliveAfterWait, false, 'the helper was still running');
      assert.equal(run.status, 5);
      assert.deepEqual(run.written, prompt, 'the prompt, then no RESULT (there was no room)');
    });

    it('the deadline strikes while a large frame is half written: exit 5, the frame stays cut', async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable(PYTHON) !== null, 'python3')) return;
      const f = fixture(t, { 'bastion-greeter': `auth required ${PAM_PROBE} info=8192\n${matrix}` }, { BASTION_TEST_DEADLINE_MS: String(DEADLINE) });
      const run = await stuck(f, 4096, 0); // 4096 of the 8197 bytes fit
      assert.equal(sanitizerReport(run.stderr), null, run.stderr);
      assert.equal(run.aliveAfterWait, false, 'the helper was still running');
      assert.equal(run.status, 5);
      assert.ok(run.ms < DEADLINE + 1000, `${run.ms} ms`);
      const whole = encodeFrame(FrameType.INFO, 'x'.repeat(8192));
      assert.equal(run.written.length, 4096);
      assert.deepEqual(run.written, whole.subarray(0, 4096), 'a prefix of the INFO frame and nothing else');
      const decoder = new FrameDecoder();
      assert.deepEqual(decoder.push(run.written), []);
      assert.throws(() => decoder.end(), FrameError, 'main sees a cut frame: a failure');
    });
  }));

  setuidOnly(() =>
  describe("the caller's limits, timers and priority do not reach PAM modules (review finding 2)", () => {
    const reported = (run: HelperRun) => Object.fromEntries(run.texts(FrameType.INFO).map((s) => [s.slice(0, s.indexOf(' ')), s.slice(s.indexOf(' ') + 1)]));
    // Applied by the caller, then exec of the helper: what a local user can do before running it.
    const tune = (settings: string) => [PYTHON, '-c', `import os, resource, signal, sys\n${settings}\nos.execv(sys.argv[1], sys.argv[1:])`];

    it('soft RLIMIT_NOFILE 8, nice 10, SCHED_IDLE, ITIMER_VIRTUAL/PROF armed → reset; the timers never fire', async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable(PYTHON) !== null, 'python3')) return;
      // The probe burns 1.5 s of CPU: the caller's 0.8 s timers would kill the helper (SIGVTALRM /
      // SIGPROF) were they still armed.
      const f = fixture(t, { 'bastion-greeter': `auth required ${PAM_PROBE} spin=1500 report\n${matrix}` });
      const wrapper = tune(
        [
          'resource.setrlimit(resource.RLIMIT_NOFILE, (8, 4096))',
          'os.nice(10)',
          'os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))',
          'signal.setitimer(signal.ITIMER_VIRTUAL, 0.8)',
          'signal.setitimer(signal.ITIMER_PROF, 0.8)',
        ].join('\n'),
      );
      const run = await f.run({ wrapper, onPrompt: answer(PASSWORD) });
      expectRun(run, SUCCESS_RESULT, 0);
      // AS: the sanitized test build keeps no address-space bound (ASan's shadow); see below.
      assert.deepEqual(reported(run), { RUSER: 'root', NOFILE: '1024 4096', AS: '-1', NPROC: '4096', CPU: '120', SLACK: '50000', NICE: '0', SCHED: '0', ITIMER_VIRTUAL: '0' });
    });

    it('hard RLIMIT_NOFILE 8:8 → the kernel default 1024:4096, or (no CAP_SYS_RESOURCE) the most allowed', async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable('/usr/bin/prlimit') !== null, 'prlimit (util-linux)')) return;
      const f = fixture(t, { 'bastion-greeter': `auth requisite ${PAM_PROBE} report fail\naccount required pam_permit.so` });
      // The release build: ASan's shadow memory would not fit under a low RLIMIT_AS.
      const run = await runHelper({ binary: RELEASE_BIN, env: f.env, wrapper: privatePamd(f.scratch, ['bastion-greeter'], '/usr/bin/prlimit', '--nofile=8:8', '--as=1000000000:unlimited') });
      expectRun(run, R.authErr, 1);
      const limits = reported(run);
      assert.equal(limits.NOFILE, CAN_RAISE_HARD_LIMITS ? '1024 4096' : '8 8');
      assert.equal(limits.AS, String(2 ** 31), 'a soft limit under a hard one is set to the bound');
    });

    it('limits bound root work instead of lifting it: address space 2 GiB, CPU 120 s (finding 3)', async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable('/usr/bin/prlimit') !== null, 'prlimit (util-linux)')) return;
      const f = fixture(t, { 'bastion-greeter': `auth requisite ${PAM_PROBE} report fail\naccount required pam_permit.so` });
      // The bench build: release flags with the test switches, no sanitizer.
      // Raised first where this process may (CAP_SYS_RESOURCE), so that the bounds are seen
      // lowering a limit; without it the helper takes the lower of its bound and the hard limit.
      const wrapper = CAN_RAISE_HARD_LIMITS ? ['/usr/bin/prlimit', '--as=unlimited', '--nproc=unlimited', '--cpu=unlimited'] : [];
      const run = await runHelper({ binary: HELPER_BENCH_BUILD, env: f.env, wrapper });
      expectRun(run, R.authErr, 1);
      const hard = (name: string) => /^(\d+|unlimited)$/.exec(execFileSync('/bin/bash', ['-c', `ulimit -H${name}`], { encoding: 'utf8' }).trim())?.[1];
      const bounded = (bound: number, h: string | undefined) => String(CAN_RAISE_HARD_LIMITS || h === 'unlimited' ? bound : Math.min(bound, Number(h)));
      const limits = reported(run);
      assert.deepEqual([limits.AS, limits.NPROC, limits.CPU], [String(2 ** 31), bounded(4096, hard('u')), bounded(120, hard('t'))]);
    });

    it("the caller's timer slack does not stretch PAM's delays (finding 4)", async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable(PYTHON) !== null, 'python3')) return;
      const f = fixture(t, { 'bastion-greeter': `auth requisite ${PAM_PROBE} report fail\naccount required pam_permit.so` });
      // PR_SET_TIMERSLACK (29) to 5 s, kept across execve as it is across a setuid exec.
      const wrapper = tune('import ctypes\nassert ctypes.CDLL(None).prctl(29, ctypes.c_ulong(5_000_000_000), 0, 0, 0) == 0');
      const run = await f.run({ wrapper });
      expectRun(run, R.authErr, 1);
      assert.equal(reported(run).SLACK, '50000');
    });
  }));

  describe('PAM modules cannot reach the protocol through fds 0-2 (review finding 6)', () => {
    it('a module writing to stdout and stderr and reading stdin: frames intact, it reads end of file', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': `auth required ${PAM_PROBE} write_stdout write_stderr read_stdin\n${matrix}` });
      // The answer is sent ahead, right behind START: a module reading the protocol's stdin would
      // take it (and then the prompt would wait for an answer that never comes).
      const start = Buffer.concat([startFrame('bastion-greeter', 'alice'), encodeFrame(FrameType.ANSWER, PASSWORD)]);
      const run = await f.run({ start, onPrompt: () => ({ wait: true }), limitMs: 8000 });
      expectRun(run, SUCCESS_RESULT, 0);
      assert.deepEqual(run.texts(FrameType.INFO), ['STDIN 0']);
      assert.equal(run.stderr.includes('PROBE_STDERR'), false, "a module's stderr does not reach the caller");
    });
  });

  describe('PAM_RUSER names the caller (review finding 7)', () => {
    const probeStack = `auth requisite ${PAM_PROBE} report fail\naccount required pam_deny.so`;

    it('run by root → PAM_RUSER root', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': probeStack });
      const run = await f.run({});
      expectRun(run, R.authErr, 1);
      assert.equal(run.texts(FrameType.INFO)[0], 'RUSER root');
    });

    it('installed setuid root and run by uid 65534 → PAM_RUSER nobody', async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable('/usr/bin/unshare') !== null, 'unshare (util-linux)')) return;
      const status = readFileSync('/proc/self/status', 'utf8');
      if (!requireOrSkip(t, /^NoNewPrivs:\s+0$/m.test(status), 'setuid execution (no_new_privs is set here)')) return;
      // A setuid run ignores pam_wrapper (LD_PRELOAD) and reads /etc/pam.d: give it a private
      // mount namespace whose /etc/pam.d holds the probe stack only.
      const f = fixture(t, {});
      const pamd = join(f.scratch, 'pam.d');
      mkdirSync(pamd);
      writeFileSync(join(pamd, 'bastion-greeter'), `${probeStack}\n`);
      const helper = f.publicCopy('bastion-pam-helper');
      chmodSync(helper, 0o4755);
      const wrapper = ['/usr/bin/unshare', '-m', '--propagation', 'private', '/bin/sh', '-c', `mount --bind '${pamd}' /etc/pam.d && exec "$0" --reuid=65534 --regid=65534 --clear-groups "$@"`, '/usr/bin/setpriv'];
      const run = await runHelper({ binary: helper, env: { PATH: '/usr/bin:/bin' }, user: 'nobody', wrapper });
      expectRun(run, R.authErr, 1);
      assert.equal(run.texts(FrameType.INFO)[0], 'RUSER nobody');
    });

    it('a caller uid without a passwd entry → 4:BASTION_SYSTEM:helper, even in the greeter group', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_GREETER_GID: '4242' });
      for (const groups of [['--groups=4242'], ['--clear-groups']]) {
        const wrapper = ['/usr/bin/setpriv', '--reuid=4321', '--regid=4321', ...groups];
        const run = await f.run({ binary: f.publicCopy(TEST_BIN), wrapper, onPrompt: answer(PASSWORD) });
        expectRun(run, R.system, 4);
        assert.equal(run.frames.length, 1);
      }
    });
  });

  setuidOnly(() =>
  describe('the release build honours none of the test switches', () => {
    it('a test build installed setuid refuses to run: its switches would be the caller\'s (finding 7)', async (t) => {
      if (!ready(t)) return;
      const status = readFileSync('/proc/self/status', 'utf8');
      if (!requireOrSkip(t, /^NoNewPrivs:\s+0$/m.test(status), 'setuid execution (no_new_privs is set here)')) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_GREETER_GID: '65534' });
      const helper = f.publicCopy(TEST_BIN);
      chmodSync(helper, 0o4755);
      // Were the switches honoured, uid 65534 would be a greeter-group member asking for alice.
      const run = await runHelper({ binary: helper, env: f.env, user: 'alice', wrapper: [...NOBODY, '--clear-groups'], onPrompt: answer(PASSWORD) });
      expectRun(run, R.system, 4);
      assert.equal(run.frames.length, 1);
    });

    const probe = `auth requisite ${PAM_PROBE} env fail\naccount required pam_permit.so`;
    const hostile = {
      FOO: 'bar',
      PAM_USER: 'root',
      NODE_OPTIONS: '--require /tmp/x.js',
      HOME: '/tmp',
      PAM_WRAPPER_PROBE: '1',
      BASTION_TEST_DEADLINE_MS: '20000',
    };
    const envNames = (run: HelperRun) => run.texts(FrameType.INFO).filter((s) => s.startsWith('ENV ')).map((s) => s.slice(4)).sort();

    it('environment: the release keeps PATH only; the test build adds exactly pam_wrapper’s', async (t) => {
      if (!ready(t)) return;
      // pam_wrapper latches its configuration in its constructor, before main(), so in a
      // non-setuid run the release binary still uses the wrapper stack: that lets the probe module
      // report the release's own environment after the scrub.
      const f = fixture(t, { 'bastion-greeter': probe }, hostile);
      const release = await runHelper({ binary: RELEASE_BIN, env: f.env, wrapper: privatePamd(f.scratch, ['bastion-greeter']) });
      expectRun(release, R.authErr, 1);
      assert.deepEqual(envNames(release), ['PATH']);
      const test = await f.run({});
      expectRun(test, R.authErr, 1);
      assert.deepEqual(envNames(test), ['LD_PRELOAD', 'PAM_MATRIX_PASSWD', 'PAM_WRAPPER', 'PAM_WRAPPER_PROBE', 'PAM_WRAPPER_RUNTIME_DIR', 'PAM_WRAPPER_SERVICE_DIR', 'PATH', 'UID_WRAPPER_DISABLE_DEEPBIND']);
    });

    it('BASTION_TEST_DEADLINE_MS: the release still waits for START after 1.5 s', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_DEADLINE_MS: '200' });
      expectRun(await f.run({ start: null }), R.timeout, 5);
      const run = await runHelper({ binary: RELEASE_BIN, env: f.env, start: null, onSpawn: (c) => setTimeout(() => c.stdin!.end(), 1500) });
      expectRun(run, R.protocol, 3);
      assert.ok(run.ms >= 1400, `${run.ms} ms`);
    });

    it('BASTION_TEST_GREETER_GID: the release does not take 4242 as the greeter group', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': matrix }, { BASTION_TEST_GREETER_GID: '4242' });
      const wrapper = [...NOBODY, '--groups=4242'];
      const test = await runHelper({ binary: f.publicCopy(TEST_BIN), env: f.env, wrapper });
      expectRun(test, R.notPrivileged, 4);
      const release = await runHelper({ binary: f.publicCopy('bastion-pam-helper'), env: f.env, wrapper });
      expectRun(release, R.caller, 2);
    });

    it('BASTION_TEST_STATE_DIR: the release does not read a lock stored there', async (t) => {
      if (!ready(t)) return;
      const f = fixture(t, { 'bastion-greeter': probe });
      const now = Math.floor(Date.now() / 1000);
      mkdirSync(f.stateDir, { mode: 0o700 });
      writeFileSync(join(f.stateDir, bucket(0, 'alice')), `v2 18000 ${now} ${now + 600}\n`, { mode: 0o600 });
      expectRun(await f.run({}), R.throttled, 2);
      // The release reads the real state dir (read-only: the probe fails without a prompt, so
      // nothing is charged and nothing is written under /run/bastion-pam-helper).
      expectRun(await runHelper({ binary: RELEASE_BIN, env: f.env, wrapper: privatePamd(f.scratch, ['bastion-greeter']) }), R.authErr, 1);
    });

    it('PAM_WRAPPER_SERVICE_DIR: the release looks for service files in /etc/pam.d and /usr/lib/pam.d only', async (t) => {
      if (!ready(t) || !requireOrSkip(t, findExecutable('/usr/bin/unshare') !== null, 'unshare (util-linux)')) return;
      const f = fixture(t, { 'bastion-greeter': probe, 'bastion-greeter-u2f': probe });
      expectRun(await f.run({ service: 'bastion-greeter-u2f' }), R.authErr, 1);
      // The release's (private) /etc/pam.d has bastion-greeter only: the key service is refused
      // though pam_wrapper's dir has it, and bastion-greeter runs.
      const wrapper = privatePamd(f.scratch, ['bastion-greeter']);
      const refused = await runHelper({ binary: RELEASE_BIN, env: f.env, service: 'bastion-greeter-u2f', wrapper });
      expectRun(refused, R.notInstalled, 4);
      assert.equal(refused.frames.length, 1);
      expectRun(await runHelper({ binary: RELEASE_BIN, env: f.env, wrapper }), R.authErr, 1);
    });

    it('installed setuid root and run by uid 65534: real credentials, no wrapper stack', async (t) => {
      if (!ready(t)) return;
      const status = readFileSync('/proc/self/status', 'utf8');
      if (!requireOrSkip(t, /^NoNewPrivs:\s+0$/m.test(status), 'setuid execution (no_new_privs is set here)')) return;
      const marker = 'auth requisite pam_echo.so WRAPPER_STACK_ACTIVE\nauth required pam_deny.so\naccount required pam_deny.so';
      const f = fixture(t, { 'bastion-greeter': marker });
      const control = await f.run({ user: 'nobody' });
      assert.deepEqual(control.texts(FrameType.INFO), ['WRAPPER_STACK_ACTIVE']);
      expectRun(control, '7:PAM_AUTH_ERR:authenticate', 1);
      const helper = f.publicCopy('bastion-pam-helper');
      chmodSync(helper, 0o4755);
      // ld.so ignores LD_PRELOAD for a setuid program, so libpam reads /etc/pam.d (no
      // bastion-greeter file there: "other"). The run must get past BASTION_NOT_PRIVILEGED, i.e.
      // the helper did become root from uid 65534, and must never show the wrapper stack.
      const run = await runHelper({ binary: helper, env: f.env, user: 'nobody', wrapper: [...NOBODY, '--clear-groups'], onPrompt: () => ({ cancel: true }) });
      assert.equal(run.texts(FrameType.INFO).includes('WRAPPER_STACK_ACTIVE'), false);
      assert.notEqual(run.result, R.notPrivileged);
      assert.notEqual(run.result, null);
      assert.equal(run.success, false);
      assert.equal(run.afterResult, 0);
    });
  }));
});
