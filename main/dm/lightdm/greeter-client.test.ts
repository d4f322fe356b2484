// The client's rules with faults a real LightDM does not produce on demand (malformed,
// stalled or out-of-order messages, pipes closing mid-conversation): the server side here is
// a test double over in-memory streams. Real-daemon behaviour: lightdm.daemon.test.ts.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { ConversationEvent, ConversationOutcome } from '../../auth/transport';
import { encodeMessage, encodeServerMessage, GreeterMessageId, type ServerMessage } from './codec';
import {
  LightdmGreeter,
  lightdmPipesFromEnvironment,
  type LightdmGreeterOptions,
} from './greeter-client';

interface Sent {
  id: number;
  payload: Buffer;
}

/** The LightDM side of the pipes, for tests: records what the greeter sends, writes replies. */
function fakeServerForTest(): {
  options: Pick<LightdmGreeterOptions, 'input' | 'output'>;
  sent: Sent[];
  write(message: ServerMessage | Buffer): void;
  end(): void;
  nextSent(): Promise<Sent>;
} {
  const toGreeter = new PassThrough();
  const fromGreeter = new PassThrough();
  const sent: Sent[] = [];
  const waiters: ((s: Sent) => void)[] = [];
  let buffered = Buffer.alloc(0);
  fromGreeter.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 8 && buffered.length >= 8 + buffered.readUInt32BE(4)) {
      const length = buffered.readUInt32BE(4);
      const message = {
        id: buffered.readUInt32BE(0),
        payload: Buffer.from(buffered.subarray(8, 8 + length)),
      };
      buffered = buffered.subarray(8 + length);
      sent.push(message);
      waiters.shift()?.(message);
    }
  });
  let read = 0;
  return {
    options: { input: toGreeter, output: fromGreeter },
    sent,
    write: (m) => toGreeter.write(Buffer.isBuffer(m) ? m : encodeServerMessage(m)),
    end: () => toGreeter.end(),
    nextSent: () => {
      const have = sent[read];
      read += 1;
      return have ? Promise.resolve(have) : new Promise((r) => waiters.push(r));
    },
  };
}

const HINTS = new Map([
  ['default-session', 'xfce'],
  ['hide-users', 'false'],
  ['show-manual-login', 'true'],
  ['has-guest-account', 'false'],
]);

async function connected(
  extra: Partial<LightdmGreeterOptions> = {},
  hints: ReadonlyMap<string, string> = HINTS,
): Promise<{ greeter: LightdmGreeter; server: ReturnType<typeof fakeServerForTest> }> {
  const server = fakeServerForTest();
  const pending = LightdmGreeter.connect({ ...server.options, ...extra });
  const connect = await server.nextSent();
  assert.equal(connect.id, GreeterMessageId.CONNECT);
  // version string, resettable (default true), api version 1
  assert.deepEqual(connect.payload.subarray(-8), Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]));
  server.write({ type: 'connected', apiVersion: 1, version: '1.26.0', hints });
  return { greeter: await pending, server };
}

