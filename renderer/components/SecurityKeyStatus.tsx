// The security key's side of the attempt (issue #9 item 4): a pam_u2f conversation of its own
// runs beside the password's, and this area says where it stands — plugged in, touch now (the
// only moment the icon pulses), its PIN needed (a field of its own, labelled as the KEY's PIN,
// with the tries left), refused and why. The password form above stays usable throughout, and
// "Use password instead" ends the key's side whenever it runs.
//
// Never does anything typed elsewhere reach the key: the PIN field is its own form (not part
// of the password form), and it never takes the focus by itself — a PIN prompt appearing while
// someone types their password must not catch the rest of the password and send it to the key,
// where each wrong PIN costs one of its few tries. State changes are announced (role=status).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { MAX_KEY_PIN_BYTES, MIN_KEY_PIN_CHARS } from '../../preload/api';
import type { SecurityKeySnapshot } from '../../preload/api';
import { selectInfo, selectKey, selectPhase, selectSnapshotReceived } from '../store/selectors';
import { useGreeter, useGreeterStore, useT } from './context';
import type { Messages } from '../i18n';

/** Phases in which the key's conversation runs (the "use password" button is offered). */
const RUNNING = new Set<SecurityKeySnapshot['phase']>(['waiting', 'touch', 'pin', 'checking']);

function statusText(key: SecurityKeySnapshot, t: Messages['securityKey']): string {
  switch (key.phase) {
    case 'off':
      return '';
    case 'waiting':
      return t.waiting;
    case 'touch':
      return t.touch;
    case 'pin':
      return key.problem === 'pin-wrong' ? `${t.problem['pin-wrong']} ${t.pin}` : t.pin;
    case 'checking':
      return t.checking;
    case 'success':
      return t.success;
    case 'refused':
      return t.problem[key.problem ?? 'refused'];
  }
}

/** A PIN CTAP2 could accept; anything else is not sent (it would only cost a try). */
function pinShapeOk(pin: string): boolean {
  return (
    [...pin].length >= MIN_KEY_PIN_CHARS &&
    new TextEncoder().encode(pin).length <= MAX_KEY_PIN_BYTES
  );
}

/** Focuses the password side's field: the open prompt's, else the password's. */
function focusPassword(): void {
  (document.getElementById('prompt-answer') ?? document.getElementById('password'))?.focus();
}

export function SecurityKeyStatus() {
  const t = useT().securityKey;
  const store = useGreeterStore();
  const key = useGreeter(selectKey);
  const info = useGreeter(selectInfo);
  const phase = useGreeter(selectPhase);
  const snapshotReceived = useGreeter(selectSnapshotReceived);
  const pinRef = useRef<HTMLInputElement | null>(null);
  // The note about an unsent PIN belongs to the prompt it was typed for, not to the next one.
  const [pinNotSentFor, setPinNotSentFor] = useState<SecurityKeySnapshot | null>(null);
  const pinNotSent = pinNotSentFor === key;
  const autoStarted = useRef(false);

  // The unlock screen knows whose session it is: with keys on, the attempt starts at once so
  // that a touch alone unlocks (GDM starts its conversations when the user is known). Once per
  // screen: after that, Enter starts the next attempt as usual.
  const unlockUser =
    info?.mode === 'unlock' && info.securityKeys === true ? info.currentUser : null;
  useEffect(() => {
    if (unlockUser === null || !snapshotReceived || phase !== 'idle' || autoStarted.current) return;
    autoStarted.current = true;
    void store.getState().startAuth(unlockUser);
  }, [unlockUser, snapshotReceived, phase, store]);

  const submitPin = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const input = pinRef.current;
    if (input === null) return;
    const pin = input.value;
    input.value = ''; // read and cleared in one step; never in state or the DOM
    if (!pinShapeOk(pin)) {
      setPinNotSentFor(key);
      return;
    }
    setPinNotSentFor(null);
    void store.getState().answerKeyPin(pin);
  };

  const usePassword = () => {
    if (pinRef.current) pinRef.current.value = '';
    void store.getState().cancelKey();
    focusPassword();
  };

  const off = key.phase === 'off';
  const retries =
    (key.phase === 'pin' || key.phase === 'refused') && key.pinRetries !== null
      ? t.retriesLeft(key.pinRetries)
      : null;
  const retriesId = 'security-key-retries';
  const noteId = 'security-key-pin-note';

  return (
    <section
      className={off ? 'security-key security-key-off' : 'security-key'}
      aria-label={t.region}
      data-testid="security-key"
      data-phase={key.phase}
      data-problem={key.problem ?? ''}
      data-removal-watch={key.removalWatch ?? ''}
    >
      {/* Always in the page, so each change of its text is announced. */}
      <div className="security-key-line">
        {!off && (
          <span
            className={key.phase === 'touch' ? 'key-icon key-icon-touch' : 'key-icon'}
            aria-hidden="true"
            data-testid="security-key-icon"
          />
        )}
        <p role="status" className="security-key-text" data-testid="security-key-status">
          {statusText(key, t)}
          {retries !== null && key.phase === 'refused' && (
            <>
              {' '}
              <span data-testid="security-key-retries-left">{retries}</span>
            </>
          )}
        </p>
      </div>
      {key.phase === 'success' && key.removalWatch === 'not-armed' && (
        <p className="hint" data-testid="security-key-removal-watch">
          {t.removalWatchNotArmed}
        </p>
      )}
      {key.phase === 'pin' && (
        <form
          id="security-key-pin-form"
          className="security-key-pin"
          onSubmit={submitPin}
          noValidate
        >
          <div className="field">
            <label htmlFor="security-key-pin">{t.pinLabel}</label>
            <input
              id="security-key-pin"
              ref={pinRef}
              className="input"
              type="password"
              autoComplete="off"
              autoCapitalize="off"
              autoCorrect="off"
              spellCheck={false}
              aria-describedby={
                [...(retries !== null ? [retriesId] : []), ...(pinNotSent ? [noteId] : [])].join(
                  ' ',
                ) || undefined
              }
              data-testid="security-key-pin"
            />
          </div>
          {retries !== null && (
            <p id={retriesId} className="hint" data-testid="security-key-retries">
              {retries}
            </p>
          )}
          {pinNotSent && (
            <p id={noteId} className="field-error" role="alert" data-testid="security-key-pin-note">
              {t.pinNotSent}
            </p>
          )}
        </form>
      )}
      {RUNNING.has(key.phase) && (
        <div className="actions">
          {key.phase === 'pin' && (
            <button
              type="submit"
              form="security-key-pin-form"
              className="secondary"
              data-testid="security-key-pin-submit"
            >
              {t.pinSubmit}
            </button>
          )}
          <button
            type="button"
            className="secondary"
            onClick={usePassword}
            data-testid="security-key-use-password"
          >
            {t.usePassword}
          </button>
        </div>
      )}
    </section>
  );
}
