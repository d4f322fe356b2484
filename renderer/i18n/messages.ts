// The shape every translation must fill. `Record<Union, string>` makes a missing OFFLINE_ERROR
// name or failure reason a type error, so no locale can silently fall back to nothing.
import type {
  AssistiveTool,
  AuthFailureReason,
  OfflineErrorName,
  PowerAction,
  SecurityKeyProblem,
  SessionType,
  SsoErrorCode,
} from '../../preload/api';

export interface Messages {
  /** BCP 47 tag handed to Intl for clocks and dates. */
  intlLocale: string;
  documentTitle: string;
  loginHeading: string;
  unlockHeading: string;
  loading: string;
  startupFailed: string;
  /** Shown by early.js on a served first paint whose page script never hydrated it. */
  startStalled: string;
  hostLabel: string;
  clockLabel: string;
  userLabel: string;
  userRequired: string;
  currentUserLabel: string;
  passwordLabel: string;
  passwordHint: string;
  revealPassword: string;
  capsLockOn: string;
  signIn: string;
  unlock: string;
  cancel: string;
  checking: string;
  successLogin: string;
  successUnlock: string;
  touchTitle: string;
  messagesLabel: string;
  requestFailed: string;
  /** "Locked, 4:00 left": the e2e suite matches /locked, \d+:\d\d left/i in English. */
  lockedCountdown: (left: string) => string;
  lockOver: string;
  throttledCountdown: (left: string) => string;
  offlineBanner: string;
  offlineBannerLabel: string;
  /** Announced (not shown) when the banner goes away: the portal is reachable again. */
  backOnline: string;
  cachedValidUntil: (when: string) => string;
  /** The site's legal notice (greeter.conf banner-message). */
  noticeHeading: string;
  /** Shown when the site asked for a notice main could not read as written. */
  noticeFallback: string;
  noticeAcknowledge: string;
  usersLabel: string;
  otherUser: string;
  /** Shown once a user is picked: back to the whole list. */
  switchUser: string;
  sessionLabel: string;
  sessionType: Record<SessionType, string>;
  /** The power menu's button (its accessible name and tooltip). */
  powerMenu: string;
  powerAction: Record<PowerAction, string>;
  /** The confirmation's question: "Restart now?". */
  powerConfirm: Record<PowerAction, string>;
  /** Shown once main accepted the request ("Restarting…"). */
  powerRequested: Record<PowerAction, string>;
  powerFailed: string;
  /** The accessibility menu's button (its accessible name and tooltip). */
  accessibilityMenu: string;
  highContrast: string;
  largeText: string;
  assistiveTool: Record<AssistiveTool, string>;
  /** Shown once main started the tool. */
  assistiveStarted: Record<AssistiveTool, string>;
  assistiveFailed: string;
  /** The keyboard layout indicator's accessible label. */
  keyboardLayout: string;
  /** The label before the list of configured layouts (when there are several). */
  keyboardLayouts: string;
  /** The switcher's menu label (X11 with several layouts). */
  keyboardLayoutMenu: string;
  /** Announced once main switched the layout: "Keyboard layout: FR". */
  keyboardSwitched: (layout: string) => string;
  /** main could not switch: the active layout is still `layout`. */
  keyboardSwitchFailed: (layout: string) => string;
  offlineError: Record<OfflineErrorName, string>;
  failure: Record<AuthFailureReason, string>;
  /** The security key's side of the attempt (SecurityKeyStatus). */
  securityKey: SecurityKeyMessages;
  /**
   * Why the offline-mode monitor ended an offline session, or asks for an online sign-in
   * (main/monitor/status.ts ForceOnlineReason): shown at the next sign-in and by the tray.
   */
  monitorNotice: {
    'user-disabled': string;
    'portal-unreachable-too-long': string;
    'revalidation-grace-expired': string;
  };
  /** One sentence per SSO client failure (main/sso SsoError codes): what happened, what to do. */
  sso: Record<SsoErrorCode, string>;
  /** "Sign in with SSO" on the login screen: the QR code, the portal view (SsoSignIn). */
  ssoSignIn: SsoSignInMessages;
}

export interface SsoSignInMessages {
  /** The group of SSO buttons under the form: its accessible name. */
  region: string;
  /** Button: the QR code for a phone (device authorization grant). */
  device: string;
  /** Button: the portal's own sign-in page in its own window. */
  portal: string;
  /** The dialog's heading while the QR code is shown. */
  deviceHeading: string;
  /** How to use the QR code or the code. */
  deviceSteps: string;
  /** The QR code's accessible name: where it leads. */
  qrLabel: (uri: string) => string;
  /** Before the verification URI, for typing it by hand. */
  orVisit: string;
  /** Before the user code. */
  codeLabel: string;
  /** "The code expires in 4:59". */
  expiresIn: (left: string) => string;
  portalHeading: string;
  /** While the portal's window is open. */
  portalSteps: string;
  startingHeading: string;
  starting: string;
  signingIn: string;
  cancel: string;
  /** The greeter's own problems (the client's are in `sso`). */
  problem: {
    SSO_NO_USER: string;
    SSO_WRONG_USER: string;
    SSO_PORTAL_EXPIRED: string;
    SSO_PORTAL_UNAVAILABLE: string;
    SSO_UNEXPECTED_PROMPT: string;
    SSO_UNLOCK_NO_SAVED: string;
    SSO_UNLOCK_ENDED: string;
    SSO_UNLOCK_UNREACHABLE: string;
    SSO_UNLOCK_FAILED: string;
  };
}

export interface SecurityKeyMessages {
  /** The area's accessible name. */
  region: string;
  /** Plugged in, pam_u2f is looking at it. */
  waiting: string;
  /** pam_u2f's cue arrived. */
  touch: string;
  /** pam_u2f asks for the key's PIN (the field is separate from the password's). */
  pin: string;
  /** The PIN field's label: says it is the KEY's PIN, not the password. */
  pinLabel: string;
  pinSubmit: string;
  /** Tries left before the key blocks its PIN (read from the key). */
  retriesLeft: (tries: number) => string;
  checking: string;
  success: string;
  problem: Record<SecurityKeyProblem, string>;
  /** The button that ends the key's side; the password goes on. */
  usePassword: string;
  /** The PIN did not reach the key (too short, too long, or no longer asked). */
  pinNotSent: string;
  /** After a key unlock: the site locks on removal, but this key could not be watched. */
  removalWatchNotArmed: string;
}
