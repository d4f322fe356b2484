// The login screen's power menu: a button opening a small menu of the actions main offers
// (logind said `yes`), then a confirmation ("Restart now?") whose Cancel has the focus, so a
// stray Enter never powers anything off. Keyboard: Enter/Space/Down open the menu on its
// first item, Up/Down/Home/End move, Escape closes and returns to the button; the
// confirmation is a modal <dialog> (Escape cancels, focus stays inside it).
// Shown only when main offers actions: never on the unlock screen (main offers none there
// either) — anyone at a locked session could otherwise end its owner's session.
import { useEffect, useRef, useState } from 'react';
import type { PowerAction } from '../../preload/api';
import { useGreeterStore, useT } from './context';
import { useMenuButton } from './use-menu-button';

type Status = { kind: 'requested'; action: PowerAction } | { kind: 'failed' } | null;

export function PowerMenu({ actions }: { actions: PowerAction[] }) {
  const t = useT();
  const store = useGreeterStore();
  const [confirming, setConfirming] = useState<PowerAction | null>(null);
  const [status, setStatus] = useState<Status>(null);
  const dialogRef = useRef<HTMLDialogElement | null>(null);
  const cancelRef = useRef<HTMLButtonElement | null>(null);
  const {
    menuId,
    open,
    setOpen,
    focusIndex,
    buttonRef,
    itemRefs,
    openMenu,
    closeMenu,
    onButtonKey,
    onMenuKey,
  } = useMenuButton(actions.length);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (confirming === null || dialog === null) return;
    if (!dialog.open) dialog.showModal();
    cancelRef.current?.focus();
  }, [confirming]);

  const choose = (action: PowerAction) => {
    setOpen(false);
    setStatus(null);
    setConfirming(action);
  };

  const endConfirmation = () => {
    dialogRef.current?.close();
    setConfirming(null);
    buttonRef.current?.focus();
  };

  const confirm = () => {
    const action = confirming;
    if (action === null) return;
    endConfirmation();
    void store
      .getState()
      .powerAction(action)
      .then((ok) => setStatus(ok ? { kind: 'requested', action } : { kind: 'failed' }));
  };

  return (
    <div className="power" data-testid="power-menu">
      <button
        ref={buttonRef}
        type="button"
        className="power-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        title={t.powerMenu}
        onClick={() => (open ? closeMenu() : openMenu(0))}
        onKeyDown={onButtonKey}
        data-testid="power-button"
      >
        <span className="power-icon" aria-hidden="true" />
        <span className="power-label">{t.powerMenu}</span>
      </button>
      {open && (
        <ul
          id={menuId}
          className="power-list"
          role="menu"
          aria-label={t.powerMenu}
          onKeyDown={onMenuKey}
          onBlur={(event) => {
            if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setOpen(false);
          }}
        >
          {actions.map((action, index) => (
            <li key={action} role="none">
              <button
                ref={(element) => {
                  itemRefs.current[index] = element;
                }}
                type="button"
                role="menuitem"
                tabIndex={index === focusIndex ? 0 : -1}
                className="power-item"
                onClick={() => choose(action)}
                data-testid={`power-${action}`}
              >
                {t.powerAction[action]}
              </button>
            </li>
          ))}
        </ul>
      )}
      {confirming !== null && (
        <dialog
          ref={dialogRef}
          className="power-dialog"
          aria-labelledby={`${menuId}-confirm`}
          onCancel={(event) => {
            event.preventDefault();
            endConfirmation();
          }}
          // Escape handled here too: Chromium's close-watcher rules may swallow a second
          // Escape-to-cancel without user activation in between.
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.preventDefault();
              endConfirmation();
            }
          }}
          // However it closes, the confirmation is over.
          onClose={() => {
            if (confirming !== null) endConfirmation();
          }}
          data-testid="power-confirm"
        >
          <p id={`${menuId}-confirm`} className="power-question">
            {t.powerConfirm[confirming]}
          </p>
          <div className="actions">
            <button
              ref={cancelRef}
              type="button"
              className="secondary"
              onClick={endConfirmation}
              data-testid="power-cancel"
            >
              {t.cancel}
            </button>
            <button
              type="button"
              className="primary"
              onClick={confirm}
              data-testid="power-confirm-action"
            >
              {t.powerAction[confirming]}
            </button>
          </div>
        </dialog>
      )}
      <p className="power-status" role="status" data-testid="power-status">
        {status?.kind === 'requested' && t.powerRequested[status.action]}
        {status?.kind === 'failed' && t.powerFailed}
      </p>
    </div>
  );
}
