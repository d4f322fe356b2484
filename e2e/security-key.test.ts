// Touch or type, whichever comes first (issue #9 item 4), through every real layer: the built
// renderer in Chromium → the loopback bridge → the dev server's own process (build/dev/server.mjs,
// the same wiring as the Electron entry: greeter.conf `security-keys = true`, keys listed by
// node-hid) → OUR helper's test build running the password service and the key service
// (`bastion-greeter-u2f`) side by side on real libpam (pam_wrapper) with REAL pam_u2f (Debian
// libpam-u2f). The key is the software authenticator behind the fake-hidraw shim, preloaded
// into the server process (node-hid) and handed on to the helper (pam_u2f, libfido2). The
// mapping is written by main/keys, as the wizard does.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import type { Locale } from '../preload/api';
import { openAuthenticator } from '../main/fido2/device-choice';
import { enrollIntoAuthfile } from '../main/keys';
import { FAKE_HIDRAW_SO, FakeHidrawRig, hasFakeHidraw } from '../testkit/fido2/fake-hidraw-rig';
import type { SoftAuthenticator, SoftAuthenticatorConfig } from '../testkit/fido2/soft-ctap2';
import { SoftHidDevice } from '../testkit/fido2/soft-hid-device';
import { createPamStack, PAM_MATRIX } from '../testkit/pam-stack';
import { fileExists, requireOrSkip } from '../testkit/require';
import { axeViolations, seriousOrCritical } from './support/axe';
import { launchChromium, openPage, saveScreenshot } from './support/browser';
import { startDevServerProcess } from './support/dev-server-process';
import { keyArea, pinTokenRequests } from './support/dm-key';
import { e2ePrerequisites } from './support/greeter-harness';

const PAM_U2F = '/lib/x86_64-linux-gnu/security/pam_u2f.so';
const ORIGIN = 'pam://bastion-e2e';
const PASSWORD = 'correct horse';
const PIN = '24680';
// pam_u2f looks the person up (getpwnam): a real account; the helper runs as root here.
const USER = userInfo().username;
const GET_ASSERTION = 0x02;

let browser: Browser | null = null;
const root = mkdtempSync(join(tmpdir(), 'bastion-e2e-key-'));
const available = () =>
  e2ePrerequisites().every((p) => p.available) &&
  hasFakeHidraw() &&
  fileExists(PAM_U2F) &&
  process.getuid?.() === 0;

