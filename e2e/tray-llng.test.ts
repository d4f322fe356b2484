// The tray against the real LemonLDAP::NG rig (issue #10): the Chromium fallback's tray page →
// loopback bridge → tray backend → main/monitor's OfflineModeMonitor probing the rig's portal,
// with the session guard revalidating through Open Bastion's /pam/userinfo (the rig's nginx
// forwards /pam/* to testkit/sso/open-bastion-pam-double.ts, a TEST DOUBLE: Debian's portal
// lacks that plugin). The portal is stopped mid-session (nginx and FastCGI gone: connections
// refused) → "portal unreachable since …"; an offline unlock happens meanwhile (its marker);
// the portal comes back → online, the offline session revalidated (signed /pam/userinfo),
// "last check with the portal" filled in. Once in English, once in French (its own dev
// server, state and offline marker). Screenshots e2e/artifacts/tray-llng-*.png, axe.
// Under CI=true a missing rig or browser fails.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { requireOrSkip } from '../testkit/require';
import { llngRigMissing, startLlngRig, type LlngRig } from '../testkit/sso/llng-rig';
import {
  startOpenBastionPamDouble,
  type OpenBastionPamDouble,
} from '../testkit/sso/open-bastion-pam-double';
import { FileOfflineSessions } from '../main/monitor/offline-sessions';
import { axeViolations, seriousOrCritical } from './support/axe';
import { launchChromium, openPage, saveScreenshot } from './support/browser';
import { startDevServerProcess } from './support/dev-server-process';
import { e2ePrerequisites } from './support/greeter-harness';
import { requireE2ePrerequisites } from './support/session';

const USER = 'dwho';
const missing = llngRigMissing();
const NEED = `LemonLDAP::NG rig (${missing})`;
const SERVER_TOKEN = 'server-token-for-test';
const SIGNING_SECRET = 'signing-secret-for-test';

const stateIs = (page: Page, state: string, timeout: number): Promise<void> =>
  page.locator(`[data-testid="tray-state"][data-state="${state}"]`).waitFor({ timeout });

/** What the tray says, per locale (renderer/tray/i18n.ts). */
const TEXT = {
  en: {
    online: /^Connected to the sign-in/,
    unreachable: /^The sign-in portal has not answered since .*\d{2}:\d{2}/,
    state: /portal unreachable/i,
    never: 'Not yet.',
  },
  fr: {
    online: /^Connecté au portail de connexion/,
    unreachable: /^Le portail de connexion ne répond plus depuis le .*\d{2}:\d{2}/,
    state: /portail de connexion injoignable/i,
    never: 'Pas encore.',
  },
} as const;

async function axeClean(page: Page, what: string): Promise<void> {
  assert.deepEqual(seriousOrCritical(await axeViolations(page)), [], `axe on ${what}`);
}

