// Time-derived values for React, shared by every page (the greeter's clock and countdowns,
// the tray's "since …" and relative times): one timer per page, armed only for the next moment
// a shown value can change. Moved here from renderer/components/context.ts, which re-exports it.
import { useMemo, useSyncExternalStore } from 'react';
import { nextSecondsLeftChange, secondsLeft } from './countdown';

// One shared timer for the clock and countdowns, armed for the soonest moment a shown value
// can change (the next minute for the clock, the next whole second of a running countdown)
// and not at all when nothing time-dependent is shown: a lock screen sits idle for hours, so
// waking up more often than the screen changes is wasted battery. Values are always derived
// from the live time, so a late or early wake-up never shows a stale value for long.
//
// The sleep is capped: Chromium's timers run on the monotonic clock, which stops during
// suspend, so after a laptop resumes the wall clock has jumped and an uncapped sleep would
// show the old time for up to a minute. A wake-up that changes nothing renders nothing but
// still costs the page's main thread ~0.3 ms on a 2-core machine (a blinking caret costs about
// as much per blink): every 10 s bounds the stale clock after a resume and keeps that cost
// small. Hidden pages keep no timer; becoming visible re-checks everything.
export const MAX_SLEEP_MS = 10_000;

export interface TimeWatcher {
  notify(): void;
  /** When the watched value can next change (epoch ms), or null: never by itself. */
  nextChange(nowMs: number): number | null;
}

const watchers = new Set<TimeWatcher>();
let timer: ReturnType<typeof setTimeout> | null = null;
let visibilityWatched = false;

function pageHidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}

function arm(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  if (watchers.size === 0 || pageHidden()) return;
  const now = Date.now();
  let soonest = Infinity;
  for (const watcher of watchers) {
    const at = watcher.nextChange(now);
    if (at !== null && at < soonest) soonest = at;
  }
  if (soonest === Infinity) return;
  // +1 ms: a timer may fire on the boundary itself, read a clock a hair behind, and re-arm.
  const delay = Math.min(Math.max(soonest - now, 0) + 1, MAX_SLEEP_MS);
  timer = setTimeout(wake, delay);
}

function wake(): void {
  timer = null;
  for (const watcher of [...watchers]) watcher.notify();
  arm();
}

function watchVisibility(): void {
  if (visibilityWatched || typeof document === 'undefined') return;
  visibilityWatched = true;
  document.addEventListener('visibilitychange', () => (pageHidden() ? arm() : wake()));
}

function subscribeTime(nextChange: TimeWatcher['nextChange']) {
  return (notify: () => void): (() => void) => {
    const watcher: TimeWatcher = { notify, nextChange };
    watchers.add(watcher);
    watchVisibility();
    arm();
    return () => {
      watchers.delete(watcher);
      arm();
    };
  };
}

/**
 * A value derived from the time, re-rendered only when `nextChange` says it may have changed.
 * `derive` must return a primitive; both functions must depend on nothing but `key` (a change
 * of `key` re-subscribes).
 */
export function useTimeDerived<T extends string | number | boolean>(
  derive: (nowMs: number) => T,
  nextChange: TimeWatcher['nextChange'],
  key: number | null,
): T {
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` is what both functions read
  const subscribe = useMemo(() => subscribeTime(nextChange), [key]);
  const now = () => derive(Date.now());
  // Also the server snapshot: a served first paint is rendered with main's time and hydrated
  // with the page's (the clock shows neither before hydration, see Clock).
  return useSyncExternalStore(subscribe, now, now);
}

const MINUTE_MS = 60_000;
const minuteOf = (nowMs: number): number => Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
const nextMinute = (nowMs: number): number => minuteOf(nowMs) + MINUTE_MS;

/** The start of the current minute (epoch ms); re-renders once a minute, on the minute. */
export function useMinute(): number {
  return useTimeDerived(minuteOf, nextMinute, null);
}

/** Whole seconds left until `untilMs` (see secondsLeft); re-renders once a second until 0. */
export function useSecondsLeft(untilMs: number | null): number {
  return useTimeDerived(
    (now) => secondsLeft(untilMs, now),
    (now) => nextSecondsLeftChange(untilMs, now),
    untilMs,
  );
}

/** Whether `untilMs` is still ahead; re-renders once, when it passes. */
export function useBefore(untilMs: number | null): boolean {
  return useTimeDerived(
    (now) => secondsLeft(untilMs, now) > 0,
    (now) => (untilMs !== null && secondsLeft(untilMs, now) > 0 ? untilMs : null),
    untilMs,
  );
}
