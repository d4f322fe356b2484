// The client against the real helper (test build) on real libpam via pam_wrapper + pam_matrix,
// through both transports with the same cases: the setuid way (spawned, frames on stdin and
// stdout) and the socket-activated way (`--socket` under systemd-socket-activate --accept
// --inetd, as the Accept=yes unit of resources/systemd/ starts it). Each case asserts which
// transport carried it, so a silent fallback cannot pass for the socket.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { matrixService, PAM_CHATTY } from '../../testkit/pam-stack';
import { requireOrSkip } from '../../testkit/require';
import {
  runPamTransaction,
  type PamEvent,
  type PamOutcome,
  type PamTransaction,
  type PamTransport,
} from './helper-client';
import {
  createHelperFixture,
  hasHelperTestBuild,
  HELPER_TEST_BINARY,
  type HelperFixture,
} from './test/real-helper';
import { SOCKET_ACTIVATE, startSocketActivatedHelper } from '../../testkit/socket-activate';

const SERVICE = 'bastion-greeter';
const NO_SETUID_HELPER = '/nonexistent/bastion-pam-helper';

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

interface StartOptions {
  service?: string;
  deadlineMs?: number;
  killGraceMs?: number;
}

/** One way of reaching the helper, with the helper environment fixed at open time. */
interface HelperAccess {
  start(user: string, options?: StartOptions): PamTransaction;
  /** Pids of this transaction's helper while it runs (empty once gone). */
  helperPids(transaction: PamTransaction): number[];
  /** sanitizer reports and the like, for the socket's listener; '' for spawn */
  log(): string;
  close(): Promise<void>;
}

