// The keyboard layout indicator: the system's first configured layout (the one a session
// starts with), and the whole list when there are several. An indicator only: the renderer
// cannot change the OS layout, and the layout switch key the system configures (XKBOPTIONS)
// is not reflected here.
import type { KeyboardLayout } from '../../preload/api';
import { useT } from './context';

const name = (layout: KeyboardLayout): string =>
  layout.variant === '' ? layout.layout : `${layout.layout} (${layout.variant})`;

export function KeyboardIndicator({ layouts }: { layouts: KeyboardLayout[] }) {
  const t = useT();
  const [current] = layouts;
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
          {layouts.map(name).join(', ')}
        </span>
      )}
    </p>
  );
}
