// A real LightDM 1.26 for tests: `lightdm --test-mode` as a non-root test account, Xvfb,
// two private D-Bus buses, and a pam_wrapper/pam_matrix PAM stack preloaded into LightDM.
// The greeter LightDM launches is testkit/dm/lightdm-greeter-for-test.ts (bundled once per
// rig), which drives main/dm/lightdm; each greeter process LightDM starts plays the scenario
// the test wrote for it and reports JSON lines to a file read here.
//
// Installs nothing (scripts/setup-system.sh does); as root it creates the two test accounts
// if missing and drops to the first with setpriv. Every process it starts is stopped by PID,
// bounded in time; leftovers are found by a per-rig token in their environment.
//
// PAM stack (one for the whole daemon, parts switched on by files the test creates, since
// pam_wrapper copies service files once at start): `pam_exec /usr/bin/test -e <mode file>`
// lines jump over the optional parts.
//   default:                 password prompt (pam_matrix), LOGIN_PASS
//   mode 'offline-info':     pam_exec stdout prints OFFLINE_ERROR:-6:30 first
//   mode 'two-prompt':       info, visible OTP prompt, info, secret password prompt
//   mode 'hold-session':     the session stays up (lock tests) instead of ending at once
//   mode 'expired':          pam_acct_mgmt says PAM_NEW_AUTHTOK_REQD until the password was
//                            changed (native-helper/out/pam_probe.so `expired=FILE`, which
//                            also asks for the new password in the password stack)
//
// `greeterCommand` replaces the test greeter with another command line (e2e/dm-lightdm.test.ts
// runs the project's Chromium-fallback main process); it gets BASTION_RIG_DIR and LightDM's
// environment. `logindMock` (python3-dbusmock's logind on the rig's system bus), `sessionHook`
// and `sessionHoldSeconds` serve the lock-safety test (e2e/dm-lock-safety.test.ts).
// `keyAuthfile` puts presence-only pam_u2f (`sufficient`, `cue`) before the password, as
// README.md advises sites under a display manager, and `fakeHidrawDir` preloads the fake-hidraw
// shim beside pam_wrapper so that pam_u2f in LightDM's session child reaches the software keys
// (e2e/dm-lightdm-key.test.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FAKE_HIDRAW_SO } from '../fido2/fake-hidraw-rig';
import { PAM_MATRIX, PAM_WRAPPER_LIB, hasPamWrapper } from '../pam-stack';
import { HELPER_OUT, REPO_ROOT } from '../paths';
import { fileExists, findExecutable } from '../require';

export const DM_USER = 'bastion-dm-test';
export const LOGIN_USER = 'bastion-dm-user';
export const LOGIN_PASS = 'userpass1';
export const OTP = '424242';
export const TEST_SESSION = 'bastion-test-session';

export type RigMode = 'offline-info' | 'two-prompt' | 'hold-session' | 'expired';

/** One step of a greeter run (see lightdm-greeter-for-test.ts). */
export type GreeterStep =
  | { op: 'login'; user: string; answers?: string[]; cancelAtPrompt?: boolean }
  | { op: 'start_session'; name: string }
  | { op: 'wait_reset' }
  | { op: 'wait_idle' };

export interface GreeterScenario {
  resettable: boolean;
  steps: GreeterStep[];
}

/** One JSON line of the greeter's report. */
export interface GreeterReport {
  run: number;
  pid: number;
  t: number;
  ev: string;
  [key: string]: unknown;
}

