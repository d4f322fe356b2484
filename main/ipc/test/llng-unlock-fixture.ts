// The unlock screen's refresh against the real LemonLDAP::NG rig, through the real helper's
// test build on real libpam (pam_wrapper): shared by main/ipc/sso-unlock.llng.test.ts and
// bench/sso.bench.ts.
//
// The PAM stack's auth module is pam_exec running a PAM_OPENBASTION STAND-IN FOR TESTS (a
// Python script, not pam_openbastion, which Debian does not ship): with the answer to the
// password prompt on stdin (expose_authtok) it asks the RIG ITSELF — a token-looking answer
// (20+ characters) goes to the portal's introspection as the confidential RP (the way
// pam_openbastion checks an access token), anything else to the portal's password grant as
// the public RP. It accepts when the portal says the token is active for PAM_USER (`sub`) or
// the password grant succeeded. An `OFFLINE:` answer (pam_openbastion's offline path) is
// logged as `offline` and refused: the stand-in has no offline cache. It logs its verdict and
// the path taken, never the answer. The backend runs as on a pam_openbastion site
// (offlineAnswerPrefix).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AuthSnapshot, SsoSnapshot } from '../../../preload/api';
import { createSsoClient, type SsoClient, type SsoConfig } from '../../sso';
import type { LlngRig } from '../../../testkit/sso/llng-rig';
import { fileExists } from '../../../testkit/require';
import {
  createHelperFixture,
  hasHelperTestBuild,
  HELPER_TEST_BINARY,
  PAM_EXEC,
  type HelperFixture,
} from '../../pam/test/real-helper';
import { createGreeterBackend, type BastionGreeterBackend } from '../greeter-backend';
import { parseSsoSettings, type SsoSignInSettings } from '../sso-settings';
import { stateDirTokenStore } from '../sso-unlock';
import type { FileTokenStore } from '../../sso/token-store';

const PYTHON = '/usr/bin/python3';

function writeStandIn(dir: string, rig: LlngRig): { script: string; log: string } {
  const script = join(dir, 'pam-openbastion-standin-for-test.py');
  const log = join(dir, 'standin.log');
  // The rig's plain listener on loopback, Host kept (nginx serves the portal by name).
  const base = `http://127.0.0.1:${rig.httpPort}`;
  writeFileSync(
    script,
    `#!${PYTHON}
# PAM_OPENBASTION STAND-IN FOR TESTS (main/ipc/test/llng-unlock-fixture.ts): not pam_openbastion.
import json, os, sys, urllib.error, urllib.parse, urllib.request
answer = sys.stdin.buffer.read().split(b"\\0")[0].decode("utf-8", "replace").rstrip("\\n")
user = os.environ.get("PAM_USER", "")
def post(path, fields):
    req = urllib.request.Request(${JSON.stringify(base)} + path,
        data=urllib.parse.urlencode(fields).encode(), headers={"Host": ${JSON.stringify(rig.host)}})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, {}
if answer.startswith("OFFLINE:"):
    how = "offline"
    ok = False
elif len(answer) >= 20:
    how = "token"
    status, body = post("/oauth2/introspect", {"token": answer,
        "client_id": ${JSON.stringify(rig.confidentialClient.clientId)},
        "client_secret": ${JSON.stringify(rig.confidentialClient.clientSecret)}})
    ok = status == 200 and body.get("active") is True and body.get("sub") == user
else:
    how = "password"
    status, body = post("/oauth2/token", {"grant_type": "password", "username": user,
        "password": answer, "client_id": ${JSON.stringify(rig.publicClient.clientId)},
        "scope": "openid"})
    ok = status == 200 and isinstance(body.get("access_token"), str)
with open(${JSON.stringify(log)}, "a") as f:
    f.write(("accepted " if ok else "refused ") + how + " " + user + "\\n")
sys.exit(0 if ok and user != "" else 1)
`,
  );
  chmodSync(script, 0o700);
  writeFileSync(log, '');
  return { script, log };
}

/** What this fixture needs besides the rig, or null. */
export function unlockFixtureMissing(): string | null {
  if (!hasHelperTestBuild()) return `the helper test build (${HELPER_TEST_BINARY}) and pam_wrapper`;
  if (!fileExists(PAM_EXEC) || !fileExists(PYTHON)) return 'pam_exec and python3';
  return null;
}

