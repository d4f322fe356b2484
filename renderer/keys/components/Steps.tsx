// One component per wizard step. Secret fields are uncontrolled (as the greeter's SecretInput:
// React would mirror a controlled value into the DOM) and cleared once sent.
import { useRef, type FormEvent } from 'react';
import type { KeysProblem, KeysSnapshot } from '../../../preload/keys-api';
import { useKeys, useKeysT } from './context';

interface StepProps {
  snapshot: KeysSnapshot;
}

const PROBLEM_ID = 'keys-problem';

export function ProblemLine({ problem }: { problem: KeysProblem | null }) {
  const t = useKeysT();
  if (problem === null) return null;
  const text =
    problem.code === 'PIN_INVALID' ? t.pinInvalid(problem.retriesLeft) : t.problem[problem.code];
  return (
    <p
      id={PROBLEM_ID}
      className="line line-error"
      role="alert"
      data-testid="keys-problem"
      data-code={problem.code}
    >
      {text}
    </p>
  );
}

function StepTitle({ text }: { text: string }) {
  return <h2 className="keys-step-title">{text}</h2>;
}

function Busy() {
  const t = useKeysT();
  return (
    <p className="line line-busy" role="status" data-testid="keys-busy">
      <span className="spinner" aria-hidden="true" />
      {t.busy}
    </p>
  );
}

function readAndClear(ref: React.RefObject<HTMLInputElement | null>): string {
  const input = ref.current;
  if (!input) return '';
  const value = input.value;
  input.value = '';
  return value;
}

export function BlockedStep({ snapshot }: StepProps) {
  const t = useKeysT();
  return (
    <>
      <StepTitle text={t.blockedTitle} />
      {snapshot.blocked === 'central' ? (
        <>
          <p data-testid="keys-blocked">{t.blockedCentral(snapshot.authfile || '?')}</p>
          <pre className="keys-command">
            <code>{t.blockedCentralCommand}</code>
          </pre>
        </>
      ) : (
        <p data-testid="keys-blocked">{t.blockedPolicy}</p>
      )}
    </>
  );
}

export function PasswordStep({ snapshot }: StepProps) {
  const t = useKeysT();
  const submit = useKeys((s) => s.submitPassword);
  const ref = useRef<HTMLInputElement>(null);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (snapshot.busy) return;
    const password = readAndClear(ref);
    if (password !== '') void submit(password);
  };
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <StepTitle text={t.passwordTitle} />
      <p>{t.passwordIntro}</p>
      <div className="field">
        <label htmlFor="keys-password">{t.passwordLabel}</label>
        <input
          id="keys-password"
          ref={ref}
          className="input"
          type="password"
          autoComplete="current-password"
          autoFocus
          readOnly={snapshot.busy}
          aria-invalid={snapshot.problem !== null}
          aria-describedby={snapshot.problem ? PROBLEM_ID : undefined}
          data-testid="keys-password"
        />
      </div>
      <ProblemLine problem={snapshot.problem} />
      {snapshot.busy && <Busy />}
      <div className="actions">
        <button
          type="submit"
          className="primary"
          aria-disabled={snapshot.busy}
          data-testid="keys-continue"
        >
          {t.continue}
        </button>
      </div>
    </form>
  );
}

