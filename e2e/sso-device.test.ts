// "Sign in from your phone" (issue #10 item 1, RFC 8628 device authorization grant) through
// every real layer but the portal: the built renderer in Chromium → the loopback bridge →
// the dev server's own process (build/dev/server.mjs, sso.conf from BASTION_DEV_SSO_CONF) →
// main/sso's real client → the DEVICE-GRANT TEST DOUBLE (testkit/sso/device-grant-double.ts:
// Debian's LemonLDAP::NG 2.16 has no device grant) → the access token answers the PAM
// password prompt of an ordinary attempt, run by OUR helper's test build on real libpam
// (pam_wrapper), whose auth module is pam_exec running a PAM_OPENBASTION STAND-IN that
// accepts exactly the tokens the double issued to that user (introspection, as
// pam_openbastion does).
//
// The QR code is decoded from the screenshot's pixels by zbarimg (Debian zbar-tools), an
// independent decoder: the test proves what a phone would read, not what our encoder meant.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Locale } from '../preload/api';
import { createPamStack } from '../testkit/pam-stack';
import { fileExists, requireOrSkip } from '../testkit/require';
import { startDeviceGrantDouble, type DeviceGrantDouble } from '../testkit/sso/device-grant-double';
import { axeViolations, seriousOrCritical } from './support/axe';
import { ARTIFACTS_DIR, launchChromium, openPage, saveScreenshot } from './support/browser';
import { startDevServerProcess } from './support/dev-server-process';
import { e2ePrerequisites } from './support/greeter-harness';

const PAM_EXEC = '/usr/lib/x86_64-linux-gnu/security/pam_exec.so';
const PYTHON = '/usr/bin/python3';
const ZBARIMG = '/usr/bin/zbarimg';
const USER = 'alice';

const root = mkdtempSync(join(tmpdir(), 'bastion-e2e-sso-'));
let browser: Browser | null = null;
let double: DeviceGrantDouble | null = null;

const available = (): boolean =>
  e2ePrerequisites().every((p) => p.available) && fileExists(PAM_EXEC) && fileExists(PYTHON);

before(async () => {
  if (!available()) return;
  browser = await launchChromium();
  double = await startDeviceGrantDouble();
});
after(async () => {
  await browser?.close();
  await double?.stop();
  rmSync(root, { recursive: true, force: true });
});

/**
 * PAM_OPENBASTION STAND-IN FOR TESTS: pam_exec hands it the answer to the password prompt
 * (expose_authtok, on stdin); it accepts when the double's introspection says the token is
 * active AND issued to PAM_USER. It logs the verdict, never the token.
 */
function writeStandIn(dir: string, issuer: string): { script: string; log: string } {
  const script = join(dir, 'pam-openbastion-standin-for-test.py');
  const log = join(dir, 'standin.log');
  writeFileSync(
    script,
    `#!${PYTHON}
# PAM_OPENBASTION STAND-IN FOR TESTS (e2e/sso-device.test.ts): not pam_openbastion.
import json, os, sys, urllib.parse, urllib.request
token = sys.stdin.buffer.read().split(b"\\0")[0].decode("utf-8", "replace")
user = os.environ.get("PAM_USER", "")
body = urllib.parse.urlencode({"token": token}).encode()
with urllib.request.urlopen(${JSON.stringify(`${issuer}/introspect`)}, body, timeout=5) as r:
    answer = json.load(r)
ok = answer.get("active") is True and answer.get("username") == user and user != ""
with open(${JSON.stringify(log)}, "a") as f:
    f.write(("accepted " if ok else "refused ") + user + "\\n")
sys.exit(0 if ok else 1)
`,
  );
  chmodSync(script, 0o755);
  writeFileSync(log, '');
  return { script, log };
}

interface Screen {
  page: Page;
  pageErrors: string[];
  standInLog: string;
}

let n = 0;
async function open(t: TestContext, locale: Locale): Promise<Screen> {
  const dir = mkdtempSync(join(root, `run-${n++}-`));
  const { script, log } = writeStandIn(dir, double!.issuer);
  const ssoConf = join(dir, 'sso.conf');
  writeFileSync(
    ssoConf,
    `[sso]\nissuer = ${double!.issuer}\nclient-id = ${double!.clientId}\nsign-in = device\n` +
      'allow-loopback-http = true\n',
  );
  const stack = createPamStack({
    services: {
      'bastion-greeter': `auth required ${PAM_EXEC} expose_authtok quiet ${script}\naccount required pam_permit.so\n`,
    },
  });
  t.after(() => stack.cleanup());
  const server = await startDevServerProcess({
    BASTION_LOCALE: locale,
    BASTION_DEV_SSO_CONF: ssoConf,
    BASTION_DEV_PAM_DIR: stack.dir,
  });
  t.after(() => server.stop());
  const { page, pageErrors } = await openPage(browser!);
  t.after(() => page.close());
  await page.goto(server.pageUrl);
  await page.getByTestId('hostname').waitFor();
  return { page, pageErrors, standInLog: log };
}

const dialog = (page: Page, phase: string) =>
  page.locator(`[data-testid="sso-dialog"][data-phase="${phase}"]`);

