// Countdowns are derived from absolute deadlines (epoch ms) pushed by main, never from a
// client-side counter, so a re-render or a restarted greeter shows the same remaining time.

/** Whole seconds left until `untilMs`, rounded up (a lock with 0.2 s left still shows 0:01). */
export function secondsLeft(untilMs: number | null, nowMs: number): number {
  if (untilMs === null || !Number.isFinite(untilMs)) return 0;
  const left = Math.ceil((untilMs - nowMs) / 1000);
  return left > 0 ? left : 0;
}

/** `m:ss` (minutes are not capped: 75 minutes is 75:00). Negative or NaN input reads 0:00. */
export function formatCountdown(totalSeconds: number): string {
  const safe = Number.isFinite(totalSeconds) && totalSeconds > 0 ? Math.floor(totalSeconds) : 0;
  const minutes = Math.floor(safe / 60);
  const seconds = safe % 60;
  return `${minutes}:${seconds.toString().padStart(2, '0')}`;
}

/**
 * When `secondsLeft(untilMs, now)` next changes (epoch ms), or null once it is 0 for good: a
 * countdown needs to be looked at again then, and not before.
 */
export function nextSecondsLeftChange(untilMs: number | null, nowMs: number): number | null {
  const left = secondsLeft(untilMs, nowMs);
  return left === 0 || untilMs === null ? null : untilMs - (left - 1) * 1000;
}
