// The method route (touch or type over ONE display-manager conversation) with the real
// AuthController above it and a SIMULATED display manager below (OneConversationDmForTest): one
// conversation at a time (BUSY otherwise, as LightDM and greetd), each running a scripted PAM
// stack — pam_bastion_method's question, pam_u2f (cue, optional PIN, a touch), then the
// password. Real LightDM, real pam_u2f and the real module run the same paths in
// e2e/dm-lightdm-key.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthController } from './controller';
import { ConversationEventQueue } from './event-queue';
import { METHOD_PROMPT, methodRoute } from './method-route';
import { PAM_U2F_PIN_PROMPT } from './pam-u2f';
import type {
  AuthConversation,
  AuthTransport,
  ConversationEvent,
  ConversationOutcome,
  SessionRequest,
} from './transport';

const SUCCESS: ConversationOutcome = {
  ok: true,
  result: { code: 0, name: 'PAM_SUCCESS', stage: 'authenticate' },
};
const AUTH_ERR: ConversationOutcome = {
  ok: false,
  kind: 'refused',
  result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
  exitCode: null,
};
const PASSWORD = 'hunter2';
const PIN = '1234';
const CUE = 'Please touch the device.';

class Cancelled extends Error {}

/** One simulated display-manager conversation running `stack`. */
class SimulatedConversationForTest implements AuthConversation {
  readonly transport = 'lightdm';
  ended = false;
  private readonly queue = new ConversationEventQueue();
  private pending: { resolve: (text: string) => void; reject: (e: Error) => void } | null = null;
  private touchWait: { resolve: (touched: boolean) => void; reject: (e: Error) => void } | null =
    null;

  constructor(
    private readonly dm: OneConversationDmForTest,
    readonly user: string,
  ) {}

  events(): AsyncGenerator<ConversationEvent> {
    return this.queue.events();
  }

  emit(event: ConversationEvent): void {
    if (this.ended) return;
    if (event.type === 'result') {
      this.ended = true;
      if (this.dm.active === this) this.dm.active = null;
    }
    this.queue.push(event);
  }

  ask(secret: boolean, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.emit({ type: 'prompt', secret, text });
    });
  }

  info(text: string): void {
    this.emit({ type: 'info', text });
  }

  /** pam_u2f waiting for the touch: the test's dm.touch() (or dm.timeOut()) ends it. */
  waitTouch(): Promise<boolean> {
    return new Promise((resolve, reject) => (this.touchWait = { resolve, reject }));
  }

  touch(touched: boolean): boolean {
    const wait = this.touchWait;
    this.touchWait = null;
    wait?.resolve(touched);
    return wait !== null;
  }

  answer(text: string): void {
    if (this.ended) throw Object.assign(new Error('over'), { code: 'TRANSACTION_OVER' });
    const pending = this.pending;
    if (!pending) throw Object.assign(new Error('no prompt'), { code: 'NO_PENDING_PROMPT' });
    this.pending = null;
    this.dm.answers.push({ conversation: this.dm.runs.indexOf(this), text });
    pending.resolve(text);
  }

  cancel(): void {
    if (this.ended) return;
    this.pending?.reject(new Cancelled());
    this.touchWait?.reject(new Cancelled());
    this.emit({
      type: 'result',
      outcome: {
        ok: false,
        kind: 'client-error',
        error: { code: 'CANCELLED', message: 'the attempt was cancelled' },
        result: null,
      },
    });
  }
}

interface StackOptions {
  /** pam_bastion_method's line is in the stack. */
  method?: boolean;
  /** pam_u2f asks for the PIN (+pin). */
  pin?: boolean;
  /** The password prompt's text (pam_unix: "Password: "). */
  passwordPrompt?: string;
}

/** A display manager with one PAM session at a time, running a scripted stack. */
class OneConversationDmForTest implements AuthTransport {
  readonly kind = 'lightdm' as const;
  readonly runs: SimulatedConversationForTest[] = [];
  readonly answers: { conversation: number; text: string }[] = [];
  readonly sessions: { after: number }[] = [];
  active: SimulatedConversationForTest | null = null;
  lastSuccess = -1;
  busyRefusals = 0;
  stackOptions: StackOptions;

