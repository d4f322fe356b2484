// The keyboard layout switch (main/screens/keyboard-switch.ts): argv building and checks, the
// environment decision, the IPC validation and the backend's rules; then the REAL
// /usr/bin/setxkbmap against a REAL Xvfb, checked with `setxkbmap -query`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { KeyboardLayout, ScreenOptions } from '../../../preload/api';
import { createGreeterBackend, type GreeterBackendOptions } from '../../ipc/greeter-backend';
import { IpcValidationError, validateCall } from '../../ipc/validate';
import {
  KeyboardSwitchError,
  SETXKBMAP_PATH,
  SetxkbmapSwitcher,
  keyboardSwitcherFromEnvironment,
  setxkbmapArgs,
  type KeyboardSwitcher,
} from '../keyboard-switch';
import { findExecutable, requireOrSkip } from '../../../testkit/require';
import { hasXvfb, startXvfb } from '../../../testkit/xvfb';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-kbd-'));
  dirs.push(dir);
  return dir;
};

const US_FR: KeyboardLayout[] = [
  { layout: 'us', variant: '' },
  { layout: 'fr', variant: 'oss' },
];

describe('setxkbmap argv', () => {
  it('puts the chosen layout first and keeps the others, variants aligned', () => {
    assert.deepEqual(setxkbmapArgs(US_FR, 1), ['-layout', 'fr,us', '-variant', 'oss,']);
    assert.deepEqual(setxkbmapArgs(US_FR, 0), ['-layout', 'us,fr', '-variant', ',oss']);
    assert.deepEqual(setxkbmapArgs([{ layout: 'de', variant: '' }], 0), [
      '-layout',
      'de',
      '-variant',
      '',
    ]);
  });

  it('refuses anything but an index of a list of plain XKB names', () => {
    const refused = (layouts: KeyboardLayout[], index: number) =>
      assert.throws(
        () => setxkbmapArgs(layouts, index),
        (e: unknown) => e instanceof KeyboardSwitchError && e.code === 'KEYBOARD_LAYOUT_UNKNOWN',
        `${JSON.stringify(layouts)} ${index}`,
      );
    for (const index of [-1, 2, 1.5, Number.NaN, Infinity]) refused(US_FR, index);
    refused([], 0);
    refused([{ layout: 'fr;touch /tmp/x', variant: '' }], 0);
    refused([{ layout: '-option', variant: '' }, ...US_FR], 1);
    refused([{ layout: 'us', variant: 'a,b' }], 0);
    refused([{ layout: 'US', variant: '' }], 0);
    refused(
      Array.from({ length: 5 }, () => ({ layout: 'us', variant: '' })),
      0,
    );
  });
});

