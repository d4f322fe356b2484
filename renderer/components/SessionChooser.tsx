// The desktop session chooser (login screen only): a native select, so the keyboard works as
// everywhere (arrow keys change the session, Alt+Down opens the list). The choice travels with
// the sign-in request.
import { useLayoutEffect, useRef } from 'react';
import type { SessionOption } from '../../preload/api';
import { selectSession } from '../store/selectors';
import { useGreeter, useGreeterStore, useT } from './context';

export function SessionChooser({ sessions }: { sessions: SessionOption[] }) {
  const t = useT();
  const store = useGreeterStore();
  const session = useGreeter(selectSession);
  const names = sessions.map((s) => s.name);
  // A served first paint can be changed before hydration, which keeps the DOM's choice but not
  // the store's: take it over, so the session shown is the one that is sent.
  const select = useRef<HTMLSelectElement | null>(null);
  useLayoutEffect(() => {
    const shown = select.current?.value;
    if (shown !== undefined && shown !== '' && shown !== session) {
      store.getState().chooseSession(shown);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on the first commit
  }, []);
  return (
    <div className="field session-field">
      <label htmlFor="session">{t.sessionLabel}</label>
      <select
        id="session"
        ref={select}
        className="input"
        value={session ?? ''}
        onChange={(event) => store.getState().chooseSession(event.target.value)}
        data-testid="session"
      >
        {sessions.map((s) => (
          <option key={s.id} value={s.id}>
            {names.indexOf(s.name) !== names.lastIndexOf(s.name)
              ? `${s.name} (${t.sessionType[s.type]})`
              : s.name}
          </option>
        ))}
      </select>
    </div>
  );
}
