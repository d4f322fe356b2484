// The site's legal notice (greeter.conf banner-message): shown in place of the form until the
// person acknowledges it with the button, which takes the keyboard focus at once (Enter or
// Space acknowledges). A labelled region: the heading names it, the text describes the button.
import { useEffect, useRef } from 'react';
import type { LegalNotice as Notice } from '../../preload/api';
import { useGreeterStore, useT } from './context';

export function LegalNotice({ notice }: { notice: Notice }) {
  const t = useT();
  const store = useGreeterStore();
  const button = useRef<HTMLButtonElement | null>(null);
  useEffect(() => button.current?.focus(), []);
  return (
    <section className="notice" aria-labelledby="notice-title" data-testid="legal-notice">
      <h2 id="notice-title" className="notice-title">
        {t.noticeHeading}
      </h2>
      <p id="notice-text" className="notice-text" data-testid="notice-text">
        {notice.kind === 'site' ? notice.text : t.noticeFallback}
      </p>
      <div className="actions">
        <button
          ref={button}
          type="button"
          className="primary"
          aria-describedby="notice-text"
          // Also in a served first paint's markup, focused before the page's script runs.
          autoFocus
          onClick={() => store.getState().acknowledgeNotice()}
          data-testid="notice-acknowledge"
        >
          {t.noticeAcknowledge}
        </button>
      </div>
    </section>
  );
}