describe('which switcher the environment allows', () => {
  it('X11 with setxkbmap: a switcher; Wayland, no display, a bad DISPLAY or no setxkbmap: none', () => {
    const dir = fresh();
    const tool = join(dir, 'setxkbmap-for-test');
    writeFileSync(tool, '#!/bin/sh\nexit 0\n');
    chmodSync(tool, 0o755);
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    assert.ok(keyboardSwitcherFromEnvironment({ DISPLAY: ':0' }, { path: tool, log }));
    assert.ok(
      keyboardSwitcherFromEnvironment({ DISPLAY: ':7.0', XAUTHORITY: '/x' }, { path: tool }),
    );
    assert.equal(
      keyboardSwitcherFromEnvironment(
        { DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0' },
        { path: tool, log },
      ),
      null,
    );
    assert.match(lines.at(-1)!, /Wayland/);
    assert.equal(keyboardSwitcherFromEnvironment({}, { path: tool }), null);
    assert.equal(keyboardSwitcherFromEnvironment({ DISPLAY: ':0;id' }, { path: tool }), null);
    assert.equal(
      keyboardSwitcherFromEnvironment({ DISPLAY: ':0' }, { path: join(dir, 'absent'), log }),
      null,
    );
    assert.match(lines.at(-1)!, /not installed/);
  });

  it('passes only DISPLAY and XAUTHORITY, and reports failure and timeout with codes', async () => {
    const dir = fresh();
    const out = join(dir, 'seen');
    const tool = join(dir, 'setxkbmap-for-test');
    writeFileSync(
      tool,
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\nenv | sort >> '${out}'\n` +
        'case "$2" in fr*) exit 0 ;; de*) sleep 30 ;; esac\necho "Error loading new keyboard description" >&2\nexit 5\n',
    );
    chmodSync(tool, 0o755);
    const switcher = new SetxkbmapSwitcher({
      display: ':9',
      xauthority: '/run/lightdm/x.auth',
      path: tool,
      timeoutMs: 300,
    });
    await switcher.switchTo(US_FR, 1);
    const { readFileSync } = await import('node:fs');
    const seen = readFileSync(out, 'utf8').split('\n');
    assert.deepEqual(seen.slice(0, 4), ['-layout', 'fr,us', '-variant', 'oss,']);
    const env = seen.slice(4).filter((l) => /^[A-Z_]+=/.test(l) && !/^(PWD|SHLVL|_)=/.test(l));
    assert.deepEqual(env, ['DISPLAY=:9', 'XAUTHORITY=/run/lightdm/x.auth']);
    await assert.rejects(switcher.switchTo([{ layout: 'zz', variant: '' }], 0), {
      code: 'KEYBOARD_SWITCH_FAILED',
    });
    const started = Date.now();
    await assert.rejects(switcher.switchTo([{ layout: 'de', variant: '' }], 0), {
      code: 'KEYBOARD_SWITCH_TIMEOUT',
    });
    assert.ok(Date.now() - started < 5_000, 'bounded');
  });
});

describe('IPC validation of setKeyboardLayout', () => {
  it('accepts { index } with an integer below 4 only', () => {
    assert.deepEqual(validateCall('setKeyboardLayout', { index: 1 }), {
      call: 'setKeyboardLayout',
      index: 1,
    });
    const cases: [unknown, string][] = [
      [undefined, 'NOT_AN_OBJECT'],
      [1, 'NOT_AN_OBJECT'],
      ['fr', 'NOT_AN_OBJECT'],
      [[1], 'NOT_AN_OBJECT'],
      [
        new (class Payload {
          index = 1;
        })(),
        'NOT_AN_OBJECT',
      ],
      [{}, 'MISSING_KEY'],
      [{ index: '1' }, 'WRONG_TYPE'],
      [{ index: null }, 'WRONG_TYPE'],
      [{ index: true }, 'WRONG_TYPE'],
      [{ index: { valueOf: () => 1 } }, 'WRONG_TYPE'],
      [{ index: 1n }, 'WRONG_TYPE'],
      [{ index: -1 }, 'KEYBOARD_LAYOUT_INVALID'],
      [{ index: 4 }, 'KEYBOARD_LAYOUT_INVALID'],
      [{ index: 0.5 }, 'KEYBOARD_LAYOUT_INVALID'],
      [{ index: Number.NaN }, 'KEYBOARD_LAYOUT_INVALID'],
      [{ index: 1, layout: 'fr' }, 'EXTRA_KEY'],
      [{ layout: 'fr' }, 'EXTRA_KEY'],
    ];
    const getter = {};
    Object.defineProperty(getter, 'index', { get: () => 1, enumerable: true });
    cases.push([getter, 'WRONG_TYPE']);
    for (const [payload, code] of cases) {
      assert.throws(
        () => validateCall('setKeyboardLayout', payload),
        (e: unknown) => e instanceof IpcValidationError && e.code === code,
        String(code),
      );
    }
  });
});

class RecordingSwitcherForTest implements KeyboardSwitcher {
  readonly calls: number[] = [];
  failNext = false;
  switchTo(layouts: readonly KeyboardLayout[], index: number): Promise<void> {
    setxkbmapArgs(layouts, index);
    this.calls.push(index);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new KeyboardSwitchError('KEYBOARD_SWITCH_FAILED', 'failed'));
    }
    return Promise.resolve();
  }
}

function backendWith(
  keyboardFile: string,
  keyboard: KeyboardSwitcher | null,
  mode: 'login' | 'unlock' = 'login',
) {
  const dir = fresh();
  writeFileSync(join(dir, 'keyboard'), keyboardFile);
  const options: GreeterBackendOptions = {
    mode,
    locale: 'en',
    host: 'dev-chromium',
    currentUser: mode === 'unlock' ? 'alice' : null,
    helperPath: '/nonexistent/bastion-pam-helper',
    stateDir: null,
    log: () => undefined,
    keyboard,
    screen: {
      policyPath: join(dir, 'none.conf'),
      keyboardPath: join(dir, 'keyboard'),
      sessionDirs: { x11: join(dir, 'x'), wayland: join(dir, 'w') },
      passwdPath: join(dir, 'passwd'),
    },
  };
  return createGreeterBackend(options);
}

describe('the backend', () => {
  for (const mode of ['login', 'unlock'] as const) {
    it(`${mode}: offers the switch with two layouts, moves keyboardCurrent only on success`, async (t) => {
      const switcher = new RecordingSwitcherForTest();
      const backend = backendWith('XKBLAYOUT="us,fr"\nXKBVARIANT=",oss"\n', switcher, mode);
      t.after(() => backend.close());
      const screen = async () =>
        (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
      assert.equal((await screen()).keyboardSwitchable, true);
      assert.equal((await screen()).keyboardCurrent, 0);
      await backend.handle('setKeyboardLayout', { index: 1 });
      assert.equal((await screen()).keyboardCurrent, 1);
      switcher.failNext = true;
      await assert.rejects(backend.handle('setKeyboardLayout', { index: 0 }), {
        code: 'KEYBOARD_SWITCH_FAILED',
      });
      assert.equal((await screen()).keyboardCurrent, 1, 'a failed switch keeps the real layout');
      await assert.rejects(backend.handle('setKeyboardLayout', { index: 2 }), {
        code: 'KEYBOARD_LAYOUT_NOT_OFFERED',
      });
      assert.deepEqual(switcher.calls, [1, 0]);
    });
  }

  it('at most one switch running and one waiting: a page that keeps asking is refused', async (t) => {
    // A switcher that never finishes on its own (what a hung setxkbmap looks like until its
    // deadline): test double for a fault we cannot cause with the real one in a unit test.
    const releases: Array<() => void> = [];
    const hungSwitcherForTest: KeyboardSwitcher = {
      switchTo: () => new Promise<void>((resolve) => releases.push(resolve)),
    };
    const backend = backendWith('XKBLAYOUT="us,fr"\n', hungSwitcherForTest);
    t.after(() => backend.close());
    const first = backend.handle('setKeyboardLayout', { index: 1 });
    const second = backend.handle('setKeyboardLayout', { index: 0 });
    await assert.rejects(backend.handle('setKeyboardLayout', { index: 1 }), {
      code: 'KEYBOARD_SWITCH_BUSY',
    });
    while (releases.length < 1) await new Promise((r) => setImmediate(r));
    releases.shift()!();
    await first;
    while (releases.length < 1) await new Promise((r) => setImmediate(r));
    releases.shift()!();
    await second;
    const third = backend.handle('setKeyboardLayout', { index: 1 });
    while (releases.length < 1) await new Promise((r) => setImmediate(r));
    releases.shift()!();
    await third;
    const screen = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
    assert.equal(screen.keyboardCurrent, 1, 'the queue frees its places once switches end');
  });

  it('no switcher (Wayland) or one layout: indicator only, every switch refused', async (t) => {
    for (const [file, switcher] of [
      ['XKBLAYOUT="us,fr"\n', null],
      ['XKBLAYOUT="us"\n', new RecordingSwitcherForTest()],
    ] as const) {
      const backend = backendWith(file, switcher);
      t.after(() => backend.close());
      const screen = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
      assert.equal(screen.keyboardSwitchable, false);
      await assert.rejects(backend.handle('setKeyboardLayout', { index: 0 }), {
        code: 'KEYBOARD_LAYOUT_NOT_OFFERED',
      });
    }
  });
});

const query = (display: string): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile(SETXKBMAP_PATH, ['-query'], { env: { DISPLAY: display }, timeout: 5_000 }, (e, out) =>
      e ? reject(e) : resolve(out),
    ),
  );

const field = (text: string, name: string): string =>
  new RegExp(`^${name}:\\s*(\\S*)$`, 'm').exec(text)?.[1] ?? '';

async function xvfbOrSkip(t: TestContext) {
  const ready = hasXvfb() && findExecutable(SETXKBMAP_PATH) !== null;
  if (!requireOrSkip(t, ready, 'Xvfb and setxkbmap (packages xvfb, x11-xkb-utils)')) return null;
  const xvfb = await startXvfb();
  t.after(() => xvfb.stop());
  return xvfb;
}

describe('real setxkbmap on a real Xvfb', () => {
  it('switches the X server to the chosen layout, others kept after it, options kept', async (t) => {
    const xvfb = await xvfbOrSkip(t);
    if (!xvfb) return;
    // What the X server starts with on a configured machine: the file's layouts and a switch key.
    await new Promise<void>((resolve, reject) =>
      execFile(
        SETXKBMAP_PATH,
        ['-layout', 'us,fr', '-variant', ',oss', '-option', 'grp:alt_shift_toggle'],
        { env: { DISPLAY: xvfb.display }, timeout: 5_000 },
        (e) => (e ? reject(e) : resolve()),
      ),
    );
    const switcher = keyboardSwitcherFromEnvironment({ DISPLAY: xvfb.display });
    assert.ok(switcher);
    await switcher.switchTo(US_FR, 1);
    let state = await query(xvfb.display);
    assert.equal(field(state, 'layout'), 'fr,us');
    assert.equal(field(state, 'variant'), 'oss,');
    assert.equal(field(state, 'options'), 'grp:alt_shift_toggle');
    await switcher.switchTo(US_FR, 0);
    state = await query(xvfb.display);
    assert.equal(field(state, 'layout'), 'us,fr');
  });

  it('a layout XKB does not know fails with a code and leaves the server as it was', async (t) => {
    const xvfb = await xvfbOrSkip(t);
    if (!xvfb) return;
    const switcher = new SetxkbmapSwitcher({ display: xvfb.display });
    const before = field(await query(xvfb.display), 'layout');
    await assert.rejects(switcher.switchTo([{ layout: 'zz', variant: '' }], 0), {
      code: 'KEYBOARD_SWITCH_FAILED',
    });
    assert.equal(field(await query(xvfb.display), 'layout'), before);
  });
});