async function collect(events: AsyncGenerator<ConversationEvent>): Promise<ConversationEvent[]> {
  const out: ConversationEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

function errorCode(outcome: ConversationOutcome): string | null {
  return !outcome.ok && outcome.kind === 'client-error' ? outcome.error.code : null;
}

/** Strings of a CONTINUE_AUTHENTICATION payload. */
function continueAnswers(payload: Buffer): string[] {
  const n = payload.readUInt32BE(0);
  const out: string[] = [];
  let o = 4;
  for (let i = 0; i < n; i += 1) {
    const len = payload.readUInt32BE(o);
    out.push(payload.subarray(o + 4, o + 4 + len).toString());
    o += 4 + len;
  }
  return out;
}

const prompt = (sequence: number, messages: [1 | 2 | 3 | 4, string][]): ServerMessage => ({
  type: 'prompt-authentication',
  sequence,
  user: 'alice',
  messages: messages.map(([style, text]) => ({ style, text })),
});
const end = (sequence: number, result: number, user = 'alice'): ServerMessage => ({
  type: 'end-authentication',
  sequence,
  user,
  result,
});

describe('LightDM greeter client', () => {
  test('hints are read; the transport is kind lightdm', async () => {
    const { greeter } = await connected();
    assert.equal(greeter.transport.kind, 'lightdm');
    assert.equal(greeter.hints.defaultSession, 'xfce');
    assert.equal(greeter.hints.hideUsers, false);
    assert.equal(greeter.hints.showManualLogin, true);
    assert.equal(greeter.hints.lockScreen, false);
    greeter.close();
  });

  test('a batch of messages: events in order, one CONTINUE with one answer per prompt', async () => {
    const { greeter, server } = await connected();
    const conversation = greeter.transport.begin('alice');
    const auth = await server.nextSent();
    assert.equal(auth.id, GreeterMessageId.AUTHENTICATE);
    assert.equal(auth.payload.readUInt32BE(0), 1);
    server.write(
      prompt(1, [
        [4, 'Welcome'],
        [2, 'OTP: '],
        [3, 'Caps Lock'],
        [1, 'Password: '],
      ]),
    );
    const seen: ConversationEvent[] = [];
    for await (const event of conversation.events()) {
      seen.push(event);
      if (event.type === 'prompt') {
        conversation.answer(event.secret ? 's3cret' : '123456');
        if (!event.secret)
          assert.equal(server.sent.length, 2, 'nothing sent before the batch is answered');
        else {
          const cont = await server.nextSent();
          assert.equal(cont.id, GreeterMessageId.CONTINUE_AUTHENTICATION);
          assert.deepEqual(continueAnswers(cont.payload), ['123456', 's3cret']);
          server.write(end(1, 0));
        }
      }
    }
    assert.deepEqual(seen.slice(0, 4), [
      { type: 'info', text: 'Welcome' },
      { type: 'prompt', secret: false, text: 'OTP: ' },
      { type: 'error', text: 'Caps Lock' },
      { type: 'prompt', secret: true, text: 'Password: ' },
    ]);
    assert.deepEqual(seen[4], {
      type: 'result',
      outcome: { ok: true, result: { code: 0, name: 'PAM_SUCCESS', stage: 'authenticate' } },
    });
    greeter.close();
  });

  test('a refusal carries the PAM code and name; the next attempt uses the next sequence', async () => {
    const { greeter, server } = await connected();
    const first = greeter.transport.begin('alice');
    await server.nextSent();
    server.write(end(1, 7));
    const events = await collect(first.events());
    assert.deepEqual(events.at(-1), {
      type: 'result',
      outcome: {
        ok: false,
        kind: 'refused',
        result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
        exitCode: null,
      },
    });
    greeter.transport.begin('alice');
    assert.equal((await server.nextSent()).payload.readUInt32BE(0), 2);
    greeter.close();
  });

  test('cancel: CANCEL_AUTHENTICATION sent, CANCELLED locally, late messages of it dropped', async () => {
    const { greeter, server } = await connected();
    const conversation = greeter.transport.begin('alice');
    await server.nextSent();
    server.write(prompt(1, [[1, 'Password: ']]));
    const events = conversation.events();
    assert.equal((await events.next()).value?.type, 'prompt');
    conversation.cancel();
    assert.equal((await server.nextSent()).id, GreeterMessageId.CANCEL_AUTHENTICATION);
    const last = (await events.next()).value;
    assert.ok(last?.type === 'result');
    assert.equal(errorCode(last.outcome), 'CANCELLED');
    server.write(end(1, 0)); // in flight before the cancel: ignored, not a success
    const next = greeter.transport.begin('alice');
    await server.nextSent();
    server.write(end(2, 7));
    const result = (await collect(next.events())).at(-1);
    assert.ok(result?.type === 'result' && !result.outcome.ok && result.outcome.kind === 'refused');
    greeter.close();
  });

  test('cancel then begin at once: a late message of the cancelled one is dropped, not a protocol error', async () => {
    const { greeter, server } = await connected();
    const first = greeter.transport.begin('alice');
    await server.nextSent();
    server.write(prompt(1, [[1, 'Please enter the PIN: ']]));
    const events = first.events();
    await events.next();
    first.cancel();
    await server.nextSent(); // CANCEL_AUTHENTICATION
    const second = greeter.transport.begin('alice');
    assert.equal((await server.nextSent()).payload.readUInt32BE(0), 2);
    // Already in the pipe for sequence 1: a prompt and a success. Neither reaches sequence 2.
    server.write(prompt(1, [[1, 'Password: ']]));
    server.write(end(1, 0));
    server.write(prompt(2, [[1, 'Password: ']]));
    const secondEvents = second.events();
    const seen = (await secondEvents.next()).value;
    assert.ok(seen?.type === 'prompt' && seen.text === 'Password: ');
    second.answer('pw');
    await server.nextSent();
    server.write(end(2, 7));
    const rest = await collect(secondEvents);
    const result = rest.at(-1);
    assert.ok(result?.type === 'result' && !result.outcome.ok && result.outcome.kind === 'refused');
    // A sequence never used is still a protocol violation.
    const third = greeter.transport.begin('alice');
    await server.nextSent();
    server.write(prompt(9, [[1, 'Password: ']]));
    const end3 = (await collect(third.events())).at(-1);
    assert.ok(end3?.type === 'result' && !end3.outcome.ok && end3.outcome.kind === 'client-error');
    greeter.close();
  });

  test('answers: no prompt, NUL, too large, after the end → typed errors, nothing sent', async () => {
    const { greeter, server } = await connected();
    const conversation = greeter.transport.begin('alice');
    await server.nextSent();
    assert.throws(() => conversation.answer('x'), { code: 'NO_PENDING_PROMPT' });
    server.write(prompt(1, [[1, 'Password: ']]));
    const events = conversation.events();
    await events.next();
    assert.throws(() => conversation.answer('a\0b'), { code: 'ANSWER_HAS_NUL' });
    assert.throws(() => conversation.answer('x'.repeat(513)), { code: 'ANSWER_TOO_LARGE' });
    assert.equal(server.sent.length, 2);
    conversation.cancel();
    assert.throws(() => conversation.answer('x'), { code: 'TRANSACTION_OVER' });
    greeter.close();
  });

  test('success for another user than the one asked for is USER_CHANGED', async () => {
    const { greeter, server } = await connected();
    const conversation = greeter.transport.begin('alice');
    await server.nextSent();
    server.write(end(1, 0, 'mallory'));
    const result = (await collect(conversation.events())).at(-1);
    assert.ok(result?.type === 'result');
    assert.equal(errorCode(result.outcome), 'USER_CHANGED');
    assert.equal(
      (await greeter.transport.startSession!({ name: '', command: [], env: [] })).ok,
      false,
    );
    greeter.close();
  });

  test('manual login (empty user) accepts the user PAM settled on', async () => {
    const { greeter, server } = await connected();
    const conversation = greeter.transport.begin('');
    await server.nextSent();
    server.write(end(1, 0, 'bob'));
    const result = (await collect(conversation.events())).at(-1);
    assert.ok(result?.type === 'result' && result.outcome.ok);
    greeter.close();
  });

  test('autologin-user is refused without sending anything', async () => {
    const hints = new Map([...HINTS, ['autologin-user', 'kiosk'], ['autologin-timeout', '10']]);
    const { greeter, server } = await connected({}, hints);
    assert.deepEqual(greeter.hints.autologin, {
      user: 'kiosk',
      guest: false,
      timeoutSeconds: 10,
      session: null,
    });
    const result = (await collect(greeter.transport.begin('kiosk').events())).at(-1);
    assert.ok(result?.type === 'result');
    assert.equal(errorCode(result.outcome), 'AUTOLOGIN_REFUSED');
    assert.equal(server.sent.length, 1, 'only CONNECT');
    greeter.close();
  });

  const faults: [string, (s: ReturnType<typeof fakeServerForTest>) => void, string][] = [
    ['the pipes close mid-conversation', (s) => s.end(), 'CONNECTION_CLOSED'],
    [
      'the pipes close inside a message',
      (s) => {
        s.write(encodeServerMessage(end(1, 0)).subarray(0, 10));
        s.end();
      },
      'CONNECTION_CLOSED',
    ],
    ['END for another sequence', (s) => s.write(end(9, 0)), 'UNEXPECTED_MESSAGE'],
    [
      'a second CONNECTED',
      (s) => s.write({ type: 'connected', apiVersion: 1, version: 'x', hints: new Map() }),
      'UNEXPECTED_MESSAGE',
    ],
    [
      'SESSION_RESULT never asked for',
      (s) => s.write({ type: 'session-result', code: 0 }),
      'UNEXPECTED_MESSAGE',
    ],
    [
      'a message LightDM cut (PAM text over 1 KiB)',
      (s) =>
        s.write(Buffer.concat([encodeMessage(1).subarray(0, 4), Buffer.from([0, 0, 5, 0xdc])])),
      'MESSAGE_TOO_LARGE',
    ],
    ['an unknown message id', (s) => s.write(encodeMessage(42)), 'MALFORMED_MESSAGE'],
    [
      'bad UTF-8 in a prompt',
      (s) =>
        s.write(
          encodeMessage(1, [
            Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff]),
          ]),
        ),
      'MALFORMED_MESSAGE',
    ],
    [
      'a second PROMPT before the first is answered',
      (s) => {
        s.write(prompt(1, [[1, 'P']]));
        s.write(prompt(1, [[1, 'P']]));
      },
      'UNEXPECTED_MESSAGE',
    ],
  ];
  for (const [name, fault, code] of faults) {
    test(`fail closed: ${name} → ${code}, connection over`, async () => {
      const { greeter, server } = await connected();
      const conversation = greeter.transport.begin('alice');
      await server.nextSent();
      fault(server);
      const result = (await collect(conversation.events())).at(-1);
      assert.ok(result?.type === 'result');
      assert.equal(result.outcome.ok, false);
      assert.equal(errorCode(result.outcome), code);
      const ended = await greeter.ended;
      assert.equal(ended.sessionStarted, false);
      const after = (await collect(greeter.transport.begin('alice').events())).at(-1);
      assert.ok(after?.type === 'result');
      assert.equal(errorCode(after.outcome), 'CONNECTION_CLOSED');
    });
  }

  test('a message begun and never finished is STALLED, not a hang', async () => {
    const { greeter, server } = await connected({ stallTimeoutMs: 50 });
    const conversation = greeter.transport.begin('alice');
    await server.nextSent();
    server.write(encodeServerMessage(prompt(1, [[1, 'Password: ']])).subarray(0, 12));
    const result = (await collect(conversation.events())).at(-1);
    assert.ok(result?.type === 'result');
    assert.equal(errorCode(result.outcome), 'STALLED');
  });

  test('the conversation deadline cancels as TIMEOUT', async () => {
    const { greeter, server } = await connected({ conversationDeadlineMs: 30 });
    const conversation = greeter.transport.begin('alice');
    await server.nextSent();
    const result = (await collect(conversation.events())).at(-1);
    assert.ok(result?.type === 'result');
    assert.equal(errorCode(result.outcome), 'TIMEOUT');
    assert.equal((await server.nextSent()).id, GreeterMessageId.CANCEL_AUTHENTICATION);
    greeter.close();
  });

  test('no CONNECTED in time, or another message first, fails the connect', async () => {
    const silent = fakeServerForTest();
    await assert.rejects(LightdmGreeter.connect({ ...silent.options, connectTimeoutMs: 30 }), {
      code: 'CONNECT_TIMEOUT',
    });
    const rude = fakeServerForTest();
    const pending = LightdmGreeter.connect(rude.options);
    rude.write({ type: 'idle' });
    await assert.rejects(pending, { code: 'UNEXPECTED_MESSAGE' });
  });

  test('start session: refused before a success, SESSION_RESULT 1 refused, 0 ok', async () => {
    const { greeter, server } = await connected();
    const request = { name: 'xfce', command: [], env: [] };
    const early = await greeter.transport.startSession!(request);
    assert.ok(!early.ok && early.error.code === 'NOT_AUTHENTICATED');
    for (const [code, ok] of [
      [1, false],
      [0, true],
    ] as const) {
      const c = greeter.transport.begin('alice');
      await server.nextSent();
      server.write(end(server.sent.at(-1)!.payload.readUInt32BE(0), 0));
      await collect(c.events());
      const pending = greeter.transport.startSession!(request);
      const start = await server.nextSent();
      assert.equal(start.id, GreeterMessageId.START_SESSION);
      assert.equal(start.payload.subarray(4).toString(), 'xfce');
      server.write({ type: 'session-result', code });
      const outcome = await pending;
      assert.equal(outcome.ok, ok);
      if (!outcome.ok) assert.equal(outcome.error.code, 'SESSION_REFUSED');
    }
    let idle = 0;
    greeter.onIdle(() => (idle += 1));
    server.write({ type: 'idle' });
    await new Promise((r) => setImmediate(r));
    assert.equal(idle, 1);
    server.end();
    assert.deepEqual(await greeter.ended, { reason: 'closed', sessionStarted: true, error: null });
  });

  test('SIGTERM after START_SESSION: the SESSION_RESULT already sent is read, then exit', async () => {
    const exits: number[] = [];
    const { greeter, server } = await connected({ exitProcess: (code) => exits.push(code) });
    const c = greeter.transport.begin('alice');
    await server.nextSent();
    server.write(end(1, 0));
    await collect(c.events());
    const pending = greeter.transport.startSession!({ name: '', command: [], env: [] });
    await server.nextSent();
    greeter.handleTermination(); // LightDM signals first, then writes the result
    server.write({ type: 'session-result', code: 0 });
    assert.deepEqual(await pending, { ok: true });
    assert.deepEqual(await greeter.ended, {
      reason: 'terminated',
      sessionStarted: true,
      error: null,
    });
  });

  test('RESET (lock): new hints with lock-screen, a running conversation fails closed', async () => {
    const { greeter, server } = await connected();
    const resets: boolean[] = [];
    greeter.onReset((h) => resets.push(h.lockScreen));
    const c = greeter.transport.begin('alice');
    await server.nextSent();
    server.write({
      type: 'reset',
      hints: new Map([...HINTS, ['lock-screen', 'true'], ['select-user', 'alice']]),
    });
    const result = (await collect(c.events())).at(-1);
    assert.ok(result?.type === 'result');
    assert.equal(errorCode(result.outcome), 'RESET');
    // LightDM's side of that conversation is cancelled too, not left half-open.
    assert.equal((await server.nextSent()).id, GreeterMessageId.CANCEL_AUTHENTICATION);
    assert.deepEqual(resets, [true]);
    assert.equal(greeter.hints.selectUser, 'alice');
    greeter.close();
  });

  test('property: whatever bytes LightDM sends, success needs END 0 for our sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), async (raw) => {
        const { greeter, server } = await connected({ stallTimeoutMs: 5 });
        const c = greeter.transport.begin('alice');
        await server.nextSent();
        server.write(Buffer.from(raw));
        server.end();
        const result = (await collect(c.events())).at(-1);
        assert.ok(result?.type === 'result');
        if (result.outcome.ok) {
          // Only possible if the bytes held a whole END_AUTHENTICATION(1, alice, 0).
          assert.ok(Buffer.from(raw).includes(encodeServerMessage(end(1, 0))));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('pipes from the environment: both or none, decimal, distinct', () => {
    assert.equal(lightdmPipesFromEnvironment({}), null);
    assert.deepEqual(
      lightdmPipesFromEnvironment({ LIGHTDM_TO_SERVER_FD: '9', LIGHTDM_FROM_SERVER_FD: '7' }),
      { toServerFd: 9, fromServerFd: 7 },
    );
    for (const env of [
      { LIGHTDM_TO_SERVER_FD: '9' },
      { LIGHTDM_TO_SERVER_FD: '9', LIGHTDM_FROM_SERVER_FD: 'x' },
      { LIGHTDM_TO_SERVER_FD: '-1', LIGHTDM_FROM_SERVER_FD: '7' },
      { LIGHTDM_TO_SERVER_FD: '7', LIGHTDM_FROM_SERVER_FD: '7' },
    ]) {
      assert.throws(() => lightdmPipesFromEnvironment(env), { code: 'ENVIRONMENT_INVALID' });
    }
  });
});