  constructor(options: StackOptions = {}) {
    this.stackOptions = { method: true, passwordPrompt: 'Password: ', ...options };
  }

  begin(user: string): AuthConversation {
    const conversation = new SimulatedConversationForTest(this, user);
    this.runs.push(conversation);
    if (this.active) {
      this.busyRefusals += 1;
      conversation.emit({
        type: 'result',
        outcome: {
          ok: false,
          kind: 'client-error',
          error: { code: 'BUSY', message: 'one authentication at a time' },
          result: null,
        },
      });
      return conversation;
    }
    this.active = conversation;
    void this.run(conversation).then(
      (outcome) => {
        if (outcome.ok) this.lastSuccess = this.runs.indexOf(conversation);
        conversation.emit({ type: 'result', outcome });
      },
      (error: unknown) => {
        if (!(error instanceof Cancelled)) throw error;
      },
    );
    return conversation;
  }

  private async run(c: SimulatedConversationForTest): Promise<ConversationOutcome> {
    const o = this.stackOptions;
    const choice = o.method ? await c.ask(false, METHOD_PROMPT) : 'key';
    if (choice !== 'password') {
      let pinOk = true;
      if (o.pin) pinOk = (await c.ask(true, PAM_U2F_PIN_PROMPT)) === PIN;
      if (pinOk) {
        c.info(CUE);
        if (await c.waitTouch()) return SUCCESS;
      }
    }
    const password = await c.ask(true, o.passwordPrompt!);
    return password === PASSWORD ? SUCCESS : AUTH_ERR;
  }

  /** The person touches the key: the waiting conversation succeeds. */
  touch(): boolean {
    return this.active?.touch(true) ?? false;
  }

  /** pam_u2f's wait ends without a touch. */
  timeOut(): boolean {
    return this.active?.touch(false) ?? false;
  }

  async startSession(_session: SessionRequest): Promise<{ ok: true }> {
    this.sessions.push({ after: this.lastSuccess });
    return { ok: true };
  }

