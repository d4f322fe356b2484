// Locale-aware clock and date strings through Intl (no date library in the bundle). Building an
// Intl.DateTimeFormat is costly (the first one loads the locale's ICU data: ~20 ms on a 2-core
// machine), so each one is built once per locale and reused.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(
  kind: string,
  intlLocale: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${kind}\u0000${intlLocale}`;
  let made = formatters.get(key);
  if (made === undefined) {
    made = new Intl.DateTimeFormat(intlLocale, options);
    formatters.set(key, made);
  }
  return made;
}

export function formatClockTime(date: Date, intlLocale: string): string {
  return formatter('time', intlLocale, { hour: '2-digit', minute: '2-digit' }).format(date);
}

export function formatClockDate(date: Date, intlLocale: string): string {
  return formatter('date', intlLocale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(date);
}

/** "23 Nov 2026, 14:05" style: used for "cached login valid until …". */
export function formatDateTime(date: Date, intlLocale: string): string {
  return formatter('datetime', intlLocale, { dateStyle: 'medium', timeStyle: 'short' }).format(
    date,
  );
}
