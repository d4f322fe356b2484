// The keyboard layout file parser and the assistive tools: detection on the paths given by
// options (real files in a temp dir: executables named *-for-test, a non-executable, a
// directory, a missing path), start through the real backend call (validated, at most one
// instance, no shell, no arguments) and stop on close.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScreenOptions } from '../../../preload/api';
import { createGreeterBackend, type GreeterBackendOptions } from '../../ipc/greeter-backend';
import { IpcValidationError, validateCall } from '../../ipc/validate';
import { AssistiveLauncher, isExecutableFile } from '../assistive';
import { loadKeyboardLayouts, MAX_KEYBOARD_BYTES, parseKeyboardFile } from '../keyboard';

const root = mkdtempSync(join(tmpdir(), 'bastion-a11y-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir);
  return dir;
};

const DEBIAN = `# KEYBOARD CONFIGURATION FILE

# Consult the keyboard(5) manual page.

XKBMODEL="pc105"
XKBLAYOUT="fr,us"
XKBVARIANT="oss,"
XKBOPTIONS="grp:alt_shift_toggle"

BACKSPACE="guess"
`;

describe('parseKeyboardFile', () => {
  it("reads Debian's file: layouts in order, one variant each", () => {
    assert.deepEqual(parseKeyboardFile(DEBIAN), [
      { layout: 'fr', variant: 'oss' },
      { layout: 'us', variant: '' },
    ]);
  });

  it('accepts unquoted and single-quoted values, CRLF, and no variant line', () => {
    assert.deepEqual(parseKeyboardFile('XKBLAYOUT=de\r\n'), [{ layout: 'de', variant: '' }]);
    assert.deepEqual(parseKeyboardFile("XKBLAYOUT='us'\nXKBVARIANT='intl'\n"), [
      { layout: 'us', variant: 'intl' },
    ]);
  });

  it('no XKBLAYOUT (or an empty one) is no layouts, not an error', () => {
    assert.deepEqual(parseKeyboardFile('XKBMODEL="pc105"\n'), []);
    assert.deepEqual(parseKeyboardFile('XKBLAYOUT=""\n'), []);
  });

  it('refuses shell code, odd names, repeats and too many layouts as a whole', () => {
    const refused = [
      'XKBLAYOUT="$(reboot)"',
      'XKBLAYOUT=`id`',
      'XKBLAYOUT="us"; rm -rf /',
      'export XKBLAYOUT=us',
      'XKBLAYOUT="us" # trailing comment',
      'XKBLAYOUT="US"',
      'XKBLAYOUT="us,,fr"',
      'XKBLAYOUT="us fr"',
      `XKBLAYOUT="${'a'.repeat(33)}"`,
      'XKBLAYOUT="us"\nXKBLAYOUT="fr"',
      'XKBLAYOUT="us,fr,de,gb,es"',
      'XKBLAYOUT="us"\nXKBVARIANT="intl,oss"',
      'XKBLAYOUT="us"\nXKBVARIANT="../x"',
    ];
    for (const text of refused) {
      const lines: string[] = [];
      assert.equal(
        parseKeyboardFile(text, (l) => lines.push(l)),
        null,
        text,
      );
      assert.equal(lines.length, 1, text);
      assert.match(lines[0]!, /no layouts shown/);
    }
  });
});

describe('loadKeyboardLayouts', () => {
  it('absent → []; the file read as parsed', () => {
    const dir = fresh();
    assert.deepEqual(loadKeyboardLayouts(join(dir, 'keyboard')), []);
    writeFileSync(join(dir, 'keyboard'), DEBIAN);
    assert.deepEqual(
      loadKeyboardLayouts(join(dir, 'keyboard')).map((l) => l.layout),
      ['fr', 'us'],
    );
  });

  it('too large, a symlink, a directory or bad UTF-8 → [] with a log line', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'big'), `XKBLAYOUT=us\n#${'x'.repeat(MAX_KEYBOARD_BYTES)}\n`);
    writeFileSync(join(dir, 'real'), DEBIAN);
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    mkdirSync(join(dir, 'dir'));
    writeFileSync(join(dir, 'latin1'), Buffer.from([0x58, 0x3d, 0xe9, 0x0a]));
    for (const name of ['big', 'link', 'dir', 'latin1']) {
      const lines: string[] = [];
      assert.deepEqual(
        loadKeyboardLayouts(join(dir, name), (l) => lines.push(l)),
        [],
        name,
      );
      assert.match(lines.join('\n'), /refused/, name);
    }
  });
});

/** A stand-in tool: records its argv and pid, then waits to be stopped. */
function fakeTool(dir: string, name: string): string {
  const path = join(dir, name);
  const marker = `${path}.runs`;
  writeFileSync(path, `#!/bin/sh\necho "$$ $#" >> '${marker}'\nexec sleep 30\n`, {
    mode: 0o755,
  });
  return path;
}

