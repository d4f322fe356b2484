// The greetd transport against a stand-in socket (./test/greetd-standin-for-test.ts): the
// conversation mapping (prompts, info/error acknowledged, auth_error → refused + cancel_session,
// cancel, start_session) and, above all, the hostile replies: each must end in a clean,
// typed failure within a bound, never a hang, a crash or a success.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type {
  AuthConversation,
  ConversationEvent,
  ConversationOutcome,
} from '../../auth/transport';
import { GreetdTransport, type GreetdTransportOptions } from './greetd-client';
import { MAX_ANSWER_BYTES, MAX_REPLY_BYTES } from './codec';
import {
  frameJson,
  lengthPrefix,
  politeGreetd,
  startGreetdStandin,
  type GreetdStandin,
  type StandinScript,
} from './test/greetd-standin-for-test';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function rig(script: StandinScript, options: Partial<GreetdTransportOptions> = {}) {
  const standin = await startGreetdStandin(script);
  const transport = new GreetdTransport({
    socketPath: standin.path,
    replyTimeoutMs: 1_000,
    messageTimeoutMs: 300,
    ...options,
  });
  stops.push(
    () => standin.stop(),
    () => transport.close(),
  );
  return { standin, transport };
}

/** Runs a conversation answering prompts in order; returns the events and the outcome. */
async function run(
  conversation: AuthConversation,
  answers: string[] = [],
  onPrompt?: (c: AuthConversation) => boolean,
): Promise<{ events: ConversationEvent[]; outcome: ConversationOutcome; ms: number }> {
  const t0 = performance.now();
  const events: ConversationEvent[] = [];
  let outcome: ConversationOutcome | null = null;
  for await (const event of conversation.events()) {
    events.push(event);
    if (event.type === 'prompt') {
      if (onPrompt?.(conversation)) continue;
      conversation.answer(answers.shift() ?? '');
    }
    if (event.type === 'result') outcome = event.outcome;
  }
  return { events, outcome: outcome!, ms: performance.now() - t0 };
}

const types = (s: GreetdStandin) => s.requests.map((r) => r.type);
const codeOf = (o: ConversationOutcome) =>
  o.ok ? 'ok' : o.kind === 'client-error' ? o.error.code : `refused:${o.result.name}`;