export function DeviceStep({ snapshot }: StepProps) {
  const t = useKeysT();
  const choose = useKeys((s) => s.chooseDevice);
  const refresh = useKeys((s) => s.refreshDevices);
  return (
    <>
      <StepTitle text={t.deviceTitle} />
      <p>{t.deviceIntro}</p>
      <p className="hint">{t.requirement[snapshot.requirement]}</p>
      {snapshot.busy ? (
        <Busy />
      ) : snapshot.devices.length === 0 ? (
        <p className="line line-info" role="status" data-testid="keys-device-none">
          {t.deviceNone}
        </p>
      ) : (
        <ul className="keys-devices" aria-label={t.devicesLabel} data-testid="keys-device-list">
          {snapshot.devices.map((device, index) => {
            const name =
              [device.manufacturer, device.product].filter((p) => p !== '').join(' ') ||
              t.deviceUnnamed;
            return (
              <li key={device.id}>
                <button
                  type="button"
                  className="primary keys-device"
                  autoFocus={index === 0}
                  onClick={() => void choose(device.id)}
                  data-testid={`keys-device-${device.id}`}
                >
                  {t.deviceUse(name)}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {!snapshot.busy && (
        <div className="actions">
          <button
            type="button"
            className="secondary"
            autoFocus={snapshot.devices.length === 0}
            onClick={() => void refresh()}
            data-testid="keys-check-again"
          >
            {t.deviceCheckAgain}
          </button>
        </div>
      )}
    </>
  );
}

export function PinStep({ snapshot }: StepProps) {
  const t = useKeysT();
  const submit = useKeys((s) => s.submitPin);
  const pinRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);
  const pin = snapshot.pin!;
  const setting = pin.mode === 'set';
  const describedBy = [
    'keys-pin-intro',
    ...(pin.retries !== null && !setting ? ['keys-pin-retries'] : []),
    ...(snapshot.problem ? [PROBLEM_ID] : []),
  ].join(' ');
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (snapshot.busy) return;
    const value = readAndClear(pinRef);
    const confirm = setting ? readAndClear(confirmRef) : null;
    if (value !== '') void submit(value, confirm);
    pinRef.current?.focus();
  };
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <StepTitle text={setting ? t.pinSetTitle : t.pinEnterTitle} />
      <p id="keys-pin-intro">{setting ? t.pinSetIntro(pin.minLength) : t.pinEnterIntro}</p>
      <div className="field">
        <label htmlFor="keys-pin">{setting ? t.pinNew : t.pinLabel}</label>
        <input
          id="keys-pin"
          ref={pinRef}
          className="input"
          type="password"
          autoComplete={setting ? 'new-password' : 'off'}
          autoFocus
          readOnly={snapshot.busy}
          aria-invalid={snapshot.problem !== null}
          aria-describedby={describedBy}
          data-testid="keys-pin"
        />
      </div>
      {setting && (
        <div className="field">
          <label htmlFor="keys-pin-confirm">{t.pinConfirm}</label>
          <input
            id="keys-pin-confirm"
            ref={confirmRef}
            className="input"
            type="password"
            autoComplete="new-password"
            readOnly={snapshot.busy}
            data-testid="keys-pin-confirm"
          />
        </div>
      )}
      {!setting && pin.retries !== null && (
        <p id="keys-pin-retries" className="hint" data-testid="keys-pin-retries">
          {t.pinRetries(pin.retries)}
        </p>
      )}
      <ProblemLine problem={snapshot.problem} />
      {snapshot.busy && <Busy />}
      <div className="actions">
        <button
          type="submit"
          className="primary"
          aria-disabled={snapshot.busy}
          data-testid="keys-continue"
        >
          {t.continue}
        </button>
      </div>
    </form>
  );
}

export function TouchStep({ snapshot }: StepProps) {
  const t = useKeysT();
  const retry = useKeys((s) => s.retry);
  const test = snapshot.step === 'test';
  const timedOut = snapshot.problem?.code === 'TIMEOUT';
  return (
    <>
      <StepTitle text={test ? t.testTitle : t.touchTitle} />
      {test && <p>{t.testIntro}</p>}
      <div
        className={snapshot.touchNow ? 'keys-touch keys-touch-now' : 'keys-touch'}
        role="status"
        data-testid="keys-touch"
        data-touch-now={snapshot.touchNow}
        // Focus lands here so Enter does nothing by accident and Escape cancels.
        tabIndex={-1}
        ref={(node) => node?.focus()}
      >
        <span className="keys-touch-icon" aria-hidden="true" />
        <span>{snapshot.touchNow ? t.touchNow : snapshot.busy ? t.busy : t.touchWaiting}</span>
      </div>
      {timedOut && (
        <div className="actions">
          <button
            type="button"
            className="primary"
            autoFocus
            onClick={() => void retry()}
            data-testid="keys-retry"
          >
            {t.retry}
          </button>
        </div>
      )}
    </>
  );
}

export function NameStep({ snapshot }: StepProps) {
  const t = useKeysT();
  const submit = useKeys((s) => s.submitName);
  const ref = useRef<HTMLInputElement>(null);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit(ref.current?.value ?? '');
  };
  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <StepTitle text={t.nameTitle} />
      <p id="keys-name-intro">{t.nameIntro}</p>
      <div className="field">
        <label htmlFor="keys-name">{t.nameLabel}</label>
        <input
          id="keys-name"
          ref={ref}
          className="input"
          type="text"
          defaultValue={snapshot.name ?? t.nameDefault}
          maxLength={64}
          autoComplete="off"
          autoFocus
          aria-describedby="keys-name-intro"
          data-testid="keys-name"
        />
      </div>
      <div className="actions">
        <button type="submit" className="primary" data-testid="keys-continue">
          {t.continue}
        </button>
      </div>
    </form>
  );
}

export function BackupStep({ snapshot }: StepProps) {
  const t = useKeysT();
  const another = useKeys((s) => s.enrollAnother);
  const finish = useKeys((s) => s.finish);
  return (
    <>
      <StepTitle text={t.backupTitle} />
      <p className="line line-success" role="status" data-testid="keys-saved">
        {t.backupSaved(snapshot.authfile)}
      </p>
      <p>{t.backupAdvice}</p>
      <div className="actions">
        <button
          type="button"
          className="primary"
          autoFocus
          onClick={() => void another()}
          data-testid="keys-backup-another"
        >
          {t.backupAnother}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => void finish()}
          data-testid="keys-finish"
        >
          {t.backupFinish}
        </button>
      </div>
    </>
  );
}

export function DoneStep({ snapshot }: StepProps) {
  const t = useKeysT();
  return (
    <div tabIndex={-1} ref={(node) => node?.focus()} data-testid="keys-done">
      <StepTitle text={t.doneTitle} />
      <p className="line line-success" role="status">
        {t.doneText(snapshot.enrolled)}
      </p>
      <p className="hint">{t.doneClose}</p>
    </div>
  );
}

export function CancelledStep() {
  const t = useKeysT();
  const restart = useKeys((s) => s.restart);
  return (
    <>
      <StepTitle text={t.cancelledTitle} />
      <p role="status" data-testid="keys-cancelled">
        {t.cancelledText}
      </p>
      <div className="actions">
        <button
          type="button"
          className="primary"
          autoFocus
          onClick={() => void restart()}
          data-testid="keys-restart"
        >
          {t.restart}
        </button>
      </div>
    </>
  );
}
