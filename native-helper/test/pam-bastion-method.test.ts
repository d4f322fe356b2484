// pam_bastion_method.so (the display managers' key-or-password choice) in real libpam: its
// sanitized build loaded by the sanitized helper under pam_wrapper, with pam_permit and pam_deny
// standing in for the pam_u2f it wraps (saying yes, saying no). Nothing is skipped by its line,
// so no misconfiguration can bypass the password; it only ever returns the key module's verdict.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameType } from '../../main/pam/frames';
import { METHOD_PROMPT } from '../../main/auth/method-route';
import { HELPER_OUT, HELPER_TEST_BUILD, HELPER_TEST_ONLY_DIR } from '../../testkit/paths';
import {
  createPamStack,
  hasPamWrapper,
  PAM_MATRIX,
  PAM_WRAPPER_LIB,
  privateTmpForPamWrapper,
} from '../../testkit/pam-stack';
import { fileExists, requireOrSkip } from '../../testkit/require';
import { runHelper, sanitizerReport, SUCCESS_RESULT, type PromptAction } from './driver';

const MODULE = join(HELPER_TEST_ONLY_DIR, 'test-build-pam_bastion_method-asan.so');
const RELEASE_MODULE = join(HELPER_OUT, 'pam_bastion_method.so');
const PASSWORD = 'correct horse';
const AUTH_ERR = '7:PAM_AUTH_ERR:authenticate';

function ready(t: TestContext): boolean {
  return (
    requireOrSkip(t, hasPamWrapper(), 'libpam-wrapper') &&
    requireOrSkip(t, fileExists(HELPER_TEST_BUILD) && fileExists(MODULE), 'make -C native-helper') &&
    requireOrSkip(t, process.getuid?.() === 0, 'root (the helper takes root-owned PAM files only)')
  );
}

/** Runs `auth` lines (then pam_matrix account) for alice, answering as `answers` says. */
async function attempt(
  t: TestContext,
  auth: string,
  answers: (text: string, type: FrameType) => PromptAction,
) {
  const stack = createPamStack({
    services: {
      'bastion-greeter': `${auth}\naccount required ${PAM_MATRIX} passdb={passdb}\n`,
    },
    users: [{ user: 'alice', password: PASSWORD, service: 'bastion-greeter' }],
  });
  const scratch = mkdtempSync(join(tmpdir(), 'bastion-method-test-'));
  t.after(() => {
    stack.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });
  const prompts: { type: FrameType; text: string }[] = [];
  // A pam_wrapper runtime dir of its own: files running beside this one use pam_wrapper too,
  // and a shared one would have this helper read their service files (seen once in CI).
  const { isolate, env } = privateTmpForPamWrapper(stack.env, scratch);
  const run = await runHelper({
    binary: HELPER_TEST_BUILD,
    wrapper: isolate,
    service: 'bastion-greeter',
    user: 'alice',
    env: {
      ...env,
      BASTION_TEST_STATE_DIR: join(scratch, 'ratelimit'),
      BASTION_TEST_DEADLINE_MS: '20000',
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1',
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    },
    onPrompt: (frame) => {
      const text = frame.payload.toString('utf8');
      prompts.push({ type: frame.type, text });
      return answers(text, frame.type);
    },
    limitMs: 30_000,
  });
  assert.equal(sanitizerReport(run.stderr), null, run.stderr);
  return { run, prompts };
}

/** The choice, then `password` to every other prompt. */
const choose =
  (choice: string, password = PASSWORD) =>
  (text: string): PromptAction =>
    text === METHOD_PROMPT ? { answer: choice } : { answer: password };

const SECURITY = '/lib/x86_64-linux-gnu/security';
/** Stand-ins for pam_u2f saying yes (it would let anyone in) and no. */
const PERMIT = `${SECURITY}/pam_permit.so`;
const DENY = `${SECURITY}/pam_deny.so`;

/** As the display managers' files: the one key line, then the password (pam_matrix). */
async function dmAttempt(
  t: TestContext,
  wrapped: string,
  answers: (text: string) => PromptAction,
  module = MODULE,
) {
  return attempt(
    t,
    `auth sufficient ${module} ${wrapped}\nauth required ${PAM_MATRIX} passdb={passdb}`,
    answers,
  );
}

