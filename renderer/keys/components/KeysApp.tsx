// The key manager's screen: one card, the wizard's current step as main's snapshot says.
// Components render state and call store actions; Escape cancels wherever a cancel is
// possible (on `backup` it means "not now"), and each step puts the focus on its first control.
import { useEffect } from 'react';
import type { KeysStep } from '../../../preload/keys-api';
import { useKeys, useKeysT } from './context';
import {
  BackupStep,
  BlockedStep,
  CancelledStep,
  DeviceStep,
  DoneStep,
  NameStep,
  PasswordStep,
  PinStep,
  ProblemLine,
  TouchStep,
} from './Steps';

const NUMBERED: readonly KeysStep[] = [
  'password',
  'device',
  'pin',
  'touch',
  'name',
  'test',
  'backup',
];
const CANCELLABLE: ReadonlySet<KeysStep> = new Set(NUMBERED.filter((s) => s !== 'backup'));

export function KeysApp() {
  const t = useKeysT();
  const info = useKeys((s) => s.info);
  const snapshot = useKeys((s) => s.snapshot);
  const startup = useKeys((s) => s.startup);
  const requestFailed = useKeys((s) => s.requestFailed);
  const cancel = useKeys((s) => s.cancel);
  const finish = useKeys((s) => s.finish);
  const step = snapshot?.step ?? null;

  useEffect(() => {
    document.documentElement.lang = info?.locale ?? 'en';
    document.title = t.documentTitle;
  }, [info, t]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || step === null) return;
      if (CANCELLABLE.has(step)) {
        event.preventDefault();
        void cancel();
      } else if (step === 'backup') {
        event.preventDefault();
        void finish();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [step, cancel, finish]);

  if (startup === 'failed' || info === null || snapshot === null) {
    return (
      <main className="screen screen-startup">
        <h1 className="visually-hidden">{t.documentTitle}</h1>
        {startup === 'failed' ? (
          <p className="card line line-error" role="alert" data-testid="keys-startup-error">
            {t.startupFailed}
          </p>
        ) : (
          <p className="startup" role="status">
            {t.loading}
          </p>
        )}
      </main>
    );
  }

  const number = NUMBERED.indexOf(snapshot.step);
  return (
    <div className="screen keys-screen">
      <main className="stage">
        <section className="card keys-card" aria-labelledby="keys-title">
          <h1 id="keys-title">{t.heading}</h1>
          <p className="keys-meta">
            <span>{t.account(snapshot.user)}</span>
            {number >= 0 && <span data-testid="keys-step-number">{t.stepOf(number + 1, 7)}</span>}
          </p>
          <div className="keys-step" data-testid="keys-step" data-step={snapshot.step}>
            {snapshot.step === 'blocked' && <BlockedStep snapshot={snapshot} />}
            {snapshot.step === 'password' && <PasswordStep snapshot={snapshot} />}
            {snapshot.step === 'device' && <DeviceStep snapshot={snapshot} />}
            {snapshot.step === 'pin' && <PinStep snapshot={snapshot} />}
            {(snapshot.step === 'touch' || snapshot.step === 'test') && (
              <TouchStep snapshot={snapshot} />
            )}
            {snapshot.step === 'name' && <NameStep snapshot={snapshot} />}
            {snapshot.step === 'backup' && <BackupStep snapshot={snapshot} />}
            {snapshot.step === 'done' && <DoneStep snapshot={snapshot} />}
            {snapshot.step === 'cancelled' && <CancelledStep />}
          </div>
          {snapshot.step !== 'pin' && snapshot.step !== 'password' && (
            <ProblemLine problem={snapshot.problem} />
          )}
          {requestFailed && (
            <p className="line line-error" role="alert" data-testid="keys-request-error">
              {t.requestFailed}
            </p>
          )}
          {CANCELLABLE.has(snapshot.step) && (
            <div className="keys-footer">
              <p className="hint" id="keys-escape-hint">
                {t.escapeHint}
              </p>
              <button
                type="button"
                className="secondary"
                onClick={() => void cancel()}
                data-testid="keys-cancel"
              >
                {t.cancel}
              </button>
            </div>
          )}
        </section>
      </main>
    </div>
  );
}
