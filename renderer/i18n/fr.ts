import type { Messages } from './messages';

export const fr: Messages = {
  intlLocale: 'fr-FR',
  documentTitle: 'Bastion Greeter',
  loginHeading: 'Connexion',
  unlockHeading: 'Déverrouiller cet ordinateur',
  loading: 'Démarrage…',
  startupFailed:
    "L'écran de connexion ne joint pas le service d'authentification. Redémarrez l'ordinateur ; si le problème persiste, contactez votre administrateur.",
  startStalled:
    "L'écran de connexion n'a pas fini de démarrer et ne peut pas être utilisé. Redémarrez l'ordinateur ; si le problème persiste, contactez votre administrateur.",
  hostLabel: 'Ordinateur',
  clockLabel: 'Heure actuelle',
  userLabel: "Nom d'utilisateur",
  userRequired: "Saisissez votre nom d'utilisateur.",
  currentUserLabel: 'Verrouillé par',
  passwordLabel: 'Mot de passe',
  passwordHint: 'Entrée pour continuer, Échap pour annuler.',
  revealPassword: 'Afficher le mot de passe',
  capsLockOn: 'Le verrouillage des majuscules est activé.',
  signIn: 'Se connecter',
  unlock: 'Déverrouiller',
  cancel: 'Annuler',
  checking: 'Vérification…',
  successLogin: 'Connexion en cours…',
  successUnlock: 'Déverrouillé.',
  touchTitle: 'Touchez votre clé de sécurité',
  messagesLabel: 'Messages de connexion',
  requestFailed:
    "La demande n'a pas pu être transmise au service d'authentification. Réessayez ; si le problème persiste, contactez votre administrateur.",
  noticeHeading: 'Avertissement',
  noticeFallback:
    'Cet ordinateur est réservé aux personnes autorisées. L’activité peut y être surveillée et enregistrée. En continuant, vous acceptez ces conditions.',
  noticeAcknowledge: 'J’ai compris',
  usersLabel: 'Choisissez votre compte',
  otherUser: 'Autre utilisateur…',
  switchUser: 'Choisir un autre compte',
  sessionLabel: 'Session',
  sessionType: { x11: 'X11', wayland: 'Wayland' },
  powerMenu: 'Alimentation',
  powerAction: { suspend: 'Mettre en veille', reboot: 'Redémarrer', 'power-off': 'Éteindre' },
  powerConfirm: {
    suspend: 'Mettre en veille maintenant\u202f?',
    reboot: 'Redémarrer maintenant\u202f?',
    'power-off': 'Éteindre maintenant\u202f?',
  },
  powerRequested: {
    suspend: 'Mise en veille…',
    reboot: 'Redémarrage…',
    'power-off': 'Extinction…',
  },
  powerFailed:
    'L’ordinateur n’a pas accepté la demande. Réessayez ou contactez votre administrateur.',
  accessibilityMenu: 'Accessibilité',
  highContrast: 'Contraste élevé',
  largeText: 'Grands caractères',
  assistiveTool: { 'screen-reader': 'Lecteur d’écran', 'on-screen-keyboard': 'Clavier virtuel' },
  assistiveStarted: {
    'screen-reader': 'Lecteur d’écran démarré.',
    'on-screen-keyboard': 'Clavier virtuel démarré.',
  },
  assistiveFailed: 'L’outil n’a pas pu être démarré. Réessayez, ou contactez votre administrateur.',
  keyboardLayout: 'Disposition du clavier',
  keyboardLayouts: 'Dispositions configurées',
  keyboardLayoutMenu: 'Choisir une disposition du clavier',
  keyboardSwitched: (layout) => `Disposition du clavier : ${layout}`,
  keyboardSwitchFailed: (layout) =>
    `La disposition du clavier n’a pas pu être changée ; elle reste ${layout}. Réessayez ou contactez votre administrateur.`,
  lockedCountdown: (left) => `Verrouillé, encore ${left}`,
  lockOver: 'Le verrouillage est terminé. Vous pouvez réessayer.',
  throttledCountdown: (left) => `Vous pourrez réessayer dans ${left}.`,
  offlineBannerLabel: 'Mode hors ligne',
  offlineBanner:
    'Mode hors ligne : le portail de connexion est injoignable ; vous pouvez vous connecter avec le dernier mot de passe accepté en ligne.',
  backOnline: 'De nouveau en ligne : le portail de connexion est joignable.',
  cachedValidUntil: (when) => `Connexion hors ligne valable jusqu'au ${when}.`,
  offlineError: {
    OK: 'Vos identifiants hors ligne ont été acceptés.',
    NOMEM:
      "L'ordinateur a manqué de mémoire pendant la vérification de vos identifiants hors ligne. Fermez des programmes ou redémarrez, puis réessayez.",
    IO: 'Le stockage des identifiants hors ligne est illisible. Réessayez ; si le problème persiste, contactez votre administrateur.',
    CRYPTO:
      'Le stockage des identifiants hors ligne est endommagé ou a été modifié. Connectez-vous au réseau pour vous identifier en ligne, ou contactez votre administrateur.',
    NOTFOUND:
      'Mot de passe hors ligne incorrect, ou pas de connexion hors ligne sur cet ordinateur pour ce compte. Utilisez le dernier mot de passe accepté en ligne et vérifiez le verrouillage des majuscules ; si vous ne vous êtes jamais identifié en ligne ici, connectez-vous d’abord au réseau.',
    EXPIRED:
      'Vos identifiants hors ligne ont expiré. Connectez-vous au réseau et identifiez-vous en ligne pour les renouveler.',
    LOCKED:
      'La connexion hors ligne est verrouillée après trop de mots de passe erronés. Attendez la fin du décompte, puis réessayez.',
    INVALID:
      "Votre entrée d'identifiants hors ligne n'est pas valide. Connectez-vous au réseau pour vous identifier en ligne, ou demandez à votre administrateur de la réinitialiser.",
    PASSWORD:
      'Mot de passe hors ligne incorrect, ou pas de connexion hors ligne sur cet ordinateur pour ce compte. Utilisez le dernier mot de passe accepté en ligne et vérifiez le verrouillage des majuscules ; si vous ne vous êtes jamais identifié en ligne ici, connectez-vous d’abord au réseau.',
    UNKNOWN:
      'La connexion hors ligne a échoué pour une raison inconnue. Réessayez ; si le problème persiste, contactez votre administrateur.',
  },
  failure: {
    credentials:
      "Nom d'utilisateur ou mot de passe incorrect. Vérifiez le verrouillage des majuscules et réessayez.",
    account:
      'Ce compte ne peut pas se connecter ici pour le moment (expiré ou non autorisé). Contactez votre administrateur.',
    'new-password-required':
      'Votre mot de passe a expiré et doit être changé. Changez-le sur le portail de connexion ou demandez à votre administrateur, puis reconnectez-vous.',
    'new-password-rejected':
      "Votre nouveau mot de passe n'a pas été accepté (le message ci-dessus en donne la raison) : votre mot de passe n'a pas changé. Reconnectez-vous avec votre mot de passe actuel et choisissez-en un autre.",
    'session-failed':
      "Votre mot de passe a été accepté, mais votre session n'a pas pu démarrer. Réessayez ou choisissez une autre session ; si le problème persiste, contactez votre administrateur.",
    locked: 'Le compte est verrouillé après trop de tentatives. Patientez, puis réessayez.',
    throttled: 'Trop de tentatives en peu de temps. Patientez un instant, puis réessayez.',
    'offline-cache':
      "La connexion hors ligne n'a pas abouti. Le message ci-dessus en donne la raison.",
    cancelled: 'Connexion annulée. Saisissez votre mot de passe pour recommencer.',
    timeout: 'La connexion a pris trop de temps et a été interrompue. Réessayez.',
    unavailable:
      "Le service d'authentification n'est pas disponible sur cet ordinateur. Contactez votre administrateur.",
    refused:
      "Le service d'authentification a refusé cette demande. Contactez votre administrateur.",
    internal:
      "Une erreur s'est produite : vous n'êtes pas connecté. Réessayez ; si le problème persiste, contactez votre administrateur.",
  },
  securityKey: {
    region: 'Clé de sécurité',
    waiting: 'Clé de sécurité détectée. Préparation…',
    touch: 'Touchez votre clé de sécurité maintenant.',
    pin: 'Votre clé de sécurité demande son code PIN. Saisissez-le dans le champ « Code PIN de la clé de sécurité » ci-dessous, ou utilisez votre mot de passe.',
    pinLabel: 'Code PIN de la clé de sécurité (pas votre mot de passe)',
    pinSubmit: 'Envoyer le code PIN à la clé',
    retriesLeft: (tries) =>
      tries === 1
        ? 'Dernier essai : un code PIN erroné de plus bloque la clé.'
        : `${tries} essais restants avant que la clé bloque son code PIN.`,
    checking: 'Vérification du code PIN par votre clé de sécurité…',
    success: 'Clé de sécurité acceptée.',
    problem: {
      'pin-wrong':
        'Code PIN erroné : la clé de sécurité ne vous a pas connecté. Utilisez votre mot de passe, ou annulez et recommencez pour réessayer la clé.',
      'pin-blocked':
        "Le code PIN de cette clé de sécurité est bloqué après trop d'erreurs : la clé ne peut pas vous connecter. Utilisez votre mot de passe. Pour réutiliser la clé, il faut la réinitialiser (ce qui l'efface) puis l'enregistrer à nouveau.",
      refused:
        "Cette clé de sécurité ne vous a pas connecté : elle n'est pas enregistrée pour ce compte sur cet ordinateur, ou elle n'a pas été touchée à temps. Utilisez votre mot de passe.",
      unavailable:
        'La clé de sécurité ne peut pas être utilisée pour le moment. Utilisez votre mot de passe.',
    },
    usePassword: 'Utiliser le mot de passe',
    pinNotSent:
      "Le code PIN n'a pas été envoyé : un code PIN de clé de sécurité compte de 4 à 63 caractères. Aucun essai n'a été décompté.",
    removalWatchNotArmed: 'Le verrouillage au retrait de la clé n’est pas actif pour cette clé.',
  },
  monitorNotice: {
    'user-disabled':
      'Votre session hors ligne a été fermée : le portail de connexion indique que votre compte est désactivé. Contactez votre administrateur.',
    'portal-unreachable-too-long':
      'Votre session hors ligne a été fermée : le réseau fonctionne mais le portail de connexion ne répond plus depuis trop longtemps. Connectez-vous en ligne dès que le portail est joignable ; si un pare-feu le bloque, contactez votre administrateur.',
    'revalidation-grace-expired':
      'Votre connexion hors ligne n’a pas pu être confirmée à temps auprès du portail de connexion. Votre prochaine connexion devra se faire en ligne : connectez-vous d’abord au réseau.',
  },
  sso: {
    SSO_CONFIG_INVALID:
      'Les réglages du portail de connexion de cet ordinateur ne sont pas valides. Contactez votre administrateur.',
    SSO_DISCOVERY_FAILED:
      'Le portail de connexion ne s’est pas décrit correctement. Réessayez plus tard ; si cela se reproduit, contactez votre administrateur.',
    SSO_TLS_REFUSED:
      'La connexion sécurisée au portail de connexion a été refusée, rien n’a donc été envoyé. Contactez votre administrateur.',
    SSO_PIN_MISMATCH:
      'Le portail de connexion a présenté une clé que cet ordinateur n’attend pas, rien n’a donc été envoyé. Contactez immédiatement votre administrateur.',
    SSO_TIMEOUT: 'Le portail de connexion a mis trop de temps à répondre. Réessayez.',
    SSO_UNREACHABLE:
      'Le portail de connexion est injoignable. Vérifiez le réseau, ou utilisez votre mot de passe pour vous connecter hors ligne.',
    SSO_RESPONSE_TOO_LARGE:
      'Le portail de connexion a envoyé une réponse bien trop grande pour être authentique ; elle a été ignorée. Réessayez ; si cela se reproduit, contactez votre administrateur.',
    SSO_BAD_RESPONSE:
      'Le portail de connexion a envoyé une réponse inutilisable par cet ordinateur. Réessayez ; si cela se reproduit, contactez votre administrateur.',
    SSO_REDIRECT_REFUSED:
      'Le portail de connexion a tenté de renvoyer cet ordinateur ailleurs, ce qui est refusé. Contactez votre administrateur.',
    SSO_INVALID_GRANT:
      'Le portail de connexion n’a pas accepté votre mot de passe ou votre connexion enregistrée. Saisissez votre mot de passe et réessayez.',
    SSO_TOKEN_REJECTED:
      'Votre connexion au portail a pris fin. Saisissez votre mot de passe pour vous reconnecter.',
    SSO_ID_TOKEN_INVALID:
      'L’identité envoyée par le portail de connexion n’a pas pu être vérifiée : vous n’êtes pas connecté. Réessayez ; si cela se reproduit, contactez votre administrateur.',
    SSO_STATE_MISMATCH:
      'Cette réponse de connexion ne correspond pas à la connexion que vous avez commencée, ou elle est arrivée trop tard. Recommencez la connexion.',
    SSO_ISSUER_MISMATCH:
      'Cette réponse de connexion vient d’un autre portail que celui de cet ordinateur. Recommencez la connexion ; si cela se reproduit, contactez votre administrateur.',
    SSO_ACCESS_DENIED:
      'La connexion a été refusée dans le portail. Réessayez, ou contactez votre administrateur si vous devriez y avoir accès.',
    SSO_DEVICE_EXPIRED:
      'Le code pour vous connecter depuis votre téléphone a expiré. Recommencez pour obtenir un nouveau code.',
    SSO_NOT_ALLOWED:
      'Ce moyen de connexion n’est pas activé pour cet ordinateur. Utilisez-en un autre, ou contactez votre administrateur.',
    SSO_CANCELLED: 'La connexion au portail a été annulée. Recommencez quand vous êtes prêt.',
    SSO_HOST_NOT_ENROLLED:
      'Le portail de connexion ne reconnaît pas cet ordinateur. Contactez votre administrateur pour l’inscrire à nouveau.',
    SSO_INTERNAL:
      'Un problème est survenu en dialoguant avec le portail de connexion. Réessayez ; si cela se reproduit, contactez votre administrateur.',
  },
  ssoSignIn: {
    region: 'Connexion par SSO',
    device: 'Se connecter depuis son téléphone',
    portal: 'Se connecter avec le portail SSO',
    deviceHeading: 'Se connecter depuis son téléphone',
    deviceSteps:
      'Scannez ce code QR avec votre téléphone et approuvez la connexion sur celui-ci. Ou ouvrez l’adresse ci-dessous sur n’importe quel appareil et saisissez le code.',
    qrLabel: (uri) => `Code QR : ouvre ${uri} sur votre téléphone`,
    orVisit: 'Adresse',
    codeLabel: 'Code',
    expiresIn: (left) => `Le code expire dans ${left}`,
    portalHeading: 'Se connecter avec le portail SSO',
    portalSteps:
      'Connectez-vous dans la fenêtre du portail. Cet écran continue de lui-même une fois que le portail vous a connecté.',
    startingHeading: 'Connexion par SSO',
    starting: 'Contact du portail de connexion…',
    signingIn: 'Connexion en cours…',
    cancel: 'Annuler',
    problem: {
      SSO_NO_USER:
        'Le portail vous a connecté sans indiquer quel compte ouvrir. Connectez-vous avec votre mot de passe ou contactez votre administrateur.',
      SSO_WRONG_USER:
        'Le portail a connecté un autre compte que celui que cet écran peut ouvrir. Connectez-vous avec le bon compte.',
      SSO_PORTAL_EXPIRED:
        'La connexion avec le portail a pris trop de temps et a été arrêtée. Recommencez quand vous serez prêt.',
      SSO_PORTAL_UNAVAILABLE:
        'La fenêtre du portail n’a pas pu s’ouvrir sur cet ordinateur. Connectez-vous depuis votre téléphone ou avec votre mot de passe.',

      SSO_UNLOCK_NO_SAVED:
        'Aucune connexion enregistrée pour votre compte sur cet ordinateur. Connectez-vous avec votre mot de passe.',
      SSO_UNEXPECTED_PROMPT:
        'La connexion demande autre chose que votre mot de passe (un code ou un nouveau mot de passe), à quoi la connexion SSO ne peut pas répondre. Connectez-vous avec votre mot de passe.',
      SSO_UNLOCK_ENDED:
        'Votre session SSO a pris fin sur le portail : sa connexion enregistrée a été supprimée de cet ordinateur. Votre mot de passe déverrouille toujours.',
      SSO_UNLOCK_UNREACHABLE:
        'Le portail de connexion est injoignable : votre mot de passe est vérifié hors ligne.',
      SSO_UNLOCK_FAILED:
        'Votre connexion enregistrée ne peut pas servir pour le moment. Connectez-vous avec votre mot de passe.',
    },
  },
};