describe('tray against a real LemonLDAP::NG: portal stopped and back', { timeout: 180_000 }, () => {
  let rig: LlngRig | undefined;
  let pam: OpenBastionPamDouble | undefined;
  let browser: Browser | undefined;
  let baseDir = '';
  before(async () => {
    if (missing || !e2ePrerequisites().every((p) => p.available)) return;
    rig = await startLlngRig();
    pam = await startOpenBastionPamDouble({
      port: rig.pamDoublePort,
      serverToken: SERVER_TOKEN,
      signingSecret: SIGNING_SECRET,
      users: { [USER]: { found: true } },
    });
    browser = await launchChromium();
    baseDir = mkdtempSync(join(tmpdir(), 'bastion-tray-llng-'));
    chmodSync(baseDir, 0o700);
  });
  after(async () => {
    await browser?.close();
    await pam?.stop();
    await rig?.stop();
    if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  });

  for (const locale of ['en', 'fr'] as const) {
    // The English names predate the French pass and stay as they were.
    const shot = (page: Page, name: string) =>
      saveScreenshot(page, locale === 'en' ? `tray-llng-${name}` : `tray-llng-${name}-${locale}`);
    it(`${locale}: online → portal stopped: unreachable since … → portal back: online, revalidated`, async (t) => {
      if (!requireE2ePrerequisites(t)) return;
      if (!requireOrSkip(t, missing === null, NEED)) return;
      const r = rig!;
      const text = TEXT[locale];
      const dir = join(baseDir, locale);
      mkdirSync(dir, { mode: 0o700 });
      // The secrets go in files (never env or argv); the dev server reads their paths.
      const tokenFile = join(dir, 'server-token');
      const secretFile = join(dir, 'signing-secret');
      writeFileSync(tokenFile, SERVER_TOKEN, { mode: 0o600 });
      writeFileSync(secretFile, SIGNING_SECRET, { mode: 0o600 });
      const stateDir = join(dir, 'state');
      mkdirSync(stateDir, { mode: 0o700 });
      const configFile = join(dir, 'revalidate.json');
      writeFileSync(
        configFile,
        JSON.stringify({
          issuer: r.httpsIssuer,
          caFile: r.caFile,
          pins: [r.spkiPin],
          resolve: r.resolve,
          serverTokenFile: tokenFile,
          signingSecretFile: secretFile,
          stateDir,
        }),
        { mode: 0o600 },
      );
      const server = await startDevServerProcess({
        BASTION_DEV_TRAY: '1',
        BASTION_LOCALE: locale,
        BASTION_USER: USER,
        // The rig's plain listener on loopback: nginx itself, stopped with the portal.
        BASTION_PORTAL_URL: `http://${r.address}:${r.httpPort}/`,
        BASTION_DEV_PROBE_INTERVAL_MS: '300',
        BASTION_DEV_TRAY_REVALIDATE: configFile,
      });
      t.after(() => server.stop());
      const { page, pageErrors } = await openPage(browser!);
      t.after(() => page.close());
      await page.goto(server.pageUrl);
      await page.getByTestId('tray-card').waitFor();

      await stateIs(page, 'online', 10_000);
      assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
      assert.match(await page.getByTestId('tray-since').innerText(), text.online);
      assert.equal(await page.getByTestId('tray-revalidated').innerText(), text.never);
      await shot(page, 'online');
      await axeClean(page, 'online');

      // Mid-session the portal goes away: two failed probes in a row, then the tray says so.
      const stoppedAt = Date.now();
      await r.stopPortal('refuse');
      await stateIs(page, 'portal-unreachable', 15_000);
      const switchMs = Date.now() - stoppedAt;
      t.diagnostic(`portal stopped → tray shows unreachable in ${switchMs} ms`);
      assert.match(await page.getByTestId('tray-since').innerText(), text.unreachable);
      assert.match(await page.getByTestId('tray-state').innerText(), text.state);
      // Meanwhile dwho unlocks on the offline path (the greeter backend marks it on OFFLINE_OK).
      const sessions = new FileOfflineSessions(join(stateDir, 'offline-sessions'));
      await sessions.mark(USER, Date.now());
      assert.deepEqual(
        (await sessions.list()).map((s) => s.user),
        [USER],
      );
      await shot(page, 'unreachable');
      await axeClean(page, 'portal unreachable');
      const asked = pam!.requests.length;

      // The portal comes back: online again, and the offline session revalidated.
      const backAt = Date.now();
      await r.startPortal();
      await stateIs(page, 'online', 20_000);
      await page
        .getByTestId('tray-revalidated')
        .filter({ hasNotText: text.never })
        .waitFor({ timeout: 10_000 });
      t.diagnostic(`portal back → tray online and revalidated in ${Date.now() - backAt} ms`);
      assert.match(
        await page.getByTestId('tray-revalidated').innerText(),
        /\d{2}:\d{2}.*\(.+\)\.$/,
      );
      const userinfo = pam!.requests
        .slice(asked)
        .filter((q) => q.path === '/pam/userinfo' && q.status === 200);
      assert.ok(userinfo.length >= 1, 'the guard asked /pam/userinfo');
      assert.deepEqual(userinfo[0]!.body, { user: USER });
      assert.equal(userinfo[0]!.signed, true, 'signed with the site secret');
      assert.deepEqual(await sessions.list(), [], 'the offline marker is gone once revalidated');
      await shot(page, 'revalidated');
      await axeClean(page, 'revalidated');
      assert.deepEqual(pageErrors, []);
    });
  }
});
