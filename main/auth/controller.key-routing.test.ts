// Routing between the password and the key conversations, with a STAND-IN transport
// (ScriptedTransportForTest) whose two conversations both ask a masked prompt: answers must go
// by which conversation asked, and pam_u2f's PIN prompt is never answered from the password
// field, whichever conversation carries it. The real helper and
// real pam_u2f run the same paths in controller.u2f.pam.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthController, AuthControllerError, PAM_U2F_PIN_PROMPT } from './controller';
import type {
  AuthConversation,
  AuthTransport,
  ConversationEvent,
  ConversationOutcome,
} from './transport';

const SUCCESS: ConversationOutcome = {
  ok: true,
  result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' },
};
const AUTH_ERR: ConversationOutcome = {
  ok: false,
  kind: 'refused',
  result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
  exitCode: 1,
};
const CANCELLED: ConversationOutcome = {
  ok: false,
  kind: 'refused',
  result: { code: 26, name: 'BASTION_CANCELLED', stage: 'helper' },
  exitCode: 3,
};

/** A conversation the test scripts by hand: push events, see answers and cancels. */
class ScriptedConversationForTest implements AuthConversation {
  readonly transport = 'stand-in';
  readonly answers: string[] = [];
  cancelled = false;
  private queue: ConversationEvent[] = [];
  private wake: (() => void) | null = null;
  private ended = false;

  push(event: ConversationEvent): void {
    this.queue.push(event);
    this.wake?.();
  }
  answer(text: string): void {
    this.answers.push(text);
  }
  cancel(): void {
    if (this.cancelled || this.ended) return;
    this.cancelled = true;
    this.push({ type: 'result', outcome: CANCELLED });
  }
  async *events(): AsyncGenerator<ConversationEvent> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((r) => (this.wake = r));
      const event = this.queue.shift()!;
      if (event.type === 'result') this.ended = true;
      yield event;
      if (this.ended) return;
    }
  }
}

