#!/usr/bin/env node
// `npm start`: system packages, a full build, then the greeter.
//
// * With an Electron binary (node_modules/electron resolves to an existing executable, or
//   ELECTRON_OVERRIDE_DIST_PATH): Electron on build/app/main.cjs.
// * Without one (this machine: the release host is unreachable): the SAME main services in
//   Node behind the loopback, token-protected bridge of dev/, shown in the system Chromium.
//   This path runs the demo PAM stack (real libpam via pam_wrapper, the helper's test build)
//   under build/demo, with the demo users printed below.
// Knobs: BASTION_MODE=login|unlock, BASTION_LOCALE=en|fr, BASTION_START=chromium (use the
// fallback even where Electron exists).
// `npm start -- --keys`: the key manager (enrollment wizard) instead of the greeter; in the
// fallback its password is the demo's (`demo-pass` for you) and the keys file goes to
// build/demo/keys-home, never your real ~/.config/Yubico/u2f_keys.
// `npm start -- --tray`: the tray's status view; in the fallback its monitor is a demo
// stand-in (BASTION_DEV_TRAY_STATE=online|offline|portal-unreachable|expiring|locked-out picks
// the first scene, BASTION_DEV_TRAY_CYCLE_MS=<ms> cycles through them; "Retry now" goes online).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from './ensure-system.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const keysMode = process.argv.slice(2).includes('--keys');
const trayMode = process.argv.slice(2).includes('--tray');
process.chdir(root);

const DEMO_USERS = [
  ['demo', 'demo-pass', 'signs in (any other password: "Wrong user name or password")'],
  ['locked', 'any', 'offline cache says OFFLINE_ERROR:-6:240 → "Locked, 4:00 left", counting down'],
  [
    'offline',
    'offline-pass',
    'offline cache says OFFLINE_OK:<in 7 days> → signed in, "Cached login valid until …"',
  ],
  [
    'offline',
    '(anything else)',
    'offline cache says OFFLINE_ERROR:-8 → wrong password for offline sign-in',
  ],
  ['expired', 'any', 'offline cache says OFFLINE_ERROR:-5 → offline credentials expired'],
];

/**
 * Where `require('electron')` would point, without its side effect: on a missing binary the
 * electron package tries to download one, which cannot work offline and takes a while.
 */
function electronBinary() {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const candidates = [];
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    candidates.push(join(process.env.ELECTRON_OVERRIDE_DIST_PATH, relative));
  }
  if (existsSync(pathFile)) candidates.push(join(pkg, 'dist', relative));
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

function build() {
  const result = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('npm start: the build failed (see above).');
    process.exit(1);
  }
}

function runElectron(binary) {
  console.log(`Starting Electron (${binary}) on build/app/main.cjs`);
  const helper = join(root, 'native-helper', 'out', 'bastion-pam-helper');
  console.log(
    'Real logins need the helper installed: its socket unit (resources/systemd/, tried first)\n' +
      'or setuid root (README). The pam_wrapper demo users run in the Chromium fallback:\n' +
      'BASTION_START=chromium npm start',
  );
  const args = keysMode ? ['--keys'] : trayMode ? ['--tray'] : ['--windowed'];
  const child = spawn(binary, [join(root, 'build', 'app', 'main.cjs'), ...args], {
    stdio: 'inherit',
    env: { ...process.env, BASTION_HELPER: process.env.BASTION_HELPER ?? helper },
  });
  child.on('exit', (code) => process.exit(code ?? 1));
}

function printDemoUsers() {
  console.log('\nDemo users (real PAM stack through pam_wrapper, build/demo/pam):');
  for (const [user, password, what] of DEMO_USERS) {
    console.log(`  ${user.padEnd(8)} ${password.padEnd(16)} ${what}`);
  }
  console.log('');
}

/** A 0600 page in a 0700 dir that forwards to the URL, so the token stays out of argv. */
function writeLauncherPage(url) {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-start-'));
  const page = join(dir, 'open.html');
  const escaped = url.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  writeFileSync(
    page,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escaped}"><title>Bastion Greeter</title>\n`,
    { mode: 0o600 },
  );
  return { dir, page };
}

