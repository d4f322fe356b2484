// The fallback's portal view (dev/sso-portal.ts) with Debian's real Chromium: a separate
// process with its own profile, and the loopback listener that takes the one callback with
// the pending state. Chromium is pointed at the callback itself (no portal needed to prove
// the listener): a wrong state is ignored, the right one is taken once, then all is closed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../testkit/chromium';
import { fileExists, requireOrSkip } from '../../testkit/require';
import { createDevPortalHost } from '../sso-portal';

test(
  'the portal Chromium delivers the loopback callback with the pending state, once',
  { timeout: 60_000 },
  async (t) => {
    if (!requireOrSkip(t, fileExists(CHROMIUM_PATH), 'chromium')) return;
    const host = createDevPortalHost({ extraArgs: [...CHROMIUM_ARGS, '--headless=new'] });
    const session = await host.prepare('http://127.0.0.1/callback');
    assert.match(session.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    // Before show(): nothing is pending, so even a "right" state is refused.
    assert.equal((await fetch(`${session.redirectUri}?state=s-1&code=c`)).status, 400);
    const shown = session.show(`${session.redirectUri}?code=c0de&state=s-1`, 's-1');
    assert.equal((await fetch(`${session.redirectUri}?state=forged&code=c`)).status, 400);
    assert.equal(
      (await fetch(`${session.redirectUri.replace('/callback', '/other')}?state=s-1`)).status,
      404,
    );
    const callback = await shown;
    assert.equal(callback, `${session.redirectUri}?code=c0de&state=s-1`);
    // Spent and closed: the listener is gone.
    await assert.rejects(fetch(`${session.redirectUri}?state=s-1&code=c`));
    session.close();
  },
);

test('closing the view before the callback cancels the sign-in', { timeout: 60_000 }, async (t) => {
  if (!requireOrSkip(t, fileExists(CHROMIUM_PATH), 'chromium')) return;
  const host = createDevPortalHost({ extraArgs: [...CHROMIUM_ARGS, '--headless=new'] });
  const session = await host.prepare('http://127.0.0.1/callback');
  const shown = session.show('data:text/html,<p>portal</p>', 's-2');
  setTimeout(() => session.close(), 500);
  await assert.rejects(shown, (e) => (e as { code?: string }).code === 'SSO_CANCELLED');
});
