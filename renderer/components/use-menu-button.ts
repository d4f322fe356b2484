// The keyboard and focus behaviour of a menu button (WAI-ARIA menu button pattern), shared by
// the power and accessibility menus: Down/Up on the button open the menu on its first/last item;
// in the menu Up/Down wrap, Home/End jump, Escape closes and returns focus to the button, Tab
// closes and lets the focus move on.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

export function useMenuButton(itemCount: number) {
  const menuId = useId();
  const [open, setOpen] = useState(false);
  const [focusIndex, setFocusIndex] = useState(0);
  const buttonRef = useRef<HTMLButtonElement | null>(null);
  const itemRefs = useRef<(HTMLButtonElement | null)[]>([]);

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
      openMenu(event.key === 'ArrowDown' ? 0 : itemCount - 1);
    }
  };

  const onMenuKey = (event: KeyboardEvent<HTMLUListElement>) => {
    const last = itemCount - 1;
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

  return {
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
  };
}
