// Live countdowns derived from main's absolute deadlines. role="timer" keeps screen readers
// from announcing every second; the failure sentence (role="alert") announces the lock once.
import { useGreeter, useSecondsLeft, useT } from './context';
import { formatCountdown } from '../logic/countdown';
import { formatDateTime } from '../logic/dates';
import {
  selectLockedUntil,
  selectMessages,
  selectOfflineValidUntil,
  selectPhase,
  selectThrottledUntil,
} from '../store/selectors';

export const LOCK_COUNTDOWN_ID = 'lockout-countdown';

export function LockCountdown() {
  const t = useT();
  const lockedUntil = useGreeter(selectLockedUntil);
  const phase = useGreeter(selectPhase);
  const left = useSecondsLeft(lockedUntil);
  if (lockedUntil === null) return null;
  if (left === 0) {
    // Only worth saying while the screen still shows the lock as the last outcome.
    return phase === 'locked' || phase === 'failure' ? (
      <p className="line line-info" data-testid="lock-over">
        {t.lockOver}
      </p>
    ) : null;
  }
  return (
    <p id={LOCK_COUNTDOWN_ID} className="countdown" role="timer" data-testid="lockout-countdown">
      {t.lockedCountdown(formatCountdown(left))}
    </p>
  );
}

export function ThrottleCountdown() {
  const t = useT();
  const throttledUntil = useGreeter(selectThrottledUntil);
  const left = useSecondsLeft(throttledUntil);
  if (left === 0) return null;
  return (
    <p className="countdown countdown-soft" role="timer" data-testid="throttle-countdown">
      {t.throttledCountdown(formatCountdown(left))}
    </p>
  );
}

/** After an offline success: from the snapshot, or from the last OFFLINE_OK message. */
export function CachedValidUntil() {
  const t = useT();
  const fromSnapshot = useGreeter(selectOfflineValidUntil);
  const messages = useGreeter(selectMessages);
  let fromMessages: number | null = null;
  for (const message of messages)
    if (message.kind === 'offline-ok') fromMessages = message.expiresAt;
  const expiresAt = fromSnapshot ?? fromMessages;
  if (expiresAt === null) return null;
  const when = formatDateTime(new Date(expiresAt * 1000), t.intlLocale);
  return (
    <p className="line line-success" data-testid="cached-valid-until">
      {t.cachedValidUntil(when)}
    </p>
  );
}
