// The backend's power actions: offered from logind's Can* answers (python3-dbusmock's logind
// on a private bus, never the machine's), hidden by policy and on the unlock screen, and
// `powerAction` validated before anything reaches logind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { ScreenOptions } from '../../preload/api';
import { requireOrSkip } from '../../testkit/require';
import { LogindPowerActions } from '../power';
import { logindMockMissing, startLogindMock, type LogindMock } from '../power/test/logind-mock';
import { createGreeterBackend, type GreeterBackendOptions } from './greeter-backend';
import { IpcValidationError, validateCall } from './validate';

const root = mkdtempSync(join(tmpdir(), 'bastion-backend-power-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function policyFile(text: string): string {
  const path = join(root, `greeter-${n++}.conf`);
  writeFileSync(path, text);
  return path;
}

const base = (overrides: Partial<GreeterBackendOptions>): GreeterBackendOptions => ({
  mode: 'login',
  locale: 'en',
  host: 'dev-chromium',
  currentUser: null,
  helperPath: '/nonexistent/bastion-pam-helper',
  stateDir: null,
  log: () => undefined,
  screen: {
    sessionDirs: { x11: join(root, 'none-x'), wayland: join(root, 'none-w') },
    policyPath: policyFile(''),
    passwdPath: join(root, 'no-passwd'),
  },
  ...overrides,
});

const notOffered = (error: unknown) =>
  error instanceof IpcValidationError && error.code === 'POWER_ACTION_NOT_OFFERED';

async function calls(mock: LogindMock, method: string): Promise<number> {
  const reply = await mock.mockCall('GetMethodCalls', ['s', method]);
  return (reply.data[0] as unknown[]).length;
}

async function withMock(
  t: TestContext,
  parameters: Record<string, string>,
  run: (mock: LogindMock, power: LogindPowerActions) => Promise<void>,
): Promise<void> {
  const missing = logindMockMissing();
  if (!requireOrSkip(t, missing === null, `${missing} (logind mock)`)) return;
  const mock = await startLogindMock(parameters);
  try {
    assert.match(mock.address, /^unix:path=\/tmp\/bastion-logind-[^/]+\/system_bus_socket$/);
    await run(mock, new LogindPowerActions({ systemBusAddress: mock.address }));
  } finally {
    await mock.stop();
  }
}

describe('validateCall powerAction', () => {
  it('accepts exactly { action } with a known action', () => {
    for (const action of ['suspend', 'reboot', 'power-off']) {
      assert.deepEqual(validateCall('powerAction', { action }), { call: 'powerAction', action });
    }
  });
  it('refuses anything else before it reaches main', () => {
    const cases: [unknown, string][] = [
      [undefined, 'NOT_AN_OBJECT'],
      ['reboot', 'NOT_AN_OBJECT'],
      [['reboot'], 'NOT_AN_OBJECT'],
      [{}, 'MISSING_KEY'],
      [{ action: 'reboot', now: true }, 'EXTRA_KEY'],
      [{ action: 1 }, 'WRONG_TYPE'],
      [{ action: 'halt' }, 'POWER_ACTION_INVALID'],
      [{ action: 'hibernate' }, 'POWER_ACTION_INVALID'],
      [{ action: 'Reboot' }, 'POWER_ACTION_INVALID'],
      [{ action: 'reboot ' }, 'POWER_ACTION_INVALID'],
      [{ action: '__proto__' }, 'POWER_ACTION_INVALID'],
    ];
    for (const [payload, code] of cases) {
      assert.throws(
        () => validateCall('powerAction', payload),
        (e) => e instanceof IpcValidationError && e.code === code,
        JSON.stringify(payload),
      );
    }
  });
});

describe('greeter backend: power actions (python3-dbusmock logind)', () => {
  it('offers what logind allows, runs an offered one, refuses the others', async (t) => {
    await withMock(
      t,
      { CanSuspend: 'no', CanReboot: 'yes', CanPowerOff: 'challenge' },
      async (mock, power) => {
        const backend = createGreeterBackend(base({ power }));
        const options = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
        assert.deepEqual(options.powerActions, ['reboot']);
        for (const action of ['suspend', 'power-off']) {
          await assert.rejects(backend.handle('powerAction', { action }), notOffered);
        }
        await assert.rejects(backend.handle('powerAction', { action: 'halt' }), {
          code: 'POWER_ACTION_INVALID',
        });
        assert.equal(await calls(mock, 'Suspend'), 0);
        assert.equal(await calls(mock, 'PowerOff'), 0);
        assert.equal(await backend.handle('powerAction', { action: 'reboot' }), undefined);
        assert.equal(await calls(mock, 'Reboot'), 1);
        await backend.close();
      },
    );
  });

  it('policy hide-power-actions: none offered, none run, even when logind allows all', async (t) => {
    await withMock(t, {}, async (mock, power) => {
      const backend = createGreeterBackend(
        base({
          power,
          screen: { policyPath: policyFile('[greeter]\nhide-power-actions=true\n') },
        }),
      );
      const options = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
      assert.equal(options.hidePowerActions, true);
      assert.deepEqual(options.powerActions, []);
      await assert.rejects(backend.handle('powerAction', { action: 'suspend' }), notOffered);
      assert.equal(await calls(mock, 'Suspend'), 0);
      await backend.close();
    });
  });

  it('a locked seat shown as a login screen (a lock naming no user): none offered, none run', async (t) => {
    await withMock(t, {}, async (mock, power) => {
      const backend = createGreeterBackend(base({ power, seatLocked: true }));
      const options = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
      assert.deepEqual(options.powerActions, []);
      await assert.rejects(backend.handle('powerAction', { action: 'power-off' }), notOffered);
      assert.equal(await calls(mock, 'PowerOff'), 0);
      await backend.close();
    });
  });

  it('unlock screen: none offered, none run (a locked session is not ours to power off)', async (t) => {
    await withMock(t, {}, async (mock, power) => {
      const backend = createGreeterBackend(base({ power, mode: 'unlock', currentUser: 'alice' }));
      const options = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
      assert.deepEqual(options.powerActions, []);
      for (const action of ['suspend', 'reboot', 'power-off']) {
        await assert.rejects(backend.handle('powerAction', { action }), notOffered);
      }
      for (const method of ['Suspend', 'Reboot', 'PowerOff']) {
        assert.equal(await calls(mock, method), 0);
      }
      await backend.close();
    });
  });
});

it('without a power provider: nothing offered, every request refused', async () => {
  const backend = createGreeterBackend(base({}));
  const options = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
  assert.deepEqual(options.powerActions, []);
  await assert.rejects(backend.handle('powerAction', { action: 'reboot' }), notOffered);
  await backend.close();
});