before(async () => {
  if (available()) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Screen {
  page: Page;
  pageErrors: string[];
  authenticator: SoftAuthenticator;
}

let n = 0;
/** Lock on key removal on: the site's setting, and a session for the watcher to lock. */
type RemovalLocking = Record<string, never>;

/**
 * One software key enrolled for USER (`requirement`), the two PAM services, the dev server in
 * unlock mode with `security-keys = true`, and the page open.
 */
async function open(
  t: TestContext,
  config: Partial<SoftAuthenticatorConfig>,
  requirement: 'presence' | 'pin',
  locale: Locale = 'en',
  prepare: (authenticator: SoftAuthenticator) => void = () => undefined,
  removalLocking: RemovalLocking | null = null,
): Promise<Screen> {
  const rig = await FakeHidrawRig.start([{ config: { ...config, touchDelayMs: 0 } }]);
  t.after(() => rig.stop());
  const device = rig.devices[0]!;
  const authfile = join(root, `u2f_keys-${n++}`);
  const opened = await openAuthenticator(async () => new SoftHidDevice(device.hid), device.path);
  await enrollIntoAuthfile(opened.client, {
    user: USER,
    authfile,
    origin: ORIGIN,
    requirement,
    ...(requirement === 'pin' ? { pin: Buffer.from(PIN) } : {}),
  });
  await opened.close();
  device.authenticator.config.touchDelayMs = config.touchDelayMs ?? 0;
  prepare(device.authenticator);
  const stack = createPamStack({
    services: {
      'bastion-greeter': `auth required ${PAM_MATRIX} passdb={passdb}\naccount required ${PAM_MATRIX} passdb={passdb}\n`,
      // As resources/pam/u2f/bastion-greeter-u2f, with this test's authfile and origin.
      'bastion-greeter-u2f': `auth required ${PAM_U2F} cue authfile=${authfile} origin=${ORIGIN} appid=${ORIGIN} authpending_file=\naccount required pam_permit.so\n`,
    },
    users: [{ user: USER, password: PASSWORD, service: 'bastion-greeter' }],
  });
  t.after(() => stack.cleanup());
  const server = await startDevServerProcess({
    BASTION_MODE: 'unlock',
    BASTION_USER: USER,
    BASTION_LOCALE: locale,
    BASTION_DEV_DEMO_POLICY:
      '[greeter]\nhide-user-list=true\nsecurity-keys=true\n' +
      (removalLocking
        ? `lock-on-key-removal=true\nkey-authfile=${authfile}\nkey-origin=${ORIGIN}\n`
        : ''),
    // The session the removal watcher would lock (never asked to here: no key is unplugged).
    ...(removalLocking ? { XDG_SESSION_ID: 'c1' } : {}),
    BASTION_DEV_PAM_DIR: stack.dir,
    // node-hid in the server sees the rig's keys; the server hands the shim on to the helper.
    LD_PRELOAD: FAKE_HIDRAW_SO,
    BASTION_FAKE_HIDRAW_DIR: rig.dir,
  });
  t.after(() => server.stop());
  const { page, pageErrors } = await openPage(browser!);
  t.after(() => page.close());
  await page.goto(server.pageUrl);
  await page.getByTestId('hostname').waitFor();
  return { page, pageErrors, authenticator: device.authenticator };
}

async function noSeriousAxe(page: Page, what: string): Promise<void> {
  const serious = seriousOrCritical(await axeViolations(page));
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help}`),
    [],
    `${what}: serious or critical accessibility issues`,
  );
}

const ready = (t: TestContext) =>
  requireOrSkip(
    t,
    available(),
    'chromium, libpam-wrapper, the helper test build, libpam-u2f, fake_hidraw.so and root',
  );

describe('security key on the unlock screen (real pam_u2f, software key, Chromium)', () => {
  for (const locale of ['en', 'fr'] as const) {
    it(`lock screen → touch → unlocked, nothing typed (${locale})`, async (t) => {
      if (!ready(t)) return;
      const { page, pageErrors } = await open(t, { touchDelayMs: 2_500 }, 'presence', locale);
      await keyArea(page, 'touch').waitFor({ timeout: 15_000 });
      // The pulse runs only while the touch is awaited.
      assert.match(
        (await page.getByTestId('security-key-icon').getAttribute('class')) ?? '',
        /key-icon-touch/,
      );
      assert.ok(await page.getByTestId('security-key-use-password').isVisible());
      await saveScreenshot(page, `security-key-touch-${locale}`);
      await noSeriousAxe(page, 'touch now');
      await page.getByTestId('auth-success').waitFor({ timeout: 15_000 });
      await keyArea(page, 'success').waitFor();
      assert.deepEqual(pageErrors, []);
    });
  }

  it('a password typed while the key waits for its PIN unlocks; the PIN retries are unchanged', async (t) => {
    if (!ready(t)) return;
    const { page, authenticator } = await open(t, { pin: PIN, touchDelayMs: null }, 'pin');
    const retriesBefore = authenticator.pinRetries;
    const logged = authenticator.requestLog.length;
    await keyArea(page, 'pin').waitFor({ timeout: 15_000 });
    // The key's own PIN field, labelled as such, with the tries left read from the key.
    await page.getByLabel(/Security key PIN \(not your password\)/).waitFor();
    assert.match(
      await page.getByTestId('security-key-retries').innerText(),
      new RegExp(`${retriesBefore} tries left`),
    );
    await saveScreenshot(page, 'security-key-pin-en');
    await noSeriousAxe(page, 'PIN needed');
    // The password prompt has the focus (the PIN field never takes it by itself).
    const answer = page.getByTestId('prompt-answer');
    await answer.waitFor({ timeout: 15_000 });
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'prompt-answer',
      'focus stays with the password',
    );
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByTestId('auth-success').waitFor({ timeout: 15_000 });
    await keyArea(page, 'off').waitFor({ state: 'attached' });
    assert.equal(authenticator.pinRetries, retriesBefore);
    assert.equal(pinTokenRequests(authenticator, logged), 0, 'no PIN reached the key');
  });

  it('a wrong PIN is refused with the tries left; the password still unlocks', async (t) => {
    if (!ready(t)) return;
    const { page, authenticator } = await open(t, { pin: PIN, touchDelayMs: 0 }, 'pin');
    const before = authenticator.pinRetries;
    await keyArea(page, 'pin').waitFor({ timeout: 15_000 });
    await page.getByTestId('prompt-answer').waitFor({ timeout: 15_000 });
    // Keyboard only: Tab from the password prompt to the key's PIN field.
    for (let i = 0; i < 12; i++) {
      if ((await page.evaluate(() => document.activeElement?.id)) === 'security-key-pin') break;
      await page.keyboard.press('Tab');
    }
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'security-key-pin');
    await page.keyboard.type('1111');
    await page.keyboard.press('Enter');
    await keyArea(page, 'refused').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('security-key').getAttribute('data-problem'), 'pin-wrong');
    assert.match(
      await page.getByTestId('security-key-retries-left').innerText(),
      new RegExp(`${before - 1} tries left`),
    );
    assert.equal(authenticator.pinRetries, before - 1);
    await saveScreenshot(page, 'security-key-wrong-pin-en');
    await page.getByTestId('prompt-answer').fill(PASSWORD);
    await page.getByTestId('prompt-answer').press('Enter');
    await page.getByTestId('auth-success').waitFor({ timeout: 15_000 });
  });

  for (const locale of ['en', 'fr'] as const) {
    it(`a blocked PIN is explained and no PIN is sent; the password still unlocks (${locale})`, async (t) => {
      if (!ready(t)) return;
      let logged = 0;
      const { page, authenticator } = await open(
        t,
        { pin: PIN, touchDelayMs: 0 },
        'pin',
        locale,
        (a) => {
          a.pinRetries = 0; // blocked after enrollment
          logged = a.requestLog.length;
        },
      );
      await keyArea(page, 'refused').waitFor({ timeout: 15_000 });
      assert.equal(
        await page.getByTestId('security-key').getAttribute('data-problem'),
        'pin-blocked',
      );
      assert.equal(await page.getByTestId('security-key-pin').count(), 0, 'no PIN field');
      assert.equal(pinTokenRequests(authenticator, logged), 0);
      await saveScreenshot(page, `security-key-blocked-${locale}`);
      await noSeriousAxe(page, 'blocked PIN');
      await page.getByTestId('prompt-answer').waitFor({ timeout: 15_000 });
      await page.getByTestId('prompt-answer').fill(PASSWORD);
      await page.getByTestId('prompt-answer').press('Enter');
      await page.getByTestId('auth-success').waitFor({ timeout: 15_000 });
    });
  }

  it('a key without the credential is refused without a touch; the password still unlocks', async (t) => {
    if (!ready(t)) return;
    const { page } = await open(t, { touchDelayMs: 0 }, 'presence', 'en', (a) => {
      a.credentials.length = 0;
    });
    await keyArea(page, 'refused').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('security-key').getAttribute('data-problem'), 'refused');
    await saveScreenshot(page, 'security-key-refused-en');
    await page.getByTestId('prompt-answer').waitFor({ timeout: 15_000 });
    await page.getByTestId('prompt-answer').fill(PASSWORD);
    await page.getByTestId('prompt-answer').press('Enter');
    await page.getByTestId('auth-success').waitFor({ timeout: 15_000 });
  });

  it('fr: the PIN needed, wrong PIN and refused states in French, axe-clean', async (t) => {
    if (!ready(t)) return;
    const { page, authenticator } = await open(t, { pin: PIN, touchDelayMs: 0 }, 'pin', 'fr');
    const before = authenticator.pinRetries;
    await keyArea(page, 'pin').waitFor({ timeout: 15_000 });
    assert.match(
      await page.getByTestId('security-key-retries').innerText(),
      new RegExp(`${before} essais restants`),
    );
    await saveScreenshot(page, 'security-key-pin-fr');
    await noSeriousAxe(page, 'PIN needed (fr)');
    await page.locator('#security-key-pin').fill('1111');
    await page.locator('#security-key-pin').press('Enter');
    await keyArea(page, 'refused').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('security-key').getAttribute('data-problem'), 'pin-wrong');
    assert.match(
      await page.getByTestId('security-key-retries-left').innerText(),
      new RegExp(`${before - 1} essais restants`),
    );
    await saveScreenshot(page, 'security-key-wrong-pin-fr');
    await noSeriousAxe(page, 'wrong PIN (fr)');

    const other = await open(t, { touchDelayMs: 0 }, 'presence', 'fr', (a) => {
      a.credentials.length = 0;
    });
    await keyArea(other.page, 'refused').waitFor({ timeout: 15_000 });
    assert.equal(
      await other.page.getByTestId('security-key').getAttribute('data-problem'),
      'refused',
    );
    await saveScreenshot(other.page, 'security-key-refused-fr');
    await noSeriousAxe(other.page, 'refused (fr)');
  });

  it('"Use password instead" works with the keyboard and leaves the key untouched', async (t) => {
    if (!ready(t)) return;
    const { page, authenticator } = await open(t, { pin: PIN, touchDelayMs: null }, 'pin');
    const retriesBefore = authenticator.pinRetries;
    await keyArea(page, 'pin').waitFor({ timeout: 15_000 });
    await page.getByTestId('prompt-answer').waitFor({ timeout: 15_000 });
    for (let i = 0; i < 16; i++) {
      const focused = await page.evaluate(() =>
        document.activeElement?.getAttribute('data-testid'),
      );
      if (focused === 'security-key-use-password') break;
      await page.keyboard.press('Tab');
    }
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
      'security-key-use-password',
    );
    await page.keyboard.press('Enter');
    await keyArea(page, 'off').waitFor({ state: 'attached', timeout: 10_000 });
    // The focus is back in the password prompt: type and Enter.
    await page.waitForFunction(() => document.activeElement?.id === 'prompt-answer');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByTestId('auth-success').waitFor({ timeout: 15_000 });
    assert.equal(authenticator.pinRetries, retriesBefore);
  });

  it('lock on removal: the key that unlocked is watched, and nothing is said about it', async (t) => {
    if (!ready(t)) return;
    const { page } = await open(t, { touchDelayMs: 0 }, 'presence', 'en', undefined, {});
    await page.getByTestId('auth-success').waitFor({ timeout: 15_000 });
    await page
      .locator('[data-testid="security-key"][data-removal-watch="armed"]')
      .waitFor({ state: 'attached', timeout: 15_000 });
    assert.equal(await page.getByTestId('security-key-removal-watch').count(), 0);
  });

  for (const [locale, text] of [
    ['en', /Locking when the key is removed is not active for this key/],
    ['fr', /verrouillage au retrait de la clé n’est pas actif pour cette clé/],
  ] as const) {
    it(`lock on removal: a key that cannot be asked without a touch is not watched, and the screen says so (${locale})`, async (t) => {
      if (!ready(t)) return;
      // Once pam_u2f's touched assertion signed the person in, the key wants a touch for every
      // assertion (as U2F-only keys do): the watcher's touch-free probe cannot confirm it.
      const { page } = await open(
        t,
        { touchDelayMs: 0 },
        'presence',
        locale,
        (a) => {
          const handle = a.handle.bind(a);
          a.handle = async (request, presence) => {
            const reply = await handle(request, presence);
            const options = a.requestLog.at(-1)?.params?.get(5);
            const touched = !(options instanceof Map && options.get('up') === false);
            if (request[0] === GET_ASSERTION && reply[0] === 0 && touched)
              a.config.rejectUpFalse = true;
            return reply;
          };
        },
        {},
      );
      await page.getByTestId('auth-success').waitFor({ timeout: 15_000 });
      const line = page.getByTestId('security-key-removal-watch');
      await line.waitFor({ timeout: 15_000 });
      assert.match(await line.innerText(), text);
      await noSeriousAxe(page, 'removal lock not armed');
    });
  }
});
