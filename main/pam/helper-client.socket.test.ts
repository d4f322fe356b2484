// The socket transport (`socketPath`): how it is chosen, how it falls back, how it fails.
//
// Real parts: systemd-socket-activate --accept --inetd (what the Accept=yes unit does), a
// socket file nobody listens on, connect errors the kernel gives. Test doubles, for faults the
// real helper and systemd cannot be made to produce on demand:
// * `fake-helper-for-test` (misbehaving frames), here behind systemd-socket-activate;
// * `dropping-server-for-test`: accepts and closes at once, as systemd does with a connection
//   over MaxConnections=/MaxConnectionsPerSource= (PID-1 systemd cannot run here).
// The real helper over the socket (PAM cases, non-root caller): helper-client.pam.test.ts and
// helper-client.socket.pam.test.ts.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  runPamTransaction,
  type PamClientErrorCode,
  type PamEvent,
  type PamOutcome,
  type PamTransaction,
} from './helper-client';
import { installFakeHelperForTest, type FakeHelperForTest } from './test/fake-helper';
import {
  SOCKET_ACTIVATE,
  startSocketActivatedHelper,
  type SocketActivatedHelper,
} from '../../testkit/socket-activate';
import { requireOrSkip } from '../../testkit/require';

const PYTHON = '/usr/bin/python3';

function assertClientError(outcome: PamOutcome, code: PamClientErrorCode): void {
  assert.ok(
    !outcome.ok && outcome.kind === 'client-error',
    `expected a client error ${code}, got ${JSON.stringify(outcome)}`,
  );
  assert.equal(outcome.error.code, code, outcome.error.message);
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

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'bastion-sock-'));
}

describe('socket transport: the fake-helper-for-test double behind systemd-socket-activate', () => {
  let fake: FakeHelperForTest;
  let activated: SocketActivatedHelper;
  const available = SOCKET_ACTIVATE !== null;
  const gate = (t: TestContext) => requireOrSkip(t, available, 'systemd-socket-activate');

  before(async () => {
    if (!available) return;
    fake = installFakeHelperForTest();
    activated = await startSocketActivatedHelper({
      binary: fake.path,
      args: [],
      env: { FAKE_HELPER_SCENARIO: 'from-start-user' },
    });
  });
  after(async () => {
    await activated?.stop();
    fake?.cleanup();
  });

  // The START frame's user names the double's scenario (from-start-user).
  const start = (scenario: string, deadlineMs = 10_000) =>
    runPamTransaction({
      socketPath: activated.path,
      // Never used: the socket is there. A spawn would fail as HELPER_NOT_FOUND.
      helperPath: '/nonexistent/bastion-pam-helper',
      service: 'bastion-greeter',
      user: scenario,
      deadlineMs,
      killGraceMs: 200,
    });

  it('a well-formed success over the socket is a success, and it went over the socket', async (t) => {
    if (!gate(t)) return;
    const transaction = start('success');
    const { events, outcome } = await answerAll(transaction, 'right');
    assert.equal(transaction.transport, 'socket');
    assert.equal(transaction.pid, undefined);
    assert.deepEqual(events[0], { type: 'prompt', secret: true, text: 'Password: ' });
    assert.deepEqual(outcome, {
      ok: true,
      result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' },
    });
  });

  it('a wrong answer is a refusal; over the socket there is no exit status (null)', async (t) => {
    if (!gate(t)) return;
    const transaction = start('success');
    const { outcome } = await answerAll(transaction, 'wrong');
    assert.equal(transaction.transport, 'socket');
    assert.deepEqual(outcome, {
      ok: false,
      kind: 'refused',
      result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
      exitCode: null,
    });
  });

  const faults: [string, PamClientErrorCode][] = [
    ['garbage', 'MALFORMED_FRAME'],
    ['oversized', 'MALFORMED_FRAME'],
    ['truncated', 'MALFORMED_FRAME'],
    ['two-results', 'DUPLICATE_RESULT'],
    ['success-then-junk', 'TRAILING_DATA'],
    ['success-then-info', 'TRAILING_DATA'],
    ['exit0-without-result', 'MISSING_RESULT'],
    ['malformed-result', 'MALFORMED_RESULT'],
    ['answer-frame-from-helper', 'UNEXPECTED_FRAME'],
    ['bad-utf8', 'MALFORMED_TEXT'],
    ['nul-in-text', 'MALFORMED_TEXT'],
  ];
  for (const [scenario, code] of faults) {
    it(`${scenario} → ${code}, never success`, async (t) => {
      if (!gate(t)) return;
      const transaction = start(scenario);
      const { events, outcome } = await answerAll(transaction, 'right');
      assert.equal(transaction.transport, 'socket');
      assert.equal(events.filter((e) => e.type === 'result').length, 1);
      assertClientError(outcome, code);
    });
  }

  it('the verdict is the stream alone: a non-success RESULT is a refusal whatever the exit', async (t) => {
    if (!gate(t)) return;
    for (const scenario of ['failure-exit0', 'success-wrong-stage']) {
      const { outcome } = await answerAll(start(scenario), 'right');
      assert.ok(!outcome.ok && outcome.kind === 'refused', JSON.stringify(outcome));
      assert.equal(outcome.exitCode, null);
    }
  });

  it('the deadline ends a hanging helper as TIMEOUT and closes the connection', async (t) => {
    if (!gate(t)) return;
    const started = Date.now();
    const transaction = start('hang', 300);
    assertClientError(await transaction.outcome, 'TIMEOUT');
    assert.equal(transaction.transport, 'socket');
    assert.ok(Date.now() - started < 5_000);
  });

  it('cancel() mid-prompt is CANCELLED', async (t) => {
    if (!gate(t)) return;
    const transaction = start('success');
    for await (const event of transaction.events()) {
      if (event.type === 'prompt') transaction.cancel();
    }
    assertClientError(await transaction.outcome, 'CANCELLED');
  });
});

