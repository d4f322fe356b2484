// The one contract between the renderer and the trusted side.
//
// The renderer sees exactly `BastionApi` on `window.bastion` (put there by preload/index.ts
// in Electron, or by dev/bridge-client.ts in the Chromium fallback). Main validates every
// payload against `main/ipc/validate.ts` before acting; nothing here is trusted on arrival.
// This file holds only types and constant names: it has no imports and no side effects, so
// every layer (renderer, preload, app, main, dev) may import it.

/** Which screen the greeter shows. */
export type GreeterMode = 'login' | 'unlock';

/** Locales the screens are translated into. */
export type Locale = 'en' | 'fr';

/** Open Bastion's OBCRED01 result names, by their numeric code (REFERENCES.md). */
export type OfflineErrorName =
  | 'OK'
  | 'NOMEM'
  | 'IO'
  | 'CRYPTO'
  | 'NOTFOUND'
  | 'EXPIRED'
  | 'LOCKED'
  | 'INVALID'
  | 'PASSWORD'
  | 'UNKNOWN';

/** A message relayed from the PAM conversation, already interpreted by main/auth. */
export type AuthMessage =
  /** Plain PAM_TEXT_INFO text, shown verbatim. */
  | { kind: 'info'; text: string }
  /** Plain PAM_ERROR_MSG text, shown verbatim. */
  | { kind: 'error'; text: string }
  /** "Touch your security key" cue (pam_u2f cue text or a `[FIDO_TOUCH]` prefix). */
  | { kind: 'touch'; text: string }
  /** `OFFLINE_ERROR:<code>[:<secs>]` from the offline cache. */
  | { kind: 'offline-error'; code: number; name: OfflineErrorName; lockSeconds: number | null }
  /** `OFFLINE_OK:<expires_at>`: cached login succeeded, valid until (Unix seconds). */
  | { kind: 'offline-ok'; expiresAt: number };

export type AuthPhase = 'idle' | 'authenticating' | 'prompting' | 'success' | 'failure' | 'locked';

/** A question from the PAM stack. `secret` prompts are masked (PAM_PROMPT_ECHO_OFF). */
export interface AuthPrompt {
  secret: boolean;
  text: string;
}

/** Why an attempt ended without success. Each maps to a sentence and an action on screen. */
export type AuthFailureReason =
  | 'credentials' // PAM_AUTH_ERR and friends: wrong password or unknown user (never told apart)
  | 'account' // pam_acct_mgmt refused: expired account, not allowed here
  | 'new-password-required' // PAM_NEW_AUTHTOK_REQD where the password could not be changed here
  | 'new-password-rejected' // the expired password's change failed (stage chauthtok)
  | 'session-failed' // signed in, but the display manager did not start the session
  | 'locked' // offline cache lockout or PAM_MAXTRIES
  | 'throttled' // too many attempts: the helper or main is slowing us down
  | 'offline-cache' // the offline cache answered with an OFFLINE_ERROR other than LOCKED/PASSWORD
  | 'cancelled'
  | 'timeout'
  | 'unavailable' // the helper could not run (not installed, not setuid, crashed)
  | 'refused' // the helper refused the caller, service or a changed PAM_USER
  | 'internal'; // protocol violation or anything unexpected: never a success

export interface AuthFailure {
  reason: AuthFailureReason;
  /** PAM result code and name when the PAM stack answered. */
  pamCode: number | null;
  pamName: string | null;
}

/** Everything the screens render about the current attempt; main pushes a new one on change. */
export interface AuthSnapshot {
  phase: AuthPhase;
  user: string | null;
  prompt: AuthPrompt | null;
  /** Messages of the current attempt, in the order the PAM stack sent them. */
  messages: AuthMessage[];
  failure: AuthFailure | null;
  /** Epoch ms until which the account is locked (the countdown is derived from it). */
  lockedUntil: number | null;
  /** Epoch ms before which main will not start another attempt (retry throttling). */
  throttledUntil: number | null;
  /** Unix seconds until which cached (offline) login stays valid, after an offline success. */
  offlineValidUntil: number | null;
  /**
   * Whether main believes the SSO portal is unreachable (its monitor's verdict, or PAM
   * evidence: the last attempt took the offline path). The next attempt takes the offline
   * path and, on pam_openbastion sites, secret answers are sent as `OFFLINE:<answer>`.
   * Pushed on every change; `GreeterInfo.offline` only serves the first paint.
   */
  offline: boolean;
}

