// The keyboard layout switcher (X11 with two or more configured layouts): a menu button whose
// label is the active layout, listing the layouts of /etc/default/keyboard as radio items.
// Choosing one asks main, which runs setxkbmap with that layout first; the label changes only
// once main says it switched, so it always names the layout the X server really has. On a
// failure the label stays and a message says which layout is still active.
// Keyboard: as the other top-bar menus (./use-menu-button): Enter/Space/Down open the menu on
// the active layout, Up/Down/Home/End move, Enter/Space choose, Escape closes.
import { useState } from 'react';
import type { KeyboardLayout } from '../../preload/api';
import { useGreeterStore, useT } from './context';
import { useMenuButton } from './use-menu-button';

/** `fr` or `fr (oss)`: the XKB names as /etc/default/keyboard spells them. */
export const layoutName = (layout: KeyboardLayout): string =>
  layout.variant === '' ? layout.layout : `${layout.layout} (${layout.variant})`;

const shortName = (layout: KeyboardLayout): string => layout.layout.toUpperCase();

type Status = { kind: 'switched' } | { kind: 'failed' } | null;

export function KeyboardSwitcher({
  layouts,
  initial,
}: {
  layouts: KeyboardLayout[];
  initial: number;
}) {
  const t = useT();
  const store = useGreeterStore();
  const [current, setCurrent] = useState(initial < layouts.length ? initial : 0);
  const [pending, setPending] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  const {
    menuId,
    open,
    setOpen,
    focusIndex,
    setFocusIndex,
    buttonRef,
    itemRefs,
    openMenu,
    closeMenu,
    onButtonKey,
    onMenuKey,
  } = useMenuButton(layouts.length);

  const active = layouts[current]!;

  const choose = (index: number) => {
    setFocusIndex(index);
    closeMenu();
    if (pending || index === current) return;
    setPending(true);
    setStatus(null);
    void store
      .getState()
      .setKeyboardLayout(index)
      .then((ok) => {
        setPending(false);
        if (ok) setCurrent(index);
        setStatus(ok ? { kind: 'switched' } : { kind: 'failed' });
      });
  };

  return (
    <div className="a11y keyboard-switcher" data-testid="keyboard-layout">
      <button
        ref={buttonRef}
        type="button"
        className="topbar-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-busy={pending}
        title={t.keyboardLayoutMenu}
        onClick={() => (open ? closeMenu() : openMenu(current))}
        onKeyDown={(event) => {
          // Down opens on the active layout (not the first), as a radio group would.
          if (event.key === 'ArrowDown') {
            event.preventDefault();
            openMenu(current);
          } else onButtonKey(event);
        }}
        data-testid="keyboard-button"
      >
        <span className="visually-hidden">{t.keyboardLayout}: </span>
        <span className="keyboard-current" data-testid="keyboard-current">
          {shortName(active)}
        </span>
      </button>
      {open && (
        <ul
          id={menuId}
          className="topbar-list"
          role="menu"
          aria-label={t.keyboardLayoutMenu}
          onKeyDown={onMenuKey}
          onBlur={(event) => {
            if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setOpen(false);
          }}
        >
          {layouts.map((layout, index) => (
            <li key={layoutName(layout)} role="none">
              <button
                ref={(element) => {
                  itemRefs.current[index] = element;
                }}
                type="button"
                role="menuitemradio"
                aria-checked={index === current}
                tabIndex={index === focusIndex ? 0 : -1}
                className="topbar-item"
                onClick={() => choose(index)}
                data-testid={`keyboard-item-${index}`}
              >
                <span className="a11y-check" aria-hidden="true">
                  {index === current ? '✓' : ''}
                </span>
                {layoutName(layout)}
              </button>
            </li>
          ))}
        </ul>
      )}
      <p
        className={status?.kind === 'switched' ? 'visually-hidden' : 'topbar-status'}
        role="status"
        data-testid="keyboard-status"
      >
        {status?.kind === 'switched' && t.keyboardSwitched(shortName(active))}
        {status?.kind === 'failed' && t.keyboardSwitchFailed(shortName(active))}
      </p>
    </div>
  );
}
