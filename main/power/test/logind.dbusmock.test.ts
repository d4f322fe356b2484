// main/power against python3-dbusmock's logind template on a private bus (./logind-mock).
// Never a real power action: every client here is given the private bus's address, busctl
// and systemd-inhibit get that address as their whole environment, and the fixture refuses
// any other bus. Under CI=true a missing tool fails instead of skipping.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { requireOrSkip } from '../../../testkit/require';
import {
  LogindPowerActions,
  MAX_SETTLE_MS,
  PowerActionError,
  SleepInhibitor,
  startSleepLockGuard,
} from '../index';
import { logindMockMissing, startLogindMock, type LogindMock } from './logind-mock';

const missing = logindMockMissing();

async function withMock(
  t: TestContext,
  parameters: Record<string, string>,
  run: (mock: LogindMock) => Promise<void>,
): Promise<void> {
  if (!requireOrSkip(t, missing === null, `${missing} (logind mock)`)) return;
  const mock = await startLogindMock(parameters);
  try {
    // The private socket of the fixture, never the machine's system bus.
    assert.match(mock.address, /^unix:path=\/tmp\/bastion-logind-[^/]+\/system_bus_socket$/);
    await run(mock);
  } finally {
    await mock.stop();
  }
}

function suspendCalls(mock: LogindMock, method: string): Promise<number> {
  return mock.mockCall('GetMethodCalls', ['s', method]).then((reply) => {
    assert.equal(reply.type, 'a(tav)');
    const calls = reply.data[0];
    assert.ok(Array.isArray(calls));
    return calls.length;
  });
}

