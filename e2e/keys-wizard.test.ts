// The key manager's enrollment wizard through every real layer: the built keys page in
// Chromium → loopback bridge → main/ keys backend → wizard → node-hid's native path → the
// fake-hidraw shim → the software authenticator (testkit/fido2), with the password proved by
// the real PAM stack of the `npm start` demo (helper TEST build, libpam via pam_wrapper).
// The written mapping is then accepted by REAL pam_u2f run by OUR helper (service
// bastion-greeter-u2f) under pam_wrapper, with the shim preloaded. Screenshots of every step
// (en, fr) in e2e/artifacts/keys-*.png, the failure states too; axe on each step; the main
// path keyboard-only.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { KeysStep } from '../preload/keys-api';
import { runPamTransaction } from '../main/pam/helper-client';
import type { DeviceSpec } from '../testkit/fido2/fake-hidraw-rig';
import { FAKE_HIDRAW_SO, FakeHidrawRig, hasFakeHidraw } from '../testkit/fido2/fake-hidraw-rig';
import { createPamStack, hasPamWrapper } from '../testkit/pam-stack';
import { fileExists, requireOrSkip } from '../testkit/require';
import { axeViolations, seriousOrCritical } from './support/axe';
import { launchChromium, openPage, saveScreenshot } from './support/browser';
import { startDevServerProcess } from './support/dev-server-process';
import { e2ePrerequisites, HELPER_TEST_BUILD } from './support/greeter-harness';
import { requireE2ePrerequisites } from './support/session';

const PAM_U2F = '/lib/x86_64-linux-gnu/security/pam_u2f.so';
const USER = userInfo().username;
const PASSWORD = 'demo-pass'; // dev/keys-server.ts KEYS_DEMO_PASSWORD
const ORIGIN = `pam://${hostname()}`;

