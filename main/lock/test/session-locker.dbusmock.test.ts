// main/lock against real parts: python3-dbusmock's logind template on a private bus (the
// fixture of main/power/test), a dbusmock stand-in for LightDM's D-Bus API on the same bus
// (LightdmStandInForTest, ./fixtures.ts: it records each call and whether the blanker was on
// the X screen at that moment), a private Xvfb, and the real blanker
// (native-helper/out/bastion-session-blanker). What the screen shows is read back with xwd, the
// blanker's window with xwininfo, its grabs with native-helper/test/x11-probe.c. Under CI=true a
// missing tool fails instead of skipping.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requireOrSkip } from '../../../testkit/require';
import { logindMockMissing, startLogindMock, type LogindMock } from '../../power/test/logind-mock';
import { SESSION_BLANKER } from '../../../testkit/paths';
import {
  LockError,
  X11Blanker,
  covers,
  readLockedHint,
  sessionLockerConfig,
  rootGeometry,
  startSessionLocker,
  windowGeometry,
  type RunningSessionLocker,
} from '../index';
import { busctlCall } from '../../power/busctl';
import {
  DM_SESSION_PATH,
  SEAT_PATH,
  lockToolsMissing,
  startLightdmStandIn,
  startXvfb,
  type LightdmStandInForTest,
  type XvfbForTest,
} from './fixtures';
import { brightPixels, grabRoot } from './xwd';