const runsOf = (path: string): string[] =>
  existsSync(`${path}.runs`) ? readFileSync(`${path}.runs`, 'utf8').trim().split('\n') : [];

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('assistive tools', () => {
  it('detects executable regular files only, at absolute paths', () => {
    const dir = fresh();
    const tool = fakeTool(dir, 'orca-for-test');
    writeFileSync(join(dir, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
    mkdirSync(join(dir, 'a-directory'));
    chmodSync(join(dir, 'a-directory'), 0o755);
    assert.equal(isExecutableFile(tool), true);
    assert.equal(isExecutableFile(join(dir, 'not-executable')), false);
    assert.equal(isExecutableFile(join(dir, 'a-directory')), false);
    assert.equal(isExecutableFile(join(dir, 'missing')), false);
    assert.equal(isExecutableFile('orca-for-test'), false);
    const launcher = new AssistiveLauncher({
      'screen-reader': tool,
      'on-screen-keyboard': join(dir, 'not-executable'),
    });
    assert.deepEqual(launcher.available(), { screenReader: true, onScreenKeyboard: false });
  });

  it('validateCall accepts the two tool names only, with exactly one key', () => {
    for (const tool of ['screen-reader', 'on-screen-keyboard'] as const) {
      assert.deepEqual(validateCall('startAssistiveTool', { tool }), {
        call: 'startAssistiveTool',
        tool,
      });
    }
    const cases: [unknown, string][] = [
      [undefined, 'NOT_AN_OBJECT'],
      ['screen-reader', 'NOT_AN_OBJECT'],
      [{}, 'MISSING_KEY'],
      [{ tool: 1 }, 'WRONG_TYPE'],
      [{ tool: '/usr/bin/orca' }, 'ASSISTIVE_TOOL_INVALID'],
      [{ tool: 'orca' }, 'ASSISTIVE_TOOL_INVALID'],
      [{ tool: 'screen-reader', args: '--replace' }, 'EXTRA_KEY'],
    ];
    for (const [payload, code] of cases) {
      assert.throws(
        () => validateCall('startAssistiveTool', payload),
        (error: unknown) => error instanceof IpcValidationError && error.code === code,
        JSON.stringify(payload),
      );
    }
  });

  for (const mode of ['login', 'unlock'] as const) {
    it(`${mode} screen: offers installed tools, starts one instance without arguments, stops it on close`, async () => {
      const dir = fresh();
      const orca = fakeTool(dir, 'orca-for-test');
      writeFileSync(join(dir, 'keyboard'), 'XKBLAYOUT="us,fr"\n');
      const options: GreeterBackendOptions = {
        mode,
        locale: 'en',
        host: 'dev-chromium',
        currentUser: mode === 'unlock' ? 'alice' : null,
        helperPath: '/nonexistent/bastion-pam-helper',
        stateDir: null,
        log: () => undefined,
        screen: {
          policyPath: join(dir, 'none.conf'),
          keyboardPath: join(dir, 'keyboard'),
          sessionDirs: { x11: join(dir, 'x'), wayland: join(dir, 'w') },
          passwdPath: join(dir, 'passwd'),
        },
        assistivePaths: {
          'screen-reader': orca,
          'on-screen-keyboard': join(dir, 'onboard-absent'),
        },
      };
      const backend = createGreeterBackend(options);
      try {
        const screen = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
        assert.deepEqual(screen.assistiveTools, { screenReader: true, onScreenKeyboard: false });
        assert.deepEqual(screen.keyboardLayouts, [
          { layout: 'us', variant: '' },
          { layout: 'fr', variant: '' },
        ]);
        await assert.rejects(backend.handle('startAssistiveTool', { tool: 'on-screen-keyboard' }), {
          code: 'ASSISTIVE_TOOL_NOT_OFFERED',
        });
        await backend.handle('startAssistiveTool', { tool: 'screen-reader' });
        await until(() => runsOf(orca).length === 1, 'the tool to run');
        // Asked again while it runs: still one instance.
        await backend.handle('startAssistiveTool', { tool: 'screen-reader' });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const runs = runsOf(orca);
        assert.equal(runs.length, 1);
        const [pid, argc] = runs[0]!.split(' ').map(Number);
        assert.equal(argc, 0, 'started without arguments');
        assert.equal(alive(pid!), true);
        await backend.close();
        await until(() => !alive(pid!), 'the tool to stop on close');
      } finally {
        await backend.close();
      }
    });
  }

  it('a tool that exits may be started again', async () => {
    const dir = fresh();
    const path = join(dir, 'onboard-for-test');
    writeFileSync(path, `#!/bin/sh\necho "$$ $#" >> '${path}.runs'\n`, { mode: 0o755 });
    const launcher = new AssistiveLauncher({ 'on-screen-keyboard': path });
    await launcher.start('on-screen-keyboard');
    await until(() => !launcher.isRunning('on-screen-keyboard'), 'the tool to exit');
    await launcher.start('on-screen-keyboard');
    await until(() => runsOf(path).length === 2, 'the second run');
    launcher.close();
  });

  it('a tool that cannot be executed rejects and is not left as running', async () => {
    const dir = fresh();
    const launcher = new AssistiveLauncher({ 'screen-reader': join(dir, 'missing') });
    await assert.rejects(launcher.start('screen-reader'), /could not be started/);
    assert.equal(launcher.isRunning('screen-reader'), false);
  });
});
