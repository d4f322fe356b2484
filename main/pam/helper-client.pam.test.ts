// The client against the real helper (test build) on real libpam via pam_wrapper + pam_matrix.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { matrixService, PAM_CHATTY } from '../../testkit/pam-stack';
import { requireOrSkip } from '../../testkit/require';
import {
  runPamTransaction,
  type PamEvent,
  type PamOutcome,
  type PamTransaction,
} from './helper-client';
import {
  createHelperFixture,
  hasHelperTestBuild,
  HELPER_TEST_BINARY,
  type HelperFixture,
} from './test/real-helper';

const SERVICE = 'bastion-greeter';

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('helper client against the real helper (test build, pam_wrapper + pam_matrix)', () => {
  let fixture: HelperFixture;
  const available = hasHelperTestBuild();
  const gate = (t: TestContext) =>
    requireOrSkip(t, available, `the helper test build (${HELPER_TEST_BINARY}) or libpam-wrapper`);

  before(() => {
    if (!available) return;
    fixture = createHelperFixture(
      {
        services: { [SERVICE]: matrixService() },
        users: [
          { user: 'alice', password: 'correct horse', service: SERVICE },
          { user: 'bob', password: 'bobpass', service: SERVICE },
        ],
      },
      { BASTION_TEST_DEADLINE_MS: '20000' },
    );
  });
  after(() => fixture?.cleanup());

  function start(
    user: string,
    service = SERVICE,
    env: Record<string, string> = {},
  ): PamTransaction {
    return runPamTransaction({
      helperPath: HELPER_TEST_BINARY,
      service,
      user,
      env: { ...fixture.env, ...env },
      deadlineMs: 30_000,
      killGraceMs: 500,
    });
  }

  async function answerAll(
    transaction: PamTransaction,
    answer: string,
  ): Promise<{ events: PamEvent[]; outcome: PamOutcome }> {
    const events: PamEvent[] = [];
    for await (const event of transaction.events()) {
      events.push(event);
      if (event.type === 'prompt') transaction.answer(answer);
    }
    return { events, outcome: await transaction.outcome };
  }

  it('right password → success', async (t) => {
    if (!gate(t)) return;
    const { events, outcome } = await answerAll(start('alice'), 'correct horse');
    assert.equal(events[0]?.type, 'prompt');
    assert.deepEqual(outcome, {
      ok: true,
      result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' },
    });
  });

  it('wrong password → refused with PAM_AUTH_ERR, exit status 1', async (t) => {
    if (!gate(t)) return;
    const { outcome } = await answerAll(start('bob'), 'nope');
    assert.deepEqual(outcome, {
      ok: false,
      kind: 'refused',
      result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
      exitCode: 1,
    });
  });

  it('unknown user → refused, never success', async (t) => {
    if (!gate(t)) return;
    const { outcome } = await answerAll(start('nobody_here'), 'whatever');
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok && outcome.kind === 'refused', JSON.stringify(outcome));
    assert.match(outcome.result.name, /^PAM_(AUTH_ERR|USER_UNKNOWN)$/);
  });

  it('a service outside the allowlist → refused by the helper', async (t) => {
    if (!gate(t)) return;
    const { outcome } = await answerAll(start('alice', 'sshd'), 'correct horse');
    assert.ok(!outcome.ok && outcome.kind === 'refused', JSON.stringify(outcome));
    assert.deepEqual(outcome.result, {
      code: 6,
      name: 'BASTION_SERVICE_NOT_ALLOWED',
      stage: 'helper',
    });
  });

  it('cancel mid-prompt → CANCELLED and the helper exits', async (t) => {
    if (!gate(t)) return;
    const transaction = start('alice');
    for await (const event of transaction.events()) {
      if (event.type === 'prompt') transaction.cancel();
    }
    const outcome = await transaction.outcome;
    assert.ok(!outcome.ok && outcome.kind === 'client-error' && outcome.error.code === 'CANCELLED');
    assert.ok(await waitUntil(() => processGone(transaction.pid!), 3_000), 'helper still running');
  });

  it('helper killed (SIGKILL) mid-prompt → KILLED failure', async (t) => {
    if (!gate(t)) return;
    const transaction = start('alice');
    for await (const event of transaction.events()) {
      if (event.type === 'prompt') process.kill(transaction.pid!, 'SIGKILL');
    }
    const outcome = await transaction.outcome;
    assert.ok(!outcome.ok && outcome.kind === 'client-error', JSON.stringify(outcome));
    assert.equal(outcome.error.code, 'KILLED');
  });

  it("the helper's own deadline → refused BASTION_TIMEOUT", async (t) => {
    if (!gate(t)) return;
    const transaction = start('alice', SERVICE, { BASTION_TEST_DEADLINE_MS: '400' });
    const outcome = await transaction.outcome; // never answers the prompt
    assert.ok(!outcome.ok && outcome.kind === 'refused', JSON.stringify(outcome));
    assert.equal(outcome.result.name, 'BASTION_TIMEOUT');
    assert.equal(outcome.exitCode, 5);
  });

  it("the client's deadline → TIMEOUT, even if the helper would wait longer", async (t) => {
    if (!gate(t)) return;
    const transaction = runPamTransaction({
      helperPath: HELPER_TEST_BINARY,
      service: SERVICE,
      user: 'alice',
      env: fixture.env,
      deadlineMs: 300,
      killGraceMs: 300,
    });
    const outcome = await transaction.outcome;
    assert.ok(!outcome.ok && outcome.kind === 'client-error' && outcome.error.code === 'TIMEOUT');
    assert.ok(await waitUntil(() => processGone(transaction.pid!), 3_000), 'helper still running');
  });

  it('pam_chatty: 16 info then 16 error messages arrive in order, then the prompt', async (t) => {
    if (!gate(t)) return;
    const chatty = createHelperFixture({
      services: {
        [SERVICE]: `auth optional ${PAM_CHATTY} info error num_lines=16\n${matrixService()}`,
      },
      users: [{ user: 'alice', password: 'correct horse', service: SERVICE }],
    });
    try {
      const transaction = runPamTransaction({
        helperPath: HELPER_TEST_BINARY,
        service: SERVICE,
        user: 'alice',
        // pam_chatty never frees the conversation's responses: LeakSanitizer would turn the
        // sanitized helper's exit status nonzero (which the client rightly calls a failure).
        env: { ...chatty.env, ASAN_OPTIONS: 'detect_leaks=0' },
      });
      const { events, outcome } = await answerAll(transaction, 'correct horse');
      assert.deepEqual(
        events.slice(0, 33).map((e) => e.type),
        [...Array<string>(16).fill('info'), ...Array<string>(16).fill('error'), 'prompt'],
      );
      assert.deepEqual(events[0], { type: 'info', text: 'Authentication succeeded' });
      assert.deepEqual(events[16], { type: 'error', text: 'Authentication generated an error' });
      assert.equal(outcome.ok, true);
    } finally {
      chatty.cleanup();
    }
  });
});
