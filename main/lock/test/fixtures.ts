// Test fixtures of main/lock: a private Xvfb, and python3-dbusmock objects standing in for
// LightDM's D-Bus API (LightdmStandInForTest: Seat0 and Session0 recording Lock and
// SwitchToGreeter) on the private bus of main/power/test/logind-mock.ts. Every process is
// stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { busctlCall, type BusctlReply } from '../../power/busctl';
import { PYTHON } from '../../power/test/logind-mock';
import { SESSION_BLANKER } from '../../../testkit/paths';
import { findExecutable } from '../../../testkit/require';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** What the lock tests need besides the logind mock's tools, or null. */
export function lockToolsMissing(): string | null {
  for (const tool of ['Xvfb', '/usr/bin/xwininfo', '/usr/bin/xwd']) {
    if (!findExecutable(tool)) return `${tool} (xvfb, x11-utils, x11-apps)`;
  }
  if (!findExecutable(SESSION_BLANKER)) return `${SESSION_BLANKER} (node scripts/build.mjs native)`;
  return null;
}

export interface XvfbForTest {
  display: string;
  stop(): Promise<void>;
}

/** A private Xvfb on a free display number (-displayfd), no TCP, a white root (-wr): what the
 *  blanker must hide is plainly not black. */
export async function startXvfb(size = '640x480x24'): Promise<XvfbForTest> {
  const child = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', size, '-nolisten', 'tcp', '-wr'],
    {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    },
  );
  const number = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not start')), 10_000);
    child.stdio[3]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.trim());
      }
    });
    child.once('exit', () => reject(new Error('Xvfb exited')));
  });
  return { display: `:${number}`, stop: () => stopChild(child) };
}

export const SEAT_PATH = '/org/freedesktop/DisplayManager/Seat0';
export const DM_SESSION_PATH = '/org/freedesktop/DisplayManager/Session0';

export interface StandInCall {
  /** `Seat.Lock`, `Seat.SwitchToGreeter` or `Session.Lock`. */
  method: string;
  /** When LightDM's stand-in received it (ms since the epoch). */
  at: number;
  /** Whether a blanker window existed on the X screen at that moment (xwininfo -tree). */
  blankerOnScreen: boolean;
}

export interface LightdmStandInForTest {
  calls(): Promise<StandInCall[]>;
  stop(): Promise<void>;
}

/** The Python each recording method runs: the time, and what the X screen holds right then. */
function recorder(name: string): string {
  return (
    'import time, subprocess; ' +
    'out = subprocess.run(["/usr/bin/xwininfo", "-root", "-tree"], capture_output=True, ' +
    'text=True, timeout=3).stdout; ' +
    `globals().setdefault("bastion_calls", []).append(("${name}", time.time(), ` +
    '"bastion-session-blanker" in out))'
  );
}

/**
 * A stand-in for LightDM's D-Bus API (named as such: the real LightDM runs in the e2e test):
 * dbusmock owning org.freedesktop.DisplayManager on the given private bus, with Seat0.Lock,
 * Seat0.SwitchToGreeter and Session0.Lock that record when they were called and whether the
 * blanker was on `display` at that moment.
 */
export async function startLightdmStandIn(
  address: string,
  display: string,
): Promise<LightdmStandInForTest> {
  if (!address.startsWith('unix:path=/tmp/bastion-logind-')) {
    throw new Error(`refusing a bus that is not the private test bus: ${address}`);
  }
  const child = spawn(
    PYTHON,
    [
      '-m',
      'dbusmock',
      '--system',
      'org.freedesktop.DisplayManager',
      SEAT_PATH,
      'org.freedesktop.DisplayManager.Seat',
    ],
    {
      env: { PATH: '/usr/bin:/bin', DBUS_SYSTEM_BUS_ADDRESS: address, DISPLAY: display },
      stdio: 'ignore',
    },
  );
  const bus = { systemBusAddress: address, timeoutMs: 4_000 };
  const call = (path: string, iface: string, method: string, args: string[] = []) =>
    busctlCall(bus, method, args, { dest: 'org.freedesktop.DisplayManager', path, iface });
  const mock = (path: string, method: string, args: string[] = []): Promise<BusctlReply> =>
    call(path, 'org.freedesktop.DBus.Mock', method, args);
  try {
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready = await mock(SEAT_PATH, 'GetCalls').then(
        () => true,
        () => false,
      );
      if (!ready) await sleep(50);
    }
    if (!ready) throw new Error('the LightDM stand-in did not come up');
    const seat = 'org.freedesktop.DisplayManager.Seat';
    for (const method of ['Lock', 'SwitchToGreeter']) {
      await mock(SEAT_PATH, 'AddMethod', [
        'sssss',
        seat,
        method,
        '',
        '',
        recorder(`Seat.${method}`),
      ]);
    }
    await mock(SEAT_PATH, 'AddMethod', [
      'sssss',
      seat,
      'RecordedForTest',
      '',
      'a(sdb)',
      'ret = globals().get("bastion_calls", [])',
    ]);
    await mock(SEAT_PATH, 'AddObject', [
      'ssa{sv}a(ssss)',
      DM_SESSION_PATH,
      'org.freedesktop.DisplayManager.Session',
      '0',
      '1',
      'Lock',
      '',
      '',
      recorder('Session.Lock'),
    ]);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    async calls() {
      const reply = await call(SEAT_PATH, 'org.freedesktop.DisplayManager.Seat', 'RecordedForTest');
      const rows = reply.data[0];
      if (!Array.isArray(rows)) throw new Error('unexpected RecordedForTest reply');
      return rows.map((row) => {
        const [method, at, seen] = row as [string, number, boolean];
        return { method, at: at * 1000, blankerOnScreen: seen };
      });
    },
    stop: () => stopChild(child),
  };
}
