// The key manager's texts, en and fr. Typed by `KeysMessages`: a missing step, problem code or
// requirement is a type error, so no locale silently shows nothing. Kept apart from the
// greeter's catalogue (renderer/i18n), which the login screen loads without these.
import type { KeysProblemCode, KeysRequirement } from '../../preload/keys-api';

export interface KeysMessages {
  documentTitle: string;
  heading: string;
  loading: string;
  startupFailed: string;
  requestFailed: string;
  stepOf: (n: number, total: number) => string;
  cancel: string;
  escapeHint: string;
  busy: string;
  account: (user: string) => string;
  // blocked
  blockedTitle: string;
  blockedCentral: (authfile: string) => string;
  blockedCentralCommand: string;
  blockedPolicy: string;
  // password
  passwordTitle: string;
  passwordIntro: string;
  passwordLabel: string;
  continue: string;
  // device
  deviceTitle: string;
  deviceIntro: string;
  deviceNone: string;
  deviceChecking: string;
  deviceCheckAgain: string;
  deviceUse: (name: string) => string;
  deviceUnnamed: string;
  devicesLabel: string;
  // pin
  pinSetTitle: string;
  pinSetIntro: (min: number) => string;
  pinEnterTitle: string;
  pinEnterIntro: string;
  pinNew: string;
  pinConfirm: string;
  pinLabel: string;
  pinRetries: (n: number) => string;
  // touch
  touchTitle: string;
  touchNow: string;
  touchWaiting: string;
  retry: string;
  // name
  nameTitle: string;
  nameIntro: string;
  nameLabel: string;
  nameDefault: string;
  // test
  testTitle: string;
  testIntro: string;
  // backup
  backupTitle: string;
  backupSaved: (authfile: string) => string;
  backupAdvice: string;
  backupAnother: string;
  backupFinish: string;
  // done
  doneTitle: string;
  doneText: (count: number) => string;
  doneClose: string;
  // cancelled
  cancelledTitle: string;
  cancelledText: string;
  restart: string;
  requirement: Record<KeysRequirement, string>;
  problem: Record<Exclude<KeysProblemCode, 'PIN_INVALID'>, string>;
  pinInvalid: (retriesLeft: number | null) => string;
}

export const keysEn: KeysMessages = {
  documentTitle: 'Security keys',
  heading: 'Add a security key',
  loading: 'Starting…',
  startupFailed:
    'The key manager could not reach its service. Close this window and open it again; if this keeps happening, contact your administrator.',
  requestFailed: 'That did not go through. Try again.',
  stepOf: (n, total) => `Step ${n} of ${total}`,
  cancel: 'Cancel',
  escapeHint: 'Escape cancels; nothing is saved before the test succeeds.',
  busy: 'Working…',
  account: (user) => `Account: ${user}`,
  blockedTitle: 'Ask your administrator',
  blockedCentral: (authfile) =>
    `This computer keeps security keys in a central file (${authfile}) that only an administrator can change. Ask them to enroll your key with:`,
  blockedCentralCommand: 'bastion-keys keys enroll --user YOUR-NAME --device auto --authfile FILE',
  blockedPolicy:
    'The security key settings of this computer are not valid, so no key can be enrolled now. Ask your administrator to fix them.',
  passwordTitle: 'Confirm it is you',
  passwordIntro: 'Enter your password before adding a security key to your account.',
  passwordLabel: 'Password',
  continue: 'Continue',
  deviceTitle: 'Choose your security key',
  deviceIntro: 'Plug in the security key you want to use for signing in.',
  deviceNone: 'Insert your security key. It is looked for again every second.',
  deviceChecking: 'Looking for security keys…',
  deviceCheckAgain: 'Check again',
  deviceUse: (name) => `Use ${name}`,
  deviceUnnamed: 'security key',
  devicesLabel: 'Plugged-in security keys',
  pinSetTitle: 'Choose a PIN for your key',
  pinSetIntro: (min) =>
    `Your key has no PIN yet. Choose one of at least ${min} characters (at most 63 bytes); the key asks for it, not this computer.`,
  pinEnterTitle: 'Enter your key’s PIN',
  pinEnterIntro: 'Your key has a PIN. Enter it to continue.',
  pinNew: 'New PIN',
  pinConfirm: 'Confirm the PIN',
  pinLabel: 'Key PIN',
  pinRetries: (n) => (n === 1 ? '1 attempt left before the PIN blocks.' : `${n} attempts left.`),
  touchTitle: 'Touch your key',
  touchNow: 'Touch your security key now.',
  touchWaiting: 'Talking to your key…',
  retry: 'Try again',
  nameTitle: 'Name your key',
  nameIntro: 'A name helps you tell your keys apart later.',
  nameLabel: 'Key name',
  nameDefault: 'My security key',
  testTitle: 'Test your key',
  testIntro: 'Touch your key once more to check that it signs you in.',
  backupTitle: 'Your key is ready',
  backupSaved: (authfile) => `The key was tested and saved in ${authfile}.`,
  backupAdvice:
    'Add a second key as a backup: if you lose your only key, you cannot sign in with it any more.',
  backupAnother: 'Add a backup key',
  backupFinish: 'Not now',
  doneTitle: 'All done',
  doneText: (count) =>
    count === 1
      ? 'One security key was added. You can now touch it to sign in or unlock.'
      : `${count} security keys were added. You can now touch one to sign in or unlock.`,
  doneClose: 'You can close this window.',
  cancelledTitle: 'Cancelled',
  cancelledText: 'Nothing was saved.',
  restart: 'Start again',
  requirement: {
    presence: 'Signing in will need a touch of the key.',
    pin: 'Signing in will need the key’s PIN and a touch.',
    verification: 'Signing in will need the key’s built-in verification.',
  },
  problem: {
    PASSWORD_WRONG: 'Wrong password. Try again.',
    PASSWORD_UNAVAILABLE:
      'Your password could not be checked here. Try again later, or ask your administrator.',
    PASSWORD_THROTTLED: 'Too many wrong passwords. Wait a few minutes, then try again.',
    KEY_NOT_FOUND: 'The key could not be found. Plug it in and try again.',
    KEY_REMOVED: 'The key was removed. Plug it in again and choose it.',
    KEY_BUSY: 'The key is busy with another program. Close that program and try again.',
    PIN_BLOCKED:
      'This key’s PIN is blocked. It can only be reset with the vendor’s tool, which erases it: use another key.',
    PIN_AUTH_BLOCKED: 'Too many wrong PINs in a row. Unplug the key, plug it in again and retry.',
    PIN_POLICY: 'The key refused this PIN. Choose a longer one.',
    PIN_MISMATCH: 'The two PINs are not the same. Type them again.',
    KEY_FULL:
      'This key has no room for another sign-in. Remove one with its vendor’s tool, or use another key.',
    ALREADY_ENROLLED: 'This key is already added to your account. Use another key.',
    TIMEOUT: 'The key was not touched in time. Try again and touch it when it blinks.',
    UNSUPPORTED:
      'This key cannot be used for signing in here (it lacks FIDO2 ES256 or what this computer requires). Use another key.',
    TEST_FAILED: 'The test with the new key failed, so nothing was saved. Try again.',
    KEY_ERROR: 'The key did not answer as expected. Unplug it, plug it in again and retry.',
    MAPPING_ERROR:
      'Your security key list could not be read or saved. Ask your administrator to check it.',
    NAME_INVALID: 'Give the key a name of 1 to 64 characters.',
  },
  pinInvalid: (n) =>
    n === null
      ? 'Wrong PIN. Try again.'
      : n === 1
        ? 'Wrong PIN: 1 attempt left before the PIN blocks.'
        : `Wrong PIN: ${n} attempts left.`,
};

