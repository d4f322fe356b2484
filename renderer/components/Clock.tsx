import { useEffect, useState } from 'react';
import { useMinute, useT } from './context';
import { formatClockDate, formatClockTime } from '../logic/dates';

// Holds the clock's lines at their full height until the first format: the form below must not
// move when the time appears.
const BLANK = '\u00a0';

/**
 * Re-renders once a minute, on the minute (what it shows changes no more often). The first
 * time is written one frame after the screen's first paint: building the first
 * Intl.DateTimeFormat loads the locale's data (~20 ms here), which the form should not wait for.
 */
export function Clock() {
  const t = useT();
  const minute = useMinute();
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (shown) return;
    let frame = 0;
    let timeout: ReturnType<typeof setTimeout> | null = null;
    const stop = () => {
      cancelAnimationFrame(frame);
      if (timeout !== null) clearTimeout(timeout);
    };
    const show = () => {
      stop();
      setShown(true);
    };
    frame = requestAnimationFrame(() => {
      if (timeout !== null) clearTimeout(timeout);
      timeout = setTimeout(show, 0);
    });
    // A page that paints no frame (hidden) still gets its clock.
    timeout = setTimeout(show, 250);
    return stop;
  }, [shown]);
  const date = new Date(minute);
  return (
    <div className="clock" data-testid="clock" aria-label={t.clockLabel} role="group">
      {/* Minute precision with the UTC marker, as the shown time. */}
      {/* No dateTime before the first format: a served first paint has main's minute, which
          hydration would keep (React leaves attributes as served). */}
      <time
        className="clock-time"
        dateTime={shown ? `${date.toISOString().slice(0, 16)}Z` : undefined}
      >
        {shown ? formatClockTime(date, t.intlLocale) : BLANK}
      </time>
      <span className="clock-date">{shown ? formatClockDate(date, t.intlLocale) : BLANK}</span>
    </div>
  );
}
