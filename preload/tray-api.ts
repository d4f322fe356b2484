// The tray's contract (`bastion-greeter --tray`, `npm start -- --tray`): the one door of the
// status view's page, `window.bastionTray`, and nothing of the greeter's or the key manager's.
// Main merges two sources into one snapshot and pushes it on every change:
//  * the online/offline monitor's status (main/monitor), shaped as `TrayMonitorStatus`;
//  * `bastion-offline status` through the helper's `bastion-status` PAM service
//    (main/ipc/tray-cache-status.ts): until when cached login is valid, and its lock.
// The page sends no payload at all (main/ipc/tray-backend.ts refuses one). Type imports only;
// the only code is `trayIconState`, a pure function the Electron tray (icon, menu) and the page
// (headline) share so that both always name the same state.

import type { Locale } from './api';

export type TrayConnection = 'online' | 'offline' | 'portal-unreachable';

/**
 * The monitor's status snapshot as the tray reads it (main/monitor's own contract has this
 * shape). Times are epoch milliseconds.
 */
export interface TrayMonitorStatus {
  state: TrayConnection;
  /** When `state` began. */
  since: number;
  /** The last successful revalidation with the portal; null: none yet. */
  lastRevalidation: number | null;
  /** Where the monitor knows it (not the root-only cache): until when cached login is valid. */
  cachedLoginValidUntil?: number | null;
  /** The offline lockout as the monitor knows it. */
  lockout?: { until: number; attempts?: number | null } | null;
}

/** What the tray knows of the person's cached (offline) login. Times: epoch ms. */
export type TrayCachedLogin =
  /** The cache answered: valid until `validUntil` (it may already have passed). */
  | { kind: 'known'; validUntil: number }
  /** No cached login for this person on this computer (OFFLINE_ERROR:-4). */
  | { kind: 'none' }
  /** Nobody could say (helper unavailable, busy, a malformed answer): shown as unknown. */
  | { kind: 'unknown' };

export interface TrayLockout {
  /** Epoch ms; the lock is over once this passes. */
  until: number;
  /** Failed offline attempts behind the lock, when a source said. */
  attempts: number | null;
}

export interface TraySnapshot {
  /** The person the tray runs for. */
  user: string;
  connection: TrayConnection;
  /** When `connection` began (epoch ms); null: not known. */
  since: number | null;
  lastRevalidation: number | null;
  cachedLogin: TrayCachedLogin;
  /** Null: no lock known. A lock whose `until` has passed is over. */
  lockout: TrayLockout | null;
  /** How long before `validUntil` the tray warns (greeter.conf offline-expiry-warning-minutes). */
  warningLeadMs: number;
  /** A "Retry now" runs (probe and status query). */
  retrying: boolean;
}

export interface TrayInfo {
  locale: Locale;
  /** BCP 47 tag for dates and relative times (the person's LC_TIME / LANG when it fits). */
  intlLocale: string;
  host: 'electron' | 'dev-chromium';
}

/**
 * How "Open the key manager" went: Electron started `bastion-greeter --keys` itself; the
 * Chromium fallback hands back the key manager page's URL for the page to open.
 */
export type TrayOpenResult = { opened: 'process' } | { opened: 'url'; url: string };

/** `window.bastionTray`. Commands resolve once main took them; the snapshot shows the rest. */
export interface BastionTrayApi {
  getInfo(): Promise<TrayInfo>;
  getSnapshot(): Promise<TraySnapshot>;
  /** Probes the portal and asks the cache again now. */
  retryNow(): Promise<void>;
  openKeyManager(): Promise<TrayOpenResult>;
  onSnapshot(listener: (snapshot: TraySnapshot) => void): () => void;
}

export type TrayCall = Exclude<keyof BastionTrayApi, 'onSnapshot'>;

/** Named IPC channels of the tray's status window; no generic passthrough. */
export const TRAY_IPC = {
  getInfo: 'bastion-tray:get-info',
  getSnapshot: 'bastion-tray:get-snapshot',
  retryNow: 'bastion-tray:retry-now',
  openKeyManager: 'bastion-tray:open-key-manager',
  snapshot: 'bastion-tray:snapshot',
} as const satisfies Record<TrayCall | 'snapshot', string>;

/** What the icon (and the page's headline) shows, most urgent first. */
export type TrayIconState = 'locked-out' | 'expiring' | 'portal-unreachable' | 'offline' | 'online';

export const TRAY_ICON_STATES: readonly TrayIconState[] = [
  'online',
  'offline',
  'portal-unreachable',
  'expiring',
  'locked-out',
];

/** Default lead time of the expiry warning, in minutes (greeter.conf can change it). */
export const DEFAULT_EXPIRY_WARNING_MINUTES = 60;

/**
 * The state shown at `nowMs`. The cache's lock and expiry matter only while the portal cannot
 * be reached: online, the next sign-in goes to the portal and renews the cached login, so
 * neither is worth alarming anyone. An expired cached login reads as `expiring` too (the
 * hourglass ran out: reconnect).
 */
export function trayIconState(snapshot: TraySnapshot, nowMs: number): TrayIconState {
  if (snapshot.connection === 'online') return 'online';
  if (snapshot.lockout !== null && nowMs < snapshot.lockout.until) return 'locked-out';
  const cached = snapshot.cachedLogin;
  if (cached.kind === 'known' && nowMs >= cached.validUntil - snapshot.warningLeadMs)
    return 'expiring';
  return snapshot.connection;
}

/** When `trayIconState` can next change by time alone (epoch ms), or null: never by itself. */
export function trayIconStateNextChange(snapshot: TraySnapshot, nowMs: number): number | null {
  if (snapshot.connection === 'online') return null;
  const moments: number[] = [];
  if (snapshot.lockout !== null) moments.push(snapshot.lockout.until);
  if (snapshot.cachedLogin.kind === 'known')
    moments.push(snapshot.cachedLogin.validUntil - snapshot.warningLeadMs);
  const later = moments.filter((m) => m > nowMs);
  return later.length === 0 ? null : Math.min(...later);
}

declare global {
  interface Window {
    bastionTray: BastionTrayApi;
  }
}
