// Touch or type over ONE display-manager conversation (issue #9, "same for the display-manager
// transports"). The helper runs the key's PAM service beside the password's; LightDM and
// greetd run one PAM conversation at a time, through their own service. So their stack asks
// first which way this attempt goes (native-helper/pam_bastion_method.c, which runs pam_u2f
// only for "key"; METHOD_PROMPT below), and this route gives the AuthController the two
// transports it expects, taking turns on the display manager:
//
// * The password side begins at once and answers the question "password" (pam_u2f does not
//   run): its first real prompt (the stack's "Password: ") reaches the screen.
// * The key side (begun by the controller when a key is plugged in) waits for that prompt,
//   then SUSPENDS the password side: its display-manager conversation is cancelled, the prompt
//   stays open on screen; a new conversation answers "key", and pam_u2f's cue and PIN prompt
//   go to the key's side of the screen.
// * A password typed meanwhile ends the key's conversation (KEY_PREEMPTED: not a refusal) and
//   resumes the password side: a new conversation answers "password", and the typed text goes
//   to its first prompt only if that prompt is the one the screen showed (same text, same
//   masking) and never to pam_u2f's PIN prompt (STACK_CHANGED otherwise: nothing sent).
// * pam_u2f failing (not enrolled, not touched, wrong PIN) lets the stack go on to the
//   password, whose prompt then arrives in the KEY's conversation: the route ends that
//   conversation as the key's refusal instead, so nothing typed can ever be sent there.
// * A stack without the question (no pam_bastion_method line, or not the first thing the
//   conversation says): the password side runs as without the route, and the key side ends at
//   once (KEY_NO_METHOD_CHOICE).
//
// The display managers differ in one point: LightDM ends a conversation at once when asked
// (its session child is killed), greetd only once PAM returns (it holds its session while a
// module works), so under greetd a password typed while pam_u2f waits for a touch goes in
// once the key's wait ends (the key's own timeout; "Use password instead" likewise).
import { ConversationEventQueue } from './event-queue';
import { PAM_U2F_PIN_PROMPT } from './pam-u2f';
import type {
  AuthConversation,
  AuthTransport,
  ConversationEvent,
  ConversationOutcome,
  TransportError,
} from './transport';

/** pam_bastion_method's question (PAM_PROMPT_ECHO_ON); answered "key" or "password". */
export const METHOD_PROMPT = 'Security key or password? (key/password) ';

export type MethodRouteErrorCode =
  /** The key's conversation was ended because a password was typed: not a refusal. */
  | 'KEY_PREEMPTED'
  /** The stack does not ask METHOD_PROMPT: no key conversation is possible. */
  | 'KEY_NO_METHOD_CHOICE'
  /** The resumed conversation asked something else than the prompt the screen showed. */
  | 'STACK_CHANGED'
  /** No prompt is open (yet) on this side. */
  | 'NO_PENDING_PROMPT'
  /** The conversation is over. */
  | 'TRANSACTION_OVER'
  /** cancel() before the display manager was involved. */
  | 'CANCELLED'
  /** The attempt passed its deadline, suspended turns included. */
  | 'TIMEOUT';

export class MethodRouteError extends Error implements TransportError {
  readonly code: MethodRouteErrorCode;
  constructor(code: MethodRouteErrorCode, message: string) {
    super(message);
    this.name = 'MethodRouteError';
    this.code = code;
  }
}

const clientError = (code: MethodRouteErrorCode, message: string): ConversationOutcome => ({
  ok: false,
  kind: 'client-error',
  error: new MethodRouteError(code, message),
  result: null,
});

/** What the key side reports when pam_u2f let the stack go on to the password. */
const KEY_NOT_ACCEPTED: ConversationOutcome = {
  ok: false,
  kind: 'refused',
  result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
  exitCode: null,
};

/** A conversation the route feeds; the controller holds it. */
class RoutedConversation implements AuthConversation {
  private readonly queue = new ConversationEventQueue();
  finished = false;

