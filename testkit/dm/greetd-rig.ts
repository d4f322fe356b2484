// Real greetd 0.9 for tests (root only), as verified in ../../../shared/REFERENCES.md
// ("Real daemons"): `[terminal] vt = "none"` (no kernel VT needed; the greeter inherits
// greetd's stdin/stdout), and a private /etc/pam.d bind-mounted in a private mount namespace
// (`unshare --mount --propagation private`), so the host's PAM files are never touched and
// the mount vanishes with greetd. The PAM stack is pam_matrix (passdb service field `greetd`).
//
// greetd always uses the `greetd` PAM service and `/run/greetd-<pid>.sock`; it runs the
// greeter as `_greetd` with HOME=/etc/greetd, so the greeter (testkit/dm/
// greetd-greeter-for-test.ts, driving main/dm/greetd) is bundled into a world-readable file.
// It starts the session only after the greeter exits, and exits itself when a greeter quits
// without a login. Everything runs under reap-run.py (a child subreaper: no zombie, nothing
// left behind) and is stopped by PID, bounded in time.
//
// `greeterCommand` runs another greeter (e2e/dm-greetd.test.ts: the project's Chromium-fallback
// main process); it gets BASTION_RIG_DIR, BASTION_GREETER_LOG and BASTION_GREETER_SCENARIO and
// must append a `{"ev":"start",…,"env":{"GREETD_SOCK":…}}` line to the log once it runs. The
// rig offers its session script as a desktop session too: `sessions/bastion-test-session.desktop`
// (Exec=<session script> from-desktop-file).
//
// `keyAuthfile` (+ `keyMethodModule`) puts pam_u2f (wrapped by pam_bastion_method, which asks
// first) before the password, as the LightDM rig does (lightdm-rig.ts), and `fakeHidrawDir` preloads the
// fake-hidraw shim into greetd: its session worker is greetd's own binary exec'd with
// greetd's environment (greetd 0.9 session/interface.rs: fork + execv) and runs PAM as root,
// so pam_u2f's libfido2 there reaches the software keys. The greeter and the session get
// their environment from PAM (execve with pam_getenvlist), so the shim stays out of them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAM_MATRIX } from '../pam-stack';
import { HELPER_OUT } from '../paths';
import { fileExists, findExecutable } from '../require';
import { FAKE_HIDRAW_SO } from '../fido2/fake-hidraw-rig';
import { chownTree, KEY_ORIGIN, keyAuthLine, PAM_U2F } from './lightdm-rig';

export { KEY_ORIGIN, PAM_U2F };

const HERE = dirname(fileURLToPath(import.meta.url));
const REAP_RUN = join(HERE, 'reap-run.py');
const GREETER_SOURCE = join(HERE, 'greetd-greeter-for-test.ts');
const PYTHON = '/usr/bin/python3';
const PAM_PROBE = join(HELPER_OUT, 'pam_probe.so');
/** The desktop session the rig offers (its session script), in `<dir>/sessions`. */
export const TEST_SESSION = 'bastion-test-session';

export const GREETD = findExecutable('/usr/sbin/greetd');
export const GREETER_USER = '_greetd';
/** The account logged in (shared with the LightDM rig; created if missing). */
export const LOGIN_USER = 'bastion-dm-user';
export const LOGIN_PASSWORD = 'userpass1';
export const OTP = '424242';

/** Why this machine cannot run the rig, or null. */
export function greetdRigMissing(): string | null {
  if (process.getuid?.() !== 0) return 'root (greetd runs as root)';
  if (!GREETD) return 'greetd (Debian package greetd)';
  if (!findExecutable('unshare') || !findExecutable('mount')) return 'unshare/mount (util-linux)';
  if (!fileExists(PAM_MATRIX)) return 'pam_matrix (libpam-wrapper)';
  if (!fileExists(PYTHON)) return PYTHON;
  if (spawnSync('id', ['-u', GREETER_USER]).status !== 0) return `the ${GREETER_USER} account`;
  return null;
}

function idOf(flag: '-u' | '-g', user: string): number {
  const out = spawnSync('id', [flag, user], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`no account ${user}`);
  return Number(out.stdout.trim());
}