const missing = logindMockMissing() ?? lockToolsMissing();
const SESSION = '/org/freedesktop/login1/session/c1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe(
  'session locker (dbusmock logind + LightDM stand-in, Xvfb, bastion-session-blanker)',
  { timeout: 120_000 },
  () => {
    let mock: LogindMock | null = null;
    let dm: LightdmStandInForTest | null = null;
    let xvfb: XvfbForTest | null = null;
    let running: RunningSessionLocker | null = null;
    let theBlanker: X11Blanker | null = null;
    const lines: { at: number; line: string }[] = [];

    before(async () => {
      if (missing !== null) return;
      xvfb = await startXvfb();
      mock = await startLogindMock({});
      dm = await startLightdmStandIn(mock.address, xvfb.display);
      await mock.mockCall('AddSession', ['ssusb', 'c1', 'seat0', '1000', 'tester', 'true']);
      theBlanker = new X11Blanker({
        display: xvfb.display,
        blankerPath: SESSION_BLANKER,
        log: (line) => lines.push({ at: Date.now(), line }),
      });
      running = await startSessionLocker({
        blanker: theBlanker,
        env: {
          DISPLAY: xvfb.display,
          DBUS_SYSTEM_BUS_ADDRESS: mock.address,
          XDG_SESSION_ID: 'c1',
          XDG_SESSION_PATH: DM_SESSION_PATH,
          XDG_SEAT_PATH: SEAT_PATH,
        },
        log: (line) => lines.push({ at: Date.now(), line }),
      });
    });
    after(async () => {
      // The blanker outlives the locker on purpose: stopped here by the test.
      await running?.close();
      await theBlanker?.hide();
      await Promise.allSettled([dm?.stop()]);
      await mock?.stop();
      await xvfb?.stop();
    });

    const session = (method: string, args: string[] = []) =>
      busctlCall({ systemBusAddress: mock!.address }, method, args, {
        dest: 'org.freedesktop.login1',
        path: SESSION,
        iface:
          method === 'UpdateProperties'
            ? 'org.freedesktop.DBus.Mock'
            : 'org.freedesktop.login1.Session',
      });
    const setActive = (active: boolean) =>
      session('UpdateProperties', [
        'sa{sv}',
        'org.freedesktop.login1.Session',
        '1',
        'Active',
        'b',
        String(active),
      ]);
    const screenBright = async () => brightPixels(await grabRoot(xvfb!.display));
    const blanker = (): X11Blanker => theBlanker!;
    /** xwininfo, independently of the blanker's own ready line: its window covers the root. */
    const blankerCovers = async (): Promise<boolean> => {
      const id = blanker().windowId();
      const root = await rootGeometry({ display: xvfb!.display });
      const window = id ? await windowGeometry({ display: xvfb!.display }, id) : null;
      return root !== null && window !== null && covers(window, root);
    };
    const inhibitors = async () => {
      const reply = await mock!.managerCall('ListInhibitors');
      return (reply.data[0] as unknown[]).length;
    };
    const emitSleep = (start: boolean) =>
      mock!.mockCall('EmitSignal', [
        'sssav',
        'org.freedesktop.login1.Manager',
        'PrepareForSleep',
        'b',
        '1',
        'b',
        String(start),
      ]);

    test('logind Lock: the blanker covers the screen BEFORE LightDM is asked (Session.Lock)', async (t) => {
      if (!requireOrSkip(t, missing === null, `${missing} (lock tests)`)) return;
      assert.ok((await screenBright()) > 0, 'Xvfb shows its root pattern before any lock');
      assert.equal(await inhibitors(), 1, 'the sleep delay inhibitor is held while unlocked');
      // gdbus monitor subscribes asynchronously: ask logind to lock until the locker saw it.
      await until(async () => {
        await session('Lock');
        await sleep(100);
        return running!.locker.isLocked;
      }, 'the Lock signal to reach the locker');
      await until(async () => (await dm!.calls()).length > 0, 'the lock request to LightDM');
      const calls = await dm!.calls();
      assert.deepEqual(
        calls.map((c) => [c.method, c.blankerOnScreen]),
        [['Session.Lock', true]],
        'one Session.Lock, called while the blanker window was on the screen',
      );
      const up = lines.find((l) =>
        /^lock \(logind Lock\): blanker up \(pid \d+, input grabbed\)$/.test(l.line),
      );
      assert.ok(up, lines.map((l) => l.line).join('\n'));
      assert.ok(up.at <= calls[0]!.at + 5, 'blanker proved up before the call arrived');
      assert.equal(await screenBright(), 0, 'every pixel of the X screen is black');
      assert.ok(await blankerCovers(), 'xwininfo: the blanker window is mapped over the root');
      assert.equal(blanker().inputGrabbed(), true);
      await until(
        () => readLockedHint({ systemBusAddress: mock!.address }, SESSION),
        'LockedHint published as true',
      );
    });

    test('the session becoming Active again (a VT switch back) never unblanks; back to the greeter', async (t) => {
      if (!requireOrSkip(t, missing === null, `${missing} (lock tests)`)) return;
      const pid = blanker().pid();
      await setActive(false);
      await setActive(true);
      await until(
        async () => (await dm!.calls()).some((c) => c.method === 'Seat.SwitchToGreeter'),
        'SwitchToGreeter',
      );
      await setActive(false);
      await setActive(true);
      await sleep(500);
      assert.equal(running!.locker.isLocked, true);
      assert.equal(blanker().pid(), pid, 'the same blanker, never hidden');
      assert.equal(await screenBright(), 0);
      const switches = (await dm!.calls()).filter((c) => c.method === 'Seat.SwitchToGreeter');
      assert.equal(switches.length, 1, 'rate-limited: one SwitchToGreeter per 2 s');
      assert.ok(switches[0]!.blankerOnScreen);
    });

    test('the blanker killed while locked is shown again at once, and LightDM asked for its greeter at once', async (t) => {
      if (!requireOrSkip(t, missing === null, `${missing} (lock tests)`)) return;
      const pid = blanker().pid()!;
      const switchesBefore = (await dm!.calls()).filter(
        (c) => c.method === 'Seat.SwitchToGreeter',
      ).length;
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const restartedLine = (): { at: number; line: string } | undefined =>
        lines.find(
          (l) => l.at >= killedAt && /^blanker restarted \(pid \d+, input grabbed\)$/.test(l.line),
        );
      await until(() => restartedLine() !== undefined, 'the blanker proved up again');
      const restarted = restartedLine()!;
      assert.notEqual(blanker().pid(), pid);
      assert.ok(
        lines.some((l) => l.line === 'blanker exited (SIGKILL) while locked: showing it again'),
      );
      // Ready means mapped, covering and painted (the server fills its background on map).
      assert.equal(await screenBright(), 0, 'the screen black again as soon as it is ready');
      assert.ok(await blankerCovers());
      t.diagnostic(`blanker killed → covering again: ${restarted.at - killedAt} ms`);
      // Not held back by the 2 s limit of the VT-switch case (one was asked < 2 s ago).
      await until(
        async () =>
          (await dm!.calls()).filter((c) => c.method === 'Seat.SwitchToGreeter').length >
          switchesBefore,
        'SwitchToGreeter after the blanker died',
        5_000,
      );
      const switched = (await dm!.calls())
        .filter((c) => c.method === 'Seat.SwitchToGreeter')
        .at(-1)!;
      t.diagnostic(`blanker killed → SwitchToGreeter: ${Math.round(switched.at - killedAt)} ms`);
      assert.equal((await dm!.calls()).filter((c) => c.method.endsWith('Lock')).length, 1);
    });

    test('logind Unlock (what root LightDM sends after a success) hides the blanker', async (t) => {
      if (!requireOrSkip(t, missing === null, `${missing} (lock tests)`)) return;
      await session('Unlock');
      await until(() => !running!.locker.isLocked && !blanker().alive(), 'the unlock');
      await until(async () => (await screenBright()) > 0, 'the session visible again');
      assert.ok(lines.some((l) => l.line === 'unlock (logind Unlock): blanker hidden'));
    });

    test('PrepareForSleep(true): blanker + LightDM lock, then the inhibitor is released; resume takes it again', async (t) => {
      if (!requireOrSkip(t, missing === null, `${missing} (lock tests)`)) return;
      assert.equal(await inhibitors(), 1);
      const before = (await dm!.calls()).length;
      await emitSleep(true);
      await until(async () => (await inhibitors()) === 0, 'the release after the lock');
      assert.equal(running!.locker.isLocked, true);
      const calls = (await dm!.calls()).slice(before);
      assert.deepEqual(
        calls.map((c) => [c.method, c.blankerOnScreen]),
        [['Session.Lock', true]],
      );
      assert.equal(await screenBright(), 0);
      assert.ok(lines.some((l) => /^lock \(before sleep\): blanker up/.test(l.line)));
      await emitSleep(false);
      await until(async () => (await inhibitors()) === 1, 'the inhibitor taken again on resume');
      await session('Unlock');
      await until(() => !blanker().alive(), 'the unlock');
    });

    test('a locker started while logind says LockedHint=true locks at once (blanker up, LightDM asked)', async (t) => {
      if (!requireOrSkip(t, missing === null, `${missing} (lock tests)`)) return;
      await running!.close();
      running = null;
      assert.equal(blanker().alive(), false);
      await session('SetLockedHint', ['b', 'true']);
      const before = (await dm!.calls()).length;
      const second = new X11Blanker({ display: xvfb!.display, blankerPath: SESSION_BLANKER });
      const startedAt = Date.now();
      const again = await startSessionLocker({
        blanker: second,
        env: {
          DISPLAY: xvfb!.display,
          DBUS_SYSTEM_BUS_ADDRESS: mock!.address,
          XDG_SESSION_ID: 'c1',
          XDG_SESSION_PATH: DM_SESSION_PATH,
          XDG_SEAT_PATH: SEAT_PATH,
        },
        log: (line) => lines.push({ at: Date.now(), line }),
      });
      try {
        await until(() => second.windowId() !== null, 'the blanker up from the hint', 5_000);
        t.diagnostic(`locker started → blanker up: ${Date.now() - startedAt} ms`);
        assert.equal(again.locker.isLocked, true);
        assert.equal(await screenBright(), 0);
        await until(async () => (await dm!.calls()).length > before, 'the lock request');
        assert.equal((await dm!.calls()).slice(before)[0]!.method, 'Session.Lock');
        assert.ok(lines.some((l) => /^lock \(logind LockedHint\): blanker up/.test(l.line)));
        await session('Unlock');
        await until(() => !second.alive(), 'the unlock');
        await until(
          async () => !(await readLockedHint({ systemBusAddress: mock!.address }, SESSION)),
          'LockedHint back to false',
        );
      } finally {
        await again.close();
        await second.hide();
      }
    });

    test('DISPLAY naming an X screen other than 0 is refused (LOCK_SCREEN_UNSUPPORTED)', () => {
      assert.throws(
        () => sessionLockerConfig({ DISPLAY: ':0.1' }),
        (error: unknown) => error instanceof LockError && error.code === 'LOCK_SCREEN_UNSUPPORTED',
      );
      assert.equal(sessionLockerConfig({ DISPLAY: ':0.0' }).display, ':0.0');
      assert.equal(sessionLockerConfig({ DISPLAY: ':0' }).display, ':0');
    });
  },
);