async function inhibitors(mock: LogindMock): Promise<string[][]> {
  const reply = await mock.managerCall('ListInhibitors');
  assert.equal(reply.type, 'a(ssssuu)');
  const rows = reply.data[0];
  assert.ok(Array.isArray(rows));
  return rows.map((row) => (row as unknown[]).slice(0, 4).map(String));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(30);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('logind power actions (python3-dbusmock)', () => {
  test('all Can* "yes": all three shown; Suspend reaches the mock with interactive=false', async (t) => {
    await withMock(t, { CanSuspend: 'yes', CanReboot: 'yes', CanPowerOff: 'yes' }, async (mock) => {
      const power = new LogindPowerActions({ systemBusAddress: mock.address });
      assert.deepEqual(await power.allowed(), ['suspend', 'reboot', 'power-off']);
      assert.equal(await suspendCalls(mock, 'Suspend'), 0);
      await power.run('suspend');
      const reply = await mock.mockCall('GetMethodCalls', ['s', 'Suspend']);
      // One call, its argument `interactive` false (the mock only logs it).
      assert.deepEqual(
        (reply.data[0] as unknown[][]).map((call) => call[1]),
        [[{ type: 'b', data: false }]],
      );
      await power.run('reboot');
      assert.equal(await suspendCalls(mock, 'Reboot'), 1);
      assert.equal(await suspendCalls(mock, 'PowerOff'), 0);
    });
  });

  test('"no", "challenge" and "na" are hidden, and refused when asked for anyway', async (t) => {
    await withMock(
      t,
      { CanSuspend: 'no', CanReboot: 'challenge', CanPowerOff: 'yes', CanHibernate: 'na' },
      async (mock) => {
        const power = new LogindPowerActions({ systemBusAddress: mock.address });
        assert.equal(await power.can('reboot'), 'challenge');
        assert.deepEqual(await power.allowed(), ['power-off']);
        for (const action of ['suspend', 'reboot'] as const) {
          await assert.rejects(
            () => power.run(action),
            (error: unknown) =>
              error instanceof PowerActionError && error.code === 'POWER_NOT_ALLOWED',
          );
        }
        assert.equal(await suspendCalls(mock, 'Suspend'), 0);
        assert.equal(await suspendCalls(mock, 'Reboot'), 0);
      },
    );
  });

  test('everything "na": nothing shown', async (t) => {
    await withMock(t, { CanSuspend: 'na', CanReboot: 'na', CanPowerOff: 'na' }, async (mock) => {
      const power = new LogindPowerActions({ systemBusAddress: mock.address });
      assert.deepEqual(await power.allowed(), []);
    });
  });

  test('no logind on the bus (or no bus): nothing shown, nothing run', async (t) => {
    if (!requireOrSkip(t, missing === null, `${missing} (logind mock)`)) return;
    const lines: string[] = [];
    const power = new LogindPowerActions({
      systemBusAddress: 'unix:path=/nonexistent/bastion-test/system_bus_socket',
      timeoutMs: 2_000,
      log: (line) => lines.push(line),
    });
    assert.deepEqual(await power.allowed(), []);
    await assert.rejects(() => power.run('power-off'), PowerActionError);
    assert.ok(lines.some((line) => line.startsWith('CanPowerOff: busctl CanPowerOff failed')));
  });
});

describe('lock before suspend: the delay inhibitor (python3-dbusmock)', () => {
  test('the inhibitor shows in ListInhibitors while held and disappears when released', async (t) => {
    await withMock(t, {}, async (mock) => {
      const inhibitor = new SleepInhibitor({ systemBusAddress: mock.address });
      assert.deepEqual(await inhibitors(mock), []);
      await inhibitor.take();
      assert.equal(inhibitor.held, true);
      assert.deepEqual(await inhibitors(mock), [
        ['sleep', 'bastion-greeter', 'lock the screen first', 'delay'],
      ]);
      await inhibitor.release();
      assert.equal(inhibitor.held, false);
      await until(async () => (await inhibitors(mock)).length === 0, 'the release');
    });
  });

  test('PrepareForSleep(true): lock first, then release; PrepareForSleep(false): taken again', async (t) => {
    await withMock(t, {}, async (mock) => {
      const events: string[] = [];
      let finishLock: () => void = () => undefined;
      const guard = await startSleepLockGuard({
        systemBusAddress: mock.address,
        lock: () => {
          events.push('lock');
          return new Promise<void>((resolve) => (finishLock = resolve));
        },
      });
      try {
        // Taken before any suspend: the person picks Suspend, logind finds our inhibitor.
        assert.equal((await inhibitors(mock)).length, 1);
        await new LogindPowerActions({ systemBusAddress: mock.address }).run('suspend');
        assert.equal(await suspendCalls(mock, 'Suspend'), 1);
        assert.equal((await inhibitors(mock)).length, 1);
        // gdbus monitor subscribes asynchronously: emit until the guard has seen it.
        await until(async () => {
          await mock.mockCall('EmitSignal', [
            'sssav',
            'org.freedesktop.login1.Manager',
            'PrepareForSleep',
            'b',
            '1',
            'b',
            'true',
          ]);
          await sleep(50);
          return events.length > 0;
        }, 'PrepareForSleep(true) to reach the guard');
        // Still held while the lock screen is not up yet: logind waits for us.
        assert.equal((await inhibitors(mock)).length, 1);
        finishLock();
        await until(async () => (await inhibitors(mock)).length === 0, 'the release after lock');
        assert.equal(guard.inhibitor.held, false);
        // Resume: the next suspend must find the inhibitor again.
        await mock.mockCall('EmitSignal', [
          'sssav',
          'org.freedesktop.login1.Manager',
          'PrepareForSleep',
          'b',
          '1',
          'b',
          'false',
        ]);
        await until(async () => (await inhibitors(mock)).length === 1, 'the inhibitor again');
      } finally {
        await guard.close();
      }
      await until(async () => (await inhibitors(mock)).length === 0, 'the release on close');
    });
  });

  const emitSleep = (mock: LogindMock, start: boolean) =>
    mock.mockCall('EmitSignal', [
      'sssav',
      'org.freedesktop.login1.Manager',
      'PrepareForSleep',
      'b',
      '1',
      'b',
      String(start),
    ]);

  test('the PrepareForSleep watch killed: inhibitor released while blind, watch restarted, taken again; the next PrepareForSleep still locks', async (t) => {
    await withMock(t, {}, async (mock) => {
      const lines: string[] = [];
      let locks = 0;
      const guard = await startSleepLockGuard({
        systemBusAddress: mock.address,
        restartMinMs: 200,
        log: (line) => lines.push(line),
        lock: () => {
          locks++;
          return Promise.resolve();
        },
      });
      try {
        assert.equal((await inhibitors(mock)).length, 1);
        const first = guard.monitor.current()!.child;
        first.kill('SIGKILL');
        await until(async () => (await inhibitors(mock)).length === 0, 'the release while blind');
        assert.ok(lines.some((l) => /gdbus monitor exited \(SIGKILL\): watching again/.test(l)));
        assert.ok(
          lines.some((l) => /not watched: inhibitor released/.test(l)),
          lines.join('\n'),
        );
        await until(async () => guard.monitor.up, 'the watch to be back');
        assert.notEqual(guard.monitor.current()!.child.pid, first.pid, 'a new gdbus');
        await until(async () => (await inhibitors(mock)).length === 1, 'the inhibitor again');
        await until(async () => {
          await emitSleep(mock, true);
          await sleep(50);
          return locks > 0;
        }, 'PrepareForSleep(true) to reach the restarted watch');
        await until(async () => (await inhibitors(mock)).length === 0, 'the release after lock');
      } finally {
        await guard.close();
      }
    });
  });

  test('after resume, a take() that fails is retried until the inhibitor is held', async (t) => {
    await withMock(t, {}, async (mock) => {
      // A real fault: systemd-inhibit missing for a moment (a package upgrade replacing it).
      const dir = mkdtempSync(join(tmpdir(), 'bastion-inhibit-'));
      const path = join(dir, 'systemd-inhibit');
      copyFileSync('/usr/bin/systemd-inhibit', path);
      const lines: string[] = [];
      const guard = await startSleepLockGuard({
        systemBusAddress: mock.address,
        systemdInhibitPath: path,
        retryMinMs: 100,
        log: (line) => lines.push(line),
        lock: () => Promise.resolve(),
      });
      try {
        await until(async () => {
          await emitSleep(mock, true);
          await sleep(50);
          return (await inhibitors(mock)).length === 0;
        }, 'the release before sleep');
        renameSync(path, `${path}.gone`);
        await emitSleep(mock, false);
        await until(async () => lines.filter((l) => /trying again/.test(l)).length >= 2, 'retries');
        assert.equal((await inhibitors(mock)).length, 0);
        renameSync(`${path}.gone`, path);
        await until(async () => (await inhibitors(mock)).length === 1, 'the inhibitor after retry');
        assert.equal(guard.inhibitor.held, true);
      } finally {
        await guard.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('PrepareForSleep(true): the inhibitor is kept for the settle time after lock() resolved, bounded', async (t) => {
    await withMock(t, {}, async (mock) => {
      let lockedAt = 0;
      const guard = await startSleepLockGuard({
        systemBusAddress: mock.address,
        settleMs: 5_000, // capped at MAX_SETTLE_MS
        lock: () => {
          lockedAt = Date.now();
          return Promise.resolve();
        },
      });
      try {
        await until(async () => {
          await emitSleep(mock, true);
          await sleep(30);
          return lockedAt > 0;
        }, 'the lock');
        await until(async () => (await inhibitors(mock)).length === 0, 'the release');
        const held = Date.now() - lockedAt;
        t.diagnostic(`lock resolved → inhibitor gone: ${held} ms`);
        assert.ok(held >= MAX_SETTLE_MS - 20, `kept ${held} ms`);
        assert.ok(held < MAX_SETTLE_MS + 1_500, `released ${held} ms after the lock`);
      } finally {
        await guard.close();
      }
    });
  });
});