/** What the screens need to know once, at start. */
export interface GreeterInfo {
  mode: GreeterMode;
  hostname: string;
  /** The locked session's user on the unlock screen; null on the login screen. */
  currentUser: string | null;
  locale: Locale;
  /**
   * Whether main believes the SSO portal is unreachable (offline mode) when this is asked;
   * for the first paint only: `AuthSnapshot.offline` carries every later change.
   */
  offline: boolean;
  /** How the renderer is hosted: Electron, or the development fallback in system Chromium. */
  host: 'electron' | 'dev-chromium';
  /**
   * The site turned security keys on (greeter.conf `security-keys`) and this carrier can run
   * the key's conversation beside the password's (the helper; not LightDM or greetd). The
   * unlock screen then starts its attempt at once, so a touch alone unlocks. Absent: false.
   */
  securityKeys?: boolean;
}

export interface StartAuthRequest {
  user: string;
  /**
   * The chosen desktop session's id (`SessionOption.id`), login screen only; main refuses an
   * id it did not offer. Absent: the default session.
   */
  session?: string;
}

/** Where a desktop session runs (which directory its .desktop file came from). */
export type SessionType = 'x11' | 'wayland';

/** A desktop session the person may choose (main/screens/sessions.ts). */
export interface SessionOption {
  /** The .desktop file's basename, e.g. `gnome`; what `StartAuthRequest.session` carries. */
  id: string;
  /** Its Name, localized (`Name[fr]`) when the file has it. */
  name: string;
  type: SessionType;
}

/** An account of the user list (main/screens/users.ts). */
export interface UserOption {
  name: string;
  /** The GECOS full name; the login name when it has none. */
  realName: string;
  /** The AccountsService picture as a `data:image/png|jpeg;base64,…` URL, or null. */
  icon: string | null;
  /** The session this user chose last (when the policy remembers sessions), or null. */
  session: string | null;
}

/** The site's legal notice (greeter.conf `banner-message`), acknowledged before the form. */
export type LegalNotice =
  /** The site's own text, shown verbatim (line breaks kept). */
  | { kind: 'site'; text: string }
  /** The policy file asked for a notice main could not read or accept: the generic one. */
  | { kind: 'fallback' };

/** What the login screen shows around the form, sent once (`getScreenOptions`). */
export interface ScreenOptions {
  /** Sessions to choose from; empty on the unlock screen or when none is installed. */
  sessions: SessionOption[];
  /** The session selected at first (last user's last choice, else the first); null if none. */
  defaultSession: string | null;
  /** The user list; null when hidden (policy, the display manager's hint, unlock screen). */
  users: UserOption[] | null;
  /** The user to preselect (greeter.conf `remember-last-user`); null for none. */
  lastUser: string | null;
  /** The notice to acknowledge before the form; null when the site sets none. */
  notice: LegalNotice | null;
  /** greeter.conf `hide-power-actions`: when true, `powerActions` is always empty. */
  hidePowerActions: boolean;
  /**
   * The power actions to offer, in menu order: those logind answers `yes` to (Can*), none on
   * the unlock screen or when the policy hides them. Empty: no power menu.
   */
  powerActions: PowerAction[];
  /**
   * The system's keyboard layouts (`/etc/default/keyboard` XKBLAYOUT/XKBVARIANT), the active
   * in file order (the first is the one a session starts with); empty when unknown (no
   * indicator). `keyboardCurrent` says which is active.
   */
  keyboardLayouts: KeyboardLayout[];
  /** Which assistive tools are installed (the accessibility menu offers those only). */
  assistiveTools: AssistiveTools;
  /**
   * Whether the greeter can switch the layout here (`setKeyboardLayout`): X11 with setxkbmap
   * and two or more layouts (or the demo's stand-in). False under Wayland, where the compositor
   * owns the keymap: the layout is then an indicator only.
   */
  keyboardSwitchable: boolean;
  /** Index in `keyboardLayouts` of the active layout (0 until a switch succeeds). */
  keyboardCurrent: number;
}

/** One XKB layout, e.g. `{ layout: 'fr', variant: 'oss' }` (variant '' for the default). */
export interface KeyboardLayout {
  layout: string;
  variant: string;
}

