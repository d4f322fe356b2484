// Issue 8 item 5, "Crash test (LightDM)": lock safety with a real LightDM 1.26 (`--test-mode`,
// Xvfb, testkit/dm/lightdm-rig.ts), the project's real greeter (build/dev/server.mjs, driven in
// Playwright's Chromium, as e2e/dm-lightdm.test.ts does) and the real session locker
// (build/dev/session-locker.mjs, main/lock) started by the session script in the person's
// session, with the real blanker (native-helper/out/bastion-session-blanker) on the session's X
// display: proved black (xwd), covering (xwininfo) and holding the keyboard and pointer grabs
// (native-helper/test/x11-probe.c gets AlreadyGrabbed there).
//
// Stand-ins, because test-mode LightDM runs as a non-root account and talks to no logind:
// * logind is python3-dbusmock's template on the rig's system bus; the test adds the session
//   (XDG_SESSION_ID=c1, which pam_systemd would set) and emits its Lock and Unlock signals.
// * The final Unlock: root LightDM calls logind's UnlockSession after a success in its greeter
//   (src/session.c session_unlock → login1_service_unlock_session, only when getuid() == 0),
//   and logind emits Unlock. Test-mode LightDM is not root and never calls it, so the test
//   emits Unlock where LightDM would, right after the greeter's success.
// * The person's desktop is xlogo filling the screen (white: visibly not the blanker).
//
// What Xvfb cannot show: there are no VTs. LightDM's greeters get X servers of their own (as
// on a seat), but nothing "switches" between them: no test can press Ctrl+Alt+F7, and no VT
// falls back to the session when the greeter's X server dies. What is proved is the session
// display's own content (xwd of its root window): black for as long as the seat is locked,
// through the greeter's renderer crash and its main process's death and LightDM's restart.
// That an X server exiting hands the VT back to the session is not shown here
// (main/lock/README.md); that keys typed at the session's display reach no window while the
// blanker holds its grabs is shown by native-helper/test/session-blanker.test.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { brightPixels, grabRoot, toPng, type ScreenImage } from '../main/lock/test/xwd';
import { covers, parseXwininfo, rootGeometry } from '../main/lock/x11';
import { SESSION_BLANKER, X11_PROBE } from '../testkit/paths';
import {
  LOGIN_PASS,
  LOGIN_USER,
  lightdmRigMissing,
  startLightdmRig,
  type LightdmRig,
} from '../testkit/dm/lightdm-rig';
import { findExecutable, requireOrSkip } from '../testkit/require';
import { ARTIFACTS_DIR, launchChromium, saveScreenshot } from './support/browser';
import { prepareDmGreeter, type DmGreeter } from './support/dm-greeter';
import { chooseUser, openDmPage, submitPassword, waitForSuccess } from './support/dm-screen';
import { e2ePrerequisites } from './support/greeter-harness';

function whatIsMissing(): string | null {
  const missing = [lightdmRigMissing()];
  for (const p of e2ePrerequisites()) if (!p.available) missing.push(p.what);
  for (const tool of [
    SESSION_BLANKER,
    X11_PROBE,
    '/usr/bin/xwd',
    '/usr/bin/xwininfo',
    '/usr/bin/xlogo',
    '/usr/bin/busctl',
    '/usr/bin/gdbus',
  ]) {
    if (!findExecutable(tool))
      missing.push(
        `${tool} (node scripts/build.mjs native, x11-apps, x11-utils, systemd, libglib2.0-bin)`,
      );
  }
  if (process.getuid?.() !== 0) missing.push('root (the rig must run LightDM as a second account)');
  return missing.filter((m): m is string => m !== null).join(', ') || null;
}
const missing = whatIsMissing();
const SESSION = '/org/freedesktop/login1/session/c1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  probe: () => Promise<T | null> | T | null,
  what: string,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The PIDs of this greeter bundle's main processes (build/dev/server.mjs) still running. */
function greeterMainPids(greeterDir: string): number[] {
  const needle = `${greeterDir}/bundle/dev/server.mjs`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(needle))
        pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

