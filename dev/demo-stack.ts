// The demo PAM stack of `npm start` and the e2e suite: real libpam (through pam_wrapper),
// real modules (pam_matrix for passwords, pam_exec relaying an offline-cache answer line by
// line as `pam_exec.so stdout` does in production), written to a directory the helper's
// TEST build is pointed at. No root, no change to /etc/pam.d.
//
// The offline-cache step is a tiny shell script standing in for `bastion-offline verify`:
// it prints exactly the lines Open Bastion's cache prints, so the greeter parses real PAM
// text messages, relayed by real pam_exec, through the real helper.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyboardLayout, PowerAction } from '../preload/api';
import type { PowerActions } from '../main/power';
import type { KeyboardSwitcher } from '../main/screens/keyboard-switch';
import { setxkbmapArgs } from '../main/screens/keyboard-switch';

export const PAM_WRAPPER_MODULES = '/usr/lib/x86_64-linux-gnu/pam_wrapper';
export const SYSTEM_PAM_MODULES = '/lib/x86_64-linux-gnu/security';
/** The PAM service the greeter uses (the helper's allowlist). */
export const GREETER_SERVICE = 'bastion-greeter';

export interface DemoUser {
  user: string;
  password: string;
  /** What a newcomer sees when signing in as this user. */
  shows: string;
}

/** Seconds of lockout the demo's offline cache reports for `locked`. */
export const DEMO_LOCK_SECONDS = 240;

export const DEMO_USERS: readonly DemoUser[] = [
  { user: 'demo', password: 'demo-pass', shows: 'success (any other password: wrong password)' },
  {
    user: 'locked',
    password: 'any',
    shows: `offline cache answers OFFLINE_ERROR:-6:${DEMO_LOCK_SECONDS}: "Locked, 4:00 left", counting down`,
  },
  {
    user: 'offline',
    password: 'offline-pass',
    shows: 'offline cache answers OFFLINE_OK:<now+7 days>: cached login, valid until …',
  },
  {
    user: 'offline',
    password: '(anything else)',
    shows: 'offline cache answers OFFLINE_ERROR:-8 (wrong password)',
  },
  {
    user: 'expired',
    password: 'any',
    shows: 'offline cache answers OFFLINE_ERROR:-5 (cached login expired)',
  },
];

// `read -r` stops at the NUL/newline pam_exec ends the token with.
const OFFLINE_CACHE_SCRIPT = `#!/bin/sh
# Stand-in for \`bastion-offline verify\` in the demo stack: prints what Open Bastion's
# offline cache prints for each demo user. The password arrives on stdin (expose_authtok).
IFS= read -r password || true
case "$PAM_USER" in
  locked) echo "OFFLINE_ERROR:-6:${DEMO_LOCK_SECONDS}"; exit 1 ;;
  expired) echo "OFFLINE_ERROR:-5"; exit 1 ;;
  offline)
    if [ "$password" = "offline-pass" ]; then
      echo "OFFLINE_OK:$(( $(date +%s) + 604800 ))"; exit 0
    fi
    echo "OFFLINE_ERROR:-8"; exit 1 ;;
esac
exit 1
`;

export interface DemoPamStack {
  /** The pam_wrapper service dir (PAM_WRAPPER_SERVICE_DIR). */
  serviceDir: string;
  passdb: string;
}

/**
 * Writes the stack into `dir` (created 0700): service `bastion-greeter`, the pam_matrix
 * password file and the offline-cache script.
 */
