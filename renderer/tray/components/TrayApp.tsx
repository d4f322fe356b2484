// The tray's status view: the same state the tray icon shows (preload/tray-api.ts
// trayIconState, derived here with the page's time hooks so it turns exactly when the icon
// does), then the facts behind it — since when, the cached login, its lock, the last check
// with the portal — and the two actions. Everything from main's snapshot; nothing typed.
import { useEffect } from 'react';
import type { TrayIconState, TraySnapshot } from '../../../preload/tray-api';
import { useBefore } from '../../logic/time';
import { useTray, useTrayT, useWhen } from './context';

/** trayIconState at the current time, re-rendered when the time alone changes it. */
function useIconState(snapshot: TraySnapshot): TrayIconState {
  const lockActive = useBefore(snapshot.lockout?.until ?? null);
  const cached = snapshot.cachedLogin;
  const beforeWarning = useBefore(
    cached.kind === 'known' ? cached.validUntil - snapshot.warningLeadMs : null,
  );
  if (snapshot.connection === 'online') return 'online';
  if (snapshot.lockout !== null && lockActive) return 'locked-out';
  if (cached.kind === 'known' && !beforeWarning) return 'expiring';
  return snapshot.connection;
}

function Since({ snapshot }: { snapshot: TraySnapshot & { since: number } }) {
  const t = useTrayT();
  const { when, relative } = useWhen(snapshot.since);
  const text =
    snapshot.connection === 'online'
      ? t.onlineSince(when, relative)
      : snapshot.connection === 'offline'
        ? t.offlineSince(when, relative)
        : t.unreachableSince(when, relative);
  return <p data-testid="tray-since">{text}</p>;
}

function CachedValid({ validUntil }: { validUntil: number }) {
  const t = useTrayT();
  const valid = useBefore(validUntil);
  const { when, relative } = useWhen(validUntil);
  return (
    <dd data-testid="tray-cached" data-valid={valid ? 'true' : 'false'}>
      {valid ? t.cachedValidUntil(when, relative) : t.cachedExpired(when, relative)}
    </dd>
  );
}

function Lock({ until, attempts }: { until: number; attempts: number | null }) {
  const t = useTrayT();
  const active = useBefore(until);
  const { when, relative } = useWhen(until);
  if (!active) return <dd data-testid="tray-lock">{t.notLocked}</dd>;
  return (
    <dd data-testid="tray-lock" data-locked="true">
      {t.lockedUntil(when, relative)}
      {attempts !== null && <> {t.lockedAttempts(attempts)}</>}
    </dd>
  );
}

function Revalidated({ at }: { at: number }) {
  const t = useTrayT();
  const { when, relative } = useWhen(at);
  return <dd data-testid="tray-revalidated">{t.revalidatedAt(when, relative)}</dd>;
}

function StatusCard({ snapshot }: { snapshot: TraySnapshot }) {
  const t = useTrayT();
  const state = useIconState(snapshot);
  const requestFailed = useTray((s) => s.requestFailed);
  const keyManagerOpened = useTray((s) => s.keyManagerOpened);
  const retryNow = useTray((s) => s.retryNow);
  const openKeyManager = useTray((s) => s.openKeyManager);
  const cached = snapshot.cachedLogin;
  const open = (url: string): void => {
    window.open(url, '_blank', 'noopener');
  };
  return (
    <section className="card tray-card" aria-labelledby="tray-title" data-testid="tray-card">
      <h1 id="tray-title">{t.heading}</h1>
      <p className="tray-account">{t.account(snapshot.user)}</p>
      {/* A live region present from the start: state changes are announced. */}
      <div role="status" className="tray-headline" data-testid="tray-state" data-state={state}>
        <img
          className="tray-icon"
          src={`tray-icons/${state}.svg`}
          alt={t.iconLabel[state]}
          width={48}
          height={48}
        />
        <p className="tray-headline-text">{t.headline[state]}</p>
      </div>
      {snapshot.since !== null && <Since snapshot={{ ...snapshot, since: snapshot.since }} />}
      <dl className="tray-facts">
        <div>
          <dt>{t.cachedLabel}</dt>
          {cached.kind === 'known' ? (
            <CachedValid validUntil={cached.validUntil} />
          ) : (
            <dd data-testid="tray-cached">
              {cached.kind === 'none' ? t.cachedNone : t.cachedUnknown}
            </dd>
          )}
        </div>
        <div>
          <dt>{t.lockLabel}</dt>
          {snapshot.lockout === null ? (
            <dd data-testid="tray-lock">{t.notLocked}</dd>
          ) : (
            <Lock until={snapshot.lockout.until} attempts={snapshot.lockout.attempts} />
          )}
        </div>
        <div>
          <dt>{t.revalidationLabel}</dt>
          {snapshot.lastRevalidation === null ? (
            <dd data-testid="tray-revalidated">{t.neverRevalidated}</dd>
          ) : (
            <Revalidated at={snapshot.lastRevalidation} />
          )}
        </div>
      </dl>
      {state === 'expiring' && <p className="line line-info">{t.expiringAdvice}</p>}
      {state === 'locked-out' && <p className="line line-info">{t.lockedAdvice}</p>}
      <div className="actions tray-actions">
        <button
          type="button"
          className="primary"
          data-testid="tray-retry"
          aria-disabled={snapshot.retrying ? 'true' : undefined}
          onClick={() => {
            if (!snapshot.retrying) void retryNow();
          }}
        >
          {snapshot.retrying ? t.retrying : t.retryNow}
        </button>
        <button
          type="button"
          className="secondary"
          data-testid="tray-open-keys"
          onClick={() => void openKeyManager(open)}
        >
          {t.openKeyManager}
        </button>
      </div>
      <div role="status" data-testid="tray-feedback">
        {keyManagerOpened && <p className="line line-info">{t.keyManagerOpened}</p>}
      </div>
      {requestFailed && (
        <p className="line line-error" role="alert" data-testid="tray-request-error">
          {t.requestFailed}
        </p>
      )}
    </section>
  );
}

export function TrayApp() {
  const t = useTrayT();
  const info = useTray((s) => s.info);
  const snapshot = useTray((s) => s.snapshot);
  const startup = useTray((s) => s.startup);

  useEffect(() => {
    document.documentElement.lang = info?.locale ?? 'en';
    document.title = t.documentTitle;
  }, [info, t]);

  if (startup === 'failed' || info === null || snapshot === null) {
    return (
      <main className="screen screen-startup">
        <h1 className="visually-hidden">{t.documentTitle}</h1>
        {startup === 'failed' ? (
          <p className="card line line-error" role="alert" data-testid="tray-startup-error">
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
  return (
    <div className="screen tray-screen">
      <main className="stage">
        <StatusCard snapshot={snapshot} />
      </main>
    </div>
  );
}
