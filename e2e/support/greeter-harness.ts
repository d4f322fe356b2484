// Starts the greeter as the Chromium fallback does, for tests and benchmarks: the REAL
// backend of main/ (auth state machine, PAM conversation parsing, helper client), the REAL
// helper test build and REAL libpam through pam_wrapper with the demo stack of
// dev/demo-stack.ts, behind the real loopback bridge serving the built renderer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../preload/api';
import type { GreeterMode, Locale } from '../../preload/api';
import { createGreeterBackend } from '../../main/ipc/greeter-backend';
import { firstPaintFromFile } from '../../main/screens/first-paint';
import type { PowerActions } from '../../main/power';
import type { AssistivePaths } from '../../main/screens/assistive';
import type { KeyboardSwitcher } from '../../main/screens/keyboard-switch';
import type { BastionGreeterBackend } from '../../main/ipc/greeter-backend';
import { startDevBridge } from '../../dev/bridge-server';
import type { DevBridge } from '../../dev/bridge-server';
import { helperTestEnv, prepareDemoEnvironment } from '../../dev/demo-stack';
import type { DemoEnvironment } from '../../dev/demo-stack';
import { CHROMIUM_PATH } from '../../testkit/chromium';
import { hasPamWrapper } from '../../testkit/pam-stack';
import { BUILD_DIR, HELPER_TEST_BUILD, REPO_ROOT } from '../../testkit/paths';
import { fileExists, findExecutable } from '../../testkit/require';

export { HELPER_TEST_BUILD };

/** What the e2e suite needs from this machine, each with whether it is there. */
export function e2ePrerequisites(): { what: string; available: boolean }[] {
  return [
    { what: 'chromium (/usr/bin/chromium)', available: findExecutable(CHROMIUM_PATH) !== null },
    { what: 'libpam-wrapper', available: hasPamWrapper() },
    {
      what: 'the helper test build (make -C native-helper)',
      available: findExecutable(HELPER_TEST_BUILD) !== null,
    },
  ];
}

/** Builds the renderer and the dev bridge when absent (npm test builds them first anyway). */
export function ensureRendererBuilt(): void {
  const needed = [
    'renderer/index.html',
    'renderer/app.js',
    'renderer/early.js',
    'app/first-paint.cjs',
    'dev/bridge-client.js',
  ];
  if (needed.every((file) => existsSync(join(BUILD_DIR, file)))) return;
  const result = spawnSync(process.execPath, ['scripts/build.mjs', 'renderer', 'dev'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the renderer and dev bridge failed');
}

export interface GreeterHarnessOptions {
  mode?: GreeterMode;
  locale?: Locale;
  currentUser?: string | null;
  /** Another pam_wrapper stack instead of the demo's (its dir holds `bastion-greeter`). */
  pamServiceDir?: string;
  /**
   * greeter.conf of the demo screen (dev/demo-stack.ts writeDemoScreen). Default: the user
   * list hidden, so the name field shows at once as the older suites expect.
   */
  policy?: string;
  /** Where power actions go (main/power); unset: none offered. */
  power?: PowerActions;
  /**
   * Where the assistive tools are looked for; default: paths that do not exist, so no test
   * ever starts the machine's own Orca or onboard.
   */
  assistivePaths?: AssistivePaths;
  /** What switches the keyboard layout (main/screens/keyboard-switch.ts); unset: none. */
  keyboard?: KeyboardSwitcher;
  /**
   * Serve the page with its first paint (main/screens/first-paint.ts), as Electron and
   * dev/server.ts do. Default true; false: the plain index.html.
   */
  firstPaint?: boolean;
}

export interface GreeterHarness {
  bridge: DevBridge;
  backend: BastionGreeterBackend;
  demo: DemoEnvironment;
  close(): Promise<void>;
}

export async function startGreeterHarness(
  options: GreeterHarnessOptions = {},
): Promise<GreeterHarness> {
  ensureRendererBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'bastion-e2e-'));
  const demo = prepareDemoEnvironment(dir, options.policy ?? '[greeter]\nhide-user-list=true\n');
  const helperEnv = options.pamServiceDir
    ? helperTestEnv(
        options.pamServiceDir,
        demo.stack.passdb,
        demo.helperEnv.BASTION_TEST_STATE_DIR!,
      )
    : demo.helperEnv;
  const mode = options.mode ?? 'login';
  const backend = createGreeterBackend({
    mode,
    locale: options.locale ?? 'en',
    host: 'dev-chromium',
    currentUser: options.currentUser ?? (mode === 'unlock' ? 'demo' : null),
    helperPath: HELPER_TEST_BUILD,
    helperEnv,
    stateDir: demo.greeterStateDir,
    screen: demo.screen,
    ...(options.power ? { power: options.power } : {}),
    ...(options.keyboard ? { keyboard: options.keyboard } : {}),
    assistivePaths: options.assistivePaths ?? {
      'screen-reader': join(dir, 'no-orca'),
      'on-screen-keyboard': join(dir, 'no-onboard'),
    },
    log: () => {},
  });
  const bridgeClientPath = join(BUILD_DIR, 'dev', 'bridge-client.js');
  if (!fileExists(bridgeClientPath)) throw new Error(`${bridgeClientPath} is missing`);
  const bridge = await startDevBridge({
    backend,
    rendererDir: join(BUILD_DIR, 'renderer'),
    bridgeClientPath,
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    ...(options.firstPaint === false
      ? {}
      : { renderPage: firstPaintFromFile(backend, join(BUILD_DIR, 'app', 'first-paint.cjs')) }),
  });
  return {
    bridge,
    backend,
    demo,
    close: async () => {
      await bridge.close();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