describe(
  'LightDM lock safety: seat lock, in-session blanker, greeter crash',
  { timeout: 180_000 },
  () => {
    let rig: LightdmRig | null = null;
    let greeter: DmGreeter | null = null;
    let browser: Browser | null = null;
    let out = '';

    before(async () => {
      if (missing !== null) return;
      greeter = prepareDmGreeter({ sessionType: 'x11' });
      const greeterDir = dirname(greeter.command);
      out = mkdtempSync(join(tmpdir(), 'bastion-lock-safety-'));
      chmodSync(out, 0o777);
      const hook = join(greeterDir, 'session-hook.sh');
      // Where the rig's account can run it (as a package's /usr/libexec copy would be).
      copyFileSync(SESSION_BLANKER, join(greeterDir, 'bastion-session-blanker'));
      chmodSync(join(greeterDir, 'bastion-session-blanker'), 0o755);
      writeFileSync(
        hook,
        `#!/bin/sh
# The person's session (e2e/dm-lock-safety.test.ts): a desktop stand-in and the session locker.
printf 'DISPLAY=%s\\nXAUTHORITY=%s\\n' "$DISPLAY" "$XAUTHORITY" > ${out}/session-env
/usr/bin/xlogo -geometry 640x480+0+0 &
# pam_systemd's XDG_SESSION_ID for the logind mock's session; test-mode LightDM serves its
# D-Bus API on the session bus.
export XDG_SESSION_ID=c1 BASTION_LOCK_DM_BUS=session
export BASTION_SESSION_BLANKER=${greeterDir}/bastion-session-blanker
exec '${process.execPath}' ${greeterDir}/bundle/dev/session-locker.mjs 2>> ${out}/locker.log
`,
        { mode: 0o755 },
      );
      browser = await launchChromium();
      rig = await startLightdmRig({
        greeterCommand: greeter.command,
        logindMock: true,
        sessionHook: hook,
        sessionHoldSeconds: 150,
      });
    });
    after(async () => {
      await Promise.allSettled([rig?.stop(), browser?.close()]);
      greeter?.cleanup();
      if (out) rmSync(out, { recursive: true, force: true });
    });

    const lockerLog = (): string => {
      try {
        return readFileSync(join(out, 'locker.log'), 'utf8');
      } catch {
        return '';
      }
    };
    const diagnostics = (): string =>
      `--- locker ---\n${lockerLog()}\n--- lightdm ---\n${rig!.log()}`;
    const sessionCall = (method: string) =>
      rig!.systemBusCall(
        'org.freedesktop.login1',
        SESSION,
        'org.freedesktop.login1.Session',
        method,
      );

    test('Lock → blanker then LightDM’s lock greeter; renderer and main killed → a new greeter, the session covered throughout; Unlock → shown', async (t) => {
      if (!requireOrSkip(t, missing === null, missing ?? '')) return;
      const greeterDir = dirname(greeter!.command);
      rig!.setMode('hold-session', true);
      // The session logind would have registered for the person (uid of the rig's account:
      // test-mode LightDM runs every session as itself).
      const uid = String(
        readFileSync('/etc/passwd', 'utf8')
          .split('\n')
          .find((l) => l.startsWith('bastion-dm-test:'))!
          .split(':')[2],
      );
      await until(
        () =>
          rig!
            .systemBusCall(
              'org.freedesktop.login1',
              '/org/freedesktop/login1',
              'org.freedesktop.DBus.Mock',
              'AddSession',
              ['ssusb', 'c1', 'seat0', uid, LOGIN_USER, 'true'],
            )
            .then(
              () => true,
              () => null,
            ),
        'the logind mock',
      );

      // 1. A login through the real greeter starts the session; its locker starts.
      const login = await openDmPage(t, browser!, await greeter!.waitForUrl(0));
      await chooseUser(login.page, LOGIN_USER);
      const startsBefore = rig!.sessionStarts().length;
      await submitPassword(login.page, LOGIN_PASS);
      await waitForSuccess(login.page, diagnostics);
      await rig!.waitSessionStarts(startsBefore + 1, 15_000);
      await until(
        () => /watching \/org\/freedesktop\/login1\/session\/c1 on :\d+/.test(lockerLog()) || null,
        `the session locker\n${diagnostics()}`,
      );
      const env = Object.fromEntries(
        readFileSync(join(out, 'session-env'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('=', 2) as [string, string]),
      );
      const grab = (): Promise<ScreenImage> => grabRoot(env.DISPLAY!, env.XAUTHORITY || undefined);
      await until(
        async () => (await brightPixels(await grab())) > 10_000 || null,
        'the desktop stand-in on screen',
      );

      // 2. logind Lock: the blanker covers the session, then LightDM starts its lock greeter.
      await until(async () => {
        await sessionCall('Lock');
        await sleep(200);
        return /lock \(logind Lock\): blanker up/.test(lockerLog()) || null;
      }, `the locker's lock\n${diagnostics()}`);
      assert.match(
        lockerLog(),
        /asked LightDM to lock: Session\.Lock \/org\/freedesktop\/DisplayManager\/Session\d+/,
      );
      assert.match(lockerLog(), /blanker up \(pid \d+, input grabbed\)/);
      const locked = await grab();
      assert.equal(brightPixels(locked), 0, 'every pixel of the session display is black');
      const xEnv = {
        DISPLAY: env.DISPLAY!,
        ...(env.XAUTHORITY ? { XAUTHORITY: env.XAUTHORITY } : {}),
      };
      const x = (path: string, args: string[]): Promise<string> =>
        new Promise((resolve) =>
          execFile(path, args, { env: xEnv, timeout: 5_000 }, (_error, stdout) => resolve(stdout)),
        );
      const window = parseXwininfo(
        await x('/usr/bin/xwininfo', [
          '-display',
          env.DISPLAY!,
          '-name',
          'bastion-session-blanker',
        ]),
      );
      const root = await rootGeometry({
        display: env.DISPLAY!,
        ...(env.XAUTHORITY ? { xauthority: env.XAUTHORITY } : {}),
      });
      assert.ok(window && root && covers(window, root), 'xwininfo: the blanker covers the root');
      assert.equal(
        (await x(X11_PROBE, ['grab'])).trim(),
        'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed',
        'the blanker holds the keyboard and pointer of the session display',
      );
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      writeFileSync(join(ARTIFACTS_DIR, 'lock-safety-blanker.png'), toPng(locked));
      const lockGreeter = await openDmPage(t, browser!, await greeter!.waitForUrl(1));
      assert.match(await lockGreeter.page.locator('h1').innerText(), /Unlock this computer/);
      assert.equal(
        (await lockGreeter.page.getByTestId('current-user').innerText()).trim(),
        LOGIN_USER,
      );
      await saveScreenshot(lockGreeter.page, 'lock-safety-unlock-screen');

      // From here on the session display is sampled continuously: it must never show anything.
      let samples = 0;
      let worst = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          worst = Math.max(worst, brightPixels(await grab()));
          samples += 1;
          await sleep(100);
        }
      })();

      // 3. The greeter's renderer crashes (its page in Chromium), then its main process dies.
      const crashed = new Promise<void>((resolve) =>
        lockGreeter.page.once('crash', () => resolve()),
      );
      await lockGreeter.page.goto('chrome://crash').catch(() => undefined);
      await crashed;
      await sleep(1_000);
      const mains = greeterMainPids(greeterDir);
      assert.equal(mains.length, 1, `one greeter main process (the lock greeter): ${mains}`);
      const killedAt = Date.now();
      process.kill(mains[0]!, 'SIGKILL');

      // 4. LightDM starts a greeter again: no lock hints now, so a login screen.
      const restarted = await openDmPage(t, browser!, await greeter!.waitForUrl(2, 20_000));
      t.diagnostic(`greeter main killed → LightDM's new greeter page: ${Date.now() - killedAt} ms`);
      assert.match(
        rig!.log(),
        /Active display server stopped, starting greeter|Greeter stopped|Session stopped/,
      );
      await restarted.page.getByTestId('user-list').waitFor();
      await saveScreenshot(restarted.page, 'lock-safety-greeter-restarted');
      assert.equal(greeterMainPids(greeterDir).length, 1);

      // 5. The person signs in again there: LightDM returns to the existing session (no new start).
      await chooseUser(restarted.page, LOGIN_USER);
      await submitPassword(restarted.page, LOGIN_PASS);
      await waitForSuccess(restarted.page, diagnostics);
      await sleep(1_000);
      assert.equal(
        rig!.sessionStarts().length,
        startsBefore + 1,
        'the existing session, not a new one',
      );
      sampling = false;
      await sampler;
      assert.ok(samples >= 5, `sampled ${samples} times`);
      assert.equal(
        worst,
        0,
        'the session display stayed black from the lock to the successful sign-in',
      );
      assert.doesNotMatch(lockerLog(), /unlock/, 'nothing but logind Unlock unblanks');

      // 6. logind Unlock, standing in for root LightDM's UnlockSession after that success.
      await sessionCall('Unlock');
      await until(
        () => /unlock \(logind Unlock\): blanker hidden/.test(lockerLog()) || null,
        `the unlock\n${diagnostics()}`,
      );
      await until(
        async () => (await brightPixels(await grab())) > 10_000 || null,
        'the desktop visible again',
      );
      writeFileSync(join(ARTIFACTS_DIR, 'lock-safety-unlocked.png'), toPng(await grab()));
    });
  },
);
