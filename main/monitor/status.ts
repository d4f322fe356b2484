// The monitor's status as the tray (renderer/tray, app/tray*) and the greeter see it: a small
// contract file with no imports, so the tray can be built against it alone.
//
//   online              the network is up and the portal answers
//   offline             no network (no default route): offline mode as intended
//   portal-unreachable  the network is up but the portal does not answer (portal down, captive
//                       portal, a local firewall). Past `offline_max_sso_unreachable` in this
//                       state, offline sessions are ended: a firewall must not extend offline mode.
// All times are ms since the epoch.

export type ConnectivityState = 'online' | 'offline' | 'portal-unreachable';

export interface MonitorStatus {
  state: ConnectivityState;
  /** When `state` began. */
  since: number;
  /** Last time an offline session was revalidated with the portal (null: never, this run). */
  lastRevalidation: number | null;
  /** Next connectivity check (backoff while not online); null when stopped. */
  nextCheckAt: number | null;
  /** The person's cached (offline) login expiry, from `bastion-offline status`, if known. */
  cachedLoginValidUntil?: number;
  /** The offline cache's lockout of the person, if one is running. */
  lockout?: { until: number };
}

/** Why an offline session was ended (the session itself: logind TerminateSession). */
export type SessionEndReason =
  /** `/pam/userinfo` said `found != true`: the account is disabled or deleted in the portal. */
  | 'user-disabled'
  /** Network up, portal unreachable for longer than `offline_max_sso_unreachable`. */
  | 'portal-unreachable-too-long';

/** Why a user was put on the force-online list (their next login must be online). */
export type ForceOnlineReason = SessionEndReason | 'revalidation-grace-expired';

export type MonitorEvent =
  | { type: 'status'; status: MonitorStatus }
  | { type: 'revalidated'; user: string; at: number }
  | { type: 'force-online'; user: string; reason: ForceOnlineReason }
  | { type: 'session-ended'; user: string; reason: SessionEndReason; sessions: number };

/** What the tray subscribes to. */
export interface MonitorStatusSource {
  snapshot(): MonitorStatus;
  /** Every event, in order; returns the unsubscribe function. */
  onEvent(listener: (event: MonitorEvent) => void): () => void;
  /** "Retry now": checks at once, whatever the backoff says. */
  retryNow(): Promise<MonitorStatus>;
}

/**
 * `OFFLINE_STATUS:<expires_at>:<locked_until>` (seconds; 0 = none) as `bastion-offline status`
 * prints it → the snapshot's fields (ms). Anything else → null (never guessed).
 */
export function parseOfflineStatusLine(
  line: string,
  nowMs: number,
): Pick<MonitorStatus, 'cachedLoginValidUntil' | 'lockout'> | null {
  const match = /^OFFLINE_STATUS:([0-9]{1,12}):([0-9]{1,12})$/.exec(line.trim());
  if (!match) return null;
  const expires = Number(match[1]) * 1000;
  const locked = Number(match[2]) * 1000;
  const result: Pick<MonitorStatus, 'cachedLoginValidUntil' | 'lockout'> = {};
  if (expires > 0) result.cachedLoginValidUntil = expires;
  if (locked > nowMs) result.lockout = { until: locked };
  return result;
}
