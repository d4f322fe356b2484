import type { Messages } from './messages';

export const fr: Messages = {
  intlLocale: 'fr-FR',
  documentTitle: 'Bastion Greeter',
  loginHeading: 'Connexion',
  unlockHeading: 'Déverrouiller cet ordinateur',
  loading: 'Démarrage…',
  startupFailed:
    "L'écran de connexion ne joint pas le service d'authentification. Redémarrez l'ordinateur ; si le problème persiste, contactez votre administrateur.",
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
  },
};
