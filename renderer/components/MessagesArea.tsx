// Everything the PAM stack and main said about the current attempt, in order. The live region
// is polite; errors carry role="alert" so they are announced at once. Countdowns sit outside
// the live region (they change every second).
import { planMessages } from '../logic/describe';
import {
  selectAttemptActive,
  selectBusy,
  selectFailure,
  selectMessages,
  selectPhase,
  selectRequestFailed,
} from '../store/selectors';
import { useGreeter, useT } from './context';
import { CachedValidUntil, LockCountdown, ThrottleCountdown } from './Countdowns';

export const FAILURE_ID = 'auth-failure';
export const REQUEST_ERROR_ID = 'request-error';

export function MessagesArea({ mode }: { mode: 'login' | 'unlock' }) {
  const t = useT();
  const messages = useGreeter(selectMessages);
  const failure = useGreeter(selectFailure);
  const phase = useGreeter(selectPhase);
  const active = useGreeter(selectAttemptActive);
  const busy = useGreeter(selectBusy);
  const requestFailed = useGreeter(selectRequestFailed);
  const { touchCue, lines } = planMessages(messages, failure, active, t);

  return (
    <section className="messages" aria-label={t.messagesLabel}>
      <div className="live" data-testid="messages" aria-live="polite">
        {touchCue !== null && (
          <div className="touch" data-testid="touch-prompt">
            <span className="touch-icon" aria-hidden="true" />
            <p className="touch-title">{t.touchTitle}</p>
            {touchCue !== '' && <p className="touch-cue">{touchCue}</p>}
          </div>
        )}
        {busy && touchCue === null && (
          <p className="line line-busy" data-testid="auth-checking">
            <span className="spinner" aria-hidden="true" />
            {t.checking}
          </p>
        )}
        {phase === 'success' && (
          <p className="line line-success success" data-testid="auth-success">
            {mode === 'unlock' ? t.successUnlock : t.successLogin}
          </p>
        )}
        {lines.map((line) => (
          <p
            // Messages only ever append within an attempt, so their index is a stable key.
            key={line.key}
            id={line.verdict ? FAILURE_ID : undefined}
            className={`line line-${line.tone}`}
            role={line.tone === 'error' ? 'alert' : undefined}
            data-testid={line.verdict ? 'auth-failure' : undefined}
          >
            {line.text}
          </p>
        ))}
        {requestFailed && (
          <p
            id={REQUEST_ERROR_ID}
            className="line line-error"
            role="alert"
            data-testid="request-error"
          >
            {t.requestFailed}
          </p>
        )}
        <CachedValidUntil />
      </div>
      <LockCountdown />
      <ThrottleCountdown />
    </section>
  );
}
