// The socket-activated helper (test build, `--socket` under systemd-socket-activate --accept
// --inetd) on real libpam via pam_wrapper: what only the socket mode has — the caller is the
// socket's peer (SO_PEERCRED), raw frames on a bare connection — and the client's choice
// between the socket and the setuid binary with the real helper on both sides.
// The PAM cases shared with the setuid way are in helper-client.pam.test.ts.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matrixService } from '../../testkit/pam-stack';
import { findExecutable, requireOrSkip } from '../../testkit/require';
import { encodeFrame, FrameDecoder, FrameType, type Frame } from './frames';
import { runPamTransaction, type PamOutcome, type PamTransaction } from './helper-client';
import {
  createHelperFixture,
  hasHelperTestBuild,
  HELPER_TEST_BINARY,
  type HelperFixture,
} from './test/real-helper';
import {
  SOCKET_ACTIVATE,
  startSocketActivatedHelper,
  type SocketActivatedHelper,
} from '../../testkit/socket-activate';

const SERVICE = 'bastion-greeter';
const PYTHON = '/usr/bin/python3';
const SETPRIV = findExecutable('setpriv');
const NOBODY = { uid: 65534, gid: 65534, name: 'nobody' };
const RELAY_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'test', 'uid-relay-for-test.py');

async function answerAll(transaction: PamTransaction, answer: string): Promise<PamOutcome> {
  for await (const event of transaction.events()) {
    if (event.type === 'prompt') transaction.answer(answer);
  }
  return transaction.outcome;
}

/**
 * Sends raw bytes on a bare connection, half-closes, and returns every frame the helper sent
 * before the connection ended, with how it ended: `error` is set when the kernel reset it
 * (the helper closed with some of our bytes unread, which it may: it stops at the first bad
 * byte).
 */
function rawExchange(
  path: string,
  bytes: Buffer,
): Promise<{ frames: Frame[]; cutFrame: boolean; error: string | null }> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    let error: string | null = null;
    const socket = createConnection({ path, allowHalfOpen: true }, () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? 'unknown'));
    socket.on('close', () => {
      let cutFrame = false;
      try {
        decoder.end();
      } catch {
        cutFrame = true;
      }
      resolve({ frames, cutFrame, error });
    });
  });
}

interface UidRelay {
  path: string;
  stop(): Promise<void>;
}

