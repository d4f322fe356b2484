// LightDM's greeter hints (CONNECTED_V2 and RESET), read into what the screens need, and our
// policy for each. Values are strings on the wire; booleans are exactly `true`/`false`, and
// any other value reads as the safer choice noted on each field.
import type { RawHints } from './codec';

/**
 * Autologin is refused on purpose: the greeter never counts down and never logs anyone in
 * without PAM asking. LightDM would authenticate the `autologin-user` of the hints through its
 * non-interactive `lightdm-autologin` PAM service (src/greeter.c handle_login), i.e. without a
 * password; on an unlock screen that would open a locked session to anyone. So a conversation
 * for that user is refused before anything is sent (AUTOLOGIN_REFUSED). A site that wants
 * autologin sets `autologin-user-timeout=0`: LightDM then logs in at boot before any greeter
 * runs, and our greeter is only ever shown to ask for a password.
 */
export const AUTOLOGIN_POLICY = 'refused' as const;

export interface AutologinHints {
  /** `autologin-user`: the account LightDM would log in without a password. */
  user: string | null;
  /** `autologin-guest`. */
  guest: boolean;
  /** `autologin-timeout` (seconds) the greeter would count down; null when absent/invalid. */
  timeoutSeconds: number | null;
  /** `autologin-session`. */
  session: string | null;
}

export interface LightdmHints {
  /** `default-session`: the session used when the person picks none. */
  defaultSession: string | null;
  /** `hide-users`: do not list accounts (unknown value: hidden). */
  hideUsers: boolean;
  /** `show-manual-login`: show "Other user…" (unknown value: shown). */
  showManualLogin: boolean;
  /** `show-remote-login` (not offered by Bastion; kept for completeness). */
  showRemoteLogin: boolean;
  /** `has-guest-account` (Bastion offers no guest login; shown to admins in logs only). */
  hasGuestAccount: boolean;
  /**
   * `lock-screen`: this greeter unlocks a running session (liblightdm's lock hint; the key is
   * `lock-screen`, not `lock-hint`). Unknown value: locked. A greeter LightDM restarts after a
   * crash gets no lock hint: the in-session part is what keeps the session covered.
   */
  lockScreen: boolean;
  /** `select-user`: the account to preselect (the locking session's, or after a failure). */
  selectUser: string | null;
  /** `select-guest`. */
  selectGuest: boolean;
  /** Reported, never acted on (AUTOLOGIN_POLICY). */
  autologin: AutologinHints;
  /** Every hint as it came, including ones not read here. */
  raw: RawHints;
}

function flag(raw: RawHints, key: string, whenUnknown: boolean): boolean {
  const value = raw.get(key);
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return whenUnknown;
}

function text(raw: RawHints, key: string): string | null {
  const value = raw.get(key);
  return value === undefined || value === '' ? null : value;
}

export function readHints(raw: RawHints): LightdmHints {
  const timeout = raw.get('autologin-timeout');
  return {
    defaultSession: text(raw, 'default-session'),
    hideUsers: flag(raw, 'hide-users', true),
    showManualLogin: flag(raw, 'show-manual-login', true),
    showRemoteLogin: flag(raw, 'show-remote-login', false),
    hasGuestAccount: flag(raw, 'has-guest-account', false),
    lockScreen: flag(raw, 'lock-screen', true),
    selectUser: text(raw, 'select-user'),
    selectGuest: flag(raw, 'select-guest', false),
    autologin: {
      user: text(raw, 'autologin-user'),
      guest: flag(raw, 'autologin-guest', false),
      timeoutSeconds:
        timeout !== undefined && /^(0|[1-9][0-9]{0,5})$/.test(timeout) ? Number(timeout) : null,
      session: text(raw, 'autologin-session'),
    },
    raw,
  };
}
