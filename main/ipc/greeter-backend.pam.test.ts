// The backend over the real helper (test build) and real libpam: what app/ and dev/ get.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AuthSnapshot } from '../../preload/api';
import { PAM_MATRIX } from '../../testkit/pam-stack';
import { requireOrSkip } from '../../testkit/require';
import {
  createHelperFixture,
  hasHelperTestBuild,
  HELPER_TEST_BINARY,
  PAM_EXEC,
  type HelperFixture,
} from '../pam/test/real-helper';
import { startPortalMonitor } from '../monitor/offline-wiring';
import { startLoopbackPortal } from '../monitor/test/loopback-portal';
import { createGreeterBackend, type BastionGreeterBackend } from './greeter-backend';

function until(
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

/** One attempt through the backend: start, answer the password prompt, wait for the end. */
async function attempt(
  backend: BastionGreeterBackend,
  user: string,
  password: string,
): Promise<{ end: AuthSnapshot; seen: AuthSnapshot[] }> {
  const seen: AuthSnapshot[] = [];
  const off = backend.subscribe((s) => seen.push(s));
  const prompting = until(backend, (s) => s.phase === 'prompting');
  const ended = until(backend, (s) => ['success', 'failure', 'locked'].includes(s.phase));
  await backend.handle('startAuth', { user });
  await prompting;
  await backend.handle('answer', { text: password });
  const end = await ended;
  off();
  // The verdict is pushed just before the controller lets go of the attempt.
  await new Promise((resolve) => setImmediate(resolve));
  return { end, seen };
}

describe('greeter backend through the real helper', () => {
  const fixtures: HelperFixture[] = [];
  const stateRoot = mkdtempSync(join(tmpdir(), 'bastion-backend-pam-'));
  after(() => {
    for (const f of fixtures) f.cleanup();
    rmSync(stateRoot, { recursive: true, force: true });
  });

  it('OFFLINE_ERROR:-6:240 from pam_exec → locked, lockedUntil ≈ now + 240 s, survives a restart', async (t) => {
    if (!requireOrSkip(t, hasHelperTestBuild(), `the helper test build (${HELPER_TEST_BINARY})`))
      return;
    const fixture = createHelperFixture({ services: {}, users: [] });
    fixtures.push(fixture);
    const script = fixture.script('locked.sh', 'echo OFFLINE_ERROR:-6:240\nexit 1');
    writeFileSync(
      join(fixture.stack.dir, 'bastion-greeter'),
      `auth requisite ${PAM_EXEC} quiet stdout ${script}\nauth required ${PAM_MATRIX}\naccount required ${PAM_MATRIX}\n`,
    );
    const options = {
      mode: 'login' as const,
      locale: 'en' as const,
      host: 'dev-chromium' as const,
      currentUser: null,
      helperPath: HELPER_TEST_BINARY,
      helperEnv: fixture.env,
      stateDir: join(stateRoot, 'state'),
      log: () => undefined,
    };
    const backend = createGreeterBackend(options);
    const locked = until(backend, (s) => s.phase === 'locked');
    const before = Date.now();
    await backend.handle('startAuth', { user: 'alice' });
    const snapshot = await locked;
    const afterwards = Date.now();
    assert.ok(snapshot.lockedUntil !== null);
    assert.ok(
      snapshot.lockedUntil >= before + 240_000 && snapshot.lockedUntil <= afterwards + 240_000,
    );
    assert.deepEqual(snapshot.messages, [
      { kind: 'offline-error', code: -6, name: 'LOCKED', lockSeconds: 240 },
    ]);
    await backend.close();

    // The login screen of a restarted greeter shows nobody's lockout; alice's unlock screen
    // shows hers at once.
    const loginScreen = createGreeterBackend(options);
    const atLogin = (await loginScreen.handle('getAuthSnapshot', undefined)) as AuthSnapshot;
    assert.equal(atLogin.phase, 'idle');
    await loginScreen.close();
    const restarted = createGreeterBackend({ ...options, mode: 'unlock', currentUser: 'alice' });
    const restored = (await restarted.handle('getAuthSnapshot', undefined)) as AuthSnapshot;
    assert.equal(restored.phase, 'locked');
    assert.equal(restored.user, 'alice');
    assert.equal(restored.lockedUntil, snapshot.lockedUntil);
    await restarted.close();
  });

  it('OFFLINE_ERROR in the conversation → snapshot.offline true at once; the OFFLINE: prefix follows it; a probe reaching the portal clears it', async (t) => {
    if (!requireOrSkip(t, hasHelperTestBuild(), `the helper test build (${HELPER_TEST_BINARY})`))
      return;
    const fixture = createHelperFixture({ services: {}, users: [] });
    fixtures.push(fixture);
    // pam_openbastion's offline branch as pam_exec sees it: the answer on stdin, verdict on
    // stdout. Only an `OFFLINE:`-prefixed answer reaches the cache (REFERENCES.md).
    const script = fixture.script(
      'offline-branch.sh',
      'pw=$(tr -d "\\000")\n' +
        'if [ "$pw" = "OFFLINE:secret" ]; then echo OFFLINE_OK:1900000000; exit 0; fi\n' +
        'echo OFFLINE_ERROR:-8\nexit 1',
    );
    writeFileSync(
      join(fixture.stack.dir, 'bastion-greeter'),
      `auth requisite ${PAM_EXEC} quiet expose_authtok stdout ${script}\n` +
        `account required ${join(dirname(PAM_EXEC), 'pam_permit.so')}\n`,
    );
    const backend = createGreeterBackend({
      mode: 'login',
      locale: 'en',
      host: 'dev-chromium',
      currentUser: null,
      helperPath: HELPER_TEST_BINARY,
      helperEnv: fixture.env,
      stateDir: null,
      offlineAnswerPrefix: true,
      throttle: { failuresBeforeDelay: 100, baseDelayMs: 1, maxDelayMs: 1 },
      log: () => undefined,
    });
    const portal = await startLoopbackPortal();
    const monitor = startPortalMonitor(portal.url, backend, {
      intervalMs: 60_000,
      offlineIntervalMs: 60_000,
    });
    t.after(async () => {
      await monitor.stop();
      await portal.close();
      await backend.close();
    });
    await monitor.monitor!.probeNow();
    assert.equal(
      ((await backend.handle('getAuthSnapshot', undefined)) as AuthSnapshot).offline,
      false,
    );

    // Online belief: the answer goes bare; the stack took its offline path and said so.
    const first = await attempt(backend, 'alice', 'secret');
    assert.equal(first.end.phase, 'failure');
    assert.equal(first.end.offline, true);
    const marked = first.seen.find((s) => s.offline);
    assert.equal(marked?.phase, 'authenticating', 'pushed live, before the verdict');
    assert.equal(
      ((await backend.handle('getInfo', undefined)) as { offline: boolean }).offline,
      true,
    );

    // Offline now: the same typed password goes as OFFLINE:secret and the cache accepts it.
    const second = await attempt(backend, 'alice', 'secret');
    assert.equal(second.end.phase, 'success');
    assert.equal(second.end.offline, true);
    assert.equal(second.end.offlineValidUntil, 1_900_000_000);

    // The monitor reaches the portal: online again, the answer goes bare again.
    const online = until(backend, (s) => !s.offline);
    await monitor.monitor!.probeNow();
    await online;
    const third = await attempt(backend, 'alice', 'secret');
    assert.equal(third.end.phase, 'failure');
    assert.deepEqual(third.end.messages, [
      { kind: 'offline-error', code: -8, name: 'PASSWORD', lockSeconds: null },
    ]);
  });
});
