// The backend marks an offline session (main/monitor/offline-sessions) when the attempt's PAM
// conversation carried OFFLINE_OK, and only then: over the real helper (test build), real
// libpam and pam_exec playing pam_openbastion's offline branch, with the real marker files.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AuthSnapshot } from '../../preload/api';
import { requireOrSkip } from '../../testkit/require';
import {
  createHelperFixture,
  hasHelperTestBuild,
  HELPER_TEST_BINARY,
  PAM_EXEC,
  type HelperFixture,
} from '../pam/test/real-helper';
import { FileOfflineSessions } from '../monitor/offline-sessions';
import { createGreeterBackend, type BastionGreeterBackend } from './greeter-backend';

async function attempt(
  backend: BastionGreeterBackend,
  user: string,
  password: string,
): Promise<AuthSnapshot> {
  const waitFor = (done: (s: AuthSnapshot) => boolean): Promise<AuthSnapshot> =>
    new Promise((resolve) => {
      const off = backend.subscribe((s) => {
        if (done(s)) {
          off();
          resolve(s);
        }
      });
    });
  const prompting = waitFor((s) => s.phase === 'prompting');
  const ended = waitFor((s) => ['success', 'failure', 'locked'].includes(s.phase));
  await backend.handle('startAuth', { user });
  await prompting;
  await backend.handle('answer', { text: password });
  const end = await ended;
  await new Promise((resolve) => setImmediate(resolve));
  return end;
}

/** The marker is written after the verdict (not awaited by the attempt): poll, bounded. */
async function usersMarked(sessions: FileOfflineSessions, want: number): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  let users = (await sessions.list()).map((r) => r.user);
  while (users.length < want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    users = (await sessions.list()).map((r) => r.user);
  }
  return users;
}

describe('greeter backend: offline sessions marked on OFFLINE_OK', () => {
  const fixtures: HelperFixture[] = [];
  const root = mkdtempSync(join(tmpdir(), 'bastion-backend-offline-'));
  after(() => {
    for (const f of fixtures) f.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('an OFFLINE_OK success marks the user; an online success does not', async (t) => {
    if (!requireOrSkip(t, hasHelperTestBuild(), `the helper test build (${HELPER_TEST_BINARY})`))
      return;
    const fixture = createHelperFixture({ services: {}, users: [] });
    fixtures.push(fixture);
    // `OFFLINE:secret` → the offline cache's success line; `online-secret` → a plain success
    // (the portal's path, no OFFLINE_OK); anything else fails.
    const script = fixture.script(
      'offline-branch.sh',
      'pw=$(tr -d "\\000")\n' +
        'if [ "$pw" = "OFFLINE:secret" ]; then echo OFFLINE_OK:1900000000; exit 0; fi\n' +
        'if [ "$pw" = "online-secret" ]; then exit 0; fi\n' +
        'echo OFFLINE_ERROR:-8\nexit 1',
    );
    writeFileSync(
      join(fixture.stack.dir, 'bastion-greeter'),
      `auth requisite ${PAM_EXEC} quiet expose_authtok stdout ${script}\n` +
        `account required ${join(dirname(PAM_EXEC), 'pam_permit.so')}\n`,
    );
    const sessions = new FileOfflineSessions(join(root, 'state', 'offline-sessions'));
    const backend = createGreeterBackend({
      mode: 'login',
      locale: 'en',
      host: 'dev-chromium',
      currentUser: null,
      helperPath: HELPER_TEST_BINARY,
      helperEnv: fixture.env,
      stateDir: null,
      offlineAnswerPrefix: true,
      offlineSessions: sessions,
      clock: { now: () => 1_800_000_000_000 },
      throttle: { failuresBeforeDelay: 100, baseDelayMs: 1, maxDelayMs: 1 },
      log: () => undefined,
    });
    t.after(() => backend.close());

    // Online: a plain success; nothing is marked.
    const online = await attempt(backend, 'bob', 'online-secret');
    assert.equal(online.phase, 'success');
    assert.equal(online.offlineValidUntil, null);
    // A failure is not marked either.
    backend.setOffline(true);
    const failed = await attempt(backend, 'carol', 'wrong');
    assert.equal(failed.phase, 'failure');

    // Offline: the answer goes as OFFLINE:secret, the cache says OFFLINE_OK → alice marked.
    const offline = await attempt(backend, 'alice', 'secret');
    assert.equal(offline.phase, 'success');
    assert.equal(offline.offlineValidUntil, 1_900_000_000);
    assert.deepEqual(await usersMarked(sessions, 1), ['alice']);
    const [record] = await sessions.list();
    assert.equal(record!.since, 1_800_000_000_000);
    // Only alice, even after a moment for any late write about bob or carol.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      (await sessions.list()).map((r) => r.user),
      ['alice'],
    );
  });
});