async function noSeriousAxe(page: Page, what: string): Promise<void> {
  const serious = seriousOrCritical(await axeViolations(page));
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help}`),
    [],
    `${what}: serious or critical accessibility issues`,
  );
}

/** Opens the QR screen from the keyboard alone: focus the button, Enter. */
async function openQrByKeyboard(page: Page): Promise<string> {
  const before = double!.userCodes.length;
  await page.getByTestId('sso-start-device').focus();
  await page.keyboard.press('Enter');
  await dialog(page, 'device').waitFor({ timeout: 10_000 });
  assert.equal(double!.userCodes.length, before + 1);
  return double!.userCodes.at(-1)!;
}

/** What a phone reads: zbarimg on the QR's own pixels. */
function decodeQr(png: string): string {
  const result = spawnSync(ZBARIMG, ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', png], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(result.status, 0, `zbarimg found no QR code: ${result.stderr}`);
  return result.stdout.trim();
}

const ready = (t: TestContext): boolean =>
  requireOrSkip(
    t,
    available(),
    'chromium, libpam-wrapper, the helper test build, pam_exec and python3',
  );

describe('sign in from your phone (device grant double, real client, real PAM via pam_exec)', () => {
  for (const locale of ['en', 'fr'] as const) {
    it(`${locale}: the QR screen (screenshot, axe, QR decodes to the complete URI, code as text)`, async (t) => {
      if (!ready(t)) return;
      if (!requireOrSkip(t, fileExists(ZBARIMG), 'zbarimg (Debian zbar-tools)')) return;
      const { page, pageErrors } = await open(t, locale);
      const code = await openQrByKeyboard(page);
      const shown = dialog(page, 'device');
      // The code is there as text, the address too, and a countdown.
      assert.equal(
        (
          await page.getByTestId('sso-user-code').locator('[aria-hidden="true"]').textContent()
        )?.trim(),
        code,
      );
      assert.equal(
        (await page.getByTestId('sso-verification-uri').textContent())?.trim(),
        `${double!.issuer}/activate`,
      );
      assert.match(
        (await page.getByTestId('sso-expires').textContent()) ?? '',
        locale === 'en' ? /expires in \d+:\d\d/ : /expire dans \d+:\d\d/,
      );
      // Accessible: a dialog named by its heading; the QR an image with a name; the code
      // spelled out for screen readers.
      assert.equal(await shown.getAttribute('aria-modal'), 'true');
      const qr = page.getByRole('img', {
        name: locale === 'en' ? /QR code: opens/ : /Code QR : ouvre/,
      });
      assert.equal(await qr.count(), 1);
      assert.equal(
        (await page.getByTestId('sso-user-code').locator('.visually-hidden').textContent())?.trim(),
        [...code].join(' '),
      );
      await saveScreenshot(page, `sso-qr-${locale}`);
      await noSeriousAxe(page, `QR screen (${locale})`);
      // The phone's view: the QR decodes to verification_uri_complete.
      const png = join(ARTIFACTS_DIR, `sso-qr-${locale}-code.png`);
      await page.getByTestId('sso-qr').screenshot({ path: png });
      assert.equal(decodeQr(png), `${double!.issuer}/activate?user_code=${code}`);
      // Keyboard-only cancel: focus is in the dialog (on Cancel); Escape ends it.
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
        'sso-cancel',
      );
      await page.keyboard.press('Tab');
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
        'sso-cancel',
        'Tab stays in the dialog',
      );
      await page.keyboard.press('Escape');
      await page.getByTestId('sso-dialog').waitFor({ state: 'detached' });
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute('data-testid')),
        'sso-start-device',
        'focus returns to the button',
      );
      // Again, cancelled with Enter on Cancel this time.
      await openQrByKeyboard(page);
      await page.keyboard.press('Enter');
      await page.getByTestId('sso-dialog').waitFor({ state: 'detached' });
      assert.deepEqual(pageErrors, []);
    });
  }

  it('approval on the phone → the access token answers the PAM prompt → signed in', async (t) => {
    if (!ready(t)) return;
    const { page, pageErrors, standInLog } = await open(t, 'en');
    const issuedBefore = double!.issuedAccessTokens.length;
    const code = await openQrByKeyboard(page);
    double!.approve(code, USER);
    await page.getByTestId('auth-success').waitFor({ timeout: 20_000 });
    assert.equal(double!.issuedAccessTokens.length, issuedBefore + 1);
    // The stand-in saw exactly the issued token, for alice, once.
    assert.equal(readFileSync(standInLog, 'utf8'), `accepted ${USER}\n`);
    await page.getByTestId('sso-dialog').waitFor({ state: 'detached' });
    // The token never reached the page.
    const token = double!.issuedAccessTokens.at(-1)!;
    assert.ok(!(await page.content()).includes(token), 'the token is not in the page');
    assert.deepEqual(pageErrors, []);
  });

  it('fr: denied on the phone → one sentence saying what to do; nothing reaches PAM', async (t) => {
    if (!ready(t)) return;
    const { page, standInLog } = await open(t, 'fr');
    const code = await openQrByKeyboard(page);
    double!.deny(code);
    const problem = page.getByTestId('sso-problem');
    await problem.waitFor({ timeout: 15_000 });
    assert.equal(await problem.getAttribute('data-problem'), 'SSO_ACCESS_DENIED');
    assert.match((await problem.textContent()) ?? '', /refusée dans le portail/);
    assert.equal(readFileSync(standInLog, 'utf8'), '', 'no PAM attempt ran');
  });
});
