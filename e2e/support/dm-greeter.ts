// The project's real greeter as a display manager launches it, for e2e/dm-lightdm.test.ts and
// e2e/dm-greetd.test.ts: the Chromium fallback's main process (build/dev/server.mjs, what
// `npm start` runs where Electron's binary is absent) behind a small wrapper script that is
// the rig's greeter command.
//
// Why a wrapper: the display manager owns the greeter's stdout (LightDM: its log; greetd: its
// own stdout) and its environment (LightDM builds it from scratch, greetd runs the greeter as
// `_greetd` with HOME=/etc/greetd). The wrapper sends the server's stdout (the
// `BASTION_DEV_URL <url>` line, whose #fragment carries the bridge token) to a 0600 file per
// greeter run that the test reads, gives each run a state dir of its own (lockouts persist per
// user in it), points the session chooser at the rig's session, and sets BASTION_HELPER to a
// path that does not exist, with no BASTION_DEV_DEMO_DIR: the demo PAM stack is never laid
// out and, should the server ever fall back to the helper, the attempt fails loudly. The
// conversation must go through the display manager's own protocol.
//
// build/ may not be readable by the greeter accounts (and npm test may rebuild it meanwhile),
// so the bundle (build/dev, build/renderer, build/app) is copied into a world-readable temp dir.
import {
  cpSync,
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
import type { Locale } from '../../preload/api';
import { BUILD_DIR, REPO_ROOT } from '../../testkit/paths';
import { ensureRendererBuilt } from './greeter-harness';

export interface DmGreeter {
  /** The rig's greeter command (an absolute path; no arguments). */
  command: string;
  /** The locale of the greeters started from now on. */
  setLocale(locale: Locale): void;
  /** How many greeter processes the display manager has started so far. */
  started(): number;
  /** The page URL (with its token) of greeter run `run` (0 = the first the daemon started). */
  waitForUrl(run: number, timeoutMs?: number): Promise<string>;
  /** The server's stderr of run `run` (its `bastion auth: …` lines: never an answer). */
  stderr(run: number): string;
  cleanup(): void;
}

export interface DmGreeterOptions {
  /** Which session dir the rig's `$BASTION_RIG_DIR/sessions` stands for. */
  sessionType: 'x11' | 'wayland';
  /** greeter.conf for the greeters (default: none, every setting at its default). */
  policy?: string;
  /**
   * TEST RIG ONLY: the fake-hidraw shim preloaded into the greeter, so its node-hid lists the
   * rig's software keys (testkit/fido2/fake-hidraw-rig.ts).
   */
  fakeHidraw?: { library: string; dir: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function prepareDmGreeter(options: DmGreeterOptions): DmGreeter {
  ensureRendererBuilt();
  if (!existsSync(join(BUILD_DIR, 'dev', 'server.mjs'))) {
    throw new Error(`${BUILD_DIR}/dev/server.mjs is missing: node scripts/build.mjs`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'bastion-dm-greeter-'));
  chmodSync(dir, 0o755);
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle, { mode: 0o755 });
  for (const part of ['dev', 'renderer', 'app']) {
    cpSync(join(BUILD_DIR, part), join(bundle, part), { recursive: true });
    chmodSync(join(bundle, part), 0o755);
  }
  // The bundle's packages left out of it (node-hid's native part): the checkout's, whose
  // directories npm test makes searchable for the greeter accounts.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(bundle, 'node_modules'));
  // Written by the greeter account (LightDM's test account, `_greetd`): sticky and
  // world-writable like /tmp; each file in it is created 0600 by that account.
  const runs = join(dir, 'run');
  mkdirSync(runs);
  chmodSync(runs, 0o1777);
  const localeFile = join(dir, 'locale');
  writeFileSync(localeFile, 'en\n', { mode: 0o644 });
  const policyFile = join(
    dir,
    options.policy === undefined ? 'no-site-policy.conf' : 'greeter.conf',
  );
  if (options.policy !== undefined) writeFileSync(policyFile, options.policy, { mode: 0o644 });
  const shim = options.fakeHidraw
    ? `export LD_PRELOAD='${options.fakeHidraw.library}'\nexport BASTION_FAKE_HIDRAW_DIR='${options.fakeHidraw.dir}'\n`
    : '';
  const sessionsVar =
    options.sessionType === 'x11'
      ? 'BASTION_DEV_XSESSIONS_DIR'
      : 'BASTION_DEV_WAYLAND_SESSIONS_DIR';
  const command = join(dir, 'greeter.sh');
  writeFileSync(
    command,
    `#!/bin/sh
# Bastion Greeter's Chromium-fallback main process as the display manager's greeter
# (e2e/support/dm-greeter.ts). Its stdout (BASTION_DEV_URL <url>) goes to a 0600 file.
D='${dir}'
umask 077
n=$(cat "$D/run/count" 2>/dev/null || echo 0)
echo $((n + 1)) > "$D/run/count"
mkdir -p "$D/run/state-$n"
# greetd's rig waits for this line (and removes greetd's socket from it when stopped).
if [ -n "$BASTION_GREETER_LOG" ]; then
  printf '{"ev":"start","t":%s,"uid":%s,"run":%s,"env":{"GREETD_SOCK":"%s"}}\\n' \\
    "$(date +%s%3N)" "$(id -u)" "$n" "$GREETD_SOCK" >> "$BASTION_GREETER_LOG"
fi
unset LD_PRELOAD BASTION_DEV_DEMO_DIR BASTION_HELPER_SOCKET BASTION_MODE BASTION_USER
export PATH=/usr/local/bin:/usr/bin:/bin
export XDG_STATE_HOME="$D/run/state-$n"
export BASTION_HELPER=/nonexistent/bastion-pam-helper
export BASTION_LOCALE="$(cat "$D/locale")"
export ${sessionsVar}="$BASTION_RIG_DIR/sessions"
export BASTION_DEV_POLICY='${policyFile}'
${shim}exec '${process.execPath}' "$D/bundle/dev/server.mjs" > "$D/run/url-$n" 2> "$D/run/stderr-$n"
`,
    { mode: 0o755 },
  );
  const started = (): number => Number(read(join(runs, 'count')).trim() || '0');
  const stderr = (run: number): string => read(join(runs, `stderr-${run}`));
  return {
    command,
    setLocale(locale) {
      writeFileSync(localeFile, `${locale}\n`);
    },
    started,
    async waitForUrl(run, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const match = /^BASTION_DEV_URL (\S+)$/m.exec(read(join(runs, `url-${run}`)));
        if (match) return match[1]!;
        if (Date.now() > end) {
          throw new Error(
            `greeter run ${run}: no BASTION_DEV_URL in ${timeoutMs} ms ` +
              `(${started()} started)\n--- its stderr ---\n${stderr(run)}`,
          );
        }
        await sleep(25);
      }
    },
    stderr,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