let browser: Browser | null = null;
before(async () => {
  if (e2ePrerequisites().every((p) => p.available) && hasFakeHidraw())
    browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

interface Wizard {
  page: Page;
  rig: FakeHidrawRig;
  authfile: string;
  dir: string;
  pageErrors: string[];
}

function ready(t: TestContext): boolean {
  if (!requireE2ePrerequisites(t)) return false;
  return requireOrSkip(t, hasFakeHidraw(), 'native-helper/out/fake_hidraw.so (npm run build)');
}

async function openWizard(
  t: TestContext,
  specs: DeviceSpec[],
  options: { locale?: 'en' | 'fr'; authfileText?: string; policy?: string } = {},
): Promise<Wizard> {
  const rig = await FakeHidrawRig.start(specs);
  t.after(() => rig.stop());
  const dir = mkdtempSync(join(tmpdir(), 'bastion-keys-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const authfile = join(dir, 'home', 'u2f_keys');
  if (options.authfileText !== undefined) {
    mkdirSync(join(dir, 'home'), { mode: 0o700 });
    writeFileSync(authfile, options.authfileText, { mode: 0o600 });
  }
  const server = await startDevServerProcess({
    ...rig.env,
    BASTION_DEV_KEYS: '1',
    BASTION_LOCALE: options.locale ?? 'en',
    BASTION_KEYS_AUTHFILE: authfile,
    BASTION_KEYS_POLL_MS: '200',
    BASTION_DEV_DEMO_POLICY: options.policy ?? '',
  });
  t.after(() => server.stop());
  const { page, pageErrors } = await openPage(browser!);
  t.after(() => page.close());
  await page.goto(server.pageUrl);
  await waitStep(page, 'password');
  return { page, rig, authfile, dir, pageErrors };
}

async function waitStep(page: Page, step: KeysStep): Promise<void> {
  await page.locator(`[data-testid="keys-step"][data-step="${step}"]`).waitFor();
}

async function problem(page: Page): Promise<{ code: string | null; text: string }> {
  const line = page.getByTestId('keys-problem');
  await line.waitFor();
  return { code: await line.getAttribute('data-code'), text: await line.innerText() };
}

async function shot(page: Page, name: string): Promise<void> {
  await saveScreenshot(page, `keys-${name}`);
  assert.deepEqual(seriousOrCritical(await axeViolations(page)), [], `axe on ${name}`);
}

const focusedTestId = (page: Page): Promise<string | null> =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);

/** The password step, by mouse-free typing. */
async function provePassword(page: Page): Promise<void> {
  await page.getByTestId('keys-password').fill(PASSWORD);
  await page.keyboard.press('Enter');
  await waitStep(page, 'device');
}

async function chooseFirstKey(page: Page): Promise<void> {
  await page.locator('[data-testid^="keys-device-key-"]').first().click();
  await waitStep(page, 'pin');
}

/** pam_u2f (Debian libpam-u2f) run by our helper under pam_wrapper, the shim preloaded. */
async function pamU2fAccepts(t: TestContext, rig: FakeHidrawRig, authfile: string) {
  const stack = createPamStack({
    services: {
      'bastion-greeter-u2f': `auth required ${PAM_U2F} authfile=${authfile} origin=${ORIGIN} appid=${ORIGIN} cue\naccount required pam_permit.so\n`,
    },
  });
  t.after(() => stack.cleanup());
  const state = mkdtempSync(join(tmpdir(), 'bastion-keys-e2e-helper-'));
  t.after(() => rmSync(state, { recursive: true, force: true }));
  const transaction = runPamTransaction({
    helperPath: HELPER_TEST_BUILD,
    service: 'bastion-greeter-u2f',
    user: USER,
    env: {
      ...stack.env,
      LD_PRELOAD: `${stack.env.LD_PRELOAD} ${FAKE_HIDRAW_SO}`,
      BASTION_FAKE_HIDRAW_DIR: rig.dir,
      BASTION_TEST_STATE_DIR: state,
    },
    deadlineMs: 30_000,
  });
  const texts: string[] = [];
  for await (const event of transaction.events()) {
    if (event.type === 'info' || event.type === 'error') texts.push(event.text);
    if (event.type === 'prompt') transaction.cancel(); // presence only: nothing to answer
    if (event.type === 'result') return { outcome: event.outcome, texts };
  }
  throw new Error('no result');
}

/** What the failure states say, per locale (renderer/keys/i18n.ts). */
const TEXT = {
  en: {
    deviceNone: /^Insert your security key/,
    pinEnterRetries: /8 attempts left/,
    pinWrong: /Wrong PIN: 7 attempts left/,
    retriesLeft: '7 attempts left',
    pinBlocked: /PIN is blocked/,
    keyFull: /no room for another sign-in/,
    alreadyEnrolled: /already added to your account/,
    cancelled: /Nothing was saved/,
    keyRemoved: /The key was removed/,
  },
  fr: {
    deviceNone: /^Insérez votre clé de sécurité/,
    pinEnterRetries: /Encore 8 essais/,
    pinWrong: /Code PIN incorrect : encore 7 essais/,
    retriesLeft: 'Encore 7 essais',
    pinBlocked: /code PIN de cette clé est bloqué/,
    keyFull: /plus de place pour une autre connexion/,
    alreadyEnrolled: /déjà ajoutée à votre compte/,
    cancelled: /Rien n’a été enregistré/,
    keyRemoved: /La clé a été retirée/,
  },
} as const;

function lines(authfile: string): string[] {
  return readFileSync(authfile, 'utf8').trim().split('\n');
}

describe('key manager wizard (Chromium, shim, real PAM, real pam_u2f)', () => {
  it('en, keyboard only: a key without a PIN (sets one), then a backup key with a PIN; pam_u2f through our helper accepts both', async (t) => {
    if (!ready(t)) return;
    if (!requireOrSkip(t, hasPamWrapper() && fileExists(PAM_U2F), 'libpam-wrapper, libpam-u2f'))
      return;
    const w = await openWizard(t, [
      { config: { touchDelayMs: 700 } },
      { config: { touchDelayMs: 700, pin: '4321' } },
    ]);
    const { page } = w;
    // Only the first key is plugged in at first: the second arrives at the backup step.
    w.rig.devices[1]!.unplug();
    assert.equal(await focusedTestId(page), 'keys-password');
    await shot(page, 'en-1-password');
    await page.keyboard.type('not-the-password');
    await page.keyboard.press('Enter');
    assert.equal((await problem(page)).code, 'PASSWORD_WRONG');
    await shot(page, 'en-1-password-wrong');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await waitStep(page, 'device');
    await page.locator('[data-testid^="keys-device-key-"]').first().waitFor();
    assert.match((await focusedTestId(page)) ?? '', /^keys-device-key-/);
    await shot(page, 'en-2-device');
    await page.keyboard.press('Enter');
    await waitStep(page, 'pin');
    assert.equal(await page.getByTestId('keys-pin-confirm').count(), 1, 'set mode');
    await shot(page, 'en-3-pin-set');
    await page.keyboard.type('2468');
    await page.keyboard.press('Tab');
    await page.keyboard.type('2469');
    await page.keyboard.press('Enter');
    assert.equal((await problem(page)).code, 'PIN_MISMATCH');
    assert.equal(await focusedTestId(page), 'keys-pin');
    await page.keyboard.type('2468');
    await page.keyboard.press('Tab');
    await page.keyboard.type('2468');
    await page.keyboard.press('Enter');
    await waitStep(page, 'touch');
    await page.locator('[data-testid="keys-touch"][data-touch-now="true"]').waitFor();
    await shot(page, 'en-4-touch');
    await waitStep(page, 'name');
    assert.equal(await focusedTestId(page), 'keys-name');
    await shot(page, 'en-5-name');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Blue key');
    await page.keyboard.press('Enter');
    await waitStep(page, 'test');
    await page.locator('[data-testid="keys-touch"][data-touch-now="true"]').waitFor();
    await shot(page, 'en-6-test');
    await waitStep(page, 'backup');
    assert.equal(await focusedTestId(page), 'keys-backup-another');
    await shot(page, 'en-7-backup');
    assert.equal(w.rig.devices[0]!.authenticator.pinRetries, 8, 'the new PIN is set');
    let mapping = lines(w.authfile);
    assert.equal(mapping.length, 1);
    assert.match(
      mapping[0]!,
      new RegExp(`^${USER}:[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+,es256,\\+presence$`),
    );
    const labels = JSON.parse(readFileSync(`${w.authfile}.labels`, 'utf8')) as unknown;
    assert.match(JSON.stringify(labels), /Blue key/);

    // The backup key, a key that has a PIN: plugged in now, found by the step's own re-check.
    w.rig.devices[0]!.unplug();
    await w.rig.addDevice({ config: { touchDelayMs: 700, pin: '4321' } });
    await page.keyboard.press('Enter');
    // One password proof enrolls one key: another key asks for it again.
    await waitStep(page, 'password');
    assert.equal(await focusedTestId(page), 'keys-password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await waitStep(page, 'device');
    await page.locator('[data-testid^="keys-device-key-"]').first().waitFor();
    await page.keyboard.press('Enter');
    await waitStep(page, 'pin');
    assert.equal(await page.getByTestId('keys-pin-confirm').count(), 0, 'enter mode');
    assert.match(await page.getByTestId('keys-pin-retries').innerText(), /8 attempts left/);
    await shot(page, 'en-3-pin-enter');
    await page.keyboard.type('4321');
    await page.keyboard.press('Enter');
    await waitStep(page, 'name');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Backup key');
    await page.keyboard.press('Enter');
    await waitStep(page, 'backup');
    await page.keyboard.press('Tab');
    assert.equal(await focusedTestId(page), 'keys-finish');
    await page.keyboard.press('Enter');
    await waitStep(page, 'done');
    await shot(page, 'en-8-done');
    mapping = lines(w.authfile);
    assert.equal(mapping.length, 1, 'one line per user, as pam_u2f reads it');
    assert.equal(mapping[0]!.split(':').length, 3, 'two credentials on the line');
    assert.deepEqual(w.pageErrors, []);

    // Real pam_u2f through our helper accepts the written mapping with the backup key…
    const backup = await pamU2fAccepts(t, w.rig, w.authfile);
    assert.equal(backup.outcome.ok, true, JSON.stringify(backup));
    // …and refuses a key that holds none of the credentials.
    w.rig.devices[2]!.unplug();
    const stranger = await w.rig.addDevice({});
    const refused = await pamU2fAccepts(t, w.rig, w.authfile);
    assert.equal(refused.outcome.ok, false);
    stranger.unplug();
  });

  it('fr: every step in French (screenshots, axe)', async (t) => {
    if (!ready(t)) return;
    const w = await openWizard(t, [{ config: { touchDelayMs: 700 } }], { locale: 'fr' });
    const { page } = w;
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
    await shot(page, 'fr-1-password');
    await page.getByTestId('keys-password').fill('faux');
    await page.keyboard.press('Enter');
    assert.match((await problem(page)).text, /Mot de passe incorrect/);
    await shot(page, 'fr-1-password-wrong');
    await provePassword(page);
    await page.locator('[data-testid^="keys-device-key-"]').first().waitFor();
    await shot(page, 'fr-2-device');
    await chooseFirstKey(page);
    await shot(page, 'fr-3-pin-set');
    await page.getByTestId('keys-pin').fill('13579');
    await page.getByTestId('keys-pin-confirm').fill('13579');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="keys-touch"][data-touch-now="true"]').waitFor();
    assert.match(await page.getByTestId('keys-touch').innerText(), /Touchez maintenant/);
    await shot(page, 'fr-4-touch');
    await waitStep(page, 'name');
    await shot(page, 'fr-5-name');
    await page.keyboard.press('Enter'); // the default name
    await page.locator('[data-testid="keys-touch"][data-touch-now="true"]').waitFor();
    await shot(page, 'fr-6-test');
    await waitStep(page, 'backup');
    await shot(page, 'fr-7-backup');
    await page.getByTestId('keys-finish').click();
    await waitStep(page, 'done');
    await shot(page, 'fr-8-done');
    assert.match(readFileSync(`${w.authfile}.labels`, 'utf8'), /Ma clé de sécurité/);
  });

  for (const locale of ['en', 'fr'] as const) {
    const text = TEXT[locale];

    it(`${locale}: no key plugged in: "insert your key", found by the re-check once plugged`, async (t) => {
      if (!ready(t)) return;
      const w = await openWizard(t, [{}], { locale });
      w.rig.devices[0]!.unplug();
      await provePassword(w.page);
      const none = w.page.getByTestId('keys-device-none');
      await none.waitFor();
      assert.match(await none.innerText(), text.deviceNone);
      await shot(w.page, `${locale}-2-device-none`);
      await w.rig.addDevice({});
      await w.page.locator('[data-testid^="keys-device-key-"]').first().waitFor({ timeout: 5_000 });
    });

    it(`${locale}: wrong PIN shows the retries left; a blocked PIN is explained and the key given up`, async (t) => {
      if (!ready(t)) return;
      const w = await openWizard(t, [{ config: { pin: '1234' } }, { config: { pin: '1234' } }], {
        locale,
      });
      w.rig.devices[1]!.authenticator.pinRetries = 0;
      const { page } = w;
      await provePassword(page);
      await page.locator('[data-testid="keys-device-key-1"]').waitFor();
      await page.getByTestId('keys-device-key-1').click();
      await waitStep(page, 'pin');
      if (locale === 'fr') {
        // The same screen as en-3-pin-enter (which the keyboard-only run above shoots): a key
        // with a PIN, 8 tries left; shot here, where French costs no extra enrollment.
        assert.equal(await page.getByTestId('keys-pin-confirm').count(), 0, 'enter mode');
        assert.match(await page.getByTestId('keys-pin-retries').innerText(), text.pinEnterRetries);
        await shot(page, 'fr-3-pin-enter');
      }
      await page.getByTestId('keys-pin').fill('0000');
      await page.keyboard.press('Enter');
      const wrong = await problem(page);
      assert.equal(wrong.code, 'PIN_INVALID');
      assert.match(wrong.text, text.pinWrong);
      await page.getByTestId('keys-pin-retries').filter({ hasText: text.retriesLeft }).waitFor();
      assert.equal(w.rig.devices[0]!.authenticator.pinRetries, 7);
      await shot(page, `${locale}-3-pin-wrong`);
      await page.getByTestId('keys-cancel').click();
      await waitStep(page, 'cancelled');
      await page.getByTestId('keys-restart').click();
      await provePassword(page);
      await page.getByTestId('keys-device-key-2').click();
      const blocked = await problem(page);
      assert.equal(blocked.code, 'PIN_BLOCKED');
      assert.match(blocked.text, text.pinBlocked);
      await waitStep(page, 'device');
      await shot(page, `${locale}-3-pin-blocked`);
      assert.equal(existsSync(w.authfile), false, 'nothing written');
    });

    it(`${locale}: key full and already enrolled: explained, the file unchanged`, async (t) => {
      if (!ready(t)) return;
      const w = await openWizard(
        t,
        [{ config: { pin: '1234', maxCredentials: 0 } }, { config: { pin: '1234' } }],
        { locale },
      );
      const { page } = w;
      await provePassword(page);
      await page.getByTestId('keys-device-key-1').click();
      await waitStep(page, 'pin');
      await page.getByTestId('keys-pin').fill('1234');
      await page.keyboard.press('Enter');
      const full = await problem(page);
      assert.equal(full.code, 'KEY_FULL');
      assert.match(full.text, text.keyFull);
      await waitStep(page, 'device');
      await shot(page, `${locale}-4-key-full`);
      assert.equal(existsSync(w.authfile), false);
      // Enroll the second key, then try it again: refused before any touch.
      await page.getByTestId('keys-device-key-2').click();
      await waitStep(page, 'pin');
      await page.getByTestId('keys-pin').fill('1234');
      await page.keyboard.press('Enter');
      await waitStep(page, 'name');
      await page.keyboard.press('Enter');
      await waitStep(page, 'backup');
      const before = readFileSync(w.authfile);
      const stored = w.rig.devices[1]!.authenticator.credentials.length;
      await page.getByTestId('keys-backup-another').click();
      await waitStep(page, 'password');
      await page.getByTestId('keys-password').fill(PASSWORD);
      await page.keyboard.press('Enter');
      await waitStep(page, 'device');
      await page.getByTestId('keys-device-key-2').click();
      await waitStep(page, 'pin');
      await page.getByTestId('keys-pin').fill('1234');
      await page.keyboard.press('Enter');
      const again = await problem(page);
      assert.equal(again.code, 'ALREADY_ENROLLED');
      assert.match(again.text, text.alreadyEnrolled);
      await shot(page, `${locale}-4-already-enrolled`);
      assert.deepEqual(readFileSync(w.authfile), before);
      assert.equal(w.rig.devices[1]!.authenticator.credentials.length, stored, 'no new credential');
    });

    it(`${locale}: cancel at every step leaves the file byte for byte as it was; removal mid-touch is explained`, async (t) => {
      if (!ready(t)) return;
      const original = `someone-else:*,not-ours,es256,+presence\n${USER}-2:kept as is\n`;
      const w = await openWizard(t, [{ config: { pin: '1234', touchDelayMs: null } }], {
        locale,
        authfileText: original,
      });
      const { page } = w;
      const key = w.rig.devices[0]!;
      const unchanged = () => assert.equal(readFileSync(w.authfile, 'utf8'), original);
      const cancelAt = async (step: KeysStep): Promise<void> => {
        await page.keyboard.press('Escape');
        await waitStep(page, 'cancelled');
        assert.match(await page.locator('[data-testid="keys-step"]').innerText(), text.cancelled);
        unchanged();
        assert.equal(existsSync(`${w.authfile}.labels`), false, `no names file after ${step}`);
        await page.getByTestId('keys-restart').click();
        await waitStep(page, 'password');
      };
      const toPin = async () => {
        await provePassword(page);
        await page.getByTestId('keys-device-key-1').click();
        await waitStep(page, 'pin');
      };
      // password
      await page.getByTestId('keys-password').fill('half typed');
      await cancelAt('password');
      // device
      await provePassword(page);
      await cancelAt('device');
      // pin
      await toPin();
      await cancelAt('pin');
      // touch: the key waits for a touch that never comes; Escape sends CTAPHID CANCEL.
      await toPin();
      await page.getByTestId('keys-pin').fill('1234');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="keys-touch"][data-touch-now="true"]').waitFor();
      await cancelAt('touch');
      // name: the credential exists on the key, not in the file.
      key.authenticator.config.touchDelayMs = 0;
      await toPin();
      await page.getByTestId('keys-pin').fill('1234');
      await page.keyboard.press('Enter');
      await waitStep(page, 'name');
      await cancelAt('name');
      // test
      await toPin();
      await page.getByTestId('keys-pin').fill('1234');
      await page.keyboard.press('Enter');
      await waitStep(page, 'name');
      key.authenticator.config.touchDelayMs = null;
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="keys-touch"][data-touch-now="true"]').waitFor();
      await cancelAt('test');
      // Removed while the key waits for the touch.
      await toPin();
      await page.getByTestId('keys-pin').fill('1234');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="keys-touch"][data-touch-now="true"]').waitFor();
      key.unplug();
      const removed = await problem(page);
      assert.equal(removed.code, 'KEY_REMOVED');
      assert.match(removed.text, text.keyRemoved);
      await waitStep(page, 'device');
      await shot(page, `${locale}-4-key-removed`);
      unchanged();
    });
  }
});