describe('greetd transport: the conversation', () => {
  it('relays a secret prompt and succeeds only on greetd success', async () => {
    const { standin, transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
    );
    const { events, outcome } = await run(transport.begin('alice'), ['pw']);
    assert.deepEqual(events.slice(0, -1), [{ type: 'prompt', secret: true, text: 'Password: ' }]);
    assert.deepEqual(outcome, {
      ok: true,
      result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' },
    });
    assert.deepEqual(standin.requests, [
      { type: 'create_session', username: 'alice' },
      { type: 'post_auth_message_response', response: 'pw' },
    ]);
  });

  it('acknowledges info and error messages itself, in order, with response null', async () => {
    const { standin, transport } = await rig(
      politeGreetd({
        prompts: [
          { kind: 'info', text: 'OFFLINE_ERROR:-6:30' },
          { kind: 'visible', text: 'Code: ' },
          { kind: 'error', text: 'careful' },
          { kind: 'secret', text: 'Password: ' },
        ],
        password: 'pw',
      }),
    );
    const { events, outcome } = await run(transport.begin('alice'), ['123', 'pw']);
    assert.equal(outcome.ok, true);
    assert.deepEqual(events.slice(0, -1), [
      { type: 'info', text: 'OFFLINE_ERROR:-6:30' },
      { type: 'prompt', secret: false, text: 'Code: ' },
      { type: 'error', text: 'careful' },
      { type: 'prompt', secret: true, text: 'Password: ' },
    ]);
    assert.deepEqual(
      standin.requests.map((r) => r.response),
      [undefined, null, '123', null, 'pw'],
    );
  });

  it('wrong password: refused as PAM_AUTH_ERR after cancel_session; the next attempt works', async () => {
    const { standin, transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
    );
    const first = await run(transport.begin('alice'), ['bad']);
    assert.deepEqual(first.outcome, {
      ok: false,
      kind: 'refused',
      result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
      exitCode: null,
    });
    // cancel_session went out before the outcome was told.
    assert.deepEqual(types(standin), [
      'create_session',
      'post_auth_message_response',
      'cancel_session',
    ]);
    const second = await run(transport.begin('alice'), ['pw']);
    assert.equal(second.outcome.ok, true);
  });

  it('maps greetd descriptions naming a PAM verdict; greetd errors are client errors', async () => {
    const replies = [
      { type: 'error', error_type: 'auth_error', description: 'pam_acct_mgmt: ACCT_EXPIRED' },
      { type: 'error', error_type: 'error', description: 'pam_acct_mgmt: PERM_DENIED' },
      { type: 'error', error_type: 'auth_error', description: 'something else' },
      { type: 'error', error_type: 'error', description: 'a session is\nalready being configured' },
    ];
    let i = 0;
    const { transport } = await rig((request, peer) => {
      if (request.type === 'create_session') peer.reply(replies[i++]);
      else peer.reply({ type: 'success' });
    });
    const outcomes = [];
    for (let n = 0; n < replies.length; n++)
      outcomes.push((await run(transport.begin('u'))).outcome);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? null : o.kind === 'refused' ? o.result : o.error.code)),
      [
        { code: 13, name: 'PAM_ACCT_EXPIRED', stage: 'acct_mgmt' },
        { code: 6, name: 'PAM_PERM_DENIED', stage: 'acct_mgmt' },
        { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
        'GREETD_ERROR',
      ],
    );
    const last = outcomes[3]!;
    assert.ok(!last.ok && last.kind === 'client-error');
    assert.equal(last.error.message, 'greetd: a session is already being configured');
  });

  it('cancel at a prompt sends cancel_session; the next attempt starts clean', async () => {
    const { standin, transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
    );
    const first = await run(transport.begin('alice'), [], (c) => {
      c.cancel();
      return true;
    });
    assert.equal(codeOf(first.outcome), 'CANCELLED');
    const second = await run(transport.begin('alice'), ['pw']);
    assert.equal(second.outcome.ok, true);
    assert.deepEqual(types(standin), [
      'create_session',
      'cancel_session',
      'create_session',
      'post_auth_message_response',
    ]);
  });

  it('cancel while a reply is in flight ends the attempt now and cleans up after the reply', async () => {
    const { standin, transport } = await rig((request, peer) => {
      if (request.type === 'create_session') setTimeout(() => peer.reply({ type: 'success' }), 200);
      else peer.reply({ type: 'success' });
    });
    const conversation = transport.begin('alice');
    setTimeout(() => conversation.cancel(), 20);
    const { outcome, ms } = await run(conversation);
    assert.equal(codeOf(outcome), 'CANCELLED');
    assert.ok(ms < 150, `cancel took ${ms} ms`);
    // A success arriving after the cancel is thrown away: cancel_session, and no session start.
    assert.equal(codeOf((await run(transport.begin('alice'))).outcome), 'ok');
    assert.deepEqual(types(standin), ['create_session', 'cancel_session', 'create_session']);
    assert.deepEqual(await transport.startSession({ name: '', command: ['/bin/true'], env: [] }), {
      ok: true,
    });
  });

  it('the deadline ends an attempt left at a prompt as TIMEOUT, with cancel_session', async () => {
    const { standin, transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
      { deadlineMs: 150 },
    );
    const { outcome, ms } = await run(transport.begin('alice'), [], () => true);
    assert.equal(codeOf(outcome), 'TIMEOUT');
    assert.ok(ms < 1_000);
    await transport.startSession({ name: '', command: ['/bin/true'], env: [] });
    assert.deepEqual(types(standin), ['create_session', 'cancel_session']);
  });

  it('answer() misuse is refused without sending anything', async () => {
    const { standin, transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
    );
    const conversation = transport.begin('alice');
    assert.throws(() => conversation.answer('x'), { code: 'NO_PENDING_PROMPT' });
    const { outcome } = await run(conversation, [], (c) => {
      assert.throws(() => c.answer('a\0b'), { code: 'ANSWER_HAS_NUL' });
      assert.throws(() => c.answer('x'.repeat(MAX_ANSWER_BYTES + 1)), { code: 'ANSWER_TOO_LARGE' });
      c.answer('pw');
      assert.throws(() => c.answer('pw'), { code: 'NO_PENDING_PROMPT' });
      return true;
    });
    assert.equal(outcome.ok, true);
    assert.throws(() => conversation.answer('x'), { code: 'TRANSACTION_OVER' });
    assert.equal(standin.requests.length, 2);
  });

  it('cancel then begin in the same tick (the method route taking turns): not BUSY, cleaned up first', async () => {
    const { standin, transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
    );
    let second: AuthConversation | null = null;
    const first = await run(transport.begin('alice'), [], (c) => {
      c.cancel();
      second = transport.begin('alice');
      return true;
    });
    assert.equal(codeOf(first.outcome), 'CANCELLED');
    assert.equal(codeOf((await run(second!, ['pw'])).outcome), 'ok');
    // greetd's side of the first was cancelled before the second was created.
    assert.deepEqual(types(standin), [
      'create_session',
      'cancel_session',
      'create_session',
      'post_auth_message_response',
    ]);
  });

  it('one attempt at a time', async () => {
    const { transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
    );
    const first = transport.begin('alice');
    const second = await run(transport.begin('bob'));
    assert.equal(codeOf(second.outcome), 'BUSY');
    first.cancel();
    await run(first);
  });
});

