// Issue 9, "touch or type … same for the display-manager transports", greetd, with PINs: a
// real greetd 0.9 (testkit/dm/greetd-rig.ts: root, private /etc/pam.d in a private mount
// namespace, the greeter as `_greetd`) whose `greetd` stack asks pam_bastion_method's question
// (native-helper/pam_bastion_method.c, the release build) before REAL pam_u2f (Debian
// libpam-u2f, mapping `+pin`), then the password (pam_matrix). The fake-hidraw shim is
// preloaded into greetd (its session worker, which runs PAM as root, inherits greetd's
// environment) and into the greeter (node-hid lists the key; the PIN's tries left are read
// from it). The greeter is the project's real one (build/dev/server.mjs, `security-keys =
// true`) in Playwright's Chromium; main/auth/method-route.ts takes turns between the key and
// the password on greetd's one conversation:
//   1. PIN in the key's own field, then a touch → session, no password;
//   2. a password typed while the key waits for its PIN → session by the password, and the
//      key never saw it (its PIN retries unchanged, no PIN token asked);
//   3. "Use password instead" (in French) → the key side ends → password → session.
// greetd holds its session while a PAM module works (method-route.ts), but in 2 and 3 the key's
// conversation sits at pam_u2f's PIN PROMPT, where greetd's cancel_session answers at once:
// the time from the gesture to its effect is measured and bounded well below the touch wait.
//
// greetd exits when a greeter quits without a login and runs one greeter per login, so each
// case starts its own greetd through the rig (as e2e/dm-greetd.test.ts does); the key, its
// authfile and the greeter's bundle are shared by the file.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Locale } from '../preload/api';
import {
  KEY_ORIGIN,
  LOGIN_PASSWORD,
  LOGIN_USER,
  greetdRigMissing,
  type GreetdRig,
} from '../testkit/dm/greetd-rig';
import { FAKE_HIDRAW_SO } from '../testkit/fido2/fake-hidraw-rig';
import { requireOrSkip } from '../testkit/require';
import { launchChromium, saveScreenshot } from './support/browser';
import { prepareDmGreeter, type DmGreeter } from './support/dm-greeter';
import {
  greetdDiagnostics,
  startGreetdGreeter,
  type GreetdGreeterPage,
} from './support/greetd-greeters';
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
/**
 * Bound on a gesture's effect when the key's conversation waits at the PIN prompt (greetd
 * cancels at a prompt at once): well below the touch wait, so a cancel held until pam_u2f
 * returns would fail it.
 */
const AT_PROMPT_BOUND_MS = 5_000;

const missing = dmKeyMissing(greetdRigMissing(), { methodModule: true });