  constructor(
    readonly transport: string | null,
    private readonly onAnswer: (text: string) => void,
    private readonly onCancel: () => void,
    private readonly onFinished: () => void = () => undefined,
  ) {}

  events(): AsyncGenerator<ConversationEvent> {
    return this.queue.events();
  }

  push(event: ConversationEvent): void {
    if (this.finished) return;
    if (event.type === 'result') {
      this.finished = true;
      this.onFinished();
    }
    this.queue.push(event);
  }

  end(outcome: ConversationOutcome): void {
    this.push({ type: 'result', outcome });
  }

  answer(text: string): void {
    if (this.finished) throw new MethodRouteError('TRANSACTION_OVER', 'the conversation is over');
    this.onAnswer(text);
  }

  cancel(): void {
    if (!this.finished) this.onCancel();
  }
}

type PasswordPhase =
  | 'starting' // before its first prompt
  | 'prompt-open' // its first prompt on screen, not answered: the key may take the turn
  | 'suspended' // the key has the turn; the prompt stays on screen
  | 'resuming' // answered while suspended: a new conversation, to replay the answer
  | 'answered' // past its first prompt: everything relayed
  | 'plain' // the stack has no METHOD_PROMPT: everything relayed, no key side
  | 'ended';

class PasswordSide {
  readonly conversation: RoutedConversation;
  phase: PasswordPhase = 'starting';
  private under: AuthConversation | null = null;
  private firstPrompt: { secret: boolean; text: string } | null = null;
  private readonly firstPromptSettled: Promise<void>;
  private settleFirstPrompt!: () => void;
  /**
   * The whole attempt's bound: a suspended side has no display-manager conversation (hence no
   * deadline of the display manager's), and each resume would start a new one.
   */
  private readonly deadline: NodeJS.Timeout;

  constructor(
    private readonly route: Route,
    readonly user: string,
  ) {
    this.firstPromptSettled = new Promise((resolve) => (this.settleFirstPrompt = resolve));
    this.deadline = setTimeout(() => this.expire(), route.deadlineMs);
    this.deadline.unref?.();
    this.conversation = new RoutedConversation(
      route.dm.kind,
      (text) => this.answer(text),
      () => this.cancel(),
      () => clearTimeout(this.deadline),
    );
  }

  private expire(): void {
    if (this.conversation.finished) return;
    const under = this.under;
    this.under = null;
    this.phase = 'ended';
    this.settleFirstPrompt();
    under?.cancel();
    this.conversation.end(clientError('TIMEOUT', 'the attempt passed its deadline'));
  }

  /** Settles once the first prompt is on screen, or the side ended or runs plain. */
  whenFirstPrompt(): Promise<void> {
    return this.firstPromptSettled;
  }

  start(): void {
    const under = this.route.dm.begin(this.user);
    this.under = under;
    void this.pump(under, false).catch((error: unknown) => this.broken(under, error));
  }

  /** The key takes the turn: this side's display-manager conversation ends, its prompt stays. */
  suspend(): void {
    const under = this.under;
    this.phase = 'suspended';
    this.under = null;
    under?.cancel(); // its CANCELLED result is not relayed (no longer this.under)
  }

  private answer(text: string): void {
    switch (this.phase) {
      case 'prompt-open':
        this.phase = 'answered';
        this.under!.answer(text);
        return;
      case 'answered':
      case 'plain':
        if (!this.under) throw new MethodRouteError('NO_PENDING_PROMPT', 'no prompt to answer');
        this.under.answer(text);
        return;
      case 'suspended': {
        this.phase = 'resuming';
        this.route.keySide?.preempt();
        const under = this.route.dm.begin(this.user);
        this.under = under;
        void this.pump(under, true, text).catch((error: unknown) => this.broken(under, error));
        return;
      }
      default:
        throw new MethodRouteError('NO_PENDING_PROMPT', 'no prompt to answer');
    }
  }

