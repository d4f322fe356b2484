// Locale-aware clock and date strings through Intl (no date library in the bundle).

export function formatClockTime(date: Date, intlLocale: string): string {
  return new Intl.DateTimeFormat(intlLocale, { hour: '2-digit', minute: '2-digit' }).format(date);
}

export function formatClockDate(date: Date, intlLocale: string): string {
  return new Intl.DateTimeFormat(intlLocale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(date);
}

/** "23 Nov 2026, 14:05" style: used for "cached login valid until …". */
export function formatDateTime(date: Date, intlLocale: string): string {
  return new Intl.DateTimeFormat(intlLocale, { dateStyle: 'medium', timeStyle: 'short' }).format(
    date,
  );
}