export interface LlngUnlockFixture {
  backend: BastionGreeterBackend;
  store: FileTokenStore;
  /** A client of the public RP, for the password grant a sign-in would have made. */
  client: SsoClient;
  settings: SsoSignInSettings;
  /** Saves tokens as a sign-in would (creates the store's key on first use). */
  saveTokens(tokens: {
    accessToken: string;
    refreshToken?: string;
    expiresAt: number;
  }): Promise<void>;
  /** The stand-in's verdict lines (`accepted token dwho`…). */
  standInLines(): string[];
  /** Users the backend said had their SSO session ended (sso.onSessionEnded). */
  sessionEnded: string[];
  logs: string[];
  ssoSnapshots: SsoSnapshot[];
  /** startAuth → the password prompt → `answer` → the attempt's end. */
  unlock(answer: string): Promise<AuthSnapshot>;
  /** startAuth → the password prompt (the attempt stays open). */
  startToPrompt(): Promise<void>;
  close(): Promise<void>;
}

export function until(
  backend: BastionGreeterBackend,
  done: (s: AuthSnapshot) => boolean,
): Promise<AuthSnapshot> {
  return new Promise((resolve) => {
    const off = backend.subscribe((s) => {
      if (done(s)) {
        off();
        resolve(s);
      }
    });
  });
}

export async function startLlngUnlockFixture(
  rig: LlngRig,
  user: string,
  extra: { refreshTimeoutMs?: number; passwordGrant?: boolean; refreshAtUnlock?: boolean } = {},
): Promise<LlngUnlockFixture> {
  const helper: HelperFixture = createHelperFixture({ services: {}, users: [] });
  const dir = mkdtempSync(join(tmpdir(), 'bastion-llng-unlock-'));
  const { script, log: standInLog } = writeStandIn(dir, rig);
  writeFileSync(
    join(helper.stack.dir, 'bastion-greeter'),
    `auth required ${PAM_EXEC} quiet expose_authtok ${script}\n` +
      `account required ${join(dirname(PAM_EXEC), 'pam_permit.so')}\n`,
  );
  const parsed = parseSsoSettings(
    [
      '[sso]',
      `issuer = ${rig.issuer}`,
      `client-id = ${rig.publicClient.clientId}`,
      'scopes = openid profile email offline_access',
      `ca-file = ${rig.caFile}`,
      `pins = ${rig.spkiPin}`,
      `unlock-with-refresh = ${extra.refreshAtUnlock === false ? 'false' : 'true'}`,
      `allow-password-grant = ${
        extra.passwordGrant === false || extra.refreshAtUnlock === false ? 'false' : 'true'
      }`,
    ].join('\n'),
  );
  if (parsed === null) throw new Error('the fixture sso.conf was refused');
  // resolve: test-only (not an sso.conf key): the rig's name on loopback.
  const settings: SsoSignInSettings = {
    ...parsed,
    client: { ...parsed.client, resolve: rig.resolve },
  };
  const stateDir = join(dir, 'state');
  const tokens = stateDirTokenStore(stateDir);
  const logs: string[] = [];
  const sessionEnded: string[] = [];
  const backend = createGreeterBackend({
    mode: 'unlock',
    locale: 'en',
    host: 'dev-chromium',
    currentUser: user,
    helperPath: HELPER_TEST_BINARY,
    helperEnv: helper.env,
    stateDir,
    offlineAnswerPrefix: true,
    throttle: { failuresBeforeDelay: 1000, baseDelayMs: 1, maxDelayMs: 1 },
    sso: {
      settings,
      portal: null,
      tokens: { store: tokens.store, prepare: tokens.prepare },
      onSessionEnded: (ended) => sessionEnded.push(ended),
      ...(extra.refreshTimeoutMs === undefined ? {} : { refreshTimeoutMs: extra.refreshTimeoutMs }),
    },
    log: (line) => logs.push(line),
  });
  const ssoSnapshots: SsoSnapshot[] = [];
  backend.subscribeSso?.((s) => ssoSnapshots.push(s));
  const client = await createSsoClient({
    ...(settings.client as Omit<SsoConfig, 'redirectUri'>),
    allowPasswordGrant: true,
    log: (line) => logs.push(line),
  } as SsoConfig);
  const startToPrompt = async (): Promise<void> => {
    const prompting = until(backend, (s) => s.phase === 'prompting');
    await backend.handle('startAuth', { user });
    await prompting;
  };
  return {
    backend,
    store: tokens.store,
    client,
    async saveTokens(set) {
      tokens.prepare();
      await tokens.store.save(user, set);
    },
    settings,
    logs,
    sessionEnded,
    ssoSnapshots,
    standInLines: () => readFileSync(standInLog, 'utf8').split('\n').filter(Boolean),
    startToPrompt,
    async unlock(answer) {
      await startToPrompt();
      const ended = until(backend, (s) => ['success', 'failure', 'locked'].includes(s.phase));
      await backend.handle('answer', { text: answer });
      const end = await ended;
      // The verdict is pushed just before the controller lets go of the attempt.
      await new Promise((resolve) => setImmediate(resolve));
      return end;
    },
    async close() {
      await backend.close();
      await client.close();
      helper.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
