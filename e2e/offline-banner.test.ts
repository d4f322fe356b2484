// Issue 3 part 6 on screen: the dev server as `npm start` runs it (its own process, the real
// backend and monitor) with BASTION_PORTAL_URL pointing at a loopback "portal" this test
// controls. Stopping the portal brings the offline banner up without a reload; starting it
// again takes the banner away. Nothing is faked: the monitor's probes hit a real socket.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { startLoopbackPortal } from '../main/monitor/test/loopback-portal';
import { REPO_ROOT } from '../testkit/paths';
import { launchChromium, openPage, saveScreenshot } from './support/browser';
import { startDevServerProcess } from './support/dev-server-process';
import { requireE2ePrerequisites } from './support/session';

const PROBE_INTERVAL_MS = 200;

test(
  'portal stopped → offline banner appears live; portal back → it goes away',
  { timeout: 120_000 },
  async (t) => {
    if (!requireE2ePrerequisites(t)) return;
    // The server bundle must carry the monitor wiring of this checkout.
    const built = spawnSync(process.execPath, ['scripts/build.mjs', 'renderer', 'dev'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, `build failed: ${built.stderr}`);

    const portal = await startLoopbackPortal();
    t.after(() => portal.close());
    const server = await startDevServerProcess({
      BASTION_PORTAL_URL: portal.url.href,
      BASTION_DEV_PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS),
    });
    t.after(() => server.stop());
    const browser = await launchChromium();
    t.after(() => browser.close());
    const { page, pageErrors } = await openPage(browser);
    await page.goto(server.pageUrl);
    await page.getByTestId('submit').waitFor();

    const banner = page.getByTestId('offline-banner');
    // Give the monitor a few probes: the portal answers, so no banner.
    await page.waitForTimeout(3 * PROBE_INTERVAL_MS);
    assert.equal(await banner.count(), 0, 'portal reachable: no banner');
    assert.ok(portal.requests.length >= 1, 'the dev server probed the configured URL');
    await saveScreenshot(page, 'offline-banner-online');

    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    await page.getByTestId('user').fill('alice');

    const stoppedAt = Date.now();
    await portal.stop();
    await banner.waitFor({ timeout: 10_000 });
    const toBanner = Date.now() - stoppedAt;
    assert.match(await banner.innerText(), /Offline mode: the sign-in portal cannot be reached/);
    assert.equal(await page.getByTestId('user').inputValue(), 'alice', 'no reload: form kept');
    await saveScreenshot(page, 'offline-banner-offline');

    const restartedAt = Date.now();
    await portal.restart();
    await banner.waitFor({ state: 'detached', timeout: 10_000 });
    const toOnline = Date.now() - restartedAt;
    assert.equal(await page.getByTestId('user').inputValue(), 'alice', 'no reload: form kept');
    assert.deepEqual(navigations, [], 'the page never navigated');
    assert.deepEqual(pageErrors, []);
    assert.ok(
      new Set(portal.requests).size === 1,
      `only the configured URL was probed: ${[...new Set(portal.requests)].join(', ')}`,
    );
    await saveScreenshot(page, 'offline-banner-back-online');
    t.diagnostic(
      `banner after ${toBanner} ms offline, gone ${toOnline} ms after the portal came back`,
    );
  },
);
