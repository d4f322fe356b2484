// What carries an authentication conversation: our PAM helper (setuid or socket-activated),
// LightDM's greeter protocol, or greetd's IPC. One interface for the three, so the state
// machine, the OFFLINE_* parsing, countdowns and throttling (./controller) never know which
// one runs, and the renderer even less.
//
// The shapes are the helper client's (main/pam/helper-client.ts), which implements them as
// they are; the display-manager clients (main/dm/) map their protocols onto them.

/** The end of a PAM run, as the carrier reports it (`0:PAM_SUCCESS:acct_mgmt` for the helper). */
export interface ConversationResult {
  /** PAM return code (0 success). */
  code: number;
  /** Symbolic name: a Linux-PAM name (`PAM_AUTH_ERR`) or a carrier's own (`BASTION_*`). */
  name: string;
  /** Where it ended: `helper`, `authenticate`, `acct_mgmt`, or a display manager's stage. */
  stage: string;
}

/** A broken conversation: the carrier failed, not PAM. `code` is stable, `message` one line. */
export interface TransportError {
  readonly code: string;
  readonly message: string;
}

export type ConversationOutcome =
  /** The only success: the carrier's explicit success (PROTOCOL.md for the helper). */
  | { ok: true; result: ConversationResult }
  /** PAM (or the carrier's own policy) said no, by the protocol. */
  | { ok: false; kind: 'refused'; result: ConversationResult; exitCode: number | null }
  /** Anything else: the conversation broke. `result` is the carrier's verdict if one arrived. */
  | { ok: false; kind: 'client-error'; error: TransportError; result: ConversationResult | null };

export type ConversationEvent =
  | { type: 'prompt'; secret: boolean; text: string }
  | { type: 'info'; text: string }
  | { type: 'error'; text: string }
  /** Always the last event, exactly once. */
  | { type: 'result'; outcome: ConversationOutcome };

/** One running conversation for one user. */
export interface AuthConversation {
  /** Events in order, ending with `result`. Consumed once. */
  events(): AsyncGenerator<ConversationEvent>;
  /** Answers the oldest open prompt. Throws an error with a `code` on misuse or a bad answer. */
  answer(text: string): void;
  /** Ends the conversation as a failure (outcome CANCELLED). */
  cancel(): void;
  /** Which carrier runs it, for logs (`socket`, `spawn`, `lightdm`, `greetd`); null if none. */
  readonly transport: string | null;
}

/** The desktop session to start after a success (display-manager carriers only). */
export interface SessionRequest {
  /** LightDM: the session's name (its .desktop file's basename); empty: LightDM's default. */
  name: string;
  /** greetd: the command line to run as the user (from the .desktop file's Exec=). */
  command: readonly string[];
  /** greetd: extra environment of the session, `KEY=value` (XDG_SESSION_TYPE, …). */
  env: readonly string[];
}

export type SessionStartOutcome = { ok: true } | { ok: false; error: TransportError };

/** The carrier of conversations, chosen once at start from the environment. */
export interface AuthTransport {
  readonly kind: 'helper' | 'lightdm' | 'greetd';
  /** Starts a conversation for `user`; at most one runs at a time. */
  begin(user: string): AuthConversation;
  /**
   * After a conversation's success: asks the display manager to start the session. Absent for
   * the helper, which has no session to start (an unlock, or the demo).
   */
  startSession?(session: SessionRequest): Promise<SessionStartOutcome>;
  /** Ends the carrier's connection (a display manager's socket or pipes). */
  close?(): void;
}
