// A masked text field with a reveal toggle (aria-pressed) and a Caps Lock warning.
// Deliberately uncontrolled: React mirrors a controlled input's value into the DOM `value`
// attribute, which would put the password in the markup. The parent reads and clears the
// field through `ref` when it submits; neither React state nor the DOM attributes hold it.
import { useState, type KeyboardEvent, type RefObject } from 'react';
import { useT } from './context';

interface SecretInputProps {
  id: string;
  label: string;
  ref: RefObject<HTMLInputElement | null>;
  /** Masked (PAM_PROMPT_ECHO_OFF) or plain text (PAM_PROMPT_ECHO_ON). */
  secret: boolean;
  describedBy: string[];
  readOnly: boolean;
  testId: string;
  autoFocus?: boolean;
}

export function SecretInput({
  id,
  label,
  ref,
  secret,
  describedBy,
  readOnly,
  testId,
  autoFocus,
}: SecretInputProps) {
  const t = useT();
  const [revealed, setRevealed] = useState(false);
  const [capsLock, setCapsLock] = useState(false);
  const capsId = `${id}-caps`;

  const trackCapsLock = (event: KeyboardEvent<HTMLInputElement>) => {
    // getModifierState is reliable on key events; it reflects the state after this key.
    setCapsLock(event.getModifierState('CapsLock'));
  };
  const describedByIds = [...describedBy, ...(capsLock ? [capsId] : [])];

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="secret-row">
        <input
          id={id}
          ref={ref}
          className="input"
          type={secret && !revealed ? 'password' : 'text'}
          onKeyDown={trackCapsLock}
          onKeyUp={trackCapsLock}
          onBlur={() => setCapsLock(false)}
          autoComplete={secret ? 'current-password' : 'off'}
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          readOnly={readOnly}
          aria-describedby={describedByIds.length > 0 ? describedByIds.join(' ') : undefined}
          data-testid={testId}
          autoFocus={autoFocus}
        />
        {secret && (
          <button
            type="button"
            className="reveal"
            aria-pressed={revealed}
            aria-label={t.revealPassword}
            aria-controls={id}
            onClick={() => setRevealed((value) => !value)}
            data-testid={`${testId}-reveal`}
          >
            <span className={revealed ? 'eye eye-open' : 'eye'} aria-hidden="true" />
          </button>
        )}
      </div>
      {capsLock && (
        <p id={capsId} className="caps" role="status" data-testid="caps-lock-warning">
          {t.capsLockOn}
        </p>
      )}
    </div>
  );
}