class ScriptedTransportForTest implements AuthTransport {
  readonly kind = 'helper' as const;
  readonly runs: ScriptedConversationForTest[] = [];
  begin(): AuthConversation {
    const conversation = new ScriptedConversationForTest();
    this.runs.push(conversation);
    return conversation;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function make() {
  const password = new ScriptedTransportForTest();
  const key = new ScriptedTransportForTest();
  const controller = new AuthController({
    transport: password,
    keyTransport: key,
    keyPinRetries: async () => 5,
    helperPath: '/nonexistent',
    service: 'bastion-greeter',
  });
  return { controller, password, key };
}

async function bothPrompting(m: ReturnType<typeof make>) {
  await m.controller.start('alice');
  await tick();
  const pw = m.password.runs[0]!;
  const key = m.key.runs[0]!;
  // Both masked: which conversation asked decides where an answer goes. (pam_u2f's PIN text on
  // the password side ends that side unanswered: the last test below.)
  pw.push({ type: 'prompt', secret: true, text: 'Password: ' });
  key.push({ type: 'prompt', secret: true, text: PAM_U2F_PIN_PROMPT });
  await tick();
  return { pw, key };
}

describe('the password and the key conversations (stand-in transport)', () => {
  it('the password field only ever answers the password conversation, the PIN field only the key', async () => {
    const m = make();
    const { pw, key } = await bothPrompting(m);
    assert.equal(m.controller.snapshot().phase, 'prompting');
    assert.equal(m.controller.keySnapshot().phase, 'pin');
    assert.equal(m.controller.keySnapshot().pinRetries, 5);
    m.controller.answer('hunter2');
    assert.deepEqual(pw.answers, ['hunter2']);
    assert.deepEqual(key.answers, []);
    m.controller.answerKeyPin('1234');
    assert.deepEqual(key.answers, ['1234']);
    assert.deepEqual(pw.answers, ['hunter2']);
    // No prompt open on the key side any more: a PIN is refused, not sent anywhere.
    assert.throws(
      () => m.controller.answerKeyPin('5678'),
      (e: unknown) => e instanceof AuthControllerError && e.code === 'NOT_PROMPTING',
    );
    assert.deepEqual(key.answers, ['1234']);
    await m.controller.close();
  });

  it('a password answer while only the key asks is refused (never sent to the key)', async () => {
    const m = make();
    await m.controller.start('alice');
    await tick();
    m.key.runs[0]!.push({ type: 'prompt', secret: true, text: 'Please enter the PIN: ' });
    await tick();
    assert.equal(m.controller.keySnapshot().phase, 'pin');
    assert.throws(() => m.controller.answer('hunter2'), /no prompt/);
    assert.deepEqual(m.key.runs[0]!.answers, []);
    await m.controller.close();
  });

  it('the key refused: the password side goes on and succeeds', async () => {
    const m = make();
    const { pw, key } = await bothPrompting(m);
    m.controller.answerKeyPin('0000');
    key.push({ type: 'result', outcome: AUTH_ERR });
    await m.controller.keyIdle();
    assert.equal(m.controller.keySnapshot().phase, 'refused');
    assert.equal(m.controller.keySnapshot().problem, 'pin-wrong');
    assert.equal(m.controller.snapshot().phase, 'prompting');
    m.controller.answer('hunter2');
    pw.push({ type: 'result', outcome: SUCCESS });
    await m.controller.idle();
    assert.equal(m.controller.snapshot().phase, 'success');
    await m.controller.close();
  });

  it('the key wins: the password conversation is cancelled and its end is no failure', async () => {
    const m = make();
    const { pw, key } = await bothPrompting(m);
    key.push({ type: 'info', text: 'Please touch the device.' });
    await tick();
    assert.equal(m.controller.keySnapshot().phase, 'touch');
    const phases: string[] = [];
    m.controller.subscribe((s) => phases.push(s.phase));
    key.push({ type: 'result', outcome: SUCCESS });
    await m.controller.keyIdle();
    await m.controller.idle();
    assert.equal(pw.cancelled, true);
    assert.equal(m.controller.snapshot().phase, 'success');
    assert.ok(!phases.includes('failure'), phases.join(','));
    await m.controller.close();
  });

  it('the password wins: the key conversation is cancelled and shown as off, not refused', async () => {
    const m = make();
    const { pw, key } = await bothPrompting(m);
    m.controller.answer('hunter2');
    pw.push({ type: 'result', outcome: SUCCESS });
    await m.controller.idle();
    assert.equal(key.cancelled, true);
    assert.equal(m.controller.keySnapshot().phase, 'off');
    await m.controller.close();
  });

  it('a wrong password does not end the key; a touch afterwards still unlocks', async () => {
    const m = make();
    const { pw, key } = await bothPrompting(m);
    m.controller.answer('wrong');
    pw.push({ type: 'result', outcome: AUTH_ERR });
    await m.controller.idle();
    assert.equal(m.controller.snapshot().phase, 'failure');
    assert.equal(key.cancelled, false);
    key.push({ type: 'info', text: 'Please touch the device.' });
    key.push({ type: 'result', outcome: SUCCESS });
    await m.controller.keyIdle();
    assert.equal(m.controller.snapshot().phase, 'success');
    await m.controller.close();
  });

  it('"use password instead" cancels the key only, and no new key run starts for that user', async () => {
    const m = make();
    const { pw, key } = await bothPrompting(m);
    await m.controller.cancelKey();
    assert.equal(key.cancelled, true);
    assert.equal(pw.cancelled, false);
    assert.equal(m.controller.keySnapshot().phase, 'off');
    m.controller.answer('wrong');
    pw.push({ type: 'result', outcome: AUTH_ERR });
    await m.controller.idle();
    await m.controller.start('alice');
    await tick();
    assert.equal(m.key.runs.length, 1, 'no second key run for alice');
    await m.controller.close();
  });

  it('no key transaction when keys are not ready (disabled, none plugged in)', async () => {
    const password = new ScriptedTransportForTest();
    const key = new ScriptedTransportForTest();
    const controller = new AuthController({
      transport: password,
      keyTransport: key,
      keyReady: async () => false,
      helperPath: '/nonexistent',
      service: 'bastion-greeter',
    });
    await controller.start('alice');
    await tick();
    assert.equal(key.runs.length, 0);
    assert.equal(controller.keySnapshot().phase, 'off');
    await controller.close();
  });

  it('a visible prompt on the key side (pam_u2f interactive) ends the key, never answered', async () => {
    const m = make();
    await m.controller.start('alice');
    await tick();
    const key = m.key.runs[0]!;
    key.push({ type: 'prompt', secret: false, text: 'Insert your U2F device, then press ENTER.' });
    await m.controller.keyIdle();
    assert.equal(key.cancelled, true);
    assert.deepEqual(key.answers, []);
    assert.equal(m.controller.keySnapshot().phase, 'off');
    await m.controller.close();
  });

  it("a masked prompt on the key side that is not pam_u2f's PIN prompt ends the key, never answered (issue #9 review, finding 1)", async () => {
    const lines: string[] = [];
    const password = new ScriptedTransportForTest();
    const keys = new ScriptedTransportForTest();
    const controller = new AuthController({
      transport: password,
      keyTransport: keys,
      keyPinRetries: async () => 5,
      helperPath: '/nonexistent',
      service: 'bastion-greeter',
      log: (line) => lines.push(line),
    });
    await controller.start('alice');
    await tick();
    const key = keys.runs[0]!;
    // What libpam's `other` (common-auth) asks when the key service has no file.
    key.push({ type: 'prompt', secret: true, text: 'Password: ' });
    await controller.keyIdle();
    assert.equal(key.cancelled, true);
    assert.deepEqual(key.answers, []);
    assert.equal(controller.keySnapshot().phase, 'off');
    assert.ok(
      lines.some((l) => /not pam_u2f's PIN prompt/.test(l)),
      lines.join('\n'),
    );
    await controller.close();
  });

  it('a key success without the touch cue or a PIN (pam_u2f alwaysok/nouserok) is no login (issue #9 review, finding 3)', async () => {
    const lines: string[] = [];
    const password = new ScriptedTransportForTest();
    const keys = new ScriptedTransportForTest();
    const controller = new AuthController({
      transport: password,
      keyTransport: keys,
      helperPath: '/nonexistent',
      service: 'bastion-greeter',
      log: (line) => lines.push(line),
    });
    await controller.start('alice');
    await tick();
    password.runs[0]!.push({ type: 'prompt', secret: true, text: 'Password: ' });
    keys.runs[0]!.push({ type: 'result', outcome: SUCCESS });
    await controller.keyIdle();
    assert.equal(controller.snapshot().phase, 'prompting', 'not unlocked');
    assert.equal(controller.keySnapshot().phase, 'refused');
    assert.equal(password.runs[0]!.cancelled, false, 'the password side goes on');
    assert.equal(lines.filter((l) => /without pam_u2f's touch cue or a PIN/.test(l)).length, 1);
    await controller.close();
  });

  it('a key success after a PIN (no cue) unlocks', async () => {
    const m = make();
    const { pw, key } = await bothPrompting(m);
    m.controller.answerKeyPin('1234');
    key.push({ type: 'result', outcome: SUCCESS });
    await m.controller.keyIdle();
    await m.controller.idle();
    assert.equal(pw.cancelled, true);
    assert.equal(m.controller.snapshot().phase, 'success');
    await m.controller.close();
  });
});

describe("pam_u2f's PIN prompt on the password conversation (stand-in transport)", () => {
  it('is never answered from the password field: the attempt ends as unavailable', async () => {
    const lines: string[] = [];
    const password = new ScriptedTransportForTest();
    const controller = new AuthController({
      transport: password,
      helperPath: '/nonexistent',
      service: 'bastion-greeter',
      log: (line) => lines.push(line),
    });
    await controller.start('alice');
    await tick();
    const pw = password.runs[0]!;
    pw.push({ type: 'prompt', secret: true, text: PAM_U2F_PIN_PROMPT });
    await tick();
    assert.equal(pw.cancelled, true);
    assert.deepEqual(pw.answers, []);
    assert.equal(controller.snapshot().phase, 'failure');
    assert.equal(controller.snapshot().failure?.reason, 'unavailable');
    assert.throws(() => controller.answer('hunter2'), AuthControllerError);
    assert.deepEqual(pw.answers, []);
    assert.match(lines.join('\n'), /PIN prompt on the password conversation, not answered/);
    await controller.close();
  });
});
