// Issue 9, "same for the display-manager transports", LightDM, WITHOUT pam_bastion_method
// (README.md, "Touch or type"; with it: dm-lightdm-key-choice.test.ts): presence-only pam_u2f
// before the password in LightDM's own stack (`auth sufficient pam_u2f.so … cue`), the greeter's
// key area off, pam_u2f's cue relayed by the password side. With real parts: a real LightDM 1.26 (testkit/dm/lightdm-rig.ts, `keyAuthfile`)
// runs REAL pam_u2f (Debian libpam-u2f) in its session child under pam_wrapper, with the
// fake-hidraw shim preloaded beside it (`fakeHidrawDir`) so libfido2 reaches the software
// authenticator; the mapping is written by main/keys (what `bastion-keys keys enroll` does).
// The greeter is the project's real one (build/dev/server.mjs, e2e/support/dm-greeter.ts),
// driven in Playwright's Chromium; pam_u2f's cue reaches it over LightDM's greeter protocol and
// main/auth/conversation.ts turns it into the screen's touch prompt.
//
// One daemon for the file; each case ends with a started session, after which LightDM starts
// the next greeter. The touch cases (en, then fr) need the key plugged in; the last case
// unplugs it (for good).
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  KEY_ORIGIN,
  LOGIN_PASS,
  LOGIN_USER,
  lightdmRigMissing,
  startLightdmRig,
  type LightdmRig,
} from '../testkit/dm/lightdm-rig';
import { requireOrSkip } from '../testkit/require';
import { launchChromium, saveScreenshot } from './support/browser';
import { prepareDmGreeter, type DmGreeter } from './support/dm-greeter';
import { lightdmGreeters } from './support/lightdm-greeters';
import {
  answerPrompt,
  assertAxeClean,
  chooseUser,
  submitPassword,
  waitForSuccess,
} from './support/dm-screen';
import { dmKeyMissing, enrolledKey, type EnrolledKey } from './support/dm-key';