describe('greetd transport: start_session', () => {
  it('starts the session after a success and says by when the greeter must exit', async () => {
    const { standin, transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
    );
    assert.equal(
      (await transport.startSession({ name: '', command: ['/bin/sh'], env: [] })).ok,
      false,
      'no start before a success',
    );
    await run(transport.begin('alice'), ['pw']);
    let told: number | null = null;
    transport.onSessionStarted((at) => (told = at));
    const before = Date.now();
    const started = await transport.startSession({
      name: 'sway',
      command: ['/usr/bin/sway', '-d'],
      env: ['XDG_SESSION_TYPE=wayland'],
    });
    assert.deepEqual(started, { ok: true });
    assert.deepEqual(standin.requests.at(-1), {
      type: 'start_session',
      cmd: ['/usr/bin/sway', '-d'],
      env: ['XDG_SESSION_TYPE=wayland'],
    });
    assert.ok(transport.mustExitBy !== null && told === transport.mustExitBy);
    assert.ok(transport.mustExitBy >= before + 4_900 && transport.mustExitBy <= Date.now() + 5_000);
    assert.equal(codeOf((await run(transport.begin('alice'))).outcome), 'SESSION_STARTED');
  });

  it('refuses a start after a failed attempt, and a bad command before sending it', async () => {
    const { standin, transport } = await rig(
      politeGreetd({ prompts: [{ kind: 'secret', text: 'Password: ' }], password: 'pw' }),
    );
    await run(transport.begin('alice'), ['bad']);
    const refused = await transport.startSession({ name: '', command: ['/bin/sh'], env: [] });
    assert.ok(!refused.ok && refused.error.code === 'NOT_AUTHENTICATED');
    await run(transport.begin('alice'), ['pw']);
    const count = standin.requests.length;
    const bad = await transport.startSession({
      name: '',
      command: ['/bin/sh'],
      env: ['no equals'],
    });
    assert.ok(!bad.ok && bad.error.code === 'INVALID_REQUEST');
    assert.equal(standin.requests.length, count);
    assert.deepEqual(await transport.startSession({ name: '', command: ['/bin/sh'], env: [] }), {
      ok: true,
    });
  });
});

