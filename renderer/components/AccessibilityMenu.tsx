// The accessibility menu of both screens: "High contrast" and "Large text" (applied here, as
// classes on the root element, for the page's life only: nothing is stored), plus the screen
// reader (Orca) and on-screen keyboard (onboard) when main found them installed, started by
// main at its fixed paths. Offered on the unlock screen too, as GDM does: the person at a
// locked session may need them to type the password, and neither opens the session.
// Keyboard: as PowerMenu (Enter/Space/Down open on the first item, Up/Down/Home/End move,
// Escape closes and returns to the button); Enter/Space toggle a checkbox item and keep the
// menu open so both settings can be set in one go.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { AssistiveTool, AssistiveTools } from '../../preload/api';
import { useGreeterStore, useT } from './context';

export const HIGH_CONTRAST_CLASS = 'a11y-high-contrast';
export const LARGE_TEXT_CLASS = 'a11y-large-text';

type Item =
  { kind: 'toggle'; id: 'high-contrast' | 'large-text' } | { kind: 'tool'; id: AssistiveTool };
type Status = { kind: 'started'; tool: AssistiveTool } | { kind: 'failed' } | null;

export function AccessibilityMenu({ tools }: { tools: AssistiveTools }) {
  const t = useT();
  const store = useGreeterStore();
  const menuId = useId();
  const [open, setOpen] = useState(false);
  const [focusIndex, setFocusIndex] = useState(0);
  const [highContrast, setHighContrast] = useState(false);
  const [largeText, setLargeText] = useState(false);
  const [status, setStatus] = useState<Status>(null);
  const buttonRef = useRef<HTMLButtonElement | null>(null);
  const itemRefs = useRef<(HTMLButtonElement | null)[]>([]);

  const items: Item[] = [
    { kind: 'toggle', id: 'high-contrast' },
    { kind: 'toggle', id: 'large-text' },
    ...(tools.screenReader ? [{ kind: 'tool', id: 'screen-reader' } as const] : []),
    ...(tools.onScreenKeyboard ? [{ kind: 'tool', id: 'on-screen-keyboard' } as const] : []),
  ];

  useEffect(() => {
    const root = document.documentElement;
    root.classList.toggle(HIGH_CONTRAST_CLASS, highContrast);
    root.classList.toggle(LARGE_TEXT_CLASS, largeText);
  }, [highContrast, largeText]);

  useEffect(() => {
    if (open) itemRefs.current[focusIndex]?.focus();
  }, [open, focusIndex]);

  const openMenu = (index: number) => {
    setFocusIndex(index);
    setOpen(true);
  };
  const closeMenu = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };

  const onButtonKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      openMenu(event.key === 'ArrowDown' ? 0 : items.length - 1);
    }
  };

  const onMenuKey = (event: KeyboardEvent<HTMLUListElement>) => {
    const last = items.length - 1;
    const moves: Record<string, number> = {
      ArrowDown: focusIndex === last ? 0 : focusIndex + 1,
      ArrowUp: focusIndex === 0 ? last : focusIndex - 1,
      Home: 0,
      End: last,
    };
    const next = moves[event.key];
    if (next !== undefined) {
      event.preventDefault();
      setFocusIndex(next);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      closeMenu();
    } else if (event.key === 'Tab') {
      setOpen(false);
    }
  };

  const choose = (item: Item, index: number) => {
    setFocusIndex(index);
    if (item.kind === 'toggle') {
      if (item.id === 'high-contrast') setHighContrast((on) => !on);
      else setLargeText((on) => !on);
      return;
    }
    closeMenu();
    setStatus(null);
    const tool = item.id;
    void store
      .getState()
      .startAssistiveTool(tool)
      .then((ok) => setStatus(ok ? { kind: 'started', tool } : { kind: 'failed' }));
  };

  const label = (item: Item): string =>
    item.kind === 'tool'
      ? t.assistiveTool[item.id]
      : item.id === 'high-contrast'
        ? t.highContrast
        : t.largeText;
  const checked = (item: Item): boolean | undefined =>
    item.kind === 'tool' ? undefined : item.id === 'high-contrast' ? highContrast : largeText;

  return (
    <div className="a11y" data-testid="a11y-menu">
      <button
        ref={buttonRef}
        type="button"
        className="topbar-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        title={t.accessibilityMenu}
        onClick={() => (open ? closeMenu() : openMenu(0))}
        onKeyDown={onButtonKey}
        data-testid="a11y-button"
      >
        <span className="a11y-icon" aria-hidden="true" />
        <span>{t.accessibilityMenu}</span>
      </button>
      {open && (
        <ul
          id={menuId}
          className="topbar-list"
          role="menu"
          aria-label={t.accessibilityMenu}
          onKeyDown={onMenuKey}
          onBlur={(event) => {
            if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setOpen(false);
          }}
        >
          {items.map((item, index) => {
            const isChecked = checked(item);
            return (
              <li key={item.id} role="none">
                <button
                  ref={(element) => {
                    itemRefs.current[index] = element;
                  }}
                  type="button"
                  role={isChecked === undefined ? 'menuitem' : 'menuitemcheckbox'}
                  aria-checked={isChecked}
                  tabIndex={index === focusIndex ? 0 : -1}
                  className="topbar-item"
                  onClick={() => choose(item, index)}
                  data-testid={`a11y-${item.id}`}
                >
                  {isChecked !== undefined && (
                    <span className="a11y-check" aria-hidden="true">
                      {isChecked ? '✓' : ''}
                    </span>
                  )}
                  {label(item)}
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <p className="topbar-status" role="status" data-testid="a11y-status">
        {status?.kind === 'started' && t.assistiveStarted[status.tool]}
        {status?.kind === 'failed' && t.assistiveFailed}
      </p>
    </div>
  );
}