describe(
  'greetd + pam_bastion_method + pam_u2f with a PIN: touch or type on one conversation (real greeter)',
  { timeout: 180_000 },
  () => {
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
        sessionType: 'wayland',
        policy: '[greeter]\nsecurity-keys = true\n',
        fakeHidraw: { library: FAKE_HIDRAW_SO, dir: key.keys.dir },
      });
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
      await key?.cleanup();
      greeter?.cleanup();
    });

    /** A greetd of its own for this case (stopped with it) and the page of its greeter. */
    const startGreetd = (t: TestContext, locale: Locale = 'en'): Promise<GreetdGreeterPage> =>
      startGreetdGreeter(
        t,
        { greeter: greeter!, browser: browser! },
        {
          sessionSeconds: 1,
          maxSeconds: 90,
          keyAuthfile: key!.authfile,
          keyMethodModule: METHOD_MODULE,
          fakeHidrawDir: key!.keys.dir,
        },
        locale,
      );

    const diagnostics = (rig: GreetdRig, run: number): string =>
      greetdDiagnostics(greeter!, rig, run);

    /** The session's marker line (`uid=… user=… args=…`): greetd ran the session as the user. */
    async function sessionStarted(rig: GreetdRig): Promise<string> {
      return (await rig.waitForMarker(15_000))[0]!;
    }

    /** Account chosen, Enter with nothing typed: the password prompt and the key's PIN field. */
    async function keyAsksPin(page: Page, rig: GreetdRig, run: number): Promise<void> {
      await chooseUser(page, LOGIN_USER);
      await submitPassword(page, '');
      try {
        await keyArea(page, 'pin').waitFor({ timeout: 15_000 });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${diagnostics(rig, run)}`);
      }
      // The password form stays usable beside it.
      await page.getByTestId('prompt-answer').waitFor({ timeout: 5_000 });
    }

    test('PIN in the key’s own field, then a touch → session, no password', async (t) => {
      if (!requireOrSkip(t, missing === null, missing ?? '')) return;
      const authenticator = key!.keys.devices[0]!.authenticator;
      const { page, pageErrors, rig, run } = await startGreetd(t);
      await keyAsksPin(page, rig, run);
      assert.match(
        await page.getByTestId('security-key-retries').innerText(),
        new RegExp(`${authenticator.pinRetries} tries left`),
        'the tries left, read from the key itself',
      );
      await saveScreenshot(page, 'dm-greetd-key-choice-pin-en');
      await assertAxeClean(page, 'greetd: the key asks its PIN beside the password');
      const signCount = authenticator.credentials[0]!.signCount;
      await page.getByTestId('security-key-pin').fill(PIN);
      await page.getByTestId('security-key-pin').press('Enter');
      await keyArea(page, 'touch').waitFor({ timeout: 15_000 });
      await waitForSuccess(page, () => diagnostics(rig, run), TOUCH_DELAY_MS + 15_000);
      const marker = await sessionStarted(rig);
      assert.match(marker, new RegExp(`user=${LOGIN_USER} `));
      assert.equal(authenticator.credentials[0]!.signCount, signCount + 1, 'the key signed in');
      const log = greeter!.stderr(run);
      assert.match(
        log,
        new RegExp(`attempt for ${LOGIN_USER} via greetd \\(security key\\): success`),
      );
      assert.doesNotMatch(log, new RegExp(PIN));
      assert.deepEqual(pageErrors, []);
    });

    test('a password typed while the key waits for its PIN → session; the key never saw it', async (t) => {
      if (!requireOrSkip(t, missing === null, missing ?? '')) return;
      const authenticator = key!.keys.devices[0]!.authenticator;
      const { page, pageErrors, rig, run } = await startGreetd(t);
      await keyAsksPin(page, rig, run);
      const retries = authenticator.pinRetries;
      const logged = authenticator.requestLog.length;
      // The focus is the password's (the PIN field never takes it by itself).
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'prompt-answer');
      await page.keyboard.type(LOGIN_PASSWORD);
      const typed = Date.now();
      await page.keyboard.press('Enter');
      await waitForSuccess(page, () => diagnostics(rig, run));
      const signedIn = Date.now() - typed;
      const marker = await sessionStarted(rig);
      const toSession = Date.now() - typed;
      t.diagnostic(`Enter → success on screen: ${signedIn} ms; → session marker: ${toSession} ms`);
      assert.ok(signedIn < AT_PROMPT_BOUND_MS, `the password waited ${signedIn} ms`);
      assert.match(marker, new RegExp(`user=${LOGIN_USER} `));
      assert.equal(authenticator.pinRetries, retries, 'no PIN try spent');
      assert.equal(pinTokenRequests(authenticator, logged), 0, 'no PIN reached the key');
      const log = greeter!.stderr(run);
      assert.match(log, /KEY_PREEMPTED/);
      assert.match(log, new RegExp(`attempt for ${LOGIN_USER} via greetd: success`));
      assert.doesNotMatch(log, new RegExp(LOGIN_PASSWORD));
      assert.deepEqual(pageErrors, []);
    });

    test('« Utiliser le mot de passe » (fr): the key side ends, the password signs in', async (t) => {
      if (!requireOrSkip(t, missing === null, missing ?? '')) return;
      const authenticator = key!.keys.devices[0]!.authenticator;
      const { page, pageErrors, rig, run } = await startGreetd(t, 'fr');
      await keyAsksPin(page, rig, run);
      const retries = authenticator.pinRetries;
      const logged = authenticator.requestLog.length;
      await saveScreenshot(page, 'dm-greetd-key-choice-pin-fr');
      await assertAxeClean(page, 'greetd (fr): the key asks its PIN beside the password');
      const clicked = Date.now();
      await page.getByTestId('security-key-use-password').click();
      await keyArea(page, 'off').waitFor({ state: 'attached', timeout: 10_000 });
      const keyOff = Date.now() - clicked;
      const answer = page.getByTestId('prompt-answer');
      await answer.fill(LOGIN_PASSWORD);
      const typed = Date.now();
      await answer.press('Enter');
      await waitForSuccess(page, () => diagnostics(rig, run));
      const signedIn = Date.now() - typed;
      t.diagnostic(
        `« Utiliser le mot de passe » → key off: ${keyOff} ms; Enter → success: ${signedIn} ms`,
      );
      assert.ok(keyOff < AT_PROMPT_BOUND_MS, `the key side took ${keyOff} ms to end`);
      assert.ok(signedIn < AT_PROMPT_BOUND_MS, `the password waited ${signedIn} ms`);
      assert.match(await sessionStarted(rig), new RegExp(`user=${LOGIN_USER} `));
      assert.equal(authenticator.pinRetries, retries);
      assert.equal(pinTokenRequests(authenticator, logged), 0, 'no PIN reached the key');
      const log = greeter!.stderr(run);
      assert.match(log, new RegExp(`attempt for ${LOGIN_USER} via greetd: success`));
      assert.doesNotMatch(log, new RegExp(LOGIN_PASSWORD));
      assert.deepEqual(pageErrors, []);
    });
  },
);
