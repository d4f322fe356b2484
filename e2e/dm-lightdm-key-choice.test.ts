// Issue 9, "touch or type … same for the display-manager transports", LightDM, with PINs: a
// real LightDM 1.26 (testkit/dm/lightdm-rig.ts) whose stack asks pam_bastion_method's question
// (native-helper/pam_bastion_method.c, the release build) before REAL pam_u2f (Debian
// libpam-u2f, mapping `+pin`), with the fake-hidraw shim preloaded into LightDM (pam_u2f) AND
// into the greeter (node-hid lists the key; the PIN's tries left are read from it). The greeter
// is the project's real one (build/dev/server.mjs, `security-keys = true`) in Playwright's
// Chromium; main/auth/method-route.ts takes turns between the key and the password on
// LightDM's one conversation:
//   1. PIN in the key's own field, then a touch → session, no password;
//   2. a password typed while the key waits for its PIN → session by the password, and the
//      key never saw it (its PIN retries unchanged, no PIN token asked);
//   3. "Use password instead" (in French) → the key side ends → password → session.
// One daemon for the file; each case ends with a started session, after which LightDM starts
// the next greeter.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  KEY_ORIGIN,
  LOGIN_PASS,
  LOGIN_USER,
  lightdmRigMissing,
  startLightdmRig,
  type LightdmRig,
} from '../testkit/dm/lightdm-rig';
import { FAKE_HIDRAW_SO } from '../testkit/fido2/fake-hidraw-rig';
import { requireOrSkip } from '../testkit/require';
import { launchChromium, saveScreenshot } from './support/browser';
import { prepareDmGreeter, type DmGreeter } from './support/dm-greeter';
import { lightdmGreeters } from './support/lightdm-greeters';
import { assertAxeClean, chooseUser, submitPassword, waitForSuccess } from './support/dm-screen';
import {
  dmKeyMissing,
  enrolledKey,
  keyArea,
  METHOD_MODULE,
  pinTokenRequests,
  type EnrolledKey,
} from './support/dm-key';

const PIN = '246810';
/** How long the simulated person takes to touch once the key waits. */
const TOUCH_DELAY_MS = 2_000;

const missing = dmKeyMissing(lightdmRigMissing(), { methodModule: true });

describe(
  'LightDM + pam_bastion_method + pam_u2f with a PIN: touch or type on one conversation (real greeter)',
  { timeout: 180_000 },
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
        pin: PIN,
        touchDelayMs: TOUCH_DELAY_MS,
      });
      greeter = prepareDmGreeter({
        sessionType: 'x11',
        policy: '[greeter]\nsecurity-keys = true\n',
        fakeHidraw: { library: FAKE_HIDRAW_SO, dir: key.keys.dir },
      });
      browser = await launchChromium();
      rig = await startLightdmRig({
        greeterCommand: greeter.command,
        keyAuthfile: key.authfile,
        keyMethodModule: METHOD_MODULE,
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

    /** Account chosen, Enter with nothing typed: the password prompt and the key's PIN field. */
    async function keyAsksPin(page: Page, run: number): Promise<void> {
      await chooseUser(page, LOGIN_USER);
      await submitPassword(page, '');
      try {
        await keyArea(page, 'pin').waitFor({ timeout: 15_000 });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${diagnostics(run)}`);
      }
      // The password form stays usable beside it.
      await page.getByTestId('prompt-answer').waitFor({ timeout: 5_000 });
    }

    test('PIN in the key’s own field, then a touch → session, no password', async (t) => {
      if (!requireOrSkip(t, missing === null, missing ?? '')) return;
      const authenticator = key!.keys.devices[0]!.authenticator;
      const { page, pageErrors, run } = await nextGreeter(t);
      const before = rig!.sessionStarts().length;
      await keyAsksPin(page, run);
      assert.match(
        await page.getByTestId('security-key-retries').innerText(),
        new RegExp(`${authenticator.pinRetries} tries left`),
        'the tries left, read from the key itself',
      );
      await saveScreenshot(page, 'dm-key-choice-pin-en');
      await assertAxeClean(page, 'LightDM: the key asks its PIN beside the password');
      const signCount = authenticator.credentials[0]!.signCount;
      await page.getByTestId('security-key-pin').fill(PIN);
      await page.getByTestId('security-key-pin').press('Enter');
      await keyArea(page, 'touch').waitFor({ timeout: 15_000 });
      await saveScreenshot(page, 'dm-key-choice-touch-en');
      await waitForSuccess(page, () => diagnostics(run), TOUCH_DELAY_MS + 15_000);
      const marker = await sessionStarted(before + 1);
      assert.match(marker, new RegExp(`USER=${LOGIN_USER}$`));
      assert.equal(authenticator.credentials[0]!.signCount, signCount + 1, 'the key signed in');
      assert.match(
        greeter!.stderr(run),
        new RegExp(`attempt for ${LOGIN_USER} via lightdm \\(security key\\): success`),
      );
      assert.doesNotMatch(greeter!.stderr(run), new RegExp(PIN));
      assert.deepEqual(pageErrors, []);
    });

    test('a password typed while the key waits for its PIN → session; the key never saw it', async (t) => {
      if (!requireOrSkip(t, missing === null, missing ?? '')) return;
      const authenticator = key!.keys.devices[0]!.authenticator;
      const { page, pageErrors, run } = await nextGreeter(t);
      const before = rig!.sessionStarts().length;
      await keyAsksPin(page, run);
      const retries = authenticator.pinRetries;
      const logged = authenticator.requestLog.length;
      // The focus is the password's (the PIN field never takes it by itself).
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'prompt-answer');
      await page.keyboard.type(LOGIN_PASS);
      await page.keyboard.press('Enter');
      await waitForSuccess(page, () => diagnostics(run));
      const marker = await sessionStarted(before + 1);
      assert.match(marker, new RegExp(`USER=${LOGIN_USER}$`));
      assert.equal(authenticator.pinRetries, retries, 'no PIN try spent');
      assert.equal(pinTokenRequests(authenticator, logged), 0, 'no PIN reached the key');
      const log = greeter!.stderr(run);
      assert.match(log, /KEY_PREEMPTED/);
      assert.match(log, new RegExp(`attempt for ${LOGIN_USER} via lightdm: success`));
      assert.doesNotMatch(log, new RegExp(LOGIN_PASS));
      assert.deepEqual(pageErrors, []);
    });

    test('« Utiliser le mot de passe » (fr): the key side ends, the password signs in', async (t) => {
      if (!requireOrSkip(t, missing === null, missing ?? '')) return;
      greeter!.setLocale('fr');
      const authenticator = key!.keys.devices[0]!.authenticator;
      const { page, pageErrors, run } = await nextGreeter(t);
      const before = rig!.sessionStarts().length;
      await keyAsksPin(page, run);
      const retries = authenticator.pinRetries;
      await saveScreenshot(page, 'dm-key-choice-pin-fr');
      await assertAxeClean(page, 'LightDM (fr): the key asks its PIN beside the password');
      await page.getByTestId('security-key-use-password').click();
      await keyArea(page, 'off').waitFor({ state: 'attached', timeout: 10_000 });
      const answer = page.getByTestId('prompt-answer');
      await answer.fill(LOGIN_PASS);
      await answer.press('Enter');
      await waitForSuccess(page, () => diagnostics(run));
      await sessionStarted(before + 1);
      assert.equal(authenticator.pinRetries, retries);
      assert.deepEqual(pageErrors, []);
    });
  },
);
