// React glue of the tray page: the store, its texts, and times in the person's locale.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { formatDateTime } from '../../logic/dates';
import {
  formatRelativeSpan,
  nextRelativeChange,
  parseRelativeKey,
  relativeKey,
} from '../../logic/relative-time';
import { useTimeDerived } from '../../logic/time';
import type { TrayMessages } from '../i18n';
import { trayMessagesFor } from '../i18n';
import type { TrayActions, TrayState, TrayStore } from '../store';

export const TrayStoreContext = createContext<TrayStore | null>(null);

export function useTray<T>(selector: (state: TrayState & TrayActions) => T): T {
  const store = useContext(TrayStoreContext);
  if (store === null) throw new Error('TrayStoreContext is missing');
  return useStore(store, selector);
}

export function useTrayT(): TrayMessages {
  return trayMessagesFor(useTray((state) => state.info?.locale ?? 'en'));
}

/** The person's date locale: main's tag when Intl knows it, else the catalogue's. */
export function useIntlLocale(): string {
  const t = useTrayT();
  const tag = useTray((state) => state.info?.intlLocale ?? null);
  if (tag === null) return t.intlLocale;
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length > 0 ? tag : t.intlLocale;
  } catch {
    return t.intlLocale;
  }
}

/** `23 Nov 2026, 14:05` and `12 minutes ago`, re-rendered only when the words change. */
export function useWhen(atMs: number): { when: string; relative: string } {
  const t = useTrayT();
  const locale = useIntlLocale();
  const key = useTimeDerived(
    (now) => relativeKey(atMs, now),
    (now) => nextRelativeChange(atMs, now),
    atMs,
  );
  const relative = parseRelativeKey(key);
  return {
    when: formatDateTime(new Date(atMs), locale),
    relative:
      relative.kind === 'now'
        ? relative.past
          ? t.justNow
          : t.inUnderAMinute
        : formatRelativeSpan(relative.amount, relative.unit, locale),
  };
}
