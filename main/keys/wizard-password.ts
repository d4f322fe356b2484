// The wizard's first step: the person proves they are the account's owner with one PAM round
// trip through the helper, as the unlock screen does (service `bastion-greeter`; in a session
// the helper lets a caller ask only for their own account). The password answers the first
// masked prompt and nothing else: a stack that asks more (a second factor, a password change)
// cannot be completed here, which reads as "unavailable", never as a success.
import { reasonForResultName } from '../auth/failure';
import { runPamTransaction } from '../pam/helper-client';

export type PasswordVerdict = 'ok' | 'wrong' | 'throttled' | 'unavailable';

export interface PasswordCheckOptions {
  helperPath: string;
  /** The socket-activated helper, tried first; null: the setuid helper only. */
  socketPath: string | null;
  /** PAM service; `bastion-greeter` by default. */
  service?: string;
  /** The spawned helper's environment (the demo's and tests' pam_wrapper); empty by default. */
  env?: Record<string, string>;
  deadlineMs?: number;
}

export type PasswordCheck = (
  user: string,
  password: string,
  signal: AbortSignal,
) => Promise<PasswordVerdict>;

export function helperPasswordCheck(options: PasswordCheckOptions): PasswordCheck {
  return async (user, password, signal) => {
    const transaction = runPamTransaction({
      helperPath: options.helperPath,
      socketPath: options.socketPath,
      service: options.service ?? 'bastion-greeter',
      user,
      env: options.env ?? {},
      deadlineMs: options.deadlineMs ?? 60_000,
    });
    const onAbort = (): void => transaction.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    let answered = false;
    let unanswerable = false;
    try {
      for await (const event of transaction.events()) {
        if (event.type === 'prompt') {
          if (event.secret && !answered) {
            answered = true;
            transaction.answer(password);
          } else {
            unanswerable = true;
            transaction.cancel();
          }
        } else if (event.type === 'result') {
          const outcome = event.outcome;
          if (outcome.ok) return unanswerable ? 'unavailable' : 'ok';
          if (unanswerable || outcome.kind === 'client-error') return 'unavailable';
          const reason = reasonForResultName(outcome.result.name);
          if (reason === 'credentials') return 'wrong';
          if (reason === 'throttled' || reason === 'locked') return 'throttled';
          return 'unavailable';
        }
      }
      return 'unavailable';
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}
