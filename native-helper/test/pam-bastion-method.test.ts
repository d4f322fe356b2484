// pam_bastion_method.so (the display managers' key-or-password choice) in real libpam: its
// sanitized build loaded by the sanitized helper under pam_wrapper. pam_deny stands in for
// pam_u2f (it runs: the attempt fails; it is skipped: the password decides). The module never
// grants anything, wherever an admin puts its line.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameType } from '../../main/pam/frames';
import { METHOD_PROMPT } from '../../main/auth/method-route';
import { HELPER_TEST_BUILD, HELPER_TEST_ONLY_DIR } from '../../testkit/paths';
import { createPamStack, hasPamWrapper, PAM_MATRIX } from '../../testkit/pam-stack';
import { fileExists, requireOrSkip } from '../../testkit/require';
import { runHelper, sanitizerReport, SUCCESS_RESULT, type PromptAction } from './driver';

const MODULE = join(HELPER_TEST_ONLY_DIR, 'test-build-pam_bastion_method-asan.so');
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
async function attempt(t: TestContext, auth: string, answers: (text: string, type: FrameType) => PromptAction) {
  const stack = createPamStack({
    services: { 'bastion-greeter': `${auth}\naccount required ${PAM_MATRIX} passdb={passdb}\n` },
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

/** The choice, then the password to pam_matrix's prompt. */
const choose =
  (choice: string) =>
  (text: string): PromptAction =>
    text === METHOD_PROMPT ? { answer: choice } : { answer: PASSWORD };

const STACK = (keyStandIn: string) =>
  [
    `auth [cred_unavail=1 default=ignore] ${MODULE}`,
    `auth ${keyStandIn}`,
    `auth required ${PAM_MATRIX} passdb={passdb}`,
  ].join('\n');

describe('pam_bastion_method.so in real libpam', () => {
  it('asks one visible question, exactly the text the greeter answers', async (t) => {
    if (!ready(t)) return;
    const { prompts } = await attempt(t, STACK('requisite pam_deny.so'), choose('password'));
    assert.deepEqual(prompts[0], { type: FrameType.PROMPT_ECHO_ON, text: METHOD_PROMPT });
  });

  it('"password": the line after it (pam_u2f) is skipped, the password decides', async (t) => {
    if (!ready(t)) return;
    const { run, prompts } = await attempt(t, STACK('requisite pam_deny.so'), choose('password'));
    assert.equal(run.result, SUCCESS_RESULT);
    assert.equal(prompts.length, 2);
  });

  it('"key": the line after it runs (here pam_deny: refused before any password prompt)', async (t) => {
    if (!ready(t)) return;
    const { run, prompts } = await attempt(t, STACK('requisite pam_deny.so'), choose('key'));
    assert.equal(run.result, AUTH_ERR);
    assert.equal(prompts.length, 1, 'no password was asked');
  });

  it('"key" with a key module that says yes (sufficient): in without a password', async (t) => {
    if (!ready(t)) return;
    const { run, prompts } = await attempt(t, STACK('sufficient pam_permit.so'), choose('key'));
    assert.equal(run.result, SUCCESS_RESULT);
    assert.equal(prompts.length, 1);
  });

  it('anything else, or an empty answer, reads as "key"', async (t) => {
    if (!ready(t)) return;
    for (const odd of ['', 'Password', 'password ', 'x'.repeat(400)]) {
      const { run } = await attempt(t, STACK('requisite pam_deny.so'), choose(odd));
      assert.equal(run.result, AUTH_ERR, JSON.stringify(odd.slice(0, 20)));
    }
  });

  it('a cancelled question: not authenticated', async (t) => {
    if (!ready(t)) return;
    const { run } = await attempt(t, STACK('sufficient pam_permit.so'), () => ({ cancel: true }));
    assert.equal(run.success, false);
  });

  it('misplaced as sufficient or required, it never lets anyone in by itself', async (t) => {
    if (!ready(t)) return;
    for (const control of ['sufficient', 'required', 'optional']) {
      for (const choice of ['password', 'key']) {
        const { run } = await attempt(t, `auth ${control} ${MODULE}\nauth required pam_deny.so`, choose(choice));
        assert.equal(run.success, false, `${control} / ${choice}: ${run.result}`);
      }
    }
    // As `required`, "password" refuses even a stack whose next module would accept.
    const { run } = await attempt(t, `auth required ${MODULE}\nauth required pam_permit.so`, choose('password'));
    assert.equal(run.success, false, String(run.result));
  });
});