describe('pam_bastion_method.so in real libpam, wrapping the key module', () => {
  it('asks one visible question, exactly the text the greeter answers', async (t) => {
    if (!ready(t)) return;
    const { prompts } = await dmAttempt(t, DENY, choose('password'));
    assert.deepEqual(prompts[0], { type: FrameType.PROMPT_ECHO_ON, text: METHOD_PROMPT });
  });

  it('"password": the key module (here pam_permit, which would let anyone in) is not run; the password decides', async (t) => {
    if (!ready(t)) return;
    const right = await dmAttempt(t, PERMIT, choose('password'));
    assert.equal(right.run.result, SUCCESS_RESULT);
    assert.equal(right.prompts.length, 2, 'the password was asked');
    const wrong = await dmAttempt(t, PERMIT, choose('password', 'wrong'));
    assert.equal(wrong.run.result, AUTH_ERR);
  });

  it('"key": the key module runs; its success signs in without a password', async (t) => {
    if (!ready(t)) return;
    const { run, prompts } = await dmAttempt(t, PERMIT, choose('key'));
    assert.equal(run.result, SUCCESS_RESULT);
    assert.equal(prompts.length, 1);
  });

  it('"key", the key module refuses: the password is asked after it and decides', async (t) => {
    if (!ready(t)) return;
    const right = await dmAttempt(t, DENY, choose('key'));
    assert.equal(right.run.result, SUCCESS_RESULT);
    assert.equal(right.prompts.length, 2);
    const wrong = await dmAttempt(t, DENY, choose('key', 'wrong'));
    assert.equal(wrong.run.result, AUTH_ERR);
  });

  it('anything else, an empty answer, or a cancelled question: the key module is not run', async (t) => {
    if (!ready(t)) return;
    for (const odd of ['', 'Password', 'key ', 'x'.repeat(400)]) {
      const { run, prompts } = await dmAttempt(t, PERMIT, choose(odd, 'wrong'));
      assert.equal(run.result, AUTH_ERR, JSON.stringify(odd.slice(0, 20)));
      assert.equal(prompts.length, 2, 'the password was asked');
    }
    const { run } = await dmAttempt(t, PERMIT, () => ({ cancel: true }));
    assert.equal(run.success, false);
  });

  it('a key module that is not root-owned and read-only, relative, or missing is never loaded', async (t) => {
    if (!ready(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'bastion-method-mod-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const writable = join(dir, 'pam_permit.so');
    copyFileSync(PERMIT, writable);
    chmodSync(writable, 0o666);
    const foreign = join(dir, 'foreign.so');
    copyFileSync(PERMIT, foreign);
    chownSync(foreign, 65534, 65534);
    for (const wrapped of [writable, foreign, 'pam_permit.so', join(dir, 'missing.so'), '']) {
      const { run, prompts } = await dmAttempt(t, wrapped, choose('key', 'wrong'));
      assert.equal(run.result, AUTH_ERR, wrapped);
      assert.equal(prompts.length, 2, `${wrapped}: the password was asked`);
    }
  });

  it('the release build loads pam_u2f.so only, by name', async (t) => {
    if (!ready(t) || !requireOrSkip(t, fileExists(RELEASE_MODULE), 'make -C native-helper')) return;
    const { run, prompts } = await dmAttempt(t, PERMIT, choose('key', 'wrong'), RELEASE_MODULE);
    assert.equal(run.result, AUTH_ERR);
    assert.equal(prompts.length, 2, 'pam_permit was not loaded: the password was asked');
  });

  it('misplaced (required, optional, alone), it never lets anyone in without the key module saying yes', async (t) => {
    if (!ready(t)) return;
    for (const control of ['sufficient', 'required', 'optional', '[default=ok]']) {
      for (const choice of ['password', 'key', 'other']) {
        const { run } = await attempt(
          t,
          `auth ${control} ${MODULE} ${DENY}\nauth required pam_deny.so`,
          choose(choice),
        );
        assert.equal(run.success, false, `${control} / ${choice}: ${run.result}`);
      }
    }
    const alone = await attempt(t, `auth sufficient ${MODULE} ${PERMIT}`, choose('password'));
    assert.equal(alone.run.success, false, 'only PAM_IGNORE: no verdict, no entry');
  });
});

/** pamtester (a real PAM application) with the release module, answering its question on stdin. */
function pamtester(dir: string, answer: string, ops: string[]): string {
  // With a pam_wrapper runtime dir of its own, as attempt() above.
  const { isolate, env } = privateTmpForPamWrapper(pamWrapperEnv(dir), dir);
  const run = spawnSync(
    isolate[0]!,
    [...isolate.slice(1), '/usr/bin/pamtester', 'bastion-greeter', 'root', ...ops],
    {
      input: `${answer}\n`,
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: '/usr/bin:/bin', ...env },
    },
  );
  return `${run.stdout}${run.stderr}`;
}

const pamWrapperEnv = (dir: string) => ({
  LD_PRELOAD: PAM_WRAPPER_LIB,
  PAM_WRAPPER: '1',
  PAM_WRAPPER_SERVICE_DIR: dir,
});

describe('pam_bastion_method.so (release build) in pamtester: setcred, and which pam_u2f.so it loads', () => {
  const available = (t: TestContext): boolean =>
    requireOrSkip(t, hasPamWrapper(), 'libpam-wrapper') &&
    requireOrSkip(t, fileExists('/usr/bin/pamtester'), 'pamtester') &&
    requireOrSkip(t, fileExists(RELEASE_MODULE), 'make -C native-helper') &&
    requireOrSkip(t, process.getuid?.() === 0, 'root (a root-only directory for the stand-in)');

  /** A root-only directory (not under the world-writable /tmp) holding a stand-in pam_u2f.so. */
  function rootOnlyStandIn(t: TestContext, standIn: string): { dir: string; module: string } {
    const dir = mkdtempSync('/run/bastion-method-test-');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const module = join(dir, 'pam_u2f.so');
    copyFileSync(standIn, module);
    chmodSync(module, 0o644);
    return { dir, module };
  }

  function service(dir: string, keyLine: string, after: string): void {
    writeFileSync(join(dir, 'bastion-greeter'), `${keyLine}\n${after}\naccount required pam_permit.so\n`);
  }

  it("after a key success, setcred ends at its line with pam_u2f's own (the password modules' setcred never runs)", async (t) => {
    if (!available(t)) return;
    const { dir, module } = rootOnlyStandIn(t, PERMIT);
    // pam_deny's setcred fails: reached, it would fail the session start.
    service(dir, `auth sufficient ${RELEASE_MODULE} ${module}`, 'auth required pam_deny.so');
    const said = pamtester(dir, 'key', ['authenticate', 'setcred']);
    assert.match(said, /successfully authenticated/);
    assert.match(said, /credential info has successfully been set/);
  });

  it('after the password, setcred goes on to the password modules', async (t) => {
    if (!available(t)) return;
    const { dir, module } = rootOnlyStandIn(t, PERMIT);
    service(dir, `auth sufficient ${RELEASE_MODULE} ${module}`, 'auth required pam_deny.so');
    const said = pamtester(dir, 'password', ['authenticate']);
    assert.match(said, /Authentication failure/, 'pam_deny decided, the stand-in never ran');
    service(dir, `auth sufficient ${RELEASE_MODULE} ${module}`, 'auth required pam_permit.so');
    assert.match(pamtester(dir, 'password', ['authenticate', 'setcred']), /credential info has successfully been set/);
  });

  it('only a real file named pam_u2f.so in root-only directories, and never with nouserok/alwaysok', async (t) => {
    if (!available(t)) return;
    const { dir, module } = rootOnlyStandIn(t, PERMIT);
    const scratch = mkdtempSync(join(tmpdir(), 'bastion-method-link-'));
    t.after(() => rmSync(scratch, { recursive: true, force: true }));
    const link = join(scratch, 'pam_u2f.so');
    symlinkSync(PERMIT, link); // named pam_u2f.so, resolves to pam_permit.so
    const underTmp = join(scratch, 'copy');
    mkdirSync(underTmp);
    copyFileSync(PERMIT, join(underTmp, 'pam_u2f.so')); // a copy under the world-writable /tmp
    for (const keyLine of [
      `${RELEASE_MODULE} ${link}`,
      `${RELEASE_MODULE} ${join(underTmp, 'pam_u2f.so')}`,
      `${RELEASE_MODULE} ${module} nouserok`,
      `${RELEASE_MODULE} ${module} cue alwaysok`,
    ]) {
      service(dir, `auth sufficient ${keyLine}`, 'auth required pam_deny.so');
      assert.match(pamtester(dir, 'key', ['authenticate']), /Authentication failure/, keyLine);
    }
    // The control: the same stand-in, accepted.
    service(dir, `auth sufficient ${RELEASE_MODULE} ${module} cue`, 'auth required pam_deny.so');
    assert.match(pamtester(dir, 'key', ['authenticate']), /successfully authenticated/);
  });
});