/** Assistive tools main can start: Orca (`/usr/bin/orca`) and onboard (`/usr/bin/onboard`). */
export type AssistiveTool = 'screen-reader' | 'on-screen-keyboard';

export interface AssistiveTools {
  screenReader: boolean;
  onScreenKeyboard: boolean;
}

/** Switch to `keyboardLayouts[index]`; main looks the index up in its own parsed list. */
export interface KeyboardLayoutRequest {
  index: number;
}

export interface AssistiveToolRequest {
  tool: AssistiveTool;
}

/** A power action of the login screen's power menu (logind Suspend/Reboot/PowerOff). */
export type PowerAction = 'suspend' | 'reboot' | 'power-off';

export interface PowerActionRequest {
  action: PowerAction;
}

export interface AnswerRequest {
  text: string;
}

/** The API exposed on `window.bastion`. Every call validates its payload in main. */
export interface BastionApi {
  getInfo(): Promise<GreeterInfo>;
  getAuthSnapshot(): Promise<AuthSnapshot>;
  /** Sessions, user list and site policy for the screen; asked once at start. */
  getScreenOptions(): Promise<ScreenOptions>;
  startAuth(request: StartAuthRequest): Promise<void>;
  answer(request: AnswerRequest): Promise<void>;
  cancelAuth(): Promise<void>;
  /**
   * Runs a power action the screen offered (`ScreenOptions.powerActions`), after the person
   * confirmed it; main refuses any other and, on the unlock screen, all of them.
   */
  powerAction(request: PowerActionRequest): Promise<void>;
  /**
   * Starts an installed assistive tool (`ScreenOptions.assistiveTools`); at most one instance
   * of each. Main refuses a tool that is not installed.
   */
  startAssistiveTool(request: AssistiveToolRequest): Promise<void>;
  /**
   * Makes a configured layout the active one (`ScreenOptions.keyboardSwitchable`); rejects when
   * main offers no switch here, the index is not a configured layout, or the switch failed
   * (the active layout is then unchanged).
   */
  setKeyboardLayout(request: KeyboardLayoutRequest): Promise<void>;
  /** Subscribes to snapshots; returns the unsubscribe function. */
  onAuthSnapshot(listener: (snapshot: AuthSnapshot) => void): () => void;
  /** The security key's side of the attempt (`SECURITY_KEY_OFF` when none runs). */
  getKeySnapshot(): Promise<SecurityKeySnapshot>;
  /**
   * Answers the key's PIN prompt (`SecurityKeySnapshot.phase` `pin`) with what was typed into
   * the key's own PIN field; main refuses it at any other time. Never the password's answer.
   */
  answerKeyPin(request: KeyPinRequest): Promise<void>;
  /** "Use password instead": ends the key's side; the password conversation goes on. */
  cancelKey(): Promise<void>;
  /** Subscribes to key snapshots; returns the unsubscribe function. */
  onKeySnapshot(listener: (snapshot: SecurityKeySnapshot) => void): () => void;
  /** "Sign in with SSO" (`SSO_OFF` when the site offers none). */
  getSsoSnapshot(): Promise<SsoSnapshot>;
  /**
   * Starts an SSO sign-in with a method `SsoSnapshot.methods` offers (login screen only): the
   * QR code for a phone, or the portal in its own isolated view. Main keeps every token; the
   * screen sees only the snapshot.
   */
  startSso(request: StartSsoRequest): Promise<void>;
  /** Ends the SSO sign-in in progress (closes the portal view, stops polling). */
  cancelSso(): Promise<void>;
  /** Subscribes to SSO snapshots; returns the unsubscribe function. */
  onSsoSnapshot(listener: (snapshot: SsoSnapshot) => void): () => void;
}

/** The security key's PIN, typed into its own field (never the password field). */
export interface KeyPinRequest {
  pin: string;
}

