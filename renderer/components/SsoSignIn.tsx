// "Sign in with SSO" on the login screen (issue #10 item 1): a button per method the site
// offers; while a sign-in runs, a modal dialog over the form with the QR code and the code
// to type (device grant), or a note that the portal's own window is open (code + PKCE). The
// tokens never come here: main answers the PAM prompt with them, and this screen follows
// the ordinary attempt (AuthSnapshot) like any other.
import { useEffect, useId, useMemo, useRef, type KeyboardEvent } from 'react';
import { encode } from 'uqr';
import type { SsoDeviceCode, SsoErrorCode, SsoProblem } from '../../preload/api';
import type { Messages } from '../i18n';
import { formatCountdown } from '../logic/countdown';
import { selectSso } from '../store/selectors';
import { useGreeter, useGreeterStore, useSecondsLeft, useT } from './context';

/** The quiet zone the QR specification asks for, in modules. */
const QUIET_ZONE = 4;

function problemText(t: Messages, problem: SsoProblem): string {
  if (problem in t.ssoSignIn.problem) {
    return t.ssoSignIn.problem[problem as keyof Messages['ssoSignIn']['problem']];
  }
  return t.sso[problem as SsoErrorCode];
}

/**
 * The QR code as SVG elements (no markup strings, nothing the CSP would refuse): one path of
 * unit squares for the dark modules over a light square with the quiet zone.
 */
export function QrCode({ text, label }: { text: string; label: string }) {
  const titleId = useId();
  const { size, path } = useMemo(() => {
    // ECC M: readable from a phone across a desk, small enough for a long URI.
    const qr = encode(text, { ecc: 'M', border: QUIET_ZONE });
    let d = '';
    qr.data.forEach((row, y) =>
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      }),
    );
    return { size: qr.size, path: d };
  }, [text]);
  return (
    <svg
      className="sso-qr"
      role="img"
      aria-labelledby={titleId}
      viewBox={`0 0 ${size} ${size}`}
      shapeRendering="crispEdges"
      data-testid="sso-qr"
      data-modules={size}
    >
      <title id={titleId}>{label}</title>
      <rect width={size} height={size} fill="#ffffff" />
      <path d={path} fill="#000000" />
    </svg>
  );
}

/** The user code, read out character by character (a screen reader would say "wdjb" as a word). */
function UserCode({ code }: { code: string }) {
  return (
    <span className="sso-user-code" data-testid="sso-user-code">
      <span aria-hidden="true">{code}</span>
      <span className="visually-hidden">{[...code].join(' ')}</span>
    </span>
  );
}

function DeviceCode({ device, t }: { device: SsoDeviceCode; t: Messages }) {
  const left = useSecondsLeft(device.expiresAt);
  const target = device.verificationUriComplete ?? device.verificationUri;
  return (
    <>
      <p className="hint">{t.ssoSignIn.deviceSteps}</p>
      <QrCode text={target} label={t.ssoSignIn.qrLabel(device.verificationUri)} />
      <dl className="sso-device">
        <dt>{t.ssoSignIn.orVisit}</dt>
        <dd className="sso-uri" data-testid="sso-verification-uri">
          {device.verificationUri}
        </dd>
        <dt>{t.ssoSignIn.codeLabel}</dt>
        <dd>
          <UserCode code={device.userCode} />
        </dd>
      </dl>
      <p className="countdown countdown-soft" role="timer" data-testid="sso-expires">
        {t.ssoSignIn.expiresIn(formatCountdown(left))}
      </p>
    </>
  );
}

export function SsoSignIn() {
  const t = useT();
  const store = useGreeterStore();
  const sso = useGreeter(selectSso);
  const headingId = useId();
  const cancelRef = useRef<HTMLButtonElement | null>(null);
  const returnFocus = useRef<HTMLElement | null>(null);
  const running = ['starting', 'device', 'portal', 'signing-in'].includes(sso.phase);

  // Focus goes into the dialog when it opens and back where it was when it closes.
  useEffect(() => {
    if (!running) return;
    returnFocus.current = document.activeElement as HTMLElement | null;
    cancelRef.current?.focus();
    return () => returnFocus.current?.focus();
  }, [running]);

  if (sso.phase === 'off') return null;

  const cancel = (): void => void store.getState().cancelSso();
  // A modal dialog: Escape cancels, Tab stays inside (its only control is Cancel).
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      cancel();
    } else if (event.key === 'Tab') {
      event.preventDefault();
      cancelRef.current?.focus();
    }
  };

  return (
    <>
      <div className="sso" role="group" aria-label={t.ssoSignIn.region} data-testid="sso">
        {sso.methods.map((method) => (
          <button
            key={method}
            type="button"
            className="secondary sso-start"
            aria-disabled={running}
            onClick={() => {
              if (!running) void store.getState().startSso(method);
            }}
            data-testid={`sso-start-${method}`}
          >
            {method === 'device' ? t.ssoSignIn.device : t.ssoSignIn.portal}
          </button>
        ))}
        {sso.phase === 'failed' && sso.problem !== null && (
          <p
            className="line line-error"
            role="alert"
            data-testid="sso-problem"
            data-problem={sso.problem}
          >
            {problemText(t, sso.problem)}
          </p>
        )}
      </div>
      {running && (
        <div className="sso-backdrop">
          <div
            className="card sso-dialog"
            role="dialog"
            aria-modal="true"
            aria-labelledby={headingId}
            onKeyDown={onKeyDown}
            data-testid="sso-dialog"
            data-phase={sso.phase}
          >
            <h2 id={headingId}>
              {sso.phase === 'device'
                ? t.ssoSignIn.deviceHeading
                : sso.phase === 'portal' || sso.method === 'portal'
                  ? t.ssoSignIn.portalHeading
                  : t.ssoSignIn.startingHeading}
            </h2>
            {sso.phase === 'device' && sso.device !== null && (
              <DeviceCode device={sso.device} t={t} />
            )}
            {sso.phase === 'portal' && <p className="hint">{t.ssoSignIn.portalSteps}</p>}
            {(sso.phase === 'starting' || sso.phase === 'signing-in') && (
              <p className="line line-busy" role="status">
                <span className="spinner" aria-hidden="true" />
                {sso.phase === 'starting' ? t.ssoSignIn.starting : t.ssoSignIn.signingIn}
              </p>
            )}
            <div className="actions">
              <button
                type="button"
                ref={cancelRef}
                className="secondary"
                onClick={cancel}
                data-testid="sso-cancel"
              >
                {t.ssoSignIn.cancel}
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}
