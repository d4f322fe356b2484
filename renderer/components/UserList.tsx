// The user list: one button per account, then "Other user…". One tab stop for the whole list
// (roving tabindex): arrow keys, Home and End move between entries, Enter or Space picks one.
// Picking a user fills the name and moves to the password; "Other user…" shows the name field.
// Once a pick is made the list folds to that one account (as GDM's does: the screen stays short
// enough for a laptop), with "Choose another account" to unfold it.
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { UserOption } from '../../preload/api';
import { selectChosenUser, selectOtherUser } from '../store/selectors';
import { useGreeter, useGreeterStore, useT } from './context';

function Avatar({ user }: { user: UserOption }) {
  if (user.icon !== null) return <img className="avatar" src={user.icon} alt="" />;
  return (
    <span className="avatar avatar-initial" aria-hidden="true">
      {(user.realName.trim()[0] ?? user.name[0] ?? '?').toUpperCase()}
    </span>
  );
}

export function UserList({ users }: { users: UserOption[] }) {
  const t = useT();
  const store = useGreeterStore();
  const chosen = useGreeter(selectChosenUser);
  const other = useGreeter(selectOtherUser);
  const list = useRef<HTMLUListElement | null>(null);
  // The list takes the focus when it appears (after the notice, or at start); a preselected
  // user's form, rendered after it, then moves it on to the password.
  const folded = chosen !== null || other;
  useEffect(() => {
    if (!folded) list.current?.querySelector<HTMLButtonElement>('button[tabindex="0"]')?.focus();
  }, [folded]);
  const current = other
    ? users.length
    : Math.max(
        0,
        users.findIndex((u) => u.name === chosen),
      );

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const buttons = [...(list.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const next =
      event.key === 'ArrowDown' || event.key === 'ArrowRight'
        ? Math.min(at + 1, buttons.length - 1)
        : event.key === 'ArrowUp' || event.key === 'ArrowLeft'
          ? Math.max(at - 1, 0)
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? buttons.length - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    buttons.forEach((b, i) => (b.tabIndex = i === next ? 0 : -1));
    buttons[next]?.focus();
  };

  if (folded) {
    const user = users.find((u) => u.name === chosen);
    return (
      <div className="user-picked" data-testid="user-picked">
        {user !== undefined && (
          <div className="user-entry user-entry-picked">
            <Avatar user={user} />
            <span className="user-names">
              <span className="user-real-name">{user.realName}</span>
              {user.realName !== user.name && <span className="user-login">{user.name}</span>}
            </span>
          </div>
        )}
        <button
          type="button"
          className="link-button"
          onClick={() => store.getState().showUserList()}
          data-testid="user-list-show"
        >
          {t.switchUser}
        </button>
      </div>
    );
  }

  return (
    <ul
      ref={list}
      className="user-list"
      aria-label={t.usersLabel}
      onKeyDown={onKeyDown}
      data-testid="user-list"
    >
      {users.map((user, index) => (
        <li key={user.name}>
          <button
            type="button"
            className="user-entry"
            tabIndex={index === current ? 0 : -1}
            // As the effect above, but also in a served first paint, before the page's script.
            autoFocus={index === current}
            aria-pressed={!other && chosen === user.name}
            onClick={() => store.getState().chooseUser(user.name)}
            data-testid={`user-entry-${user.name}`}
          >
            <Avatar user={user} />
            <span className="user-names">
              <span className="user-real-name">{user.realName}</span>
              {user.realName !== user.name && <span className="user-login">{user.name}</span>}
            </span>
          </button>
        </li>
      ))}
      <li>
        <button
          type="button"
          className="user-entry"
          tabIndex={current === users.length ? 0 : -1}
          aria-pressed={other}
          onClick={() => store.getState().chooseUser(null)}
          data-testid="user-entry-other"
        >
          <span className="avatar avatar-initial" aria-hidden="true">
            +
          </span>
          <span className="user-names">
            <span className="user-real-name">{t.otherUser}</span>
          </span>
        </button>
      </li>
    </ul>
  );
}
