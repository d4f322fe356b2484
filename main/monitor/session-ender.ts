// Ending a user's sessions through logind, over busctl as main/power does: ListSessions, then
// TerminateSession for each session of that user. Decision: TERMINATE, not lock. A lock only
// helps if the unlock path refuses the offline password, and a person whose account the
// portal disabled, or who has kept the portal out past offline_max_sso_unreachable, is not
// entitled to the session's work; Open Bastion's monitor ends the session too. Terminating
// another user's session needs root or polkit's org.freedesktop.login1.manage: the monitor
// that ends sessions runs root-side (see main/monitor/README.md).
import { busctlCall, BusctlError, type BusctlOptions } from '../power/busctl';
import type { SessionEndReason } from './status';

export interface SessionEnder {
  /** Ends every session of `user`; resolves to how many were ended. */
  endSessionsOf(user: string, reason: SessionEndReason): Promise<number>;
}

/** The ids of `user`'s sessions in a ListSessions reply (`a(susso)`). */
export function sessionsOf(reply: { type: string; data: unknown[] }, user: string): string[] {
  if (reply.type !== 'a(susso)' || !Array.isArray(reply.data[0])) {
    throw new BusctlError('BUSCTL_BAD_OUTPUT', `ListSessions: unexpected signature ${reply.type}`);
  }
  const ids: string[] = [];
  for (const row of reply.data[0] as unknown[]) {
    if (!Array.isArray(row) || typeof row[0] !== 'string' || typeof row[2] !== 'string') {
      throw new BusctlError('BUSCTL_BAD_OUTPUT', 'ListSessions: a row of the wrong shape');
    }
    if (row[2] === user) ids.push(row[0]);
  }
  return ids;
}

export class LogindSessionEnder implements SessionEnder {
  constructor(
    private readonly options: BusctlOptions = {},
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async endSessionsOf(user: string, reason: SessionEndReason): Promise<number> {
    const ids = sessionsOf(await busctlCall(this.options, 'ListSessions'), user);
    let ended = 0;
    for (const id of ids) {
      try {
        await busctlCall(this.options, 'TerminateSession', ['s', id]);
        ended++;
      } catch (error) {
        this.log(
          `TerminateSession ${id} of ${JSON.stringify(user)} failed: ${(error as Error).message}`,
        );
      }
    }
    this.log(`ended ${ended}/${ids.length} session(s) of ${JSON.stringify(user)} (${reason})`);
    return ended;
  }
}
