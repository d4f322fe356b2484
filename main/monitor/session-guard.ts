// What happens to offline sessions as connectivity changes (Open Bastion's ob-session-monitor
// semantics, REFERENCES.md), run after every connectivity check:
//  * portal answering → each offline session is revalidated: valid → the marker goes (the
//    session is an online one again); disabled → the user goes on the force-online list and
//    their sessions are ended;
//  * network up, portal unreachable for `offline_max_sso_unreachable` (default 3 600 s) or
//    more → every offline session is ended alike: a local firewall must not extend offline
//    mode. "No network" does not count towards it: that is offline mode as intended;
//  * an offline session not revalidated within `offline_revalidation_grace` (default 14 400 s)
//    of its offline login → the user goes on the force-online list: the next login or unlock
//    must be online. The session itself goes on.
// Ending = force-online first (so a failed termination still closes the offline door), then
// logind TerminateSession; the marker is removed only once the sessions are ended, so a
// failure is retried at the next check.
import type { ForceOnlineList } from './force-online';
import type { OfflineSessionRegistry } from './offline-sessions';
import type { UserRevalidator } from './revalidate';
import type { SessionEnder } from './session-ender';
import type { MonitorEvent, MonitorStatus, SessionEndReason } from './status';

export const DEFAULT_REVALIDATION_GRACE_MS = 14_400_000;
export const DEFAULT_MAX_SSO_UNREACHABLE_MS = 3_600_000;

export interface SessionGuardOptions {
  sessions: OfflineSessionRegistry;
  revalidator: UserRevalidator;
  forceOnline: ForceOnlineList;
  ender: SessionEnder;
  /** offline_revalidation_grace, ms. */
  revalidationGraceMs?: number;
  /** offline_max_sso_unreachable, ms. */
  maxSsoUnreachableMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export class SessionGuard {
  private readonly graceMs: number;
  private readonly maxUnreachableMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly listeners = new Set<(event: MonitorEvent) => void>();
  private readonly graceForced = new Set<string>();
  private running: Promise<void> | null = null;
  lastRevalidation: number | null = null;

  constructor(private readonly options: SessionGuardOptions) {
    this.graceMs = options.revalidationGraceMs ?? DEFAULT_REVALIDATION_GRACE_MS;
    this.maxUnreachableMs = options.maxSsoUnreachableMs ?? DEFAULT_MAX_SSO_UNREACHABLE_MS;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  onEvent(listener: (event: MonitorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies the rules to every offline session for `status`; one run at a time (joined). */
  check(status: MonitorStatus): Promise<void> {
    if (this.running) return this.running;
    this.running = this.run(status).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private emit(event: MonitorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log(`session guard listener failed: ${(error as Error).message}`);
      }
    }
  }

  private async run(status: MonitorStatus): Promise<void> {
    let records;
    try {
      records = await this.options.sessions.list();
    } catch (error) {
      this.log(`offline sessions cannot be listed: ${(error as Error).message}`);
      return;
    }
    for (const record of records) {
      const now = this.now();
      if (status.state === 'online') {
        try {
          const verdict = await this.options.revalidator.revalidate(record.user);
          if (verdict === 'valid') {
            await this.options.sessions.remove(record.user);
            this.graceForced.delete(record.user);
            this.lastRevalidation = this.now();
            this.log(`offline session of ${JSON.stringify(record.user)} revalidated`);
            this.emit({ type: 'revalidated', user: record.user, at: this.lastRevalidation });
            continue;
          }
          if (verdict === 'disabled') {
            await this.end(record.user, 'user-disabled');
            continue;
          }
        } catch (error) {
          this.log(
            `revalidation of ${JSON.stringify(record.user)} failed: ${(error as Error).message}`,
          );
        }
      } else if (
        status.state === 'portal-unreachable' &&
        now - status.since >= this.maxUnreachableMs
      ) {
        await this.end(record.user, 'portal-unreachable-too-long');
        continue;
      }
      if (now - record.since >= this.graceMs && !this.graceForced.has(record.user)) {
        try {
          // A guard run once a minute by a timer (bastion-offline guard) forgets graceForced
          // between runs: only a user newly put on the list is reported.
          const added = await this.options.forceOnline.add(record.user);
          this.graceForced.add(record.user);
          if (added) {
            this.log(`${JSON.stringify(record.user)} must sign in online: revalidation grace over`);
            this.emit({
              type: 'force-online',
              user: record.user,
              reason: 'revalidation-grace-expired',
            });
          }
        } catch (error) {
          this.log(
            `force-online of ${JSON.stringify(record.user)} failed: ${(error as Error).message}`,
          );
        }
      }
    }
  }

  private async end(user: string, reason: SessionEndReason): Promise<void> {
    try {
      await this.options.forceOnline.add(user);
      this.emit({ type: 'force-online', user, reason });
    } catch (error) {
      this.log(`force-online of ${JSON.stringify(user)} failed: ${(error as Error).message}`);
    }
    try {
      const sessions = await this.options.ender.endSessionsOf(user, reason);
      await this.options.sessions.remove(user);
      this.graceForced.delete(user);
      this.log(`offline session of ${JSON.stringify(user)} ended (${reason})`);
      this.emit({ type: 'session-ended', user, reason, sessions });
    } catch (error) {
      this.log(
        `ending the sessions of ${JSON.stringify(user)} failed: ${(error as Error).message}`,
      );
    }
  }
}
