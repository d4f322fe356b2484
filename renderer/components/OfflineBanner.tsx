import { useState } from 'react';
import { selectOffline } from '../store/selectors';
import { useGreeter, useT } from './context';

/**
 * The offline-mode banner, live from main's snapshots: it appears when main believes the SSO
 * portal is unreachable and goes away when the portal is back, without a reload. The
 * surrounding status region exists from the start so that screen readers announce both
 * changes (a region inserted together with its text is often not announced).
 */
export function OfflineBanner() {
  const t = useT();
  const offline = useGreeter(selectOffline);
  const [previous, setPrevious] = useState(offline);
  const [backOnline, setBackOnline] = useState(false);
  if (offline !== previous) {
    // A change seen here (React's "adjust state while rendering"): "back online" is announced
    // only after an offline spell, never on the first paint.
    setPrevious(offline);
    setBackOnline(!offline);
  }

  return (
    <div role="status" data-testid="offline-status">
      {offline ? (
        <aside className="banner" data-testid="offline-banner" aria-label={t.offlineBannerLabel}>
          <span className="banner-icon" aria-hidden="true" />
          <p>{t.offlineBanner}</p>
        </aside>
      ) : (
        backOnline && <p className="visually-hidden">{t.backOnline}</p>
      )}
    </div>
  );
}