  private cancel(): void {
    const under = this.under;
    if (under) {
      under.cancel(); // its outcome is relayed by the pump
      return;
    }
    this.phase = 'ended';
    this.settleFirstPrompt();
    this.conversation.end(clientError('CANCELLED', 'the attempt was cancelled'));
  }

  /**
   * Relays `under`'s events while it is this side's conversation. `resuming`: the answer
   * `replay` goes to its first prompt, which must be the one the screen showed; what came
   * before that prompt was already shown and is not repeated.
   */
  private async pump(under: AuthConversation, resuming: boolean, replay?: string): Promise<void> {
    let asked = false; // METHOD_PROMPT seen
    let pending = replay;
    for await (const event of under.events()) {
      if (under !== this.under) {
        if (event.type === 'prompt') under.cancel();
        continue; // suspended: nothing of it reaches the screen
      }
      if (event.type === 'result') {
        this.phase = 'ended';
        this.under = null;
        this.settleFirstPrompt();
        this.conversation.push(event);
        continue;
      }
      if (event.type === 'prompt' && !asked && !event.secret && event.text === METHOD_PROMPT) {
        asked = true;
        under.answer('password');
        continue;
      }
      if (resuming && pending !== undefined) {
        if (event.type !== 'prompt') continue; // shown by the first conversation already
        const expected = this.firstPrompt;
        const text = pending;
        pending = undefined;
        if (
          !expected ||
          event.secret !== expected.secret ||
          event.text !== expected.text ||
          event.text === PAM_U2F_PIN_PROMPT
        ) {
          this.under = null;
          this.phase = 'ended';
          under.cancel();
          this.conversation.end(
            clientError(
              'STACK_CHANGED',
              'the display manager asked something else than the prompt on screen; nothing sent',
            ),
          );
          return;
        }
        this.phase = 'answered';
        try {
          under.answer(text);
        } catch (error) {
          this.under = null;
          this.phase = 'ended';
          under.cancel();
          const code = (error as { code?: unknown }).code;
          this.conversation.end({
            ok: false,
            kind: 'client-error',
            error: {
              code: typeof code === 'string' ? code : 'ANSWER_REFUSED',
              message: 'the answer was refused',
            },
            result: null,
          });
          return;
        }
        continue;
      }
      if (this.phase === 'starting' && !asked) {
        // The question must be the conversation's first word (its line comes first in the
        // stack): anything else first is a stack without it.
        this.phase = 'plain';
        this.settleFirstPrompt();
      }
      if (event.type === 'prompt' && this.phase === 'starting') {
        this.phase = 'prompt-open';
        this.firstPrompt = { secret: event.secret, text: event.text };
        this.settleFirstPrompt();
      }
      this.conversation.push(event);
    }
  }

  private broken(under: AuthConversation, error: unknown): void {
    under.cancel();
    if (under !== this.under) return;
    this.under = null;
    this.phase = 'ended';
    this.settleFirstPrompt();
    this.conversation.end({
      ok: false,
      kind: 'client-error',
      error: { code: 'ROUTE_FAILED', message: (error as Error).message },
      result: null,
    });
  }
}

class KeySide {
  readonly conversation: RoutedConversation;
  private under: AuthConversation | null = null;

  constructor(
    private readonly route: Route,
    readonly user: string,
  ) {
    this.conversation = new RoutedConversation(
      route.dm.kind,
      (text) => {
        if (!this.under) throw new MethodRouteError('NO_PENDING_PROMPT', 'no prompt to answer');
        this.under.answer(text);
      },
      () => {
        const under = this.under;
        if (under) under.cancel();
        else this.conversation.end(clientError('CANCELLED', 'the attempt was cancelled'));
      },
    );
  }

  /** The password went ahead: ends this side as not a refusal. */
  preempt(): void {
    this.abort(clientError('KEY_PREEMPTED', 'a password was typed: it goes first'));
  }

