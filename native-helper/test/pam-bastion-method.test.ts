// pam_bastion_method.so (the display managers' key-or-password choice) in real libpam: its
// sanitized build loaded by the sanitized helper under pam_wrapper, with pam_permit and pam_deny
// standing in for the pam_u2f it wraps (saying yes, saying no). Nothing is skipped by its line,
// so no misconfiguration can bypass the password; it only ever returns the key module's verdict.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameType } from '../../main/pam/frames';
import { METHOD_PROMPT } from '../../main/auth/method-route';
import { HELPER_OUT, HELPER_TEST_BUILD, HELPER_TEST_ONLY_DIR } from '../../testkit/paths';
import { createPamStack, hasPamWrapper, PAM_MATRIX } from '../../testkit/pam-stack';
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
  const run = await runHelper({
    binary: HELPER_TEST_BUILD,
    service: 'bastion-greeter',
    user: 'alice',
    env: {
      ...stack.env,
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
