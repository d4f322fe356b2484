import { useEffect } from 'react';
import {
  selectChosenUser,
  selectInfo,
  selectNoticeAcknowledged,
  selectOtherUser,
  selectScreen,
  selectStartup,
} from '../store/selectors';
import { AccessibilityMenu } from './AccessibilityMenu';
import { AuthForm } from './AuthForm';
import { Clock } from './Clock';
import { LegalNotice } from './LegalNotice';
import { useGreeter, useT } from './context';
import { KeyboardIndicator } from './KeyboardIndicator';
import { MessagesArea } from './MessagesArea';
import { OfflineBanner } from './OfflineBanner';
import { PowerMenu } from './PowerMenu';
import { SecurityKeyStatus } from './SecurityKeyStatus';
import { SessionChooser } from './SessionChooser';
import { SsoSignIn } from './SsoSignIn';
import { UserList } from './UserList';

const HEADING_ID = 'screen-title';

export function App() {
  const t = useT();
  const info = useGreeter(selectInfo);
  const startup = useGreeter(selectStartup);
  const screen = useGreeter(selectScreen);
  const acknowledged = useGreeter(selectNoticeAcknowledged);
  const chosenUser = useGreeter(selectChosenUser);
  const otherUser = useGreeter(selectOtherUser);

  useEffect(() => {
    if (info === null) return;
    document.documentElement.lang = info.locale;
    document.title = t.documentTitle;
  }, [info, t]);

  // The form waits for the screen options: a site's notice must come before it.
  if (info === null || screen === null || startup === 'failed') {
    return (
      <main className="screen screen-startup">
        <h1 className="visually-hidden">{t.documentTitle}</h1>
        {startup === 'failed' ? (
          <p className="card line line-error" role="alert" data-testid="startup-error">
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

  const login = info.mode === 'login';
  const users = screen.users;
  return (
    <div className="screen" data-mode={info.mode}>
      <header className="topbar">
        <p className="host" data-testid="hostname">
          <span className="visually-hidden">{t.hostLabel}: </span>
          {info.hostname}
        </p>
        <div className="topbar-end">
          <KeyboardIndicator layouts={screen.keyboardLayouts} />
          <Clock />
          {/* Both screens, as GDM: a locked session's owner may need them to unlock. */}
          <AccessibilityMenu tools={screen.assistiveTools} />
          {/* Login screen only: main offers nothing on unlock, and this checks it again. */}
          {login && screen.powerActions.length > 0 && <PowerMenu actions={screen.powerActions} />}
        </div>
      </header>
      <OfflineBanner />
      <main className="stage">
        <section className="card" aria-labelledby={HEADING_ID}>
          <h1 id={HEADING_ID}>{info.mode === 'unlock' ? t.unlockHeading : t.loginHeading}</h1>
          {screen.notice !== null && !acknowledged ? (
            <LegalNotice notice={screen.notice} />
          ) : (
            <>
              {login && users !== null && <UserList users={users} />}
              {(!login || users === null || chosenUser !== null || otherUser) && (
                <AuthForm
                  // A mode or user change is a different screen: start from a clean form.
                  key={`${info.mode}:${info.currentUser ?? ''}`}
                  mode={info.mode}
                  currentUser={info.mode === 'unlock' ? info.currentUser : null}
                  headingId={HEADING_ID}
                />
              )}
              {/* Beside the form, never inside it: the key's PIN is a form of its own. */}
              {(!login || users === null || chosenUser !== null || otherUser) && (
                <SecurityKeyStatus />
              )}
              {login && screen.sessions.length > 0 && <SessionChooser sessions={screen.sessions} />}
              <MessagesArea mode={info.mode} />
              {/* Login: QR code or portal window. Unlock: no methods, only why the saved
                  sign-in was not used (main/ipc/sso-unlock.ts). Off unless sso.conf says. */}
              <SsoSignIn />
            </>
          )}
        </section>
      </main>
    </div>
  );
}