export function writeDemoPamStack(dir: string): DemoPamStack {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const passdb = join(dir, 'passdb');
  const script = join(dir, 'offline-cache-stand-in.sh');
  writeFileSync(passdb, `demo:demo-pass:${GREETER_SERVICE}\n`, { mode: 0o600 });
  writeFileSync(script, OFFLINE_CACHE_SCRIPT, { mode: 0o700 });
  chmodSync(script, 0o700);
  // Users of the offline cache go to pam_exec (it asks the password and relays the cache's
  // lines; its success ends the stack, its failure is a wrong password, PAM_AUTH_ERR);
  // everyone else to pam_matrix. (pam_matrix always prompts itself, so the two never share
  // one password prompt: pam_succeed_if routes each user to exactly one of them.)
  const cachedUsers = DEMO_USERS.map((u) => u.user).filter((u) => u !== 'demo');
  const service = [
    `auth [success=2 default=ignore] ${SYSTEM_PAM_MODULES}/pam_succeed_if.so quiet user notin ${[...new Set(cachedUsers)].join(':')}`,
    `auth [success=done default=ignore] ${SYSTEM_PAM_MODULES}/pam_exec.so expose_authtok quiet stdout ${script}`,
    `auth requisite ${SYSTEM_PAM_MODULES}/pam_deny.so`,
    `auth required ${PAM_WRAPPER_MODULES}/pam_matrix.so passdb=${passdb}`,
    `account required ${SYSTEM_PAM_MODULES}/pam_permit.so`,
    '',
  ].join('\n');
  writeFileSync(join(dir, GREETER_SERVICE), service, { mode: 0o600 });
  return { serviceDir: dir, passdb };
}

export const PAM_WRAPPER_LIB = '/usr/lib/x86_64-linux-gnu/libpam_wrapper.so';

/**
 * The helper TEST build's whole environment for a pam_wrapper service dir: pam_wrapper's
 * variables and the helper's rate-limit state dir. The release build honours none of them.
 */
export function helperTestEnv(
  serviceDir: string,
  passdb: string,
  helperStateDir: string,
): Record<string, string> {
  return {
    LD_PRELOAD: PAM_WRAPPER_LIB,
    PAM_WRAPPER: '1',
    // pam_wrapper 1.1.4 dlopens libpam with RTLD_DEEPBIND, which the sanitizer runtime of
    // the helper's test build refuses; this pam_wrapper release reads uid_wrapper's switch.
    UID_WRAPPER_DISABLE_DEEPBIND: '1',
    PAM_WRAPPER_SERVICE_DIR: serviceDir,
    PAM_MATRIX_PASSWD: passdb,
    BASTION_TEST_STATE_DIR: helperStateDir,
  };
}

/** Where the demo's screen facts live (main/screens/ScreenSources). */
export interface DemoScreen {
  sessionDirs: { x11: string; wayland: string };
  policyPath: string;
  passwdPath: string;
  loginDefsPath: string;
  iconsDir: string;
  /** /etc/default/keyboard stand-in: two layouts, so the indicator shows its list. */
  keyboardPath: string;
}

const demoSession = (kind: string, fr: string): string =>
  [
    '# Demo stand-in for a desktop session: the helper transport starts no session, so',
    '# choosing it only shows the chooser at work (a display manager would run Exec).',
    '[Desktop Entry]',
    'Type=Application',
    `Name=Demo ${kind} session (stand-in)`,
    `Name[fr]=Session ${fr} de démonstration (factice)`,
    'Exec=/bin/true',
    'DesktopNames=Demo',
    '',
  ].join('\n');

/**
 * The demo's screen (`dir`/screen): two stand-in session files (X11, Wayland), an
 * /etc/passwd-format file listing the demo users, a keyboard file (us, fr), and `policy` as greeter.conf (empty by
 * default: no notice, user list shown, choices remembered).
 */
