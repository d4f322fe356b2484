// The key manager in the Chromium fallback (`npm start -- --keys`; development and e2e only,
// never packaged): the same Electron-free backend as `bastion-greeter --keys`
// (main/ipc/keys-backend.ts) behind the loopback bridge, serving keys.html. Started by
// dev/server.ts when BASTION_DEV_KEYS=1; prints `BASTION_DEV_URL <url>` like the greeter.
//
// Keys are real: node-hid lists and opens what this process sees (the e2e suite starts it
// with the fake-hidraw shim's environment). The password check is the real PAM stack of the
// `npm start` demo (BASTION_DEV_DEMO_DIR; the person running it gets the demo password
// `demo-pass` there), and the mapping goes to the demo's own home unless BASTION_KEYS_AUTHFILE
// names another file: the demo never writes the developer's real ~/.config/Yubico/u2f_keys.
import { appendFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY } from '../preload/api';
import type { KeysCall } from '../preload/keys-api';
import { listFidoDevices, openHidDevice } from '../main/fido2/hid-device';
import { createKeysBackend } from '../main/ipc/keys-backend';
import { helperPasswordCheck } from '../main/keys/wizard-password';
import { DEFAULT_POLICY_PATH, loadKeyPolicy } from '../main/screens/policy';
import { startDevBridge } from './bridge-server';
import { readDevServerConfig } from './config';
import { prepareDemoEnvironment } from './demo-stack';

/** The demo password of the person running `npm start -- --keys`. */
export const KEYS_DEMO_PASSWORD = 'demo-pass';

export const KEYS_BRIDGE_CALLS: readonly KeysCall[] = [
  'getInfo',
  'getSnapshot',
  'submitPassword',
  'refreshDevices',
  'chooseDevice',
  'submitPin',
  'submitName',
  'retry',
  'enrollAnother',
  'finish',
  'cancel',
  'restart',
];

function positiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 50) throw new Error(`${name} must be >= 50`);
  return value;
}

/** Runs until SIGINT/SIGTERM. `entryUrl`: import.meta.url of build/dev/server.mjs. */
export async function runKeysDevServer(env: NodeJS.ProcessEnv, entryUrl: string): Promise<void> {
  const config = readDevServerConfig(env);
  const buildDir = join(dirname(fileURLToPath(entryUrl)), '..');
  const log = (line: string): void => console.error(`bastion keys: ${line}`);
  const user = userInfo().username;
  const demo = config.demoDir ? prepareDemoEnvironment(config.demoDir, config.demoPolicy) : null;
  // The demo stack's pam_matrix knows only its demo users: the person running it joins them.
  if (demo) appendFileSync(demo.stack.passdb, `${user}:${KEYS_DEMO_PASSWORD}:bastion-greeter\n`);
  const authfileOverride = env.BASTION_KEYS_AUTHFILE || undefined;
  if (authfileOverride !== undefined && !authfileOverride.startsWith('/'))
    throw new Error('BASTION_KEYS_AUTHFILE must be absolute');
  const authfile =
    authfileOverride ??
    (demo ? join(config.demoDir!, 'keys-home', '.config', 'Yubico', 'u2f_keys') : undefined);
  const policyPath = config.policyPath ?? demo?.screen.policyPath ?? DEFAULT_POLICY_PATH;
  const pollMs = positiveInt(env, 'BASTION_KEYS_POLL_MS');
  const touchTimeoutMs = positiveInt(env, 'BASTION_KEYS_TOUCH_TIMEOUT_MS');
  const backend = createKeysBackend({
    locale: config.locale,
    host: 'dev-chromium',
    user,
    home: homedir(),
    ...(env.XDG_CONFIG_HOME ? { xdgConfigHome: env.XDG_CONFIG_HOME } : {}),
    ...(authfile !== undefined ? { authfile } : {}),
    policy: loadKeyPolicy(policyPath, log),
    checkPassword: helperPasswordCheck({
      helperPath: config.helperPath,
      socketPath: config.helperSocketPath,
      env: demo?.helperEnv ?? {},
    }),
    devices: { list: listFidoDevices, open: openHidDevice },
    ...(pollMs !== undefined ? { pollMs } : {}),
    ...(touchTimeoutMs !== undefined ? { touchTimeoutMs } : {}),
    log,
  });
  const bridge = await startDevBridge({
    backend,
    rendererDir: join(buildDir, 'renderer'),
    bridgeClientPath: join(buildDir, 'dev', 'keys-bridge-client.js'),
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    port: config.port,
    calls: KEYS_BRIDGE_CALLS,
    page: { html: 'keys.html', script: 'keys.js' },
  });
  console.log(`BASTION_DEV_URL ${bridge.pageUrl}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const bound = new Promise<void>((resolve) => setTimeout(resolve, 1_000));
    void Promise.race([Promise.allSettled([bridge.close(), backend.close()]), bound]).finally(() =>
      process.exit(0),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
