// bastion-session-blanker (native-helper/bastion-session-blanker.c), its ASan + UBSan build, on
// a private Xvfb each (Xephyr inside one for a root window that changes size), against other X
// clients of the same display: native-helper/test/x11-probe.c (grabs, a managed window raised
// over it, a "terminal" typed at through XTEST, unmap and resize attacks). What the screen shows
// is read with xwd, the window's place with xwininfo. Under CI=true a missing tool fails.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { covers, rootGeometry, windowGeometry } from '../../main/lock/x11';
import { startXvfb, stopChild, type XvfbForTest } from '../../main/lock/test/fixtures';
import { brightPixels, grabRoot } from '../../main/lock/test/xwd';
import { SESSION_BLANKER_TEST_BUILD, X11_PROBE } from '../../testkit/paths';
import { findExecutable, requireOrSkip } from '../../testkit/require';

function whatIsMissing(): string | null {
  for (const tool of [SESSION_BLANKER_TEST_BUILD, X11_PROBE]) {
    if (!findExecutable(tool)) return `${tool} (make -C native-helper)`;
  }
  for (const tool of ['Xvfb', '/usr/bin/xwininfo', '/usr/bin/xwd']) {
    if (!findExecutable(tool)) return `${tool} (xvfb, x11-utils, x11-apps)`;
  }
  return null;
}
const missing = whatIsMissing();
const resizeMissing =
  findExecutable('/usr/bin/Xephyr') && findExecutable('/usr/bin/xrandr')
    ? null
    : 'Xephyr and xrandr (xserver-xephyr, x11-xserver-utils)';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lines of a child's stream, and a way to wait for one. */
