import { useT, useFromNow } from './context';
import { formatClockDate, formatClockTime } from '../logic/dates';

export function Clock() {
  const t = useT();
  const time = useFromNow((now) => formatClockTime(new Date(now), t.intlLocale));
  const date = useFromNow((now) => formatClockDate(new Date(now), t.intlLocale));
  // Minute precision (with the UTC marker) so the attribute changes once a minute.
  const iso = useFromNow((now) => `${new Date(now).toISOString().slice(0, 16)}Z`);
  return (
    <div className="clock" data-testid="clock" aria-label={t.clockLabel} role="group">
      <time className="clock-time" dateTime={iso}>
        {time}
      </time>
      <span className="clock-date">{date}</span>
    </div>
  );
}
