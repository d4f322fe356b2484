// The tray status view's texts, en and fr. Typed by `TrayMessages`: a missing state is a type
// error, so no locale silently shows nothing. Kept apart from the greeter's catalogue
// (renderer/i18n), which the login screen loads without these. Dates and relative times come
// formatted in the person's locale (TrayInfo.intlLocale); these only place them.
import type { TrayIconState } from '../../preload/tray-api';

export interface TrayMessages {
  /** Dates when main gave no usable locale tag. */
  intlLocale: string;
  documentTitle: string;
  heading: string;
  loading: string;
  startupFailed: string;
  requestFailed: string;
  account: (user: string) => string;
  /** The headline, by the state the icon shows. */
  headline: Record<TrayIconState, string>;
  /** What the icon beside the headline means (its alternative text). */
  iconLabel: Record<TrayIconState, string>;
  onlineSince: (when: string, relative: string) => string;
  offlineSince: (when: string, relative: string) => string;
  unreachableSince: (when: string, relative: string) => string;
  cachedLabel: string;
  cachedValidUntil: (when: string, relative: string) => string;
  cachedExpired: (when: string, relative: string) => string;
  cachedNone: string;
  cachedUnknown: string;
  lockLabel: string;
  lockedUntil: (when: string, relative: string) => string;
  lockedAttempts: (attempts: number) => string;
  notLocked: string;
  revalidationLabel: string;
  revalidatedAt: (when: string, relative: string) => string;
  neverRevalidated: string;
  justNow: string;
  inUnderAMinute: string;
  retryNow: string;
  retrying: string;
  openKeyManager: string;
  keyManagerOpened: string;
  expiringAdvice: string;
  lockedAdvice: string;
}

export const trayEn: TrayMessages = {
  intlLocale: 'en-GB',
  documentTitle: 'Connection status',
  heading: 'Connection status',
  loading: 'Starting…',
  startupFailed: 'The status cannot be shown: the tray service did not answer.',
  requestFailed: 'That did not work. Try again.',
  account: (user) => `Account: ${user}`,
  headline: {
    online: 'Online',
    offline: 'Offline',
    'portal-unreachable': 'Sign-in portal unreachable',
    expiring: 'Offline: cached login expiring',
    'locked-out': 'Offline sign-in locked',
  },
  iconLabel: {
    online: 'Online icon',
    offline: 'Offline icon',
    'portal-unreachable': 'Portal unreachable icon',
    expiring: 'Expiring icon',
    'locked-out': 'Locked icon',
  },
  onlineSince: (when, relative) => `Connected to the sign-in portal since ${when} (${relative}).`,
  offlineSince: (when, relative) => `No network since ${when} (${relative}).`,
  unreachableSince: (when, relative) =>
    `The sign-in portal has not answered since ${when} (${relative}).`,
  cachedLabel: 'Cached login',
  cachedValidUntil: (when, relative) => `Valid until ${when} (${relative}).`,
  cachedExpired: (when, relative) =>
    `Expired on ${when} (${relative}). Connect to the network to sign in again.`,
  cachedNone: 'None on this computer: signing in needs the network.',
  cachedUnknown: 'Unknown: the offline cache could not be asked.',
  lockLabel: 'Offline sign-in',
  lockedUntil: (when, relative) => `Locked until ${when} (${relative}).`,
  lockedAttempts: (attempts) =>
    attempts === 1 ? 'After 1 failed attempt.' : `After ${attempts} failed attempts.`,
  notLocked: 'Not locked.',
  revalidationLabel: 'Last check with the portal',
  revalidatedAt: (when, relative) => `${when} (${relative}).`,
  neverRevalidated: 'Not yet.',
  justNow: 'just now',
  inUnderAMinute: 'in less than a minute',
  retryNow: 'Retry now',
  retrying: 'Checking…',
  openKeyManager: 'Open the key manager',
  keyManagerOpened: 'The key manager is opening.',
  expiringAdvice: 'Connect to the network before then to keep signing in.',
  lockedAdvice: 'Wait until the lock ends, then type your password carefully.',
};

export const trayFr: TrayMessages = {
  intlLocale: 'fr-FR',
  documentTitle: 'État de la connexion',
  heading: 'État de la connexion',
  loading: 'Démarrage…',
  startupFailed:
    "L'état ne peut pas être affiché : le service de la zone de notification n'a pas répondu.",
  requestFailed: "Cela n'a pas fonctionné. Réessayez.",
  account: (user) => `Compte : ${user}`,
  headline: {
    online: 'En ligne',
    offline: 'Hors ligne',
    'portal-unreachable': 'Portail de connexion injoignable',
    expiring: 'Hors ligne : connexion en cache bientôt expirée',
    'locked-out': 'Connexion hors ligne verrouillée',
  },
  iconLabel: {
    online: 'Icône en ligne',
    offline: 'Icône hors ligne',
    'portal-unreachable': 'Icône portail injoignable',
    expiring: 'Icône expiration proche',
    'locked-out': 'Icône verrouillage',
  },
  onlineSince: (when, relative) =>
    `Connecté au portail de connexion depuis le ${when} (${relative}).`,
  offlineSince: (when, relative) => `Pas de réseau depuis le ${when} (${relative}).`,
  unreachableSince: (when, relative) =>
    `Le portail de connexion ne répond plus depuis le ${when} (${relative}).`,
  cachedLabel: 'Connexion en cache',
  cachedValidUntil: (when, relative) => `Valable jusqu'au ${when} (${relative}).`,
  cachedExpired: (when, relative) =>
    `Expirée le ${when} (${relative}). Connectez-vous au réseau pour vous reconnecter.`,
  cachedNone: 'Aucune sur cet ordinateur : la connexion demande le réseau.',
  cachedUnknown: "Inconnue : le cache hors ligne n'a pas pu être interrogé.",
  lockLabel: 'Connexion hors ligne',
  lockedUntil: (when, relative) => `Verrouillée jusqu'au ${when} (${relative}).`,
  lockedAttempts: (attempts) =>
    attempts === 1 ? 'Après 1 tentative échouée.' : `Après ${attempts} tentatives échouées.`,
  notLocked: 'Non verrouillée.',
  revalidationLabel: 'Dernière vérification auprès du portail',
  revalidatedAt: (when, relative) => `Le ${when} (${relative}).`,
  neverRevalidated: 'Pas encore.',
  justNow: "à l'instant",
  inUnderAMinute: "dans moins d'une minute",
  retryNow: 'Réessayer maintenant',
  retrying: 'Vérification…',
  openKeyManager: 'Ouvrir le gestionnaire de clés',
  keyManagerOpened: "Le gestionnaire de clés s'ouvre.",
  expiringAdvice:
    'Connectez-vous au réseau avant cette date pour pouvoir continuer à vous connecter.',
  lockedAdvice: 'Attendez la fin du verrouillage, puis saisissez votre mot de passe avec soin.',
};

export function trayMessagesFor(locale: string): TrayMessages {
  return locale === 'fr' ? trayFr : trayEn;
}