describe('greetd transport: a hostile greetd', () => {
  const BOUND_MS = 1_500; // reply 1 s, message 300 ms (rig defaults), plus slack
  const cases: [string, StandinScript, string][] = [
    ['bad JSON', (_r, p) => p.raw(frameJson('hello')), 'BAD_JSON'],
    [
      'not UTF-8',
      (_r, p) => p.raw(Buffer.concat([lengthPrefix(3), Buffer.from([0x7b, 0xc3, 0x7d])])),
      'BAD_UTF8',
    ],
    ['an unknown type', (_r, p) => p.reply({ type: 'foo' }), 'UNKNOWN_TYPE'],
    [
      'wrong field types',
      (_r, p) => p.reply({ type: 'auth_message', auth_message_type: 'secret', auth_message: 42 }),
      'BAD_FIELD',
    ],
    [
      'an unknown auth_message_type',
      (_r, p) => p.reply({ type: 'auth_message', auth_message_type: 'pin', auth_message: 'x' }),
      'BAD_FIELD',
    ],
    [
      'a huge length',
      (_r, p) => p.raw(Buffer.concat([lengthPrefix(0x7fffffff), Buffer.from('{}')])),
      'REPLY_TOO_LARGE',
    ],
    [
      'a length just above the bound',
      (_r, p) => p.raw(lengthPrefix(MAX_REPLY_BYTES + 1)),
      'REPLY_TOO_LARGE',
    ],
    ['a slow drip', (_r, p) => p.drip(frameJson({ type: 'success' }), 40), 'REPLY_STALLED'],
    ['a length with no body', (_r, p) => p.raw(lengthPrefix(100)), 'REPLY_STALLED'],
    ['silence', () => undefined, 'REPLY_TIMEOUT'],
    ['a close', (_r, p) => p.close(), 'CONNECTION_LOST'],
    [
      'a reply cut by a close',
      (_r, p) => {
        p.raw(frameJson({ type: 'success' }).subarray(0, 8));
        setTimeout(() => p.close(), 20);
      },
      'REPLY_TRUNCATED',
    ],
    [
      'two replies to one request',
      (_r, p) =>
        p.raw(Buffer.concat([frameJson({ type: 'success' }), frameJson({ type: 'success' })])),
      'UNEXPECTED_REPLY',
    ],
  ];
  for (const [what, script, code] of cases) {
    it(`${what} → ${code}, within ${BOUND_MS} ms, never a success`, async () => {
      const { transport } = await rig((request, peer, index) => {
        // The first request is hostile; afterwards a polite greetd (recovery check).
        if (index === 0) script(request, peer, index);
        else if (request.type === 'create_session') {
          peer.reply({
            type: 'auth_message',
            auth_message_type: 'secret',
            auth_message: 'Password: ',
          });
        } else peer.reply({ type: 'success' });
      });
      const { outcome, ms } = await run(transport.begin('alice'), ['pw']);
      assert.equal(codeOf(outcome), code);
      assert.ok(!outcome.ok && outcome.kind === 'client-error' && outcome.result === null);
      assert.ok(ms < BOUND_MS, `took ${ms} ms`);
      // The transport recovers: a new connection, cancel_session first, then a clean login.
      const again = await run(transport.begin('alice'), ['pw']);
      assert.equal(codeOf(again.outcome), 'ok');
    });
  }

  it('bytes nobody asked for while the person types fail the attempt at once', async () => {
    const { transport } = await rig((request, peer) => {
      if (request.type === 'create_session') {
        peer.reply({
          type: 'auth_message',
          auth_message_type: 'secret',
          auth_message: 'Password: ',
        });
        setTimeout(() => peer.reply({ type: 'success' }), 30);
      }
    });
    const { outcome, ms } = await run(transport.begin('alice'), [], () => true);
    assert.equal(codeOf(outcome), 'UNEXPECTED_REPLY');
    assert.ok(ms < 500);
  });

  it('an auth_message in reply to cancel_session is a protocol violation', async () => {
    const { transport } = await rig((request, peer) => {
      if (request.type === 'create_session') {
        peer.reply({
          type: 'error',
          error_type: 'auth_error',
          description: 'pam_authenticate: AUTH_ERR',
        });
      } else peer.reply({ type: 'auth_message', auth_message_type: 'secret', auth_message: 'x' });
    });
    // The refusal stands (PAM said no); the connection is dropped for the next attempt.
    const { outcome } = await run(transport.begin('alice'));
    assert.equal(codeOf(outcome), 'refused:PAM_AUTH_ERR');
  });

  it('no socket, or an unusable path: a clean failure', async () => {
    const missing = new GreetdTransport({ socketPath: '/nonexistent/greetd.sock' });
    assert.equal(codeOf((await run(missing.begin('alice'))).outcome), 'CONNECT_FAILED');
    const relative = new GreetdTransport({ socketPath: 'greetd.sock' });
    assert.equal(codeOf((await run(relative.begin('alice'))).outcome), 'NO_SOCKET');
    const long = new GreetdTransport({ socketPath: `/${'x'.repeat(120)}` });
    assert.equal(codeOf((await run(long.begin('alice'))).outcome), 'NO_SOCKET');
  });
});