class Lines {
  readonly all: string[] = [];
  private text = '';
  private waiters: (() => void)[] = [];
  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (chunk: Buffer) => {
      const parts = (this.text + chunk.toString('utf8')).split('\n');
      this.text = parts.pop()!;
      this.all.push(...parts);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }
  async waitFor(match: RegExp, ms: number, what: string): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.all.find((l) => match.test(l));
      if (found !== undefined) return found;
      const left = end - Date.now();
      if (left <= 0) assert.fail(`timed out waiting for ${what}; got: ${this.all.join(' | ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

interface Running {
  child: ChildProcess;
  out: Lines;
  err: Lines;
  exit: Promise<{ code: number | null; signal: string | null }>;
}

const started: ChildProcess[] = [];

function run(path: string, args: string[], display: string): Running {
  const child = spawn(path, args, {
    env: { DISPLAY: display, ASAN_OPTIONS: 'abort_on_error=0:exitcode=99' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: new Lines(child.stdout!), err: new Lines(child.stderr!), exit };
}

function probe(display: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(X11_PROBE, args, { env: { DISPLAY: display }, timeout: 10_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout.trim()),
    );
  });
}

async function startBlanker(display: string): Promise<Running & { window: string }> {
  const blanker = run(SESSION_BLANKER_TEST_BUILD, [], display);
  const line = await blanker.out.waitFor(/^ready /, 10_000, 'the ready line');
  const match = /^ready (0x[0-9a-f]+) grabbed=([01])$/.exec(line);
  assert.ok(match, line);
  return { ...blanker, window: match[1]! };
}

async function coversRoot(display: string, window: string): Promise<boolean> {
  const root = await rootGeometry({ display });
  const geometry = await windowGeometry({ display }, window);
  return root !== null && geometry !== null && covers(geometry, root);
}

const bright = async (display: string): Promise<number> => brightPixels(await grabRoot(display));

/** No sanitizer report, and a clean exit on SIGTERM. */
async function stopCleanly(blanker: Running): Promise<void> {
  blanker.child.kill('SIGTERM');
  const { code, signal } = await blanker.exit;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, blanker.err.all.join('\n'));
  assert.doesNotMatch(blanker.err.all.join('\n'), /Sanitizer|runtime error/);
}

describe('bastion-session-blanker (ASan + UBSan build, Xvfb)', { timeout: 120_000 }, () => {
  const servers: XvfbForTest[] = [];
  const xvfb = async (): Promise<string> => {
    const server = await startXvfb();
    servers.push(server);
    return server.display;
  };
  after(async () => {
    await Promise.allSettled(started.map((c) => stopChild(c)));
    await Promise.allSettled(servers.map((s) => s.stop()));
  });

  test('covers the root in black, holds both grabs (others get AlreadyGrabbed); SIGTERM → exit 0, screen back', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const display = await xvfb();
    assert.equal(await probe(display, 'grab'), 'keyboard=GrabSuccess pointer=GrabSuccess');
    assert.ok((await bright(display)) > 0, 'Xvfb shows its white root before');
    const t0 = Date.now();
    const blanker = await startBlanker(display);
    t.diagnostic(`start → ready: ${Date.now() - t0} ms`);
    assert.match(blanker.out.all[0]!, /grabbed=1$/);
    assert.ok(await coversRoot(display, blanker.window), 'xwininfo: mapped over the root');
    assert.equal(await bright(display), 0, 'every pixel black at the ready line');
    assert.equal(await probe(display, 'grab'), 'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed');
    const xwininfo = await new Promise<string>((resolve) =>
      execFile('/usr/bin/xwininfo', ['-id', blanker.window], { env: { DISPLAY: display } }, (_e, out) =>
        resolve(out),
      ),
    );
    assert.match(xwininfo, /Override Redirect State: yes/, 'no window manager manages it');
    await stopCleanly(blanker);
    assert.ok((await bright(display)) > 0, 'the session shows again once it is gone');
    assert.equal(await probe(display, 'grab'), 'keyboard=GrabSuccess pointer=GrabSuccess');
  });

  test('keys typed at the display (XTEST) reach no window under it; they do again once it is gone', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const display = await xvfb();
    const terminal = run(X11_PROBE, ['terminal'], display);
    await terminal.out.waitFor(/^focused$/, 5_000, 'the terminal stand-in');
    /** Types n keys through XTEST; resolves with how many keys the stand-in has received. */
    const type = async (n: number): Promise<number> => {
      const answers = (): string[] => terminal.out.all.filter((l) => l.startsWith('keys '));
      const before = answers().length;
      terminal.child.stdin!.write(`type ${n}\n`);
      const end = Date.now() + 5_000;
      while (answers().length === before && Date.now() < end) await sleep(20);
      assert.ok(answers().length > before, 'the stand-in answered');
      return Number(answers().at(-1)!.slice('keys '.length));
    };
    assert.equal(await type(3), 3, 'the stand-in does receive typed keys');
    const blanker = await startBlanker(display);
    assert.equal(await type(5), 3, 'no key reached the window under the blanker');
    // The focus given back to it (a window manager's focus change): only the grab stops keys.
    const focused = terminal.out.all.length;
    terminal.child.stdin!.write('focus\n');
    while (terminal.out.all.length === focused) await sleep(20);
    assert.equal(await type(4), 3, 'no key reached it with the focus either');
    await stopCleanly(blanker);
    assert.equal(await type(2), 5, 'keys reach it again once the blanker is gone');
    terminal.child.stdin!.end();
    assert.equal((await terminal.exit).code, 0);
  });

  test('a managed window raised over it (XRaiseWindow) is covered again within bounded time', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const display = await xvfb();
    const blanker = await startBlanker(display);
    const result = await probe(display, 'raise');
    const match = /^raised\nabove (0x[0-9a-f]+) (\d+)$/.exec(result);
    assert.ok(match, result);
    assert.equal(match[1], blanker.window, 'the blanker is on top again');
    t.diagnostic(`window raised over the blanker → blanker on top: ≤ ${match[2]} ms`);
    assert.ok(Number(match[2]) < 1_000, result);
    assert.equal(await bright(display), 0, 'the white window is hidden');
    await stopCleanly(blanker);
  });

  test('another client unmapping or resizing it: mapped, covering and grabbing again', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const display = await xvfb();
    const blanker = await startBlanker(display);
    for (const attack of ['unmap', 'shrink']) {
      const result = await probe(display, attack, blanker.window);
      assert.match(result, /^restored \d+$/, `${attack}: ${result}`);
      t.diagnostic(`${attack} → covering again: ${result.split(' ')[1]} ms`);
      assert.equal(await bright(display), 0);
    }
    // The unmap released its grabs (the X server does): reported, then held again.
    await blanker.out.waitFor(/^grabbed=1$/, 2_000, 'grabbed=1 after the remap');
    assert.deepEqual(blanker.out.all.slice(1), ['grabbed=0', 'grabbed=1']);
    assert.equal(await probe(display, 'grab'), 'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed');
    await stopCleanly(blanker);
  });

  test('a grab held by another client at start: covers anyway with grabbed=0, grabs once it is let go', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const display = await xvfb();
    const menu = run(X11_PROBE, ['hold'], display);
    await menu.out.waitFor(/^held$/, 5_000, 'the other client’s grab');
    const t0 = Date.now();
    const blanker = await startBlanker(display);
    const waited = Date.now() - t0;
    t.diagnostic(`ready with grabbed=0 after ${waited} ms`);
    assert.match(blanker.out.all[0]!, /grabbed=0$/);
    assert.ok(waited < 5_000);
    assert.ok(await coversRoot(display, blanker.window));
    assert.equal(await bright(display), 0, 'covered even without the grabs');
    assert.match(blanker.err.all.join('\n'), /keyboard grab: AlreadyGrabbed/);
    await sleep(300);
    assert.ok(!blanker.out.all.includes('grabbed=1'), 'still retrying while the grab is held');
    const released = Date.now();
    menu.child.stdin!.end();
    await menu.out.waitFor(/^released$/, 5_000, 'the release');
    await blanker.out.waitFor(/^grabbed=1$/, 2_000, 'grabbed=1');
    t.diagnostic(`other grab released → blanker grabbed: ${Date.now() - released} ms`);
    assert.equal(await probe(display, 'grab'), 'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed');
    await stopCleanly(blanker);
  });

  test('XKB grab:break_actions (Ctrl+Alt+KP_Divide through XTEST) breaks its grabs: taken again within 1.5 s, and said', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const display = await xvfb();
    // What `setxkbmap -option grab:break_actions` compiles to, set by the probe (this Xvfb drops
    // that interpret when loading a keymap by names; it does honour the action).
    assert.equal(await probe(display, 'break-actions'), 'installed');
    // The attack is real: a client that holds grabs and does nothing about it loses them.
    const menu = run(X11_PROBE, ['hold'], display);
    await menu.out.waitFor(/^held$/, 5_000, 'the other client’s grab');
    assert.equal(await probe(display, 'grab'), 'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed');
    assert.equal(await probe(display, 'break-grabs'), 'sent');
    assert.equal(await probe(display, 'grab'), 'keyboard=GrabSuccess pointer=GrabSuccess');
    menu.child.stdin!.end();
    await menu.exit;

    const blanker = await startBlanker(display);
    assert.match(blanker.out.all[0]!, /grabbed=1$/);
    for (let round = 0; round < 2; round++) {
      assert.equal(await probe(display, 'grab'), 'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed');
      const sent = Date.now();
      assert.equal(await probe(display, 'break-grabs'), 'sent');
      let answer = '';
      while (Date.now() - sent < 1_500) {
        answer = await probe(display, 'grab');
        if (answer === 'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed') break;
        await sleep(20);
      }
      t.diagnostic(`grabs broken → held by the blanker again: ${Date.now() - sent} ms (${answer})`);
      assert.equal(answer, 'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed', 'grabbed again');
    }
    // Told truthfully: each break is a grabbed=0 then grabbed=1.
    await blanker.out.waitFor(/^grabbed=1$/, 2_000, 'grabbed=1');
    assert.deepEqual(blanker.out.all.slice(1, 3), ['grabbed=0', 'grabbed=1']);
    assert.ok(await coversRoot(display, blanker.window));
    await stopCleanly(blanker);
  });

  test('forged (XSendEvent) UnmapNotify and DestroyNotify: still grabbing, still one window', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const display = await xvfb();
    const blanker = await startBlanker(display);
    assert.equal(await probe(display, 'forge', blanker.window), 'forged');
    await sleep(300);
    assert.deepEqual(blanker.out.all.slice(1), [], 'no grabbed=0: the grabs were never lost');
    const tree = await new Promise<string>((resolve) =>
      execFile('/usr/bin/xwininfo', ['-root', '-tree'], { env: { DISPLAY: display } }, (_e, out) =>
        resolve(out),
      ),
    );
    assert.equal(tree.match(/"bastion-session-blanker"/g)?.length, 1, tree);
    assert.ok(await coversRoot(display, blanker.window), 'the same window covers');
    assert.equal(await probe(display, 'grab'), 'keyboard=AlreadyGrabbed pointer=AlreadyGrabbed');
    await stopCleanly(blanker);
  });

  test('killed (SIGKILL): the focus goes nowhere (keys dropped) until the next one; a hide gives it back', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const display = await xvfb();
    const terminal = run(X11_PROBE, ['terminal'], display);
    await terminal.out.waitFor(/^focused$/, 5_000, 'the terminal stand-in');
    const type = async (n: number): Promise<number> => {
      const answers = (): string[] => terminal.out.all.filter((l) => l.startsWith('keys '));
      const before = answers().length;
      terminal.child.stdin!.write(`type ${n}\n`);
      const end = Date.now() + 5_000;
      while (answers().length === before && Date.now() < end) await sleep(20);
      assert.ok(answers().length > before, 'the stand-in answered');
      return Number(answers().at(-1)!.slice('keys '.length));
    };
    assert.equal(await type(1), 1);
    const first = await startBlanker(display);
    first.child.kill('SIGKILL');
    await first.exit;
    // The window under the pointer is the "terminal": a focus reverted to the root (or
    // PointerRoot) would hand it these keys.
    assert.equal(await type(3), 1, 'no key reached the session after the blanker died');
    const second = await startBlanker(display);
    assert.equal(await type(2), 1, 'nor while the next one holds the grabs');
    await stopCleanly(second);
    // Hidden (the unlock): the focus is given back (here PointerRoot, there being none before).
    assert.equal(await type(2), 3, 'keys reach the session again after a hide');
    terminal.child.stdin!.end();
    assert.equal((await terminal.exit).code, 0);
  });

  test('SIGHUP is ignored; the X server killed → the blanker exits', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const server = await startXvfb();
    servers.push(server);
    const blanker = await startBlanker(server.display);
    blanker.child.kill('SIGHUP');
    await sleep(300);
    assert.equal(blanker.child.exitCode, null, 'still up after SIGHUP');
    assert.equal(await bright(server.display), 0);
    await server.stop();
    const result = await Promise.race([blanker.exit, sleep(5_000).then(() => null)]);
    assert.deepEqual(result, { code: 1, signal: null }, blanker.err.all.join('\n'));
    assert.match(blanker.err.all.join('\n'), /the X connection ended/);
  });

  test('the root window resized (RandR, Xephyr): the blanker follows', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    if (!requireOrSkip(t, resizeMissing === null, resizeMissing ?? '')) return;
    const host = await xvfb();
    const xephyr = spawn(
      '/usr/bin/Xephyr',
      ['-displayfd', '3', '-screen', '640x480', '-resizeable', '-nolisten', 'tcp', '-wr'],
      { env: { DISPLAY: host }, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] },
    );
    started.push(xephyr);
    const display = await new Promise<string>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error('Xephyr did not start')), 10_000);
      xephyr.stdio[3]!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) {
          clearTimeout(timer);
          resolve(`:${text.trim()}`);
        }
      });
    });
    const blanker = await startBlanker(display);
    assert.equal(await bright(display), 0);
    for (const size of ['320x240', '800x600']) {
      await new Promise<void>((resolve, reject) =>
        execFile('/usr/bin/xrandr', ['-s', size], { env: { DISPLAY: display } }, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      const root = await rootGeometry({ display });
      assert.equal(`${root?.width}x${root?.height}`, size, 'the root window changed size');
      const end = Date.now() + 2_000;
      while (!(await coversRoot(display, blanker.window)) && Date.now() < end) await sleep(20);
      assert.ok(await coversRoot(display, blanker.window), `covers the ${size} root`);
      assert.equal(await bright(display), 0, `every pixel black at ${size}`);
    }
    await stopCleanly(blanker);
    await stopChild(xephyr);
  });
});
