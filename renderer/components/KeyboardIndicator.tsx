// The keyboard layout of the top bar. Where main can switch it (X11 with setxkbmap and two or
// more layouts, `ScreenOptions.keyboardSwitchable`) it is a menu button listing the configured
// layouts (./KeyboardSwitcher); elsewhere (Wayland, where the compositor owns the keymap, or a
// single layout) an indicator of the active layout, with the whole list when there are
// several. The layout switch key the system configures (XKBOPTIONS) is not reflected here.
import type { KeyboardLayout } from '../../preload/api';
import { selectScreen } from '../store/selectors';
import { useGreeter, useT } from './context';
import { KeyboardSwitcher, layoutName } from './KeyboardSwitcher';

export function KeyboardIndicator({ layouts }: { layouts: KeyboardLayout[] }) {
  const t = useT();
  const screen = useGreeter(selectScreen);
  const switchable = screen?.keyboardSwitchable === true && layouts.length > 1;
  const initial = screen?.keyboardCurrent ?? 0;
  if (switchable) return <KeyboardSwitcher layouts={layouts} initial={initial} />;
  const current = layouts[initial] ?? layouts[0];
  if (current === undefined) return null;
  return (
    <p className="keyboard" data-testid="keyboard-layout">
      <span className="visually-hidden">{t.keyboardLayout}: </span>
      <span className="keyboard-current" title={t.keyboardLayout}>
        {current.layout.toUpperCase()}
      </span>
      {layouts.length > 1 && (
        <span className="keyboard-list" data-testid="keyboard-layouts">
          <span className="visually-hidden">{t.keyboardLayouts}: </span>
          {layouts.map(layoutName).join(', ')}
        </span>
      )}
    </p>
  );
}
