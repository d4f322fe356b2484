// The PAM helper as an AuthTransport: each conversation is one helper transaction, over the
// socket-activated helper when it listens, else the setuid binary (main/pam/helper-client.ts).
import { runPamTransaction } from '../pam/helper-client';
import type { AuthConversation, AuthTransport } from './transport';

export interface HelperTransportOptions {
  /** Absolute path of bastion-pam-helper (setuid; the fallback when the socket is absent). */
  helperPath: string;
  /**
   * Socket of the socket-activated helper (`/run/bastion-pam-helper.sock` when installed),
   * tried first; null or unset: the setuid helper only. See PamTransactionOptions.socketPath.
   */
  socketPath?: string | null;
  /** PAM service passed to the helper (`bastion-greeter`). */
  service: string;
  /** The helper's environment (tests: pam_wrapper's); empty by default. */
  env?: Record<string, string>;
  /** Deadline of one conversation, in ms (the client's default otherwise). */
  deadlineMs?: number;
}

export function helperTransport(options: HelperTransportOptions): AuthTransport {
  return {
    kind: 'helper',
    begin(user: string): AuthConversation {
      return runPamTransaction({
        helperPath: options.helperPath,
        socketPath: options.socketPath ?? null,
        service: options.service,
        user,
        env: options.env ?? {},
        ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      });
    },
  };
}
