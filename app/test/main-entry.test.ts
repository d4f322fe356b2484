// The bundled Electron entry (build/app/main.cjs, as packaged) run under Node with
// FakeElectronForTest in place of `electron` and the REAL backend of main/ behind it:
// config → backend → hardened window → IPC, end to end, without an Electron binary.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { CONTENT_SECURITY_POLICY, IPC } from '../../preload/api';
import { BUILD_DIR, REPO_ROOT } from '../../testkit/paths';
import { FakeBrowserWindowForTest, FakeElectronForTest } from './fake-electron';

/** Bundles app/main.ts exactly as scripts/build.mjs does, into memory. */
async function bundleMain(): Promise<string> {
  const result = await build({
    entryPoints: [join(REPO_ROOT, 'app/main.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['sodium-native', 'node-hid', 'cbor-extract', 'electron'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

interface EntryRun {
  electron: FakeElectronForTest;
  app: {
    calls: string[];
    handlers: Map<string, () => void>;
  };
  errors: string[];
  exit: Promise<number | undefined>;
}

async function runEntry(options: {
  uid: number;
  argv?: string[];
  env?: Record<string, string>;
}): Promise<EntryRun> {
  const code = await bundleMain();
  FakeBrowserWindowForTest.created.length = 0;
  const electron = new FakeElectronForTest();
  const calls: string[] = [];
  const handlers = new Map<string, () => void>();
  let exited: (code: number | undefined) => void = () => {};
  const exit = new Promise<number | undefined>((resolve) => (exited = resolve));
  const app = {
    requestSingleInstanceLock: () => (calls.push('requestSingleInstanceLock'), true),
    enableSandbox: () => calls.push('enableSandbox'),
    whenReady: () => {
      calls.push('whenReady');
      // From here on the stand-in, like Electron, refuses scheme privileges.
      electron.protocol.appReady = true;
      return Promise.resolve();
    },
    on: (event: string, handler: () => void) => handlers.set(event, handler),
    quit: () => {
      calls.push('quit');
      exited(0);
    },
    exit: (status: number) => calls.push(`exit(${status})`),
  };
  const errors: string[] = [];
  const fakeProcess = {
    argv: ['/opt/bastion-greeter/bastion-greeter', ...(options.argv ?? [])],
    env: options.env ?? {},
    getuid: () => options.uid,
    platform: process.platform,
    // Bundled dependencies (undici) read the runtime version at load.
    versions: process.versions,
    // Records the status; the entry does nothing after calling it.
    exit: (status?: number) => exited(status),
  };
  const nodeRequire = createRequire(join(BUILD_DIR, 'app', 'main.cjs'));
  const fakeRequire = (name: string): unknown =>
    name === 'electron'
      ? {
          app,
          BrowserWindow: electron.BrowserWindow,
          ipcMain: electron.ipcMain,
          protocol: electron.protocol,
          screen: electron.screen,
        }
      : nodeRequire(name);
  const consoleForTest = { ...console, error: (...args: unknown[]) => errors.push(args.join(' ')) };
  const module = { exports: {} };
  const run = new Function(
    'require',
    'module',
    'exports',
    '__dirname',
    '__filename',
    'process',
    'console',
    code,
  );
  run(
    fakeRequire,
    module,
    module.exports,
    join(BUILD_DIR, 'app'),
    join(BUILD_DIR, 'app', 'main.cjs'),
    fakeProcess,
    consoleForTest,
  );
  return { electron, app: { calls, handlers }, errors, exit };
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(predicate(), 'condition reached');
}

test('the entry opens one hardened window and serves the real backend over IPC', async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'bastion-entry-'));
  t.after(() => rmSync(state, { recursive: true, force: true }));
  const run = await runEntry({
    uid: 1000,
    argv: ['--bastion-locale=fr'],
    env: {
      BASTION_HELPER: '/nonexistent/helper',
      XDG_STATE_HOME: state,
      // The entry's logind client (main/power) gets a bus that does not exist: whatever this
      // test asks, nothing reaches the machine's system bus.
      DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/bastion-entry-test/system_bus_socket',
    },
  });
  await until(
    () =>
      FakeBrowserWindowForTest.created.length === 1 && run.electron.ipcMain.handlers.size === 15,
  );
  assert.deepEqual(run.app.calls.slice(0, 3), [
    'requestSingleInstanceLock',
    'enableSandbox',
    'whenReady',
  ]);
  const window = FakeBrowserWindowForTest.created[0]!;
  const prefs = window.options.webPreferences!;
  assert.equal(prefs.preload, join(BUILD_DIR, 'preload', 'index.cjs'));
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.contextIsolation, true);
  assert.equal(window.options.kiosk, true);
  assert.ok(existsSync(prefs.preload!), 'the preload the window points at is built');
  assert.ok(window.webContents.session.headersListener, 'CSP header installed');

  // app:// was declared privileged before ready (the stand-in throws after), and the page
  // is loaded from it, through the handler, from the built renderer directory.
  assert.equal(run.electron.protocol.privilegedSchemes.length, 1);
  assert.equal(run.electron.protocol.privilegedSchemes[0]![0]!.scheme, 'app');
  assert.equal(window.loadedUrl, 'app://greeter/index.html');
  assert.equal(window.webContents.mainFrame.url, 'app://greeter/index.html');
  const { protocol } = window.webContents.session;
  const page = await protocol.fetch(window.loadedUrl!);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('Content-Type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('Content-Security-Policy'), CONTENT_SECURITY_POLICY);
  // The entry serves the first paint (main/screens/first-paint.ts): the built index.html with
  // the screen's markup in #root and its data in a JSON block, the same head (CSP meta tag,
  // early.js, styles, app.js) and no other script.
  const served = Buffer.from(await page.arrayBuffer()).toString('utf8');
  const plain = readFileSync(join(BUILD_DIR, 'renderer', 'index.html'), 'utf8');
  const headOf = (html: string): string =>
    html.slice(html.indexOf('<meta charset'), html.indexOf('</head>'));
  assert.equal(headOf(served), headOf(plain));
  assert.match(served, /<script type="application\/json" id="[^"]+">/);
  assert.match(served, /data-testid="user"|data-testid="legal-notice"|data-testid="user-list"/);
  assert.equal((served.match(/<script\b/g) ?? []).length, 3, 'early.js, app.js, the data block');
  assert.equal((await protocol.fetch('app://greeter/app.js')).status, 200);
  // The built main bundle is one directory up: out of reach.
  assert.notEqual((await protocol.fetch('app://greeter/../app/main.cjs')).status, 200);
  assert.notEqual((await protocol.fetch('app://greeter/..%2fapp%2fmain.cjs')).status, 200);

  const trusted = { sender: window.webContents, senderFrame: window.webContents.mainFrame };
  const info = await run.electron.ipcMain.invoke(IPC.getInfo, trusted);
  assert.deepEqual(
    { ...(info as object), hostname: 'h' },
    {
      mode: 'login',
      hostname: 'h',
      currentUser: null,
      locale: 'fr',
      offline: false,
      host: 'electron',
    },
  );
  await assert.rejects(
    () => run.electron.ipcMain.invoke(IPC.startAuth, trusted, { user: 42 }),
    (error: unknown) => (error as { code?: string }).code === 'WRONG_TYPE',
  );

  run.app.handlers.get('window-all-closed')!();
  assert.equal(await run.exit, 0);
  assert.equal(run.electron.ipcMain.handlers.size, 0, 'handlers removed on close');
  // Serving the first paint asks logind which power actions to show; the bus given above does
  // not exist, so those answers are logged as failures (the actions are hidden) and nothing else.
  assert.deepEqual(
    run.errors.filter((line) => !/^bastion power: Can(Suspend|Reboot|PowerOff): /.test(line)),
    [],
  );
});

test('the entry refuses to run as root and stops on a bad configuration', async () => {
  const asRoot = await runEntry({ uid: 0, env: { BASTION_HELPER: '/h' } });
  assert.equal(await asRoot.exit, 1);
  assert.match(asRoot.errors.join('\n'), /refusing to run as root/);
  assert.equal(FakeBrowserWindowForTest.created.length, 0);

  const badMode = await runEntry({ uid: 1000, env: { BASTION_MODE: 'kiosk' } });
  assert.equal(await badMode.exit, 1);
  assert.match(badMode.errors.join('\n'), /mode must be login or unlock/);
  assert.equal(FakeBrowserWindowForTest.created.length, 0);

  const unlockWithoutUser = await runEntry({
    uid: 1000,
    env: { BASTION_MODE: 'unlock', BASTION_HELPER: '/h' },
  });
  assert.equal(await unlockWithoutUser.exit, 1);
  assert.match(unlockWithoutUser.errors.join('\n'), /current user/);
});
