import type { Locale } from '../../preload/api';
import { en } from './en';
import { fr } from './fr';
import type { Messages } from './messages';

export type { Messages } from './messages';

const catalogues: Record<Locale, Messages> = { en, fr };

/** The catalogue for `locale`; an unexpected value (the payload is main's, but be safe) gets English. */
export function messagesFor(locale: Locale): Messages {
  return Object.hasOwn(catalogues, locale) ? catalogues[locale] : en;
}