export function writeDemoScreen(dir: string, policy = ''): DemoScreen {
  const x11 = join(dir, 'xsessions');
  const wayland = join(dir, 'wayland-sessions');
  for (const sub of [x11, wayland, join(dir, 'icons')]) mkdirSync(sub, { recursive: true });
  writeFileSync(join(x11, 'demo-x11.desktop'), demoSession('X11', 'X11'));
  writeFileSync(join(wayland, 'demo-wayland.desktop'), demoSession('Wayland', 'Wayland'));
  const names: Record<string, string> = {
    demo: 'Demo User',
    locked: 'Locked Demo',
    offline: 'Offline Demo',
    expired: 'Expired Demo',
  };
  const passwd = Object.entries(names)
    .map(([user, name], i) => `${user}:x:${2001 + i}:${2001 + i}:${name}:/nonexistent:/bin/sh`)
    .join('\n');
  writeFileSync(join(dir, 'passwd'), `${passwd}\n`);
  writeFileSync(join(dir, 'login.defs'), 'UID_MIN 2000\nUID_MAX 2999\n');
  writeFileSync(join(dir, 'greeter.conf'), policy);
  writeFileSync(join(dir, 'keyboard'), 'XKBMODEL="pc105"\nXKBLAYOUT="us,fr"\nXKBVARIANT=","\n');
  return {
    sessionDirs: { x11, wayland },
    policyPath: join(dir, 'greeter.conf'),
    passwdPath: join(dir, 'passwd'),
    loginDefsPath: join(dir, 'login.defs'),
    iconsDir: join(dir, 'icons'),
    keyboardPath: join(dir, 'keyboard'),
  };
}

/** What the backend needs to run attempts through the helper TEST build on a demo stack. */
export interface DemoEnvironment {
  stack: DemoPamStack;
  /** The helper's whole environment (helperTestEnv). */
  helperEnv: Record<string, string>;
  /** The greeter's own state dir (lockout countdowns survive a restart). */
  greeterStateDir: string;
  /** Sessions, users and site policy of the demo screen. */
  screen: DemoScreen;
}

/**
 * Lays out `dir` (0700): `pam/` (the stack), `helper-state/` (the helper's rate limit),
 * `greeter-state/` (main's), `screen/` (writeDemoScreen; `policy` is its greeter.conf).
 */
export function prepareDemoEnvironment(dir: string, policy = ''): DemoEnvironment {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stack = writeDemoPamStack(join(dir, 'pam'));
  const helperState = join(dir, 'helper-state');
  const greeterStateDir = join(dir, 'greeter-state');
  for (const sub of [helperState, greeterStateDir]) {
    mkdirSync(sub, { recursive: true, mode: 0o700 });
  }
  return {
    stack,
    helperEnv: helperTestEnv(stack.serviceDir, stack.passdb, helperState),
    greeterStateDir,
    screen: writeDemoScreen(join(dir, 'screen'), policy),
  };
}

/**
 * The demo's power actions: a STAND-IN for logind, so `npm start` shows the power menu on any
 * machine and never suspends, restarts or powers it off. It offers all three and only logs
 * `(demo) would restart` (and records what was asked, for tests).
 */
export class DemoPowerActionsForPreview implements PowerActions {
  readonly requested: PowerAction[] = [];
  constructor(private readonly log: (line: string) => void = (line) => console.error(line)) {}

  allowed(): Promise<PowerAction[]> {
    return Promise.resolve(['suspend', 'reboot', 'power-off']);
  }

  run(action: PowerAction): Promise<void> {
    this.requested.push(action);
    const verb = { suspend: 'suspend', reboot: 'restart', 'power-off': 'power off' }[action];
    this.log(`bastion demo: (demo) would ${verb} — no real power action`);
    return Promise.resolve();
  }
}

/**
 * The demo's keyboard switch: a STAND-IN for setxkbmap, so `npm start` shows the layout
 * switcher without touching the keyboard of the developer's own desktop (whose DISPLAY the
 * demo may well have). It builds the same argv main would run, logs
 * `(demo) would run setxkbmap -layout fr,us …` and records it (for tests).
 */
export class DemoKeyboardSwitchForPreview implements KeyboardSwitcher {
  readonly requested: string[][] = [];
  constructor(private readonly log: (line: string) => void = (line) => console.error(line)) {}

  switchTo(layouts: readonly KeyboardLayout[], index: number): Promise<void> {
    const args = setxkbmapArgs(layouts, index);
    this.requested.push(args);
    this.log(`bastion demo: (demo) would run setxkbmap ${args.join(' ')} — layout not changed`);
    return Promise.resolve();
  }
}