export const keysFr: KeysMessages = {
  documentTitle: 'Clés de sécurité',
  heading: 'Ajouter une clé de sécurité',
  loading: 'Démarrage…',
  startupFailed:
    'Le gestionnaire de clés ne joint pas son service. Fermez cette fenêtre et rouvrez-la ; si cela se reproduit, contactez votre administrateur.',
  requestFailed: 'La demande n’est pas passée. Réessayez.',
  stepOf: (n, total) => `Étape ${n} sur ${total}`,
  cancel: 'Annuler',
  escapeHint: 'Échap annule ; rien n’est enregistré avant la réussite du test.',
  busy: 'Un instant…',
  account: (user) => `Compte : ${user}`,
  blockedTitle: 'Demandez à votre administrateur',
  blockedCentral: (authfile) =>
    `Cet ordinateur garde les clés de sécurité dans un fichier central (${authfile}) que seul un administrateur peut modifier. Demandez-lui d’enregistrer votre clé avec :`,
  blockedCentralCommand:
    'bastion-keys keys enroll --user VOTRE-NOM --device auto --authfile FICHIER',
  blockedPolicy:
    'Les réglages des clés de sécurité de cet ordinateur ne sont pas valides : aucune clé ne peut être ajoutée pour l’instant. Demandez à votre administrateur de les corriger.',
  passwordTitle: 'Confirmez votre identité',
  passwordIntro: 'Saisissez votre mot de passe avant d’ajouter une clé de sécurité à votre compte.',
  passwordLabel: 'Mot de passe',
  continue: 'Continuer',
  deviceTitle: 'Choisissez votre clé de sécurité',
  deviceIntro: 'Branchez la clé de sécurité que vous voulez utiliser pour vous connecter.',
  deviceNone: 'Insérez votre clé de sécurité. Elle est recherchée chaque seconde.',
  deviceChecking: 'Recherche des clés de sécurité…',
  deviceCheckAgain: 'Chercher à nouveau',
  deviceUse: (name) => `Utiliser ${name}`,
  deviceUnnamed: 'la clé de sécurité',
  devicesLabel: 'Clés de sécurité branchées',
  pinSetTitle: 'Choisissez un code PIN pour votre clé',
  pinSetIntro: (min) =>
    `Votre clé n’a pas encore de code PIN. Choisissez-en un d’au moins ${min} caractères (63 octets au plus) ; c’est la clé qui le demande, pas cet ordinateur.`,
  pinEnterTitle: 'Saisissez le code PIN de votre clé',
  pinEnterIntro: 'Votre clé a un code PIN. Saisissez-le pour continuer.',
  pinNew: 'Nouveau code PIN',
  pinConfirm: 'Confirmez le code PIN',
  pinLabel: 'Code PIN de la clé',
  pinRetries: (n) =>
    n === 1 ? 'Encore 1 essai avant le blocage du code PIN.' : `Encore ${n} essais.`,
  touchTitle: 'Touchez votre clé',
  touchNow: 'Touchez maintenant votre clé de sécurité.',
  touchWaiting: 'Dialogue avec votre clé…',
  retry: 'Réessayer',
  nameTitle: 'Nommez votre clé',
  nameIntro: 'Un nom vous aidera à distinguer vos clés plus tard.',
  nameLabel: 'Nom de la clé',
  nameDefault: 'Ma clé de sécurité',
  testTitle: 'Testez votre clé',
  testIntro: 'Touchez encore une fois votre clé pour vérifier qu’elle vous connecte.',
  backupTitle: 'Votre clé est prête',
  backupSaved: (authfile) => `La clé a été testée et enregistrée dans ${authfile}.`,
  backupAdvice:
    'Ajoutez une deuxième clé de secours : si vous perdez votre seule clé, vous ne pourrez plus vous connecter avec.',
  backupAnother: 'Ajouter une clé de secours',
  backupFinish: 'Pas maintenant',
  doneTitle: 'Terminé',
  doneText: (count) =>
    count === 1
      ? 'Une clé de sécurité a été ajoutée. Touchez-la pour vous connecter ou déverrouiller.'
      : `${count} clés de sécurité ont été ajoutées. Touchez-en une pour vous connecter ou déverrouiller.`,
  doneClose: 'Vous pouvez fermer cette fenêtre.',
  cancelledTitle: 'Annulé',
  cancelledText: 'Rien n’a été enregistré.',
  restart: 'Recommencer',
  requirement: {
    presence: 'La connexion demandera de toucher la clé.',
    pin: 'La connexion demandera le code PIN de la clé et un toucher.',
    verification: 'La connexion demandera la vérification intégrée de la clé.',
  },
  problem: {
    PASSWORD_WRONG: 'Mot de passe incorrect. Réessayez.',
    PASSWORD_UNAVAILABLE:
      'Votre mot de passe ne peut pas être vérifié ici. Réessayez plus tard ou demandez à votre administrateur.',
    PASSWORD_THROTTLED:
      'Trop de mots de passe incorrects. Attendez quelques minutes, puis réessayez.',
    KEY_NOT_FOUND: 'La clé est introuvable. Branchez-la et réessayez.',
    KEY_REMOVED: 'La clé a été retirée. Rebranchez-la et choisissez-la.',
    KEY_BUSY: 'La clé est occupée par un autre programme. Fermez-le et réessayez.',
    PIN_BLOCKED:
      'Le code PIN de cette clé est bloqué. Seul l’outil du fabricant peut la réinitialiser, ce qui l’efface : utilisez une autre clé.',
    PIN_AUTH_BLOCKED:
      'Trop de codes PIN erronés d’affilée. Débranchez la clé, rebranchez-la et réessayez.',
    PIN_POLICY: 'La clé a refusé ce code PIN. Choisissez-en un plus long.',
    PIN_MISMATCH: 'Les deux codes PIN sont différents. Saisissez-les à nouveau.',
    KEY_FULL:
      'Cette clé n’a plus de place pour une autre connexion. Supprimez-en une avec l’outil du fabricant ou utilisez une autre clé.',
    ALREADY_ENROLLED: 'Cette clé est déjà ajoutée à votre compte. Utilisez une autre clé.',
    TIMEOUT: 'La clé n’a pas été touchée à temps. Réessayez et touchez-la quand elle clignote.',
    UNSUPPORTED:
      'Cette clé ne peut pas servir à se connecter ici (pas de FIDO2 ES256 ou pas ce que cet ordinateur exige). Utilisez une autre clé.',
    TEST_FAILED: 'Le test de la nouvelle clé a échoué : rien n’a été enregistré. Réessayez.',
    KEY_ERROR: 'La clé n’a pas répondu comme prévu. Débranchez-la, rebranchez-la et réessayez.',
    MAPPING_ERROR:
      'La liste de vos clés de sécurité ne peut pas être lue ou enregistrée. Demandez à votre administrateur de la vérifier.',
    NAME_INVALID: 'Donnez à la clé un nom de 1 à 64 caractères.',
  },
  pinInvalid: (n) =>
    n === null
      ? 'Code PIN incorrect. Réessayez.'
      : n === 1
        ? 'Code PIN incorrect : encore 1 essai avant le blocage.'
        : `Code PIN incorrect : encore ${n} essais.`,
};

export function keysMessagesFor(locale: string): KeysMessages {
  return locale === 'fr' ? keysFr : keysEn;
}