  /** Ends this side with `outcome`, its display-manager conversation first. */
  abort(outcome: ConversationOutcome): void {
    const under = this.under;
    this.under = null;
    under?.cancel();
    this.conversation.end(outcome);
  }

  async start(): Promise<void> {
    const password = this.route.passwordSide;
    if (password && password.user === this.user) await password.whenFirstPrompt();
    if (this.conversation.finished) return;
    if (password && password.phase === 'plain') {
      this.conversation.end(
        clientError(
          'KEY_NO_METHOD_CHOICE',
          "the display manager's PAM stack does not ask pam_bastion_method's question",
        ),
      );
      return;
    }
    if (password && (password.phase === 'answered' || password.phase === 'resuming')) {
      this.conversation.end(clientError('KEY_PREEMPTED', 'a password was typed: it goes first'));
      return;
    }
    if (password && password.phase === 'prompt-open') password.suspend();
    const under = this.route.dm.begin(this.user);
    this.under = under;
    let asked = false;
    for await (const event of under.events()) {
      if (under !== this.under) continue; // preempted: ended already
      if (event.type === 'result') {
        this.under = null;
        this.conversation.push(event);
        continue;
      }
      if (event.type !== 'prompt') {
        this.conversation.push(event); // pam_u2f's cue, messages
        continue;
      }
      if (!asked) {
        if (!event.secret && event.text === METHOD_PROMPT) {
          asked = true;
          under.answer('key');
          continue;
        }
        this.under = null;
        under.cancel();
        this.conversation.end(
          clientError(
            'KEY_NO_METHOD_CHOICE',
            "the display manager's PAM stack does not ask pam_bastion_method's question",
          ),
        );
        continue;
      }
      if (event.secret && event.text === PAM_U2F_PIN_PROMPT) {
        this.conversation.push(event);
        continue;
      }
      // pam_u2f is done without a success and the stack asks for the password: not here.
      this.under = null;
      under.cancel();
      this.conversation.end(KEY_NOT_ACCEPTED);
    }
  }
}

class Route {
  passwordSide: PasswordSide | null = null;
  keySide: KeySide | null = null;
  constructor(
    readonly dm: AuthTransport,
    readonly deadlineMs: number,
  ) {}
}

/** The password side's bound on a whole attempt (the display managers' own is 120 s each). */
export const DEFAULT_ATTEMPT_DEADLINE_MS = 120_000;

export interface MethodRouteOptions {
  /** The password side's bound on a whole attempt, turns included; default 120 s. */
  deadlineMs?: number;
}

export interface MethodRoute {
  /** The controller's `transport`: the password side (and the session start). */
  password: AuthTransport;
  /** The controller's `keyTransport`. */
  key: AuthTransport;
}

/** The two sides over one display manager's transport `dm` (LightDM or greetd). */
export function methodRoute(dm: AuthTransport, options: MethodRouteOptions = {}): MethodRoute {
  const route = new Route(dm, options.deadlineMs ?? DEFAULT_ATTEMPT_DEADLINE_MS);
  const password: AuthTransport = {
    kind: dm.kind,
    begin(user) {
      // A key conversation still holding the display manager gives way.
      if (route.keySide && !route.keySide.conversation.finished) route.keySide.preempt();
      const side = new PasswordSide(route, user);
      route.passwordSide = side;
      side.start();
      return side.conversation;
    },
    ...(dm.startSession ? { startSession: (session) => dm.startSession!(session) } : {}),
    ...(dm.close ? { close: () => dm.close!() } : {}),
  };
  const key: AuthTransport = {
    kind: dm.kind,
    begin(user) {
      const side = new KeySide(route, user);
      route.keySide = side;
      void side.start().catch((error: unknown) => {
        side.abort({
          ok: false,
          kind: 'client-error',
          error: { code: 'ROUTE_FAILED', message: (error as Error).message },
          result: null,
        });
      });
      return side.conversation;
    },
  };
  return { password, key };
}