/** uid-relay-for-test.py as `nobody`: the helper's peer for connections made through it. */
async function startRelayAsNobody(target: string): Promise<UidRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-relay-'));
  chownSync(dir, NOBODY.uid, NOBODY.gid);
  chmodSync(dir, 0o755);
  const script = join(dir, 'relay.py');
  copyFileSync(RELAY_SCRIPT, script);
  chmodSync(script, 0o644);
  const path = join(dir, 'relay.sock');
  const child: ChildProcess = spawn(
    SETPRIV!,
    [
      `--reuid=${NOBODY.uid}`,
      `--regid=${NOBODY.gid}`,
      '--clear-groups',
      PYTHON,
      script,
      path,
      target,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`relay exited (${code})`)));
  });
  return {
    path,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('socket-activated helper (test build, --socket): caller by SO_PEERCRED, raw frames, fallback', () => {
  let fixture: HelperFixture;
  let activated: SocketActivatedHelper;
  const available = hasHelperTestBuild() && SOCKET_ACTIVATE !== null;
  const gate = (t: TestContext) =>
    requireOrSkip(
      t,
      available,
      `the helper test build (${HELPER_TEST_BINARY}), libpam-wrapper or systemd-socket-activate`,
    );
  const relayAvailable = () =>
    SETPRIV !== null && spawnSync(PYTHON, ['-V']).status === 0 && process.getuid?.() === 0;

  before(async () => {
    if (!available) return;
    fixture = createHelperFixture(
      {
        services: { [SERVICE]: matrixService() },
        users: [
          { user: 'alice', password: 'correct horse', service: SERVICE },
          { user: NOBODY.name, password: 'nobody-pass', service: SERVICE },
        ],
      },
      { BASTION_TEST_DEADLINE_MS: '20000' },
    );
    activated = await startSocketActivatedHelper({ binary: HELPER_TEST_BINARY, env: fixture.env });
  });
  after(async () => {
    await activated?.stop();
    assert.doesNotMatch(activated?.log() ?? '', /Sanitizer/, 'sanitizer report from the helper');
    fixture?.cleanup();
  });

  const viaSocket = (socketPath: string, user: string) =>
    runPamTransaction({
      socketPath,
      // No setuid fallback: a case the socket did not carry fails.
      helperPath: '/nonexistent/bastion-pam-helper',
      service: SERVICE,
      user,
      deadlineMs: 30_000,
    });

  describe('a caller that is not root nor in the greeter group (nobody, through a uid relay)', () => {
    let relay: UidRelay | null = null;
    before(async () => {
      if (available && relayAvailable()) relay = await startRelayAsNobody(activated.path);
    });
    after(async () => relay?.stop());
    const relayGate = (t: TestContext) =>
      gate(t) &&
      requireOrSkip(t, relayAvailable(), `setpriv, ${PYTHON} and root (to become nobody)`);

    it('asking for another user → BASTION_CALLER_NOT_ALLOWED, PAM never runs', async (t) => {
      if (!relayGate(t)) return;
      const transaction = viaSocket(relay!.path, 'alice');
      const events: string[] = [];
      for await (const event of transaction.events()) events.push(event.type);
      const outcome = await transaction.outcome;
      assert.equal(transaction.transport, 'socket');
      assert.deepEqual(events, ['result'], 'no prompt: refused before PAM');
      assert.deepEqual(outcome, {
        ok: false,
        kind: 'refused',
        result: { code: 6, name: 'BASTION_CALLER_NOT_ALLOWED', stage: 'helper' },
        exitCode: null,
      });
    });

    it('asking for itself → allowed: right password succeeds, wrong one is PAM_AUTH_ERR', async (t) => {
      if (!relayGate(t)) return;
      const ok = viaSocket(relay!.path, NOBODY.name);
      assert.deepEqual(await answerAll(ok, 'nobody-pass'), {
        ok: true,
        result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' },
      });
      assert.equal(ok.transport, 'socket');
      const wrong = viaSocket(relay!.path, NOBODY.name);
      const outcome = await answerAll(wrong, 'not it');
      assert.ok(!outcome.ok && outcome.kind === 'refused', JSON.stringify(outcome));
      assert.equal(outcome.result.name, 'PAM_AUTH_ERR');
    });

    it('the same request straight from root (uid 0) is allowed for another user', async (t) => {
      if (!relayGate(t)) return;
      const transaction = viaSocket(activated.path, 'alice');
      assert.equal((await answerAll(transaction, 'correct horse')).ok, true);
      assert.equal(transaction.transport, 'socket');
    });
  });

  describe('malformed frames on a bare connection → RESULT BASTION_PROTOCOL, then the end', () => {
    const startFrame = encodeFrame(FrameType.START, `${SERVICE}\0alice`);
    const cases: [string, Buffer][] = [
      ['end of stream before START', Buffer.alloc(0)],
      ['a zero-length frame', Buffer.from([0, 0, 0, 0])],
      ['a length over the limit', Buffer.from([0x7f, 0xff, 0xff, 0xff, FrameType.START])],
      ['a truncated START', startFrame.subarray(0, startFrame.length - 3)],
      ['START without the NUL', encodeFrame(FrameType.START, `${SERVICE}alice`)],
      ['an ANSWER first', encodeFrame(FrameType.ANSWER, 'correct horse')],
      ['an unknown frame type', Buffer.from([0, 0, 0, 1, 0x42])],
    ];
    for (const [name, bytes] of cases) {
      it(name, async (t) => {
        if (!gate(t)) return;
        const { frames, cutFrame, error } = await rawExchange(activated.path, bytes);
        assert.ok(!cutFrame, 'the stream ends on a frame boundary');
        assert.ok(error === null || error === 'ECONNRESET', `connection error ${error}`);
        assert.deepEqual(
          frames.map((f) => [f.type, f.payload.toString('utf8')]),
          [[FrameType.RESULT, '19:BASTION_PROTOCOL:helper']],
        );
      });
    }
  });

  describe('choosing the transport with the real helper on both sides', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'bastion-choose-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const preferSocket = (socketPath: string) =>
      runPamTransaction({
        socketPath,
        helperPath: HELPER_TEST_BINARY,
        env: fixture.env,
        service: SERVICE,
        user: 'alice',
        deadlineMs: 30_000,
      });

    it('the socket exists → the socket carries it, nothing is spawned', async (t) => {
      if (!gate(t)) return;
      const transaction = preferSocket(activated.path);
      assert.equal((await answerAll(transaction, 'correct horse')).ok, true);
      assert.equal(transaction.transport, 'socket');
      assert.equal(transaction.pid, undefined);
    });

    it('no socket (ENOENT) → the setuid way, the same answer', async (t) => {
      if (!gate(t)) return;
      const transaction = preferSocket(join(dir, 'absent.sock'));
      assert.equal((await answerAll(transaction, 'correct horse')).ok, true);
      assert.equal(transaction.transport, 'spawn');
      assert.equal(typeof transaction.pid, 'number');
    });

    it('a stopped listener (ECONNREFUSED) → the setuid way', async (t) => {
      if (!gate(t)) return;
      // A socket file nobody listens on: what a stopped socket unit leaves behind.
      const stale = join(dir, 'stale.sock');
      const bound = spawnSync(PYTHON, [
        '-c',
        'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
        stale,
      ]);
      assert.equal(bound.status, 0);
      const transaction = preferSocket(stale);
      assert.equal((await answerAll(transaction, 'correct horse')).ok, true);
      assert.equal(transaction.transport, 'spawn');
    });
  });
});
