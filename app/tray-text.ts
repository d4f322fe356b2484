// The Electron tray's own words (tooltip, menu, notification), en and fr. The status window's
// page has its catalogue (renderer/tray/i18n.ts); app/ may not import the renderer, and these
// are a few short lines of the same meaning. Dates in the person's locale (TrayInfo.intlLocale).
import type { Locale } from '../preload/api';
import type { TrayIconState, TraySnapshot } from '../preload/tray-api';

export interface TrayTexts {
  state: Record<TrayIconState, string>;
  cachedUntil: (when: string) => string;
  lockedUntil: (when: string) => string;
  retryNow: string;
  openKeyManager: string;
  showDetails: string;
  quit: string;
  warningTitle: string;
  warningBody: (when: string) => string;
}

const en: TrayTexts = {
  state: {
    online: 'Online',
    offline: 'Offline',
    'portal-unreachable': 'Sign-in portal unreachable',
    expiring: 'Offline: cached login expiring',
    'locked-out': 'Offline sign-in locked',
  },
  cachedUntil: (when) => `Cached login valid until ${when}`,
  lockedUntil: (when) => `Offline sign-in locked until ${when}`,
  retryNow: 'Retry now',
  openKeyManager: 'Open the key manager',
  showDetails: 'Show details',
  quit: 'Quit',
  warningTitle: 'Cached login expiring',
  warningBody: (when) =>
    `Your cached login is valid until ${when}. Connect to the network before then to keep signing in.`,
};

const fr: TrayTexts = {
  state: {
    online: 'En ligne',
    offline: 'Hors ligne',
    'portal-unreachable': 'Portail de connexion injoignable',
    expiring: 'Hors ligne : connexion en cache bientôt expirée',
    'locked-out': 'Connexion hors ligne verrouillée',
  },
  cachedUntil: (when) => `Connexion en cache valable jusqu'au ${when}`,
  lockedUntil: (when) => `Connexion hors ligne verrouillée jusqu'au ${when}`,
  retryNow: 'Réessayer maintenant',
  openKeyManager: 'Ouvrir le gestionnaire de clés',
  showDetails: 'Afficher les détails',
  quit: 'Quitter',
  warningTitle: 'Connexion en cache bientôt expirée',
  warningBody: (when) =>
    `Votre connexion en cache est valable jusqu'au ${when}. Connectez-vous au réseau avant cette date pour pouvoir continuer à vous connecter.`,
};

export function trayTexts(locale: Locale): TrayTexts {
  return locale === 'fr' ? fr : en;
}

export function formatTrayDate(ms: number, intlLocale: string): string {
  return new Intl.DateTimeFormat(intlLocale, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(ms),
  );
}

/** The tooltip: the state, then what matters in it (until when, locked until when). */
export function trayTooltip(
  texts: TrayTexts,
  state: TrayIconState,
  snapshot: TraySnapshot,
  intlLocale: string,
): string {
  const lines = [`Bastion — ${texts.state[state]}`];
  if (state === 'locked-out' && snapshot.lockout !== null)
    lines.push(texts.lockedUntil(formatTrayDate(snapshot.lockout.until, intlLocale)));
  if (state !== 'online' && snapshot.cachedLogin.kind === 'known')
    lines.push(texts.cachedUntil(formatTrayDate(snapshot.cachedLogin.validUntil, intlLocale)));
  return lines.join('\n');
}

/**
 * The person's date locale from the session (LC_ALL, LC_TIME, LANG: `fr_CA.UTF-8` → `fr-CA`)
 * when its language is the one shown, else the catalogue's own.
 */
export function sessionIntlLocale(
  locale: Locale,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const raw = env.LC_ALL || env.LC_TIME || env.LANG || '';
  const match = /^([a-z]{2,3})(?:_([A-Z]{2}))?(?:[.@].*)?$/.exec(raw);
  if (match && match[1] === locale) return match[2] ? `${match[1]}-${match[2]}` : match[1]!;
  return locale === 'fr' ? 'fr-FR' : 'en-GB';
}

/** The shown language from the session when BASTION_LOCALE does not say (LANG=fr_FR → fr). */
export function sessionLocale(env: Readonly<Record<string, string | undefined>>): Locale {
  const raw = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return raw.startsWith('fr') ? 'fr' : 'en';
}
