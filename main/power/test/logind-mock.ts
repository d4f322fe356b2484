// Test fixture: python3-dbusmock's logind template on a PRIVATE "system" bus (a dbus-daemon
// with the session config on a socket in a temp dir). Nothing here ever talks to the real
// system bus: every address handed out is checked to be the private socket, and both
// processes are stopped by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busctlCall, type BusctlReply } from '../busctl';

export const PYTHON = '/usr/bin/python3';
export const SESSION_CONF = '/usr/share/dbus-1/session.conf';

/** Whether every tool the logind tests need is installed (the reason when not). */
export function logindMockMissing(): string | null {
  for (const tool of [
    '/usr/bin/dbus-daemon',
    '/usr/bin/busctl',
    '/usr/bin/systemd-inhibit',
    '/usr/bin/gdbus',
    PYTHON,
    SESSION_CONF,
  ]) {
    if (!existsSync(tool)) return tool;
  }
  const probe = spawnSync(PYTHON, ['-c', 'import dbusmock, dbus'], { stdio: 'ignore' });
  return probe.status === 0 ? null : 'python3-dbusmock (for /usr/bin/python3)';
}

export interface LogindMock {
  /** `unix:path=<tmp>/system_bus_socket`: the only address tests may use. */
  address: string;
  /** Calls a method of the mock's control interface (org.freedesktop.DBus.Mock). */
  mockCall(method: string, signatureAndArgs?: readonly string[]): Promise<BusctlReply>;
  /** Calls a logind Manager method on the mock. */
  managerCall(method: string, signatureAndArgs?: readonly string[]): Promise<BusctlReply>;
  stop(): Promise<void>;
}

/** Refuses anything but a unix socket inside our own temp dir. */
export function assertPrivateBus(address: string, dir: string): void {
  const expected = `unix:path=${join(dir, 'system_bus_socket')}`;
  if (address !== expected || address.includes('/run/dbus') || address.includes('/var/run')) {
    throw new Error(`refusing a bus that is not the private test bus: ${address}`);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the private bus and the logind mock with the given Can* answers. */
export async function startLogindMock(parameters: Record<string, string>): Promise<LogindMock> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-logind-'));
  const socket = join(dir, 'system_bus_socket');
  const address = `unix:path=${socket}`;
  assertPrivateBus(address, dir);
  const bus = spawn(
    '/usr/bin/dbus-daemon',
    ['--nofork', '--nopidfile', `--config-file=${SESSION_CONF}`, `--address=${address}`],
    { stdio: 'ignore' },
  );
  const processes: ChildProcess[] = [bus];
  const stop = async (): Promise<void> => {
    for (const child of processes.reverse()) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 300 && !existsSync(socket); i++) await sleep(10);
    if (!existsSync(socket)) throw new Error('private dbus-daemon did not start');
    const mock = spawn(
      PYTHON,
      ['-m', 'dbusmock', '--system', '-t', 'logind', '-p', JSON.stringify(parameters)],
      {
        env: { PATH: '/usr/bin:/bin', DBUS_SYSTEM_BUS_ADDRESS: address },
        stdio: 'ignore',
      },
    );
    processes.push(mock);
    const options = { systemBusAddress: address, timeoutMs: 2_000 };
    const mockTarget = {
      dest: 'org.freedesktop.login1',
      path: '/org/freedesktop/login1',
      iface: 'org.freedesktop.DBus.Mock',
    };
    const managerTarget = { ...mockTarget, iface: 'org.freedesktop.login1.Manager' };
    const mockCall = (method: string, args: readonly string[] = []) => {
      assertPrivateBus(options.systemBusAddress, dir);
      return busctlCall(options, method, args, mockTarget);
    };
    const managerCall = (method: string, args: readonly string[] = []) => {
      assertPrivateBus(options.systemBusAddress, dir);
      return busctlCall(options, method, args, managerTarget);
    };
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready = await mockCall('GetCalls').then(
        () => true,
        () => false,
      );
      if (!ready) await sleep(50);
    }
    if (!ready) throw new Error('the logind mock did not come up');
    return { address, mockCall, managerCall, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