  /** The answers conversation `index` received. */
  answersOf(index: number): string[] {
    return this.answers.filter((a) => a.conversation === index).map((a) => a.text);
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function make(options: StackOptions = {}, keyPlugged = true, deadlineMs?: number) {
  const dm = new OneConversationDmForTest(options);
  const route = methodRoute(dm, deadlineMs === undefined ? {} : { deadlineMs });
  const lines: string[] = [];
  const controller = new AuthController({
    transport: route.password,
    keyTransport: route.key,
    keyReady: async () => keyPlugged,
    keyPinRetries: async () => 7,
    helperPath: '/nonexistent',
    service: 'bastion-greeter',
    log: (line) => lines.push(line),
  });
  return { dm, route, controller, lines };
}

describe('touch or type over one display-manager conversation (simulated display manager)', () => {
  it('the password prompt shows, then the key takes the turn; a touch signs in', async () => {
    const { dm, controller } = make();
    await controller.start('alice');
    await settle();
    assert.equal(controller.snapshot().phase, 'prompting');
    assert.equal(controller.snapshot().prompt?.text, 'Password: ');
    assert.equal(controller.keySnapshot().phase, 'touch');
    // The first conversation answered "password" and was suspended; the second "key".
    assert.deepEqual(dm.answersOf(0), ['password']);
    assert.deepEqual(dm.answersOf(1), ['key']);
    assert.equal(dm.runs[0]!.ended, true);
    assert.ok(dm.touch());
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    assert.equal(controller.keySnapshot().phase, 'success');
    // The session starts after the key's conversation, the display manager's last success.
    await route(dm).startSession!({ name: '', command: [], env: [] });
    assert.deepEqual(dm.sessions, [{ after: 1 }]);
    assert.equal(dm.busyRefusals, 0);
    await controller.close();
  });

  it('a password typed while the key waits: the key steps aside, the password signs in', async () => {
    const { dm, controller, lines } = make();
    await controller.start('alice');
    await settle();
    assert.equal(controller.keySnapshot().phase, 'touch');
    controller.answer(PASSWORD);
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    assert.equal(controller.keySnapshot().phase, 'off', 'stepping aside is not a refusal');
    assert.equal(dm.runs[1]!.ended, true, "the key's conversation was ended");
    // A third conversation answered "password" then got the typed password, once.
    assert.deepEqual(dm.answersOf(2), ['password', PASSWORD]);
    assert.equal(dm.lastSuccess, 2);
    assert.equal(
      dm.answers.filter((a) => a.text === PASSWORD).length,
      1,
      'the password went to one prompt only',
    );
    assert.match(lines.join('\n'), /KEY_PREEMPTED/);
    assert.equal(dm.busyRefusals, 0);
    await controller.close();
  });

  it('with +pin: the PIN field answers pam_u2f; a password typed meanwhile never reaches its PIN prompt', async () => {
    const { dm, controller } = make({ pin: true });
    await controller.start('alice');
    await settle();
    assert.equal(controller.keySnapshot().phase, 'pin');
    assert.equal(controller.keySnapshot().pinRetries, 7);
    controller.answer(PASSWORD); // typed into the password field while the key asks its PIN
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    // The key's conversation (index 1) got "key" and nothing else: no PIN, no password.
    assert.deepEqual(dm.answersOf(1), ['key']);
    await controller.close();
  });

  it('with +pin: PIN then touch signs in', async () => {
    const { dm, controller } = make({ pin: true });
    await controller.start('alice');
    await settle();
    controller.answerKeyPin(PIN);
    await settle();
    assert.equal(controller.keySnapshot().phase, 'touch');
    assert.ok(dm.touch());
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    assert.deepEqual(dm.answersOf(1), ['key', PIN]);
    await controller.close();
  });

  it("a wrong PIN: pam_u2f gives up, the stack's password prompt is NOT answered in the key's conversation", async () => {
    const { dm, controller } = make({ pin: true });
    await controller.start('alice');
    await settle();
    controller.answerKeyPin('9999');
    await settle();
    assert.equal(controller.keySnapshot().phase, 'refused');
    assert.equal(controller.keySnapshot().problem, 'pin-wrong');
    assert.equal(dm.runs[1]!.ended, true);
    assert.deepEqual(dm.answersOf(1), ['key', '9999']);
    // The password form is still there; typing resumes the password side.
    assert.equal(controller.snapshot().phase, 'prompting');
    controller.answer(PASSWORD);
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    assert.deepEqual(dm.answersOf(2), ['password', PASSWORD]);
    await controller.close();
  });

  it('no touch in time: refused on the key side, the password still works', async () => {
    const { dm, controller } = make();
    await controller.start('alice');
    await settle();
    assert.ok(dm.timeOut());
    await settle();
    assert.equal(controller.keySnapshot().phase, 'refused');
    assert.equal(controller.snapshot().phase, 'prompting');
    controller.answer(PASSWORD);
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    await controller.close();
  });

  it('"Use password instead" ends the key side; the password signs in', async () => {
    const { dm, controller } = make();
    await controller.start('alice');
    await settle();
    await controller.cancelKey();
    await settle();
    assert.equal(controller.keySnapshot().phase, 'off');
    assert.equal(dm.active, null, 'nothing holds the display manager');
    controller.answer(PASSWORD);
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    await controller.close();
  });

  it('a wrong password, then a retry: touch or type again', async () => {
    const { dm, controller } = make();
    await controller.start('alice');
    await settle();
    controller.answer('wrong');
    await settle();
    assert.equal(controller.snapshot().phase, 'failure');
    controller.reset();
    await new Promise((r) => setTimeout(r, 1100)); // the throttle after one failure
    await controller.start('alice');
    await settle();
    assert.equal(controller.keySnapshot().phase, 'touch');
    assert.ok(dm.touch());
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    assert.equal(dm.busyRefusals, 0);
    await controller.close();
  });

  it('no key plugged in: one conversation, the password only', async () => {
    const { dm, controller } = make({}, false);
    await controller.start('alice');
    await settle();
    assert.equal(controller.keySnapshot().phase, 'off');
    controller.answer(PASSWORD);
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    assert.equal(dm.runs.length, 1);
    await controller.close();
  });

  it('a stack without the question: the password side runs as without the route, the key stays off', async () => {
    const { dm, controller, lines } = make({ method: false });
    await controller.start('alice');
    await settle();
    // pam_u2f runs first in that stack: its cue reaches the password side as before.
    assert.equal(controller.keySnapshot().phase, 'off');
    assert.match(lines.join('\n'), /KEY_NO_METHOD_CHOICE/);
    assert.ok(dm.touch());
    await settle();
    assert.equal(controller.snapshot().phase, 'success');
    assert.equal(dm.runs.length, 1);
    await controller.close();
  });

  it('a resumed conversation asking something else gets nothing: STACK_CHANGED, not signed in', async () => {
    const { dm, controller } = make();
    await controller.start('alice');
    await settle();
    dm.stackOptions = { ...dm.stackOptions, passwordPrompt: 'One-time code: ' };
    controller.answer(PASSWORD);
    await settle();
    assert.equal(controller.snapshot().phase, 'failure');
    assert.deepEqual(dm.answersOf(2), ['password'], 'the typed text was not sent');
    await controller.close();
  });

  it('the attempt keeps its deadline while the password side is suspended (review finding 5)', async () => {
    const { dm, controller } = make({}, true, 300);
    await controller.start('alice');
    await settle();
    await controller.cancelKey(); // the key's turn ends; the password side stays suspended
    await settle();
    assert.equal(dm.active, null);
    await new Promise((r) => setTimeout(r, 400));
    await settle();
    assert.equal(controller.snapshot().phase, 'failure');
    assert.equal(controller.snapshot().failure?.reason, 'timeout');
    assert.deepEqual(dm.answersOf(0), ['password'], 'nothing typed was sent');
    await controller.close();
  });

  it("pam_u2f's PIN prompt on the password side is never answered: the attempt ends (review finding 2)", async () => {
    // A stack without the question running pam_u2f with a PIN first: its PIN prompt arrives
    // on the password conversation.
    const { dm, controller, lines } = make({ method: false, pin: true });
    await controller.start('alice');
    await settle();
    assert.equal(controller.snapshot().phase, 'failure');
    assert.equal(controller.snapshot().failure?.reason, 'unavailable');
    assert.deepEqual(dm.answers, [], 'nothing was sent to the PIN prompt');
    assert.match(lines.join('\n'), /PIN prompt on the password conversation/);
    await controller.close();
  });

  it("a key side of another carrier than the password's is never started (review finding 8)", async () => {
    const dm = new OneConversationDmForTest();
    const route = methodRoute(dm);
    let helperBegun = 0;
    const lines: string[] = [];
    const controller = new AuthController({
      transport: route.password,
      keyTransport: {
        kind: 'helper',
        begin: () => {
          helperBegun += 1;
          return route.key.begin('alice');
        },
      },
      keyReady: async () => true,
      helperPath: '/nonexistent',
      service: 'bastion-greeter',
      log: (line) => lines.push(line),
    });
    await controller.start('alice');
    await settle();
    assert.equal(helperBegun, 0);
    assert.equal(controller.keySnapshot().phase, 'off');
    assert.match(lines.join('\n'), /a helper key side beside lightdm: off/);
    await controller.close();
  });

  it('cancel while suspended ends locally; the key conversation is cancelled too', async () => {
    const { dm, controller } = make();
    await controller.start('alice');
    await settle();
    await controller.cancel();
    await settle();
    assert.equal(controller.snapshot().phase !== 'success', true);
    assert.equal(dm.active, null);
    assert.ok(dm.runs.every((r) => r.ended));
  });
});

/** The route's password transport of `dm` (what the backend calls startSession on). */
function route(dm: OneConversationDmForTest): AuthTransport {
  return methodRoute(dm).password;
}
