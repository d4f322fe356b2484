import type { Messages } from './messages';

export const en: Messages = {
  intlLocale: 'en-GB',
  documentTitle: 'Bastion Greeter',
  loginHeading: 'Sign in',
  unlockHeading: 'Unlock this computer',
  loading: 'Starting…',
  startupFailed:
    'The sign-in screen could not reach the sign-in service. Restart the computer; if this keeps happening, contact your administrator.',
  startStalled:
    'The sign-in screen did not finish starting and cannot be used. Restart the computer; if this keeps happening, contact your administrator.',
  hostLabel: 'Computer',
  clockLabel: 'Current time',
  userLabel: 'User name',
  userRequired: 'Enter your user name.',
  currentUserLabel: 'Locked by',
  passwordLabel: 'Password',
  passwordHint: 'Press Enter to continue, Escape to cancel.',
  revealPassword: 'Show password',
  capsLockOn: 'Caps Lock is on.',
  signIn: 'Sign in',
  unlock: 'Unlock',
  cancel: 'Cancel',
  checking: 'Checking…',
  successLogin: 'Signing in…',
  successUnlock: 'Unlocked.',
  touchTitle: 'Touch your security key',
  messagesLabel: 'Sign-in messages',
  requestFailed:
    'The request could not be sent to the sign-in service. Try again; if this keeps happening, contact your administrator.',
  noticeHeading: 'Notice',
  noticeFallback:
    'This computer is for authorized use only. Activity on it may be monitored and recorded. By continuing you accept these conditions.',
  noticeAcknowledge: 'I understand',
  usersLabel: 'Choose your account',
  otherUser: 'Other user…',
  switchUser: 'Choose another account',
  sessionLabel: 'Session',
  sessionType: { x11: 'X11', wayland: 'Wayland' },
  powerMenu: 'Power',
  powerAction: { suspend: 'Suspend', reboot: 'Restart', 'power-off': 'Power off' },
  powerConfirm: {
    suspend: 'Suspend now?',
    reboot: 'Restart now?',
    'power-off': 'Power off now?',
  },
  powerRequested: {
    suspend: 'Suspending…',
    reboot: 'Restarting…',
    'power-off': 'Powering off…',
  },
  powerFailed: 'The computer did not accept the request. Try again, or ask your administrator.',
  accessibilityMenu: 'Accessibility',
  highContrast: 'High contrast',
  largeText: 'Large text',
  assistiveTool: { 'screen-reader': 'Screen reader', 'on-screen-keyboard': 'On-screen keyboard' },
  assistiveStarted: {
    'screen-reader': 'Screen reader started.',
    'on-screen-keyboard': 'On-screen keyboard started.',
  },
  assistiveFailed: 'The tool could not be started. Try again, or ask your administrator.',
  keyboardLayout: 'Keyboard layout',
  keyboardLayouts: 'Configured layouts',
  keyboardLayoutMenu: 'Choose a keyboard layout',
  keyboardSwitched: (layout) => `Keyboard layout: ${layout}`,
  keyboardSwitchFailed: (layout) =>
    `The keyboard layout could not be changed; it is still ${layout}. Try again, or ask your administrator.`,
  lockedCountdown: (left) => `Locked, ${left} left`,
  lockOver: 'The lock has ended. You can try again now.',
  throttledCountdown: (left) => `You can try again in ${left}.`,
  offlineBannerLabel: 'Offline mode',
  offlineBanner:
    'Offline mode: the sign-in portal cannot be reached; you can sign in with the password that last worked online.',
  backOnline: 'Back online: the sign-in portal can be reached again.',
  cachedValidUntil: (when) => `Cached login valid until ${when}.`,
  offlineError: {
    OK: 'Your offline credentials were accepted.',
    NOMEM:
      'The computer ran out of memory while checking your offline credentials. Close some programs or restart, then try again.',
    IO: 'The offline credential store could not be read. Try again; if this keeps happening, contact your administrator.',
    CRYPTO:
      'The offline credential store is damaged or was tampered with. Connect to the network to sign in online, or contact your administrator.',
    NOTFOUND:
      'Wrong password for offline sign-in, or no offline sign-in on this computer for this account. Use the password that last worked online and check Caps Lock; if you never signed in online here, connect to the network first.',
    EXPIRED:
      'Your offline credentials have expired. Connect to the network and sign in online to renew them.',
    LOCKED:
      'Offline sign-in is locked after too many wrong passwords. Wait until the countdown ends, then try again.',
    INVALID:
      'Your offline credential entry is not valid. Connect to the network to sign in online, or ask your administrator to reset it.',
    PASSWORD:
      'Wrong password for offline sign-in, or no offline sign-in on this computer for this account. Use the password that last worked online and check Caps Lock; if you never signed in online here, connect to the network first.',
    UNKNOWN:
      'Offline sign-in failed for an unknown reason. Try again; if this keeps happening, contact your administrator.',
  },
  failure: {
    credentials: 'Wrong user name or password. Check Caps Lock and try again.',
    account:
      'This account may not sign in here right now (expired or not allowed). Contact your administrator.',
    'new-password-required':
      'Your password has expired and must be changed. Change it in the sign-in portal or ask your administrator, then sign in again.',
    'new-password-rejected':
      'Your new password was not accepted (the message above says why), so your password is unchanged. Sign in again with your current password and choose another new one.',
    'session-failed':
      'Your password was accepted, but your desktop session could not be started. Try again, or choose another session; if this keeps happening, contact your administrator.',
    locked: 'The account is locked after too many failed attempts. Wait, then try again.',
    throttled: 'Too many attempts in a short time. Wait a moment, then try again.',
    'offline-cache': 'Offline sign-in did not succeed. The message above says why.',
    cancelled: 'Sign-in was cancelled. Enter your password to start again.',
    timeout: 'Sign-in took too long and was stopped. Try again.',
    unavailable:
      'The sign-in service is not available on this computer. Contact your administrator.',
    refused: 'The sign-in service refused this request. Contact your administrator.',
    internal:
      'Something went wrong, so you were not signed in. Try again; if this keeps happening, contact your administrator.',
  },
  securityKey: {
    region: 'Security key',
    waiting: 'Security key found. Getting it ready…',
    touch: 'Touch your security key now.',
    pin: 'Your security key needs its PIN. Type it in the security key PIN field below, or use your password.',
    pinLabel: 'Security key PIN (not your password)',
    pinSubmit: 'Send PIN to the key',
    retriesLeft: (tries) =>
      tries === 1
        ? 'Last try: one more wrong PIN blocks the key.'
        : `${tries} tries left before the key blocks its PIN.`,
    checking: 'Checking the PIN with your security key…',
    success: 'Security key accepted.',
    problem: {
      'pin-wrong':
        'Wrong PIN: the security key did not sign you in. Use your password, or cancel and start again to retry the key.',
      'pin-blocked':
        'The PIN of this security key is blocked after too many wrong PINs, so the key cannot sign you in. Use your password. To use the key again it must be reset (this erases it) and enrolled again.',
      refused:
        'This security key did not sign you in: it is not enrolled for this account on this computer, or it was not touched in time. Use your password.',
      unavailable: 'The security key cannot be used right now. Use your password.',
    },
    usePassword: 'Use password instead',
    pinNotSent:
      'The PIN was not sent: a security key PIN has 4 to 63 characters. Nothing was counted against the key.',
    removalWatchNotArmed: 'Locking when the key is removed is not active for this key.',
  },
  monitorNotice: {
    'user-disabled':
      'Your offline session was ended: the sign-in portal says your account is disabled. Contact your administrator.',
    'portal-unreachable-too-long':
      'Your offline session was ended: the network is up but the sign-in portal has not answered for too long. Sign in online when the portal is reachable; if a firewall blocks it, contact your administrator.',
    'revalidation-grace-expired':
      'Your offline sign-in could not be confirmed with the sign-in portal in time. Your next sign-in must be online: connect to the network first.',
  },
  sso: {
    SSO_CONFIG_INVALID:
      'The sign-in portal settings of this computer are not valid. Contact your administrator.',
    SSO_DISCOVERY_FAILED:
      'The sign-in portal did not describe itself correctly. Try again later; if this keeps happening, contact your administrator.',
    SSO_TLS_REFUSED:
      'The secure connection to the sign-in portal was refused, so nothing was sent. Contact your administrator.',
    SSO_PIN_MISMATCH:
      'The sign-in portal presented a key this computer does not expect, so nothing was sent. Contact your administrator at once.',
    SSO_TIMEOUT: 'The sign-in portal took too long to answer. Try again.',
    SSO_UNREACHABLE:
      'The sign-in portal cannot be reached. Check the network, or use your password to sign in offline.',
    SSO_RESPONSE_TOO_LARGE:
      'The sign-in portal sent an answer far too large to be genuine, so it was ignored. Try again; if this keeps happening, contact your administrator.',
    SSO_BAD_RESPONSE:
      'The sign-in portal sent an answer this computer cannot use. Try again; if this keeps happening, contact your administrator.',
    SSO_REDIRECT_REFUSED:
      'The sign-in portal tried to send this computer elsewhere, which is refused. Contact your administrator.',
    SSO_INVALID_GRANT:
      'The sign-in portal did not accept your password or your saved sign-in. Type your password and try again.',
    SSO_TOKEN_REJECTED:
      'Your sign-in with the portal has ended. Type your password to sign in again.',
    SSO_ID_TOKEN_INVALID:
      'The identity sent by the sign-in portal could not be verified, so you were not signed in. Try again; if this keeps happening, contact your administrator.',
    SSO_STATE_MISMATCH:
      'This sign-in answer does not belong to the sign-in you started, or it came too late. Start the sign-in again.',
    SSO_ISSUER_MISMATCH:
      'This sign-in answer came from another portal than this computer uses. Start the sign-in again; if this keeps happening, contact your administrator.',
    SSO_ACCESS_DENIED:
      'The sign-in was refused in the portal. Try again, or contact your administrator if you should have access.',
    SSO_DEVICE_EXPIRED:
      'The code for signing in from your phone has expired. Start again to get a new code.',
    SSO_NOT_ALLOWED:
      'This way of signing in is not enabled for this computer. Use another way, or contact your administrator.',
    SSO_CANCELLED: 'The sign-in with the portal was cancelled. Start again when you are ready.',
    SSO_HOST_NOT_ENROLLED:
      'The sign-in portal does not recognise this computer. Contact your administrator to enrol it again.',
    SSO_INTERNAL:
      'Something went wrong while talking to the sign-in portal. Try again; if this keeps happening, contact your administrator.',
  },
  ssoSignIn: {
    region: 'Sign in with SSO',
    device: 'Sign in from your phone',
    portal: 'Sign in with the SSO portal',
    deviceHeading: 'Sign in from your phone',
    deviceSteps:
      'Scan this QR code with your phone and approve the sign-in there. Or open the address below on any device and type the code.',
    qrLabel: (uri) => `QR code: opens ${uri} on your phone`,
    orVisit: 'Address',
    codeLabel: 'Code',
    expiresIn: (left) => `The code expires in ${left}`,
    portalHeading: 'Sign in with the SSO portal',
    portalSteps:
      "Sign in in the portal's window. This screen continues by itself once the portal has signed you in.",
    startingHeading: 'Sign in with SSO',
    starting: 'Contacting the sign-in portal…',
    signingIn: 'Signing you in…',
    cancel: 'Cancel',
    problem: {
      SSO_NO_USER:
        'The portal signed you in but did not say which account to open. Sign in with your password, or contact your administrator.',
      SSO_WRONG_USER:
        'The portal signed in another account than this screen can open. Sign in with the right account.',
      SSO_PORTAL_EXPIRED:
        'The sign-in with the portal took too long and was stopped. Start again when you are ready.',
      SSO_PORTAL_UNAVAILABLE:
        "The portal's window could not be opened on this computer. Sign in from your phone or with your password.",

      SSO_UNLOCK_NO_SAVED:
        'There is no saved sign-in for your account on this computer. Sign in with your password.',
      SSO_UNEXPECTED_PROMPT:
        'The sign-in asked for something other than your password (a code or a new password), which signing in with SSO cannot answer. Sign in with your password.',
      SSO_UNLOCK_ENDED:
        'Your SSO session has ended at the portal, so its saved sign-in was removed from this computer. Your password still unlocks.',
      SSO_UNLOCK_UNREACHABLE:
        'The sign-in portal cannot be reached: your password is checked offline.',
      SSO_UNLOCK_FAILED:
        'Your saved sign-in could not be used right now. Sign in with your password.',
    },
  },
};