/** Creates the login account if missing (idempotent); returns its uid. */
export function ensureLoginUser(): number {
  if (spawnSync('id', ['-u', LOGIN_USER]).status !== 0) {
    const made = spawnSync('useradd', ['-m', '-s', '/bin/bash', LOGIN_USER], { encoding: 'utf8' });
    // Another rig may have created it meanwhile: only a still-missing account is an error.
    if (made.status !== 0 && spawnSync('id', ['-u', LOGIN_USER]).status !== 0) {
      throw new Error(`useradd ${LOGIN_USER} failed: ${made.stderr}`);
    }
  }
  return idOf('-u', LOGIN_USER);
}

/** Bundles the test greeter (and main/dm/greetd) into a file any account can read and run. */
export async function bundleGreeter(): Promise<{ file: string; cleanup(): void }> {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'bastion-greetd-greeter-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'greeter.mjs');
  await build({
    entryPoints: [GREETER_SOURCE],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
  chmodSync(file, 0o644);
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type PamStackName = 'matrix' | 'two-prompt' | 'offline-info' | 'account-denied' | 'expired';

function pamStack(name: PamStackName, dir: string): string {
  const passdb = `${MATRIX_ARGS(dir, 'passdb')}`;
  const account = `account  required  ${passdb}\n`;
  const session = 'session  required  pam_env.so readenv=1\nsession  required  pam_unix.so\n';
  switch (name) {
    case 'matrix':
      return `auth     requisite pam_nologin.so\nauth     required  ${passdb}\n${account}${session}`;
    case 'two-prompt':
      return (
        'auth     requisite pam_nologin.so\n' +
        'auth     optional  pam_echo.so First factor: one-time code for %u\n' +
        `auth     required  ${MATRIX_ARGS(dir, 'passdb-otp')} echo\n` +
        'auth     optional  pam_echo.so Second factor: password\n' +
        `auth     required  ${passdb}\n${account}${session}`
      );
    case 'offline-info':
      // As the site stacks of resources/pam/ do: pam_exec's stdout reaches the greeter as
      // PAM_TEXT_INFO.
      return (
        'auth     optional  pam_exec.so stdout quiet /bin/echo OFFLINE_ERROR:-6:30\n' +
        `auth     required  ${passdb}\n${account}${session}`
      );
    case 'account-denied':
      return `auth     required  ${passdb}\naccount  requisite pam_deny.so\n${session}`;
    case 'expired':
      // pam_acct_mgmt answers PAM_NEW_AUTHTOK_REQD (native-helper/out/pam_probe.so); the
      // password stack would change it, if greetd ever called pam_chauthtok (0.9 does not).
      return (
        `auth     required  ${passdb}\n` +
        `account  required  ${PAM_PROBE} expired=${join(dir, 'password-changed')}\n` +
        `password required  ${PAM_PROBE} expired=${join(dir, 'password-changed')}\n${session}`
      );
  }
}
function MATRIX_ARGS(dir: string, file: string): string {
  return `${PAM_MATRIX} passdb=${join(dir, file)}`;
}

export interface GreeterLine {
  ev: string;
  t: number;
  [key: string]: unknown;
}

export interface GreetdRigOptions {
  /** The bundled test greeter (bundleGreeter()); or `greeterCommand`. */
  greeter?: string;
  /** Another greeter's command line (shell words, readable and runnable by `_greetd`). */
  greeterCommand?: string;
  /**
   * The greeter's scenario (see greetd-greeter-for-test.ts). The string `$SESSION` in it
   * becomes the path of the rig's session script.
   */
  scenario: { runs: unknown[][] };
  pam?: PamStackName;
  /** How long the session script stays up after writing its marker. */
  sessionSeconds?: number;
  /** reap-run's bound on the whole rig. */
  maxSeconds?: number;
  /**
   * pam_u2f's mapping file: adds `auth sufficient pam_u2f.so authfile=<it> origin=/appid=
   * KEY_ORIGIN cue` after pam_nologin, before the password. pam_u2f runs in greetd's session
   * worker, as root: a root-owned file.
   */
  keyAuthfile?: string;
  /**
   * With `keyAuthfile`: pam_bastion_method.so (the release build, native-helper/out) wrapping
   * pam_u2f on its line, asking first: the greeter's method route (main/auth/method-route.ts)
   * takes turns on greetd's one conversation.
   */
  keyMethodModule?: string;
  /**
   * A FakeHidrawRig's dir: its shim is preloaded into greetd (hence its session workers), and
   * the dir is handed to `_greetd`, as whom the greeter opens the devices.
   */
  fakeHidrawDir?: string;
}

export interface GreetdRig {
  dir: string;
  /** The session command to pass to start_session (writes out/session-marker). */
  sessionScript: string;
  /** reap-run's PID (greetd is its child). */
  pid: number;
  greeterLog(): GreeterLine[];
  /** Waits until the greeter log has a line matching `match`; throws after `ms`. */
  waitForLine(match: (line: GreeterLine) => boolean, ms: number): Promise<GreeterLine>;
  /** Waits for the session marker; returns its lines (first: uid/user/args, then `env`). */
  waitForMarker(ms: number): Promise<string[]>;
  /** Waits for greetd (under reap-run) to exit on its own; returns its status. */
  waitForExit(ms: number): Promise<number | null>;
  /** greetd's own output. */
  daemonLog(): string;
  /** TERM, then KILL after a grace, by PID; removes the rig's files. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startGreetdRig(options: GreetdRigOptions): Promise<GreetdRig> {
  const missing = greetdRigMissing();
  if (missing) throw new Error(`greetd rig needs ${missing}`);
  if ((options.greeter === undefined) === (options.greeterCommand === undefined)) {
    throw new Error('greetd rig: give either greeter or greeterCommand');
  }
  const loginUid = ensureLoginUser();
  const loginGid = idOf('-g', LOGIN_USER);
  const greeterUid = idOf('-u', GREETER_USER);
  const dir = mkdtempSync(join(tmpdir(), 'bastion-greetd-rig-'));
  chmodSync(dir, 0o755);
  for (const sub of ['pam.d', 'greeter', 'out', 'sessions']) {
    mkdirSync(join(dir, sub), { mode: 0o755 });
  }
  chownSync(join(dir, 'greeter'), greeterUid, idOf('-g', GREETER_USER));
  chownSync(join(dir, 'out'), loginUid, loginGid);
  writeFileSync(join(dir, 'passdb'), `${LOGIN_USER}:${LOGIN_PASSWORD}:greetd\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'passdb-otp'), `${LOGIN_USER}:${OTP}:greetd\n`, { mode: 0o600 });
  // A private copy of the whole /etc/pam.d: only `greetd` and `greetd-greeter` differ.
  cpSync('/etc/pam.d', join(dir, 'pam.d'), { recursive: true, verbatimSymlinks: true });
  const key =
    options.keyAuthfile === undefined
      ? ''
      : `${keyAuthLine(options.keyAuthfile, options.keyMethodModule)}\n`;
  // After pam_nologin where the stack has it, else first.
  const stack = pamStack(options.pam ?? 'matrix', dir).replace(
    /^(auth {5}requisite pam_nologin\.so\n)?/,
    (nologin) => nologin + key,
  );
  writeFileSync(join(dir, 'pam.d/greetd'), stack);
  if (options.fakeHidrawDir !== undefined) {
    chownTree(options.fakeHidrawDir, greeterUid, idOf('-g', GREETER_USER));
  }
  const shim =
    options.fakeHidrawDir === undefined
      ? ''
      : `env LD_PRELOAD='${FAKE_HIDRAW_SO}' BASTION_FAKE_HIDRAW_DIR='${options.fakeHidrawDir}' `;
  writeFileSync(
    join(dir, 'pam.d/greetd-greeter'),
    'auth required pam_permit.so\naccount required pam_permit.so\nsession required pam_permit.so\n',
  );
  const sessionScript = join(dir, 'session.sh');
  const marker = join(dir, 'out/session-marker');
  writeFileSync(
    sessionScript,
    '#!/bin/sh\n' +
      `{ echo "uid=$(id -u) user=$(id -un) args=$*"; env | sort; } > ${marker}.tmp\n` +
      `mv ${marker}.tmp ${marker}\n` +
      `exec sleep ${options.sessionSeconds ?? 1}\n`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(dir, 'sessions', `${TEST_SESSION}.desktop`),
    '[Desktop Entry]\nName=Bastion test session\nType=Application\n' +
      `Exec=${sessionScript} from-desktop-file\n`,
    { mode: 0o644 },
  );
  const scenario = join(dir, 'scenario.json');
  writeFileSync(scenario, JSON.stringify(options.scenario).replaceAll('$SESSION', sessionScript), {
    mode: 0o644,
  });
  const greeterLog = join(dir, 'greeter/greeter.jsonl');
  const q = (s: string) => JSON.stringify(s); // TOML basic string
  writeFileSync(
    join(dir, 'config.toml'),
    [
      '[terminal]',
      'vt = "none"', // Debian's 0.9 accepts it: no kernel VT needed
      'switch = false',
      '[general]',
      `runfile = ${q(join(dir, 'greetd.run'))}`, // not /run/greetd.run
      'source_profile = false', // the session command as given, no /etc/profile
      '[default_session]',
      `command = ${q(
        `env BASTION_RIG_DIR=${dir} BASTION_GREETER_LOG=${greeterLog} ` +
          `BASTION_GREETER_SCENARIO=${scenario} ` +
          (options.greeterCommand ?? `${process.execPath} ${options.greeter}`),
      )}`,
      `user = ${q(GREETER_USER)}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const daemonLogPath = join(dir, 'greetd.log');
  const out = openSync(daemonLogPath, 'w');
  const child = spawn(
    PYTHON,
    [
      REAP_RUN,
      '--max-seconds',
      String(options.maxSeconds ?? 60),
      '--grace',
      '2',
      '--',
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      `mount --bind '${join(dir, 'pam.d')}' /etc/pam.d && exec ${shim}'${GREETD}' -c '${join(dir, 'config.toml')}'`,
    ],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  const pid = child.pid!;

  const readLog = (): GreeterLine[] => {
    if (!existsSync(greeterLog)) return [];
    return readFileSync(greeterLog, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as GreeterLine);
  };
  const daemonLog = () => (existsSync(daemonLogPath) ? readFileSync(daemonLogPath, 'utf8') : '');
  let greetdSocket: string | null = null;

  const rig: GreetdRig = {
    dir,
    sessionScript,
    pid,
    greeterLog: readLog,
    daemonLog,
    async waitForLine(match, ms) {
      const end = Date.now() + ms;
      for (;;) {
        const line = readLog().find(match);
        if (line) return line;
        if (Date.now() > end) {
          throw new Error(
            `greeter log line not seen in ${ms} ms\n--- greeter ---\n${JSON.stringify(readLog(), null, 1)}\n--- greetd ---\n${daemonLog()}`,
          );
        }
        await sleep(20);
      }
    },
    async waitForMarker(ms) {
      const end = Date.now() + ms;
      while (!existsSync(marker)) {
        if (Date.now() > end) throw new Error(`no session marker in ${ms} ms\n${daemonLog()}`);
        await sleep(20);
      }
      return readFileSync(marker, 'utf8').split('\n');
    },
    async waitForExit(ms) {
      if (!(await exited(child, ms))) throw new Error(`greetd still running after ${ms} ms`);
      return child.exitCode;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // reap-run forwards it and ends every descendant
        if (!(await exited(child, 4_000))) {
          child.kill('SIGKILL');
          await exited(child, 2_000);
        }
      }
      // greetd leaves /run/greetd-<pid>.sock behind when killed.
      const start = readLog().find((l) => l.ev === 'start');
      const env = start?.env as Record<string, string> | undefined;
      greetdSocket = env?.GREETD_SOCK ?? null;
      if (greetdSocket && /^\/run\/greetd-\d+\.sock$/.test(greetdSocket)) {
        rmSync(greetdSocket, { force: true });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await rig.waitForLine((l) => l.ev === 'start', 10_000);
  } catch (error) {
    await rig.stop();
    throw error;
  }
  return rig;
}