/** Named IPC channels; there is no generic passthrough. */
export const IPC = {
  getInfo: 'bastion:get-info',
  getAuthSnapshot: 'bastion:get-auth-snapshot',
  getScreenOptions: 'bastion:get-screen-options',
  startAuth: 'bastion:start-auth',
  answer: 'bastion:answer',
  cancelAuth: 'bastion:cancel-auth',
  powerAction: 'bastion:power-action',
  startAssistiveTool: 'bastion:start-assistive-tool',
  setKeyboardLayout: 'bastion:set-keyboard-layout',
  authSnapshot: 'bastion:auth-snapshot',
  getKeySnapshot: 'bastion:get-key-snapshot',
  answerKeyPin: 'bastion:answer-key-pin',
  cancelKey: 'bastion:cancel-key',
  keySnapshot: 'bastion:key-snapshot',
  getSsoSnapshot: 'bastion:get-sso-snapshot',
  startSso: 'bastion:start-sso',
  cancelSso: 'bastion:cancel-sso',
  ssoSnapshot: 'bastion:sso-snapshot',
} as const;

export type InvokeChannel = Exclude<
  (typeof IPC)[keyof typeof IPC],
  typeof IPC.authSnapshot | typeof IPC.keySnapshot | typeof IPC.ssoSnapshot
>;

/** Largest answer accepted from the renderer, in UTF-8 bytes (PAM_MAX_RESP_SIZE). */
export const MAX_ANSWER_BYTES = 512;
/**
 * Largest key PIN accepted, in UTF-8 bytes: CTAP2's own limit (a PIN is at most 63 bytes);
 * a PIN is at least MIN_KEY_PIN_CHARS code points (CTAP2 §6.5.1), shorter is never sent.
 */
export const MAX_KEY_PIN_BYTES = 63;
export const MIN_KEY_PIN_CHARS = 4;
/** Largest user name accepted, in UTF-8 bytes: the helper's own limit (FRAME_MAX_USER). */
export const MAX_USER_BYTES = 120;

/**
 * The renderer's Content-Security-Policy: sent as a response header by app/ (Electron) and
 * dev/ (the Chromium fallback), and the same policy as the meta tag of
 * renderer/static/index.html (app/test/csp.test.ts keeps them equal). `frame-ancestors` only
 * takes effect as a header; browsers ignore it in the meta tag.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
  "frame-ancestors 'none'";

declare global {
  interface Window {
    bastion: BastionApi;
  }
}

/**
 * The security key's side of an attempt (issue #9 item 4): a pam_u2f transaction of its own
 * runs beside the password one; this is what the screen shows about it. `off`: no key
 * transaction (keys disabled, none plugged in, or a display manager that runs one
 * conversation at a time).
 */
export type SecurityKeyPhase =
  | 'off'
  | 'waiting' // plugged in, pam_u2f is looking at it
  | 'touch' // pam_u2f's cue arrived: touch the key now
  | 'pin' // pam_u2f asks for the key's PIN (answered only from the PIN field)
  | 'checking' // the PIN was sent, the key decides
  | 'refused' // the key did not unlock (see `problem`); the password still works
  | 'success';

export type SecurityKeyProblem =
  | 'pin-wrong' // a PIN was sent and the key said no (`pinRetries` left, when known)
  | 'pin-blocked' // the key's PIN is blocked: no PIN is sent to it any more
  | 'refused' // pam_u2f said no: not this key's credential, timeout, or not enrolled
  | 'unavailable'; // the key transaction could not run (helper refused or broke)

export interface SecurityKeySnapshot {
  phase: SecurityKeyPhase;
  /** pam_u2f's PIN prompt text, while `phase` is `pin`. */
  pinPrompt: string | null;
  /** The key's PIN retries left, when read from the key (touch-free clientPIN getRetries). */
  pinRetries: number | null;
  problem: SecurityKeyProblem | null;
  /**
   * Lock on key removal after the KEY unlocked (unlock screen, `lock-on-key-removal = true`):
   * `armed` when the unlocking key is watched; `not-armed` when no plugged-in key could prove
   * the credential without a touch (U2F-only keys, credProtect=3, or none holds it), so
   * unplugging it will not lock. Absent otherwise.
   */
  removalWatch?: 'armed' | 'not-armed';
}

export const SECURITY_KEY_OFF: SecurityKeySnapshot = Object.freeze({
  phase: 'off',
  pinPrompt: null,
  pinRetries: null,
  problem: null,
});

/**
 * What went wrong talking to the SSO portal (main/sso's SsoError codes, issue #10). The
 * screens show one sentence per code (renderer/i18n `sso`); never token material.
 */