async function runChromiumFallback() {
  console.log(
    '\nElectron binary not available here; running the same app in the system Chromium.\n',
  );
  const helper = join(root, 'native-helper', 'test-only-builds', 'test-build-pam-helper-asan');
  if (!existsSync(helper)) {
    console.error(`npm start: ${helper} is missing (make -C native-helper).`);
    process.exit(1);
  }
  const server = spawn(process.execPath, [join(root, 'build', 'dev', 'server.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      BASTION_HELPER: helper,
      BASTION_DEV_DEMO_DIR: join(root, 'build', 'demo'),
      ...(keysMode ? { BASTION_DEV_KEYS: '1' } : {}),
      ...(trayMode && !keysMode ? { BASTION_DEV_TRAY: '1' } : {}),
    },
  });
  const children = [server];
  const tempDirs = [];
  let stopping = false;
  // Ends what this script started, waits for it (Chromium writes into its profile while it
  // shuts down), then removes the temporary dirs.
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      running.map(
        (child) =>
          new Promise((resolve) => {
            const force = setTimeout(() => child.kill('SIGKILL'), 3000);
            child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => void stop(0));
  server.on('exit', (code) => {
    if (stopping) return;
    console.error(`npm start: the dev server exited (${code}).`);
    void stop(code ?? 1);
  });

  const url = await new Promise((resolve) => {
    const lines = createInterface({ input: server.stdout });
    lines.on('line', (line) => {
      const match = /^BASTION_DEV_URL (\S+)$/.exec(line);
      if (match) resolve(match[1]);
      else console.log(line);
    });
  });
  if (keysMode)
    console.log(
      '\nKey manager: your password here is the demo\'s, "demo-pass" (real PAM stack through\n' +
        'pam_wrapper); keys are written to build/demo/keys-home/.config/Yubico/u2f_keys.\n',
    );
  else if (trayMode)
    console.log(
      '\nTray status view: the monitor is a demo stand-in (no portal is probed).\n' +
        'BASTION_DEV_TRAY_STATE picks the scene, BASTION_DEV_TRAY_CYCLE_MS=5000 cycles them;\n' +
        '"Retry now" plays "the portal answered".\n',
    );
  else printDemoUsers();

  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) {
    const launcher = writeLauncherPage(url);
    const profile = mkdtempSync(join(tmpdir(), 'bastion-chromium-'));
    tempDirs.push(launcher.dir, profile);
    const args = [
      `--app=file://${launcher.page}`,
      `--user-data-dir=${profile}`,
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ];
    // HiDPI: Electron takes each display's scale itself; Chromium on X11 ignores GDK_SCALE, so
    // the fallback passes BASTION_SCALE (or GDK_SCALE) on, when it is a sane factor.
    const scale = Number(process.env.BASTION_SCALE || process.env.GDK_SCALE || '');
    if (scale >= 0.5 && scale <= 4) args.push(`--force-device-scale-factor=${scale}`);
    // Chromium refuses its sandbox as root; a root demo session must do without it.
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    console.log('Opening the greeter in Chromium; close its window (or press Ctrl-C) to stop.');
    const browser = spawn('/usr/bin/chromium', args, { stdio: 'ignore' });
    children.push(browser);
    browser.on('exit', () => void stop(0));
  } else {
    console.log('No display here (DISPLAY and WAYLAND_DISPLAY are unset). To view the greeter:');
    console.log(
      `  * open this URL in a browser on this machine (the token is in the #fragment):\n      ${url}`,
    );
    console.log('  * or run the whole thing on a virtual display:  xvfb-run -a npm start');
    console.log('    (and look at it with e.g. x11vnc, or take screenshots: npm test saves them');
    console.log('    under e2e/artifacts/)');
    console.log('Press Ctrl-C to stop.');
  }
}

// BASTION_START_PREBUILT=1: the caller (npm test's e2e) has just installed and built
// everything; rebuilding here would rewrite build/ under the other tests running beside it.
if (process.env.BASTION_START_PREBUILT !== '1') {
  ensureSystemPackages();
  build();
}
const binary = process.env.BASTION_START === 'chromium' ? null : electronBinary();
if (binary) runElectron(binary);
else await runChromiumFallback();