export interface LightdmRig {
  dir: string;
  /** Writes the scenario of the next greeter process; returns its run number. */
  queueRun(scenario: GreeterScenario): number;
  /** Report lines of one run (all runs without an argument). */
  reports(run?: number): GreeterReport[];
  /** Waits until a report line of `run` matches. */
  waitFor(
    run: number,
    match: (r: GreeterReport) => boolean,
    timeoutMs?: number,
  ): Promise<GreeterReport>;
  /** pam_probe's marker: written once the expired password was changed ('expired' mode). */
  passwordChangedFile: string;
  /** Session script starts so far (one line each: "<time> USER=<name>"). */
  sessionStarts(): string[];
  waitSessionStarts(count: number, timeoutMs?: number): Promise<string[]>;
  setMode(mode: RigMode, on: boolean): void;
  /** org.freedesktop.DisplayManager.Seat.Lock on the private session bus (what dm-tool lock does). */
  lock(): Promise<void>;
  /**
   * `busctl --json=short call` on the rig's system bus, as the rig's account (the logind mock
   * of `logindMock`); returns busctl's JSON output.
   */
  systemBusCall(
    dest: string,
    path: string,
    iface: string,
    method: string,
    args?: string[],
  ): Promise<string>;
  /** LightDM's own log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const LIGHTDM = '/usr/sbin/lightdm';
const PATH_ENV = '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';
const GREETER_ENTRY = join(REPO_ROOT, 'testkit/dm/lightdm-greeter-for-test.ts');
const PAM_PROBE = join(HELPER_OUT, 'pam_probe.so');
export const PAM_U2F = '/lib/x86_64-linux-gnu/security/pam_u2f.so';
/** pam_u2f's origin and appid in the rig's stack (`keyAuthfile`). */
export const KEY_ORIGIN = 'pam://bastion';

export interface LightdmRigOptions {
  /**
   * The greeter's command line (shell words, run by the rig's wrapper with `exec`) instead of
   * the bundled test greeter; it must be readable and runnable by the rig's LightDM account.
   */
  greeterCommand?: string;
  /**
   * Runs python3-dbusmock's logind template on the rig's system bus (as the rig's account):
   * test-mode LightDM talks to no logind, so the session locker's logind is this mock, whose
   * sessions the test adds and whose Lock/Unlock signals it emits (`systemBusCall`).
   */
  logindMock?: boolean;
  /**
   * A command the session script starts in the background with the session's environment
   * (DISPLAY, XAUTHORITY, XDG_SEAT_PATH, XDG_SESSION_PATH from LightDM) plus the rig's bus
   * addresses (DBUS_SYSTEM_BUS_ADDRESS, DBUS_SESSION_BUS_ADDRESS, where test-mode LightDM
   * serves its D-Bus API); it must be runnable by the rig's account.
   */
  sessionHook?: string;
  /** How long a 'hold-session' session stays up, in seconds (default 60). */
  sessionHoldSeconds?: number;
  /**
   * pam_u2f's mapping: adds `auth sufficient pam_u2f.so authfile=<it> origin=/appid=KEY_ORIGIN
   * cue` before the password (presence only: no PIN or UV option, which the one conversation
   * LightDM carries could only answer with the typed password). pam_u2f accepts a file owned
   * by the person or root only, and LightDM's session child, as the rig's account, reads it.
   */
  keyAuthfile?: string;
  /**
   * With `keyAuthfile`: pam_bastion_method.so (native-helper/out) wrapping pam_u2f on its line
   * (it asks first; only "key" runs pam_u2f): the greeter's method route
   * (main/auth/method-route.ts) then takes turns between the key and the password on
   * LightDM's one conversation, PINs included.
   */
  keyMethodModule?: string;
  /**
   * A FakeHidrawRig's dir (testkit/fido2/fake-hidraw-rig.ts): its shim is preloaded into
   * LightDM beside pam_wrapper (its session children run PAM), and as root the dir is handed
   * to the rig's account, as whom they open the devices.
   */
  fakeHidrawDir?: string;
}

/** What is missing to run the rig here, or null. */
export function lightdmRigMissing(): string | null {
  const missing: string[] = [];
  if (!fileExists(LIGHTDM)) missing.push('lightdm');
  if (!findExecutable('Xvfb')) missing.push('xvfb');
  if (!findExecutable('dbus-daemon')) missing.push('dbus-daemon');
  if (!findExecutable('dbus-send')) missing.push('dbus-bin');
  if (!hasPamWrapper()) missing.push('libpam-wrapper');
  if (process.getuid?.() === 0 && !findExecutable('setpriv')) missing.push('util-linux (setpriv)');
  if (process.getuid?.() !== 0 && !accountExists(LOGIN_USER)) {
    missing.push(`the account ${LOGIN_USER} (created by the rig when run as root)`);
  }
  return missing.length === 0 ? null : missing.join(', ');
}

function accountExists(name: string): boolean {
  return readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some((line) => line.startsWith(`${name}:`));
}

function ids(name: string): { uid: number; gid: number; home: string } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no account ${name}`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
}

function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${error.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Creates the two test accounts if missing (root only; idempotent, tolerant of a race). */
async function ensureAccounts(): Promise<void> {
  for (const name of [DM_USER, LOGIN_USER]) {
    if (accountExists(name)) continue;
    try {
      await run('useradd', ['-m', '-s', '/bin/sh', name]);
    } catch (error) {
      if (!accountExists(name)) throw error;
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil<T>(probe: () => T | null, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (!done) {
    child.kill('SIGKILL');
    await exited(child);
  }
}

/** Processes whose environment carries this rig's token (LightDM's children, orphans too). */
function tokenProcesses(token: string): number[] {
  const needle = Buffer.from(`BASTION_RIG_ID=${token}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * pam_wrapper copies the PAM service files into /tmp/pam.<c> for each process that loads it
 * (LightDM's session children) and leaves the copy when that process is killed. Removed here:
 * the copies owned by the rig's account whose process (its `pid` file) is gone.
 */
function removeStalePamWrapperDirs(uid: number): void {
  for (const entry of readdirSync('/tmp')) {
    if (!/^pam\.[0-9A-Za-z]$/.test(entry)) continue;
    const dir = join('/tmp', entry);
    try {
      if (statSync(dir).uid !== uid) continue;
      const pid = Number(readFileSync(join(dir, 'pid'), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`)) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // gone meanwhile, or not a copy of pam_wrapper's
    }
  }
}

/**
 * The rig's PAM stack for files in `r` (passdb, passdb-otp, mode-*); exported for the bench
 * (bench/dm.bench.ts), which runs the same stack through the helper for comparison.
 */
export function lightdmRigPamStack(
  r: string,
  keyAuthfile?: string,
  keyMethodModule?: string,
): string {
  const test = (mode: string): string => `pam_exec.so quiet /usr/bin/test -e ${r}/mode-${mode}`;
  // Only where the test module is built (make -C native-helper): a missing module would make
  // libpam refuse the whole stack.
  const probe = fileExists(PAM_PROBE) ? `${PAM_PROBE} expired=${r}/password-changed` : null;
  const expiredAccount = probe
    ? [`account  [success=ok default=1] ${test('expired')}`, `account  required  ${probe}`]
    : [];
  const expiredPassword = probe
    ? [
        `password [success=ok default=1] ${test('expired')}`,
        `password [success=done default=die] ${probe}`,
      ]
    : [];
  // First after nologin, so the skip counts of the lines below stay as they are.
  const key = keyAuthfile === undefined ? [] : [keyAuthLine(keyAuthfile, keyMethodModule)];
  return [
    'auth     requisite pam_nologin.so',
    ...key,
    `auth     [success=ok default=1] ${test('offline-info')}`,
    'auth     optional  pam_exec.so stdout /bin/echo OFFLINE_ERROR:-6:30',
    `auth     [success=ok default=4] ${test('two-prompt')}`,
    'auth     optional  pam_echo.so First factor: one-time code for %u',
    `auth     required  ${PAM_MATRIX} passdb=${r}/passdb-otp echo`,
    'auth     optional  pam_echo.so Second factor: password',
    `auth     [success=1 default=die] ${PAM_MATRIX} passdb=${r}/passdb`,
    `auth     required  ${PAM_MATRIX} passdb=${r}/passdb`,
    ...expiredAccount,
    `account  required  ${PAM_MATRIX} passdb=${r}/passdb`,
    ...expiredPassword,
    `password required  ${PAM_MATRIX} passdb=${r}/passdb`,
    'session  required  pam_permit.so',
    '',
  ].join('\n');
}

/**
 * The rigs' security-key line (LightDM's and greetd's): presence-only pam_u2f with `authfile`,
 * KEY_ORIGIN and `cue`, wrapped by pam_bastion_method when `methodModule` is given.
 */
export function keyAuthLine(authfile: string, methodModule?: string): string {
  const wrapper = methodModule === undefined ? '' : `${methodModule} `;
  return `auth     sufficient ${wrapper}${PAM_U2F} authfile=${authfile} origin=${KEY_ORIGIN} appid=${KEY_ORIGIN} cue`;
}

/** chown -R: `path` and everything below it, for a rig's account. */
export function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory())
    for (const e of readdirSync(path)) chownTree(join(path, e), uid, gid);
}

export async function startLightdmRig(options: LightdmRigOptions = {}): Promise<LightdmRig> {
  const root = process.getuid?.() === 0;
  if (root) await ensureAccounts();
  const dmUser = root ? DM_USER : (process.env.USER ?? 'nobody');
  const dm = root
    ? ids(DM_USER)
    : { uid: process.getuid!(), gid: process.getgid!(), home: process.env.HOME ?? '/' };
  const token = randomBytes(8).toString('hex');
  const r = mkdtempSync(join(tmpdir(), 'bastion-lightdm-'));
  chmodSync(r, 0o755);
  for (const d of ['pam.d', 'greeters', 'sessions', 'run', 'log', 'cache']) mkdirSync(join(r, d));
  const write = (name: string, body: string, mode = 0o644): void =>
    writeFileSync(join(r, name), body, { mode });

  write('passdb', `${LOGIN_USER}:${LOGIN_PASS}:lightdm\n`, 0o600);
  write('passdb-otp', `${LOGIN_USER}:${OTP}:lightdm\n`, 0o600);
  write('pam.d/lightdm', lightdmRigPamStack(r, options.keyAuthfile, options.keyMethodModule));
  write(
    'pam.d/lightdm-greeter',
    'auth required pam_permit.so\naccount required pam_permit.so\npassword required pam_deny.so\nsession required pam_permit.so\n',
  );
  write(
    'pam.d/lightdm-autologin',
    'auth required pam_deny.so\naccount required pam_deny.so\nsession required pam_permit.so\n',
  );
  if (options.greeterCommand === undefined) {
    await build({
      entryPoints: [GREETER_ENTRY],
      outfile: join(r, 'greeter.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
    });
  }
  // LightDM builds the greeter's environment from scratch: the wrapper adds ours, and keeps
  // pam_wrapper (preloaded into LightDM for PAM only) out of the greeter and the session.
  write(
    'greeter-wrapper.sh',
    `#!/bin/sh
export BASTION_RIG_DIR=${r} BASTION_RIG_ID=${token}
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=${r}/system_bus_socket
unset LD_PRELOAD
exec ${options.greeterCommand ?? `${process.execPath} ${r}/greeter.mjs`} 2>>${r}/greeter.stderr
`,
    0o755,
  );
  write(
    'greeters/bastion-test-greeter.desktop',
    `[Desktop Entry]\nName=Bastion test greeter\nExec=${r}/greeter-wrapper.sh\nType=Application\n`,
  );
  write(
    'session.sh',
    `#!/bin/sh
echo "$(date +%s.%N) USER=$USER" >> ${r}/session-starts
${
  options.sessionHook === undefined
    ? ''
    : `DBUS_SYSTEM_BUS_ADDRESS=unix:path=${r}/system_bus_socket DBUS_SESSION_BUS_ADDRESS=unix:path=${r}/session_bus_socket ${options.sessionHook} &\n`
}if [ -e ${r}/mode-hold-session ]; then exec sleep ${options.sessionHoldSeconds ?? 60}; fi
exec sleep 0.1
`,
    0o755,
  );
  write(
    'session-wrapper.sh',
    `#!/bin/sh\nexport BASTION_RIG_ID=${token}\nunset LD_PRELOAD\nexec "$@"\n`,
    0o755,
  );
  write(
    `sessions/${TEST_SESSION}.desktop`,
    `[Desktop Entry]\nName=Bastion test session\nExec=${r}/session.sh\nType=Application\n`,
  );
  write(
    'lightdm.conf',
    `[LightDM]
greeters-directory=${r}/greeters
sessions-directory=${r}/sessions
user-authority-in-system-dir=true
minimum-display-number=60
[Seat:*]
greeter-session=bastion-test-greeter
user-session=${TEST_SESSION}
session-wrapper=${r}/session-wrapper.sh
xserver-command=Xvfb -screen 0 640x480x24
greeter-hide-users=false
`,
  );
  if (root) {
    chownTree(r, dm.uid, dm.gid);
    if (options.fakeHidrawDir !== undefined) chownTree(options.fakeHidrawDir, dm.uid, dm.gid);
  }

  const children: ChildProcess[] = [];
  const env = [
    `PATH=${PATH_ENV}`,
    `HOME=${dm.home}`,
    `USER=${dmUser}`,
    `LOGNAME=${dmUser}`,
    'LANG=C.UTF-8',
    `BASTION_RIG_ID=${token}`,
  ];
  const asDm = (extra: string[], cmd: string[]): string[] =>
    root
      ? [
          'setpriv',
          `--reuid=${dm.uid}`,
          `--regid=${dm.gid}`,
          '--init-groups',
          '--',
          'env',
          '-i',
          ...env,
          ...extra,
          ...cmd,
        ]
      : ['env', '-i', ...env, ...extra, ...cmd];
  const startBg = (name: string, argv: string[]): ChildProcess => {
    const out = join(r, 'log', `${name}.out`);
    writeFileSync(out, '');
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      try {
        writeFileSync(out, chunk, { flag: 'a' });
      } catch {
        // the rig dir is gone
      }
    });
    children.push(child);
    return child;
  };

  const stop = async (): Promise<void> => {
    // LightDM stops its X servers, greeters and sessions on SIGTERM.
    for (const child of [...children].reverse()) await stopChild(child, 5_000);
    const left = tokenProcesses(token);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeStalePamWrapperDirs(dm.uid);
    rmSync(r, { recursive: true, force: true });
  };

  try {
    const bus = (name: string): string[] =>
      asDm(
        [],
        [
          'dbus-daemon',
          '--nofork',
          '--nopidfile',
          '--config-file=/usr/share/dbus-1/session.conf',
          `--address=unix:path=${r}/${name}_bus_socket`,
        ],
      );
    startBg('sysbus', bus('system'));
    startBg('sessbus', bus('session'));
    await waitUntil(
      () =>
        existsSync(join(r, 'system_bus_socket')) && existsSync(join(r, 'session_bus_socket'))
          ? true
          : null,
      5_000,
      'the private D-Bus buses',
    );
    const lightdm = startBg(
      'lightdm',
      asDm(
        [
          `DBUS_SESSION_BUS_ADDRESS=unix:path=${r}/session_bus_socket`,
          `DBUS_SYSTEM_BUS_ADDRESS=unix:path=${r}/system_bus_socket`,
          options.fakeHidrawDir === undefined
            ? `LD_PRELOAD=${PAM_WRAPPER_LIB}`
            : `LD_PRELOAD=${PAM_WRAPPER_LIB} ${FAKE_HIDRAW_SO}`,
          ...(options.fakeHidrawDir === undefined
            ? []
            : [`BASTION_FAKE_HIDRAW_DIR=${options.fakeHidrawDir}`]),
          'PAM_WRAPPER=1',
          `PAM_WRAPPER_SERVICE_DIR=${r}/pam.d`,
        ],
        [
          LIGHTDM,
          '--test-mode',
          '--debug',
          '-c',
          `${r}/lightdm.conf`,
          '--pid-file',
          `${r}/run/lightdm.pid`,
          '--run-dir',
          `${r}/run`,
          '--log-dir',
          `${r}/log`,
          '--cache-dir',
          `${r}/cache`,
        ],
      ),
    );
    if (options.logindMock) {
      startBg(
        'logind-mock',
        asDm(
          [`DBUS_SYSTEM_BUS_ADDRESS=unix:path=${r}/system_bus_socket`],
          ['/usr/bin/python3', '-m', 'dbusmock', '--system', '-t', 'logind'],
        ),
      );
    }
    lightdm.once('exit', (code, signal) => {
      writeFileSync(join(r, 'log', 'lightdm.exit'), `${code} ${signal}\n`);
    });
  } catch (error) {
    await stop();
    throw error;
  }

  let nextRun = 0;
  const reports = (runNumber?: number): GreeterReport[] => {
    let text = '';
    try {
      text = readFileSync(join(r, 'greeter.jsonl'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as GreeterReport)
      .filter((x) => runNumber === undefined || x.run === runNumber);
  };
  const log = (): string => {
    const read = (p: string): string => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return '';
      }
    };
    return [
      read(join(r, 'log', 'lightdm.log'))
        .split('\n')
        .slice(-40)
        .join('\n'),
      read(join(r, 'greeter.stderr')),
    ].join('\n--- greeter stderr ---\n');
  };
  const sessionStarts = (): string[] => {
    try {
      return readFileSync(join(r, 'session-starts'), 'utf8')
        .split('\n')
        .filter((l) => l !== '');
    } catch {
      return [];
    }
  };

  return {
    dir: r,
    queueRun(scenario) {
      const n = nextRun;
      nextRun += 1;
      const path = join(r, `scenario-${n}.json`);
      writeFileSync(`${path}.tmp`, JSON.stringify(scenario));
      // renamed into place: the greeter polls for the file and must never read half of it
      renameSync(`${path}.tmp`, path);
      return n;
    },
    reports,
    passwordChangedFile: join(r, 'password-changed'),
    async waitFor(runNumber, match, timeoutMs = 10_000) {
      try {
        return await waitUntil(
          () => reports(runNumber).find(match) ?? null,
          timeoutMs,
          `a report of greeter run ${runNumber}`,
        );
      } catch (error) {
        throw new Error(
          `${(error as Error).message}\nreports: ${JSON.stringify(reports(runNumber))}\n${log()}`,
        );
      }
    },
    sessionStarts,
    waitSessionStarts(count, timeoutMs = 10_000) {
      return waitUntil(
        () => (sessionStarts().length >= count ? sessionStarts() : null),
        timeoutMs,
        `${count} session start(s)`,
      );
    },
    setMode(mode, on) {
      const path = join(r, `mode-${mode}`);
      // A new expiry each time: the password has not been changed yet.
      if (mode === 'expired' && on) rmSync(join(r, 'password-changed'), { force: true });
      if (on) writeFileSync(path, '');
      else rmSync(path, { force: true });
    },
    async lock() {
      const argv = asDm(
        [`DBUS_SESSION_BUS_ADDRESS=unix:path=${r}/session_bus_socket`],
        [
          'dbus-send',
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.DisplayManager',
          '/org/freedesktop/DisplayManager/Seat0',
          'org.freedesktop.DisplayManager.Seat.Lock',
        ],
      );
      await run(argv[0]!, argv.slice(1), 5_000);
    },
    async systemBusCall(dest, path, iface, method, args = []) {
      const argv = asDm(
        [`DBUS_SYSTEM_BUS_ADDRESS=unix:path=${r}/system_bus_socket`],
        ['busctl', '--system', '--json=short', 'call', dest, path, iface, method, ...args],
      );
      return run(argv[0]!, argv.slice(1), 5_000);
    },
    log,
    stop,
  };
}
