// The backend over the real helper (test build) and real libpam: what app/ and dev/ get.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

    const restarted = createGreeterBackend(options);
    const restored = (await restarted.handle('getAuthSnapshot', undefined)) as AuthSnapshot;
    assert.equal(restored.phase, 'locked');
    assert.equal(restored.user, 'alice');
    assert.equal(restored.lockedUntil, snapshot.lockedUntil);
    await restarted.close();
  });
});