describe('socket transport: choosing the socket, falling back, failing closed', () => {
  let fake: FakeHelperForTest;
  let dir: string;
  before(() => {
    fake = installFakeHelperForTest();
    dir = tempDir();
  });
  after(() => {
    fake.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (socketPath: string, scenario = 'success') =>
    runPamTransaction({
      socketPath,
      helperPath: fake.path,
      service: 'bastion-greeter',
      user: 'alice',
      env: { FAKE_HELPER_SCENARIO: scenario },
      deadlineMs: 10_000,
      killGraceMs: 200,
    });

  it('no socket file (ENOENT) → the setuid binary is spawned', async () => {
    const transaction = start(join(dir, 'absent.sock'));
    const { outcome } = await answerAll(transaction, 'right');
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(transaction.transport, 'spawn');
    assert.equal(typeof transaction.pid, 'number');
  });

  it('a socket file nobody listens on (ECONNREFUSED, a stopped unit) → spawned', async (t) => {
    if (!requireOrSkip(t, spawnSync(PYTHON, ['-V']).status === 0, PYTHON)) return;
    const stale = join(dir, 'stale.sock');
    // Bound, never listening, and the process gone: what a stopped socket unit leaves.
    const bound = spawnSync(PYTHON, [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      stale,
    ]);
    assert.equal(bound.status, 0, bound.stderr.toString());
    const transaction = start(stale);
    const { outcome } = await answerAll(transaction, 'right');
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.equal(transaction.transport, 'spawn');
  });

  it('any other connect error fails closed, without spawning: ENOTDIR', async () => {
    const transaction = start('/etc/passwd/helper.sock');
    const outcome = await transaction.outcome;
    assertClientError(outcome, 'SOCKET_CONNECT_FAILED');
    assert.ok(!outcome.ok && outcome.kind === 'client-error');
    assert.equal(
      outcome.error.message,
      'cannot connect to the PAM helper socket /etc/passwd/helper.sock (ENOTDIR)',
    );
    assert.equal(transaction.transport, null);
    assert.equal(transaction.pid, undefined);
  });

  it('a full listen backlog (EAGAIN: a flood) → the setuid binary is spawned, not a lock-out', async (t) => {
    if (!requireOrSkip(t, spawnSync(PYTHON, ['-V']).status === 0, PYTHON)) return;
    const path = join(dir, 'backlog.sock');
    // listen(0) and never accept: one connection fills the queue.
    const server = spawn(
      PYTHON,
      [
        '-c',
        'import socket,sys,time\ns=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(0)\n' +
          'print("ready", flush=True)\ntime.sleep(30)',
        path,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => server.stdout.once('data', () => resolve()));
      const fillers = [start(path, 'hang'), start(path, 'hang')];
      const transaction = start(path);
      const { outcome } = await answerAll(transaction, 'right');
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      assert.equal(transaction.transport, 'spawn');
      for (const filler of fillers) filler.cancel();
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('an invalid socket path is INVALID_REQUEST and nothing is tried', async () => {
    for (const socketPath of ['relative.sock', `/${'a'.repeat(107)}`, '/tmp/a\0b']) {
      const transaction = start(socketPath);
      assertClientError(await transaction.outcome, 'INVALID_REQUEST');
      assert.equal(transaction.transport, null);
    }
  });

  it('a connection dropped at once (dropping-server-for-test: a unit limit) → MISSING_RESULT with the reason', async () => {
    const path = join(dir, 'drop.sock');
    const server = createServer((socket: Socket) => socket.destroy());
    await listen(server, path);
    try {
      for (let i = 0; i < 5; i++) {
        const transaction = start(path);
        const outcome = await transaction.outcome;
        assertClientError(outcome, 'MISSING_RESULT');
        assert.equal(transaction.transport, 'socket');
        assert.match(
          !outcome.ok && outcome.kind === 'client-error' ? outcome.error.message : '',
          /without a result.*MaxConnectionsPerSource=/,
        );
      }
    } finally {
      server.close();
    }
  });

  it('cancel() while connecting ends as CANCELLED and never spawns', async () => {
    const transaction = start(join(dir, 'absent-too.sock'));
    transaction.cancel();
    assertClientError(await transaction.outcome, 'CANCELLED');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(transaction.transport, null);
  });
});
