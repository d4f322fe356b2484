// The accessibility menu of both screens: "High contrast" and "Large text" (applied here, as
// classes on the root element, for the page's life only: nothing is stored), plus the screen
// reader (Orca) and on-screen keyboard (onboard) when main found them installed, started by
// main at its fixed paths. Offered on the unlock screen too, as GDM does: the person at a
// locked session may need them to type the password, and neither opens the session.
// Keyboard: as PowerMenu (Enter/Space/Down open on the first item, Up/Down/Home/End move,
// Escape closes and returns to the button); Enter/Space toggle a checkbox item and keep the
// menu open so both settings can be set in one go.
import { useEffect, useState } from 'react';
import type { AssistiveTool, AssistiveTools } from '../../preload/api';
import { useGreeterStore, useT } from './context';
import { useMenuButton } from './use-menu-button';

export const HIGH_CONTRAST_CLASS = 'a11y-high-contrast';
export const LARGE_TEXT_CLASS = 'a11y-large-text';

type Item =
  { kind: 'toggle'; id: 'high-contrast' | 'large-text' } | { kind: 'tool'; id: AssistiveTool };
type Status = { kind: 'started'; tool: AssistiveTool } | { kind: 'failed' } | null;

export function AccessibilityMenu({ tools }: { tools: AssistiveTools }) {
  const t = useT();
  const store = useGreeterStore();
  const [highContrast, setHighContrast] = useState(false);
  const [largeText, setLargeText] = useState(false);
  const [status, setStatus] = useState<Status>(null);

  const items: Item[] = [
    { kind: 'toggle', id: 'high-contrast' },
    { kind: 'toggle', id: 'large-text' },
    ...(tools.screenReader ? [{ kind: 'tool', id: 'screen-reader' } as const] : []),
    ...(tools.onScreenKeyboard ? [{ kind: 'tool', id: 'on-screen-keyboard' } as const] : []),
  ];
  const {
    menuId,
    focusIndex,
    setOpen,
    open,
    setFocusIndex,
    buttonRef,
    itemRefs,
    openMenu,
    closeMenu,
    onButtonKey,
    onMenuKey,
  } = useMenuButton(items.length);

  useEffect(() => {
    const root = document.documentElement;
    root.classList.toggle(HIGH_CONTRAST_CLASS, highContrast);
    root.classList.toggle(LARGE_TEXT_CLASS, largeText);
  }, [highContrast, largeText]);

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