const GET_ASSERTION = 0x02;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How long the simulated person takes to touch once the key waits (the screenshot's window). */
const TOUCH_DELAY_MS = 4_000;

const missing = dmKeyMissing(lightdmRigMissing(), { methodModule: false });

describe(
  'LightDM + presence-only pam_u2f: touch to log in (real greeter)',
  { timeout: 150_000 },
  () => {
    let rig: LightdmRig | null = null;
    let greeter: DmGreeter | null = null;
    let browser: Browser | null = null;
    let key: EnrolledKey | null = null;

    before(async () => {
      if (missing !== null) return;
      key = await enrolledKey({
        user: LOGIN_USER,
        origin: KEY_ORIGIN,
        touchDelayMs: TOUCH_DELAY_MS,
      });
      greeter = prepareDmGreeter({ sessionType: 'x11' });
      browser = await launchChromium();
      rig = await startLightdmRig({
        greeterCommand: greeter.command,
        keyAuthfile: key.authfile,
        fakeHidrawDir: key.keys.dir,
      });
    });
    after(async () => {
      await Promise.allSettled([rig?.stop(), browser?.close()]);
      await key?.cleanup();
      greeter?.cleanup();
    });

    const greeters = lightdmGreeters(() => ({ rig: rig!, greeter: greeter!, browser: browser! }));
    const nextGreeter = (t: TestContext) => greeters.next(t);
    const diagnostics = (run: number) => greeters.diagnostics(run);
    const sessionStarted = (count: number) => greeters.sessionStarted(count);

    // A greeter reads its locale when LightDM starts it, i.e. when the case before ends with a
    // session: each case sets the next one's locale before its own session starts.
    const touchCases = [
      { locale: 'en', next: 'fr', title: /Touch your security key/ },
      { locale: 'fr', next: 'en', title: /Touchez votre clé de sécurité/ },
    ] as const;
    for (const { locale, next, title } of touchCases) {
      test(`${locale}, key plugged in: Enter on the chosen account → pam_u2f’s cue as the touch prompt → touch → session, no password`, async (t) => {
        if (!requireOrSkip(t, missing === null, missing ?? '')) return;
        const authenticator = key!.keys.devices[0]!.authenticator;
        const logged = authenticator.requestLog.length;
        const { page, pageErrors, run } = await nextGreeter(t);
        greeter!.setLocale(next); // this greeter has read its own already
        await chooseUser(page, LOGIN_USER);
        const before = rig!.sessionStarts().length;
        // Nothing typed: Enter with the password field empty starts the attempt.
        await submitPassword(page, '');
        const touch = page.getByTestId('touch-prompt');
        await touch.waitFor({ timeout: 10_000 });
        const shown = Date.now();
        const text = await touch.innerText();
        assert.match(text, title);
        assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
        assert.match(text, /Please touch the device\./, 'pam_u2f’s own cue, verbatim');
        // The key waits for the touch (pam_u2f's assertion asking for presence; its pre-flight
        // without presence came before), no session has started and no prompt is open.
        const askedForPresence = (): boolean =>
          authenticator.requestLog.slice(logged).some((e) => {
            const options = e.params?.get(5);
            return (
              e.command === GET_ASSERTION &&
              !(options instanceof Map && options.get('up') === false)
            );
          });
        const askedBy = Date.now() + 2_000;
        while (!askedForPresence() && Date.now() < askedBy) await sleep(20);
        assert.ok(askedForPresence(), 'pam_u2f asked the key for a touch');
        const signCount = authenticator.credentials[0]!.signCount;
        assert.equal(rig!.sessionStarts().length, before, 'no session before the touch');
        assert.equal(await page.getByTestId('prompt-answer').count(), 0, 'no password prompt');
        await saveScreenshot(page, `dm-key-touch-${locale}`);
        await assertAxeClean(page, `touch prompt (${locale})`);
        await waitForSuccess(page, () => diagnostics(run), TOUCH_DELAY_MS + 15_000);
        const marker = await sessionStarted(before + 1);
        assert.match(marker, new RegExp(`USER=${LOGIN_USER}$`));
        assert.equal(
          authenticator.credentials[0]!.signCount,
          signCount + 1,
          'the touched assertion signed in',
        );
        assert.match(
          greeter!.stderr(run),
          new RegExp(`attempt for ${LOGIN_USER} via lightdm: success`),
        );
        assert.deepEqual(pageErrors, []);
        t.diagnostic(`touch prompt on screen → session script: ${Date.now() - shown} ms`);
      });
    }

    test('no key plugged in: pam_u2f gives way at once → password prompt → password → session', async (t) => {
      if (!requireOrSkip(t, missing === null, missing ?? '')) return;
      key!.keys.devices[0]!.unplug();
      const { page, pageErrors, run } = await nextGreeter(t);
      await chooseUser(page, LOGIN_USER);
      const before = rig!.sessionStarts().length;
      const started = Date.now();
      await submitPassword(page, '');
      await page.getByTestId('prompt-answer').waitFor({ timeout: 10_000 });
      const toPrompt = Date.now() - started;
      assert.ok(
        toPrompt < 5_000,
        `password prompt after ${toPrompt} ms: pam_u2f did not fail fast`,
      );
      assert.equal(
        await page.getByTestId('touch-prompt').count(),
        0,
        'no touch prompt without a key',
      );
      assert.equal(await answerPrompt(page, /^Password:/, LOGIN_PASS), 'password');
      await waitForSuccess(page, () => diagnostics(run));
      const marker = await sessionStarted(before + 1);
      assert.match(marker, new RegExp(`USER=${LOGIN_USER}$`));
      assert.doesNotMatch(greeter!.stderr(run), new RegExp(LOGIN_PASS));
      assert.deepEqual(pageErrors, []);
      t.diagnostic(`Enter → password prompt without a key: ${toPrompt} ms`);
    });
  },
);