export type SsoErrorCode =
  | 'SSO_CONFIG_INVALID'
  | 'SSO_DISCOVERY_FAILED'
  | 'SSO_TLS_REFUSED'
  | 'SSO_PIN_MISMATCH'
  | 'SSO_TIMEOUT'
  | 'SSO_UNREACHABLE'
  | 'SSO_RESPONSE_TOO_LARGE'
  | 'SSO_BAD_RESPONSE'
  | 'SSO_REDIRECT_REFUSED'
  | 'SSO_INVALID_GRANT'
  | 'SSO_TOKEN_REJECTED'
  | 'SSO_ID_TOKEN_INVALID'
  | 'SSO_STATE_MISMATCH'
  | 'SSO_ISSUER_MISMATCH'
  | 'SSO_ACCESS_DENIED'
  | 'SSO_DEVICE_EXPIRED'
  | 'SSO_NOT_ALLOWED'
  | 'SSO_CANCELLED'
  | 'SSO_HOST_NOT_ENROLLED'
  | 'SSO_INTERNAL';

/**
 * "Sign in with SSO" on the login screen (issue #10 item 1): `device` shows a QR code to
 * approve the sign-in from a phone (RFC 8628 device authorization grant); `portal` opens the
 * portal's own sign-in page in an isolated view (authorization code + S256 PKCE). Either way
 * main receives the tokens, and the access token answers the PAM password prompt of a normal
 * attempt for the token's user (pam_openbastion sites, DESIGN.md).
 */
export type SsoMethod = 'device' | 'portal';

export type SsoPhase =
  | 'off' // the site offers no SSO sign-in here (no sso.conf, or the unlock screen)
  | 'idle' // offered, nothing running
  | 'starting' // asking the portal for a device code or opening the portal view
  | 'device' // the QR code and user code are shown; main polls the portal
  | 'portal' // the portal's page is open in its own view
  | 'signing-in' // tokens received: the PAM attempt for their user runs (AuthSnapshot)
  | 'failed'; // see `problem`; the methods are offered again

/** Why an SSO sign-in ended: main/sso's codes, and the greeter's own. */
export type SsoProblem =
  | SsoErrorCode
  | 'SSO_NO_USER' // the tokens name no usable user (preferred_username missing or not a user name)
  | 'SSO_WRONG_USER' // the tokens name another user than the one this screen may sign in
  | 'SSO_PORTAL_EXPIRED' // the portal sign-in was not finished in time
  | 'SSO_PORTAL_UNAVAILABLE' // the portal view could not be opened here
  | 'SSO_UNEXPECTED_PROMPT' // PAM asked something other than the password: a token is no answer
  // Refresh at unlock (sso.conf unlock-with-refresh), beside the person's password unlock;
  // NO_SAVED and FAILED are no longer shown (nothing changes for the person then).
  | 'SSO_UNLOCK_NO_SAVED' // nothing saved for this account here (or unusable)
  | 'SSO_UNLOCK_ENDED' // the portal ended the saved sign-in (revoked, expired): it was wiped
  | 'SSO_UNLOCK_UNREACHABLE' // the portal cannot be reached: the password (offline path)
  | 'SSO_UNLOCK_FAILED'; // anything else (TLS, a bad answer): the saved sign-in is kept

/** What the person needs to approve the sign-in from their phone. Never a token. */
export interface SsoDeviceCode {
  /** Where to type `userCode` (shown as text). */
  verificationUri: string;
  /** The same with the code filled in: what the QR code encodes, when the portal gives one. */
  verificationUriComplete: string | null;
  userCode: string;
  /** ms epoch: the code dies then (the countdown is derived from it). */
  expiresAt: number;
}

export interface SsoSnapshot {
  phase: SsoPhase;
  /** The methods offered, in the order the screen shows them; empty when `off`. */
  methods: SsoMethod[];
  /** The method running (or that last failed); null when idle. */
  method: SsoMethod | null;
  /** While `device`: the code to show. */
  device: SsoDeviceCode | null;
  /** While `failed`: what went wrong (one sentence and what to do on screen). */
  problem: SsoProblem | null;
}

export const SSO_OFF: SsoSnapshot = Object.freeze({
  phase: 'off',
  methods: [],
  method: null,
  device: null,
  problem: null,
});

export interface StartSsoRequest {
  method: SsoMethod;
}