async function openAccess(
  transport: PamTransport,
  env: Record<string, string>,
): Promise<HelperAccess> {
  const defaults = (user: string, options: StartOptions) => ({
    service: options.service ?? SERVICE,
    user,
    deadlineMs: options.deadlineMs ?? 30_000,
    killGraceMs: options.killGraceMs ?? 500,
  });
  if (transport === 'spawn') {
    return {
      start: (user, options = {}) =>
        runPamTransaction({ helperPath: HELPER_TEST_BINARY, env, ...defaults(user, options) }),
      helperPids: (transaction) =>
        transaction.pid !== undefined && !processGone(transaction.pid) ? [transaction.pid] : [],
      log: () => '',
      close: async () => {},
    };
  }
  const activated = await startSocketActivatedHelper({ binary: HELPER_TEST_BINARY, env });
  return {
    // No setuid fallback exists here: a socket that did not answer fails the case.
    start: (user, options = {}) =>
      runPamTransaction({
        socketPath: activated.path,
        helperPath: NO_SETUID_HELPER,
        ...defaults(user, options),
      }),
    // One transaction at a time per listener in this suite: its children are this helper.
    helperPids: () => activated.helperPids(),
    log: () => activated.log(),
    close: () => activated.stop(),
  };
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

for (const transport of ['spawn', 'socket'] as const) {
  const how =
    transport === 'spawn'
      ? 'spawned (setuid way)'
      : 'socket-activated (--socket under systemd-socket-activate)';
  describe(`helper client against the real helper, ${how} (test build, pam_wrapper + pam_matrix)`, () => {
    let fixture: HelperFixture;
    let access: HelperAccess;
    const available = hasHelperTestBuild() && (transport === 'spawn' || SOCKET_ACTIVATE !== null);
    const gate = (t: TestContext) =>
      requireOrSkip(
        t,
        available,
        `the helper test build (${HELPER_TEST_BINARY}), libpam-wrapper` +
          (transport === 'socket' ? ' or systemd-socket-activate' : ''),
      );
    /** The helper's exit status as the client sees it: none over the socket. */
    const exitStatus = (status: number): number | null => (transport === 'spawn' ? status : null);

    before(async () => {
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
      access = await openAccess(transport, fixture.env);
    });
    after(async () => {
      await access?.close();
      assert.doesNotMatch(access?.log() ?? '', /Sanitizer/, 'sanitizer report from the helper');
      fixture?.cleanup();
    });

    function start(user: string, options: StartOptions = {}): PamTransaction {
      return access.start(user, options);
    }

    it('right password → success', async (t) => {
      if (!gate(t)) return;
      const transaction = start('alice');
      const { events, outcome } = await answerAll(transaction, 'correct horse');
      assert.equal(transaction.transport, transport);
      assert.equal(events[0]?.type, 'prompt');
      assert.deepEqual(outcome, {
        ok: true,
        result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' },
      });
    });

    it('wrong password → refused with PAM_AUTH_ERR (exit status 1 where visible)', async (t) => {
      if (!gate(t)) return;
      const transaction = start('bob');
      const { outcome } = await answerAll(transaction, 'nope');
      assert.equal(transaction.transport, transport);
      assert.deepEqual(outcome, {
        ok: false,
        kind: 'refused',
        result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
        exitCode: exitStatus(1),
      });
    });

    it('unknown user → refused, never success', async (t) => {
      if (!gate(t)) return;
      const transaction = start('nobody_here');
      const { outcome } = await answerAll(transaction, 'whatever');
      assert.equal(transaction.transport, transport);
      assert.equal(outcome.ok, false);
      assert.ok(!outcome.ok && outcome.kind === 'refused', JSON.stringify(outcome));
      assert.match(outcome.result.name, /^PAM_(AUTH_ERR|USER_UNKNOWN)$/);
    });

    it('a service outside the allowlist → refused by the helper', async (t) => {
      if (!gate(t)) return;
      const transaction = start('alice', { service: 'sshd' });
      const { outcome } = await answerAll(transaction, 'correct horse');
      assert.equal(transaction.transport, transport);
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
      let running: number[] = [];
      for await (const event of transaction.events()) {
        if (event.type === 'prompt') {
          running = access.helperPids(transaction);
          transaction.cancel();
        }
      }
      const outcome = await transaction.outcome;
      assert.equal(transaction.transport, transport);
      assert.ok(
        !outcome.ok && outcome.kind === 'client-error' && outcome.error.code === 'CANCELLED',
      );
      assert.equal(running.length, 1, 'one helper was running at the prompt');
      assert.ok(
        await waitUntil(() => access.helperPids(transaction).length === 0, 3_000),
        'helper still running',
      );
    });

    it('helper killed (SIGKILL) mid-prompt → a failure (KILLED, or no result over the socket)', async (t) => {
      if (!gate(t)) return;
      const transaction = start('alice');
      for await (const event of transaction.events()) {
        if (event.type === 'prompt') {
          for (const pid of access.helperPids(transaction)) process.kill(pid, 'SIGKILL');
        }
      }
      const outcome = await transaction.outcome;
      assert.equal(transaction.transport, transport);
      assert.ok(!outcome.ok && outcome.kind === 'client-error', JSON.stringify(outcome));
      assert.equal(outcome.error.code, transport === 'spawn' ? 'KILLED' : 'MISSING_RESULT');
    });

    it("the helper's own deadline → refused BASTION_TIMEOUT", async (t) => {
      if (!gate(t)) return;
      const short = await openAccess(transport, {
        ...fixture.env,
        BASTION_TEST_DEADLINE_MS: '400',
      });
      try {
        const transaction = short.start('alice');
        const outcome = await transaction.outcome; // never answers the prompt
        assert.equal(transaction.transport, transport);
        assert.ok(!outcome.ok && outcome.kind === 'refused', JSON.stringify(outcome));
        assert.equal(outcome.result.name, 'BASTION_TIMEOUT');
        assert.equal(outcome.exitCode, exitStatus(5));
      } finally {
        await short.close();
      }
    });

    it("the client's deadline → TIMEOUT, even if the helper would wait longer", async (t) => {
      if (!gate(t)) return;
      const transaction = start('alice', { deadlineMs: 300, killGraceMs: 300 });
      const outcome = await transaction.outcome;
      assert.equal(transaction.transport, transport);
      assert.ok(!outcome.ok && outcome.kind === 'client-error' && outcome.error.code === 'TIMEOUT');
      assert.ok(
        await waitUntil(() => access.helperPids(transaction).length === 0, 3_000),
        'helper still running',
      );
    });

    it('pam_chatty: 16 info then 16 error messages arrive in order, then the prompt', async (t) => {
      if (!gate(t)) return;
      const chatty = createHelperFixture({
        services: {
          [SERVICE]: `auth optional ${PAM_CHATTY} info error num_lines=16\n${matrixService()}`,
        },
        users: [{ user: 'alice', password: 'correct horse', service: SERVICE }],
      });
      // pam_chatty never frees the conversation's responses: LeakSanitizer would turn the
      // sanitized helper's exit status nonzero (which the client rightly calls a failure).
      const chattyAccess = await openAccess(transport, {
        ...chatty.env,
        ASAN_OPTIONS: 'detect_leaks=0',
      });
      try {
        const transaction = chattyAccess.start('alice');
        const { events, outcome } = await answerAll(transaction, 'correct horse');
        assert.equal(transaction.transport, transport);
        assert.deepEqual(
          events.slice(0, 33).map((e) => e.type),
          [...Array<string>(16).fill('info'), ...Array<string>(16).fill('error'), 'prompt'],
        );
        assert.deepEqual(events[0], { type: 'info', text: 'Authentication succeeded' });
        assert.deepEqual(events[16], { type: 'error', text: 'Authentication generated an error' });
        assert.equal(outcome.ok, true);
      } finally {
        await chattyAccess.close();
        chatty.cleanup();
      }
    });
  });
}
