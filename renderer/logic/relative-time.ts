// "12 minutes ago", "in 3 hours": a hint beside an absolute date, never instead of one. Coarse
// on purpose: minutes up to two hours, hours up to two days, then days, and under a minute
// "just now" / "in less than a minute" — so a page showing one changes at most once a minute,
// and wakes up only when the words change (nextRelativeChange).

export type RelativeUnit = 'minute' | 'hour' | 'day';

/** What to say about `targetMs` at `nowMs`: `amount` is negative in the past. */
export type Relative =
  { kind: 'now'; past: boolean } | { kind: 'span'; amount: number; unit: RelativeUnit };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function unitFor(distance: number): { unit: RelativeUnit; size: number } {
  if (distance < 2 * HOUR) return { unit: 'minute', size: MINUTE };
  if (distance < 2 * DAY) return { unit: 'hour', size: HOUR };
  return { unit: 'day', size: DAY };
}

export function relativeTo(targetMs: number, nowMs: number): Relative {
  const distance = Math.abs(nowMs - targetMs);
  const past = nowMs >= targetMs;
  if (distance < MINUTE) return { kind: 'now', past };
  const { unit, size } = unitFor(distance);
  const amount = Math.floor(distance / size);
  return { kind: 'span', amount: past ? -amount : amount, unit };
}

/** A primitive for React's time hooks (renderer/logic/time.ts): equal keys, equal words. */
export function relativeKey(targetMs: number, nowMs: number): string {
  const relative = relativeTo(targetMs, nowMs);
  return relative.kind === 'now'
    ? `now:${relative.past ? 'past' : 'future'}`
    : `${relative.amount}:${relative.unit}`;
}

export function parseRelativeKey(key: string): Relative {
  const [first, second] = key.split(':');
  if (first === 'now') return { kind: 'now', past: second === 'past' };
  return { kind: 'span', amount: Number(first), unit: second as RelativeUnit };
}

/**
 * The next moment `relativeKey(targetMs, ·)` can change after `nowMs`. Every threshold above
 * (1 minute, 2 hours, 2 days) is a whole number of the unit in use on either side of it, so
 * the next multiple of that unit's size away from the target is never too late.
 */
export function nextRelativeChange(targetMs: number, nowMs: number): number {
  const { size } = unitFor(Math.abs(nowMs - targetMs));
  // Near the target the words change each minute (and at the target itself).
  const step = Math.abs(nowMs - targetMs) < 2 * MINUTE ? MINUTE : size;
  // Ahead of the target the amount drops just after each multiple, not on it.
  if (nowMs < targetMs && (targetMs - nowMs) % step === 0) return nowMs + 1;
  return targetMs + step * (Math.floor((nowMs - targetMs) / step) + 1);
}

const formats = new Map<string, Intl.RelativeTimeFormat>();

/** `12 minutes ago` / `il y a 12 minutes` for a span; the caller words the `now` case. */
export function formatRelativeSpan(amount: number, unit: RelativeUnit, intlLocale: string): string {
  let format = formats.get(intlLocale);
  if (format === undefined) {
    format = new Intl.RelativeTimeFormat(intlLocale, { numeric: 'always' });
    formats.set(intlLocale, format);
  }
  return format.format(amount, unit);
}
