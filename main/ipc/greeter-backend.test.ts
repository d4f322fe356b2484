import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthSnapshot } from '../../preload/api';
import { installFakeHelperForTest, type FakeHelperForTest } from '../pam/test/fake-helper';
import {
  createGreeterBackend,
  GreeterBackendConfigError,
  type BastionGreeterBackend,
  type GreeterBackendOptions,
} from './greeter-backend';
import { IpcValidationError } from './validate';

let stateDir: string;
beforeEach(() => {
  stateDir = join(mkdtempSync(join(tmpdir(), 'bastion-backend-')), 'state');
});
afterEach(() => rmSync(join(stateDir, '..'), { recursive: true, force: true }));

function backendWith(overrides: Partial<GreeterBackendOptions> = {}): BastionGreeterBackend {
  return createGreeterBackend({
    mode: 'login',
    locale: 'fr',
    host: 'dev-chromium',
    currentUser: null,
    hostname: 'ws-042',
    helperPath: '/nonexistent/bastion-pam-helper',
    stateDir,
    log: () => undefined,
    ...overrides,
  });
}

function waitFor(
  backend: BastionGreeterBackend,
  done: (s: AuthSnapshot) => boolean,
): Promise<AuthSnapshot> {
  return new Promise((resolve) => {
    const unsubscribe = backend.subscribe((snapshot) => {
      if (done(snapshot)) {
        unsubscribe();
        resolve(snapshot);
      }
    });
  });
}

const isEnd = (s: AuthSnapshot) =>
  s.phase === 'success' || s.phase === 'failure' || s.phase === 'locked';

describe('createGreeterBackend', () => {
  it('getInfo reports the configuration', async () => {
    const backend = backendWith();
    assert.deepEqual(await backend.handle('getInfo', undefined), {
      mode: 'login',
      hostname: 'ws-042',
      currentUser: null,
      locale: 'fr',
      offline: false,
      host: 'dev-chromium',
    });
    backend.setOffline(true);
    assert.equal(
      ((await backend.handle('getInfo', undefined)) as { offline: boolean }).offline,
      true,
    );
    await backend.close();
  });

  it('refuses a bad configuration', () => {
    assert.throws(
      () => backendWith({ mode: 'unlock', currentUser: null }),
      GreeterBackendConfigError,
    );
    assert.throws(() => backendWith({ currentUser: 'Bad User' }), GreeterBackendConfigError);
    assert.throws(() => backendWith({ helperPath: 'relative/helper' }), GreeterBackendConfigError);
  });

  it('invalid calls reject with IpcValidationError and change nothing', async () => {
    const backend = backendWith();
    const seen: AuthSnapshot[] = [];
    backend.subscribe((s) => seen.push(s));
    const before = await backend.handle('getAuthSnapshot', undefined);
    for (const [call, payload] of [
      ['startAuth', { user: '-root' }],
      ['startAuth', { user: 'alice', admin: true }],
      ['startAuth', undefined],
      ['answer', { text: 7 }],
      ['cancelAuth', {}],
      ['nope', undefined],
    ] as const) {
      await assert.rejects(backend.handle(call, payload), IpcValidationError);
    }
    assert.deepEqual(await backend.handle('getAuthSnapshot', undefined), before);
    assert.deepEqual(seen, []);
    await backend.close();
  });

  it('unlock mode: only the current user may start', async () => {
    const backend = backendWith({ mode: 'unlock', currentUser: 'alice' });
    const seen: AuthSnapshot[] = [];
    backend.subscribe((s) => seen.push(s));
    await assert.rejects(
      backend.handle('startAuth', { user: 'mallory' }),
      (error: unknown) => error instanceof IpcValidationError && error.code === 'NOT_CURRENT_USER',
    );
    assert.deepEqual(seen, []);
    assert.equal(
      ((await backend.handle('getInfo', undefined)) as { currentUser: string }).currentUser,
      'alice',
    );
    await backend.close();
  });

  it('a missing helper ends the attempt as unavailable, never success', async () => {
    const backend = backendWith();
    const end = waitFor(backend, isEnd);
    await backend.handle('startAuth', { user: 'alice' });
    const snapshot = await end;
    assert.equal(snapshot.phase, 'failure');
    assert.deepEqual(snapshot.failure, { reason: 'unavailable', pamCode: null, pamName: null });
    await backend.close();
  });

  it('answer without a prompt is refused', async () => {
    const backend = backendWith();
    await assert.rejects(backend.handle('answer', { text: 'secret' }), /no prompt/);
    await backend.close();
  });
});

describe('createGreeterBackend with the fake-helper-for-test double', () => {
  let fake: FakeHelperForTest;
  before(() => {
    fake = installFakeHelperForTest();
  });
  after(() => fake.cleanup());

  it('relays the prompt, then a success; snapshots are copies', async () => {
    const backend = backendWith({
      helperPath: fake.path,
      helperEnv: { FAKE_HELPER_SCENARIO: 'success' },
    });
    const prompting = waitFor(backend, (s) => s.phase === 'prompting');
    await backend.handle('startAuth', { user: 'alice' });
    assert.deepEqual((await prompting).prompt, { secret: true, text: 'Password: ' });
    const end = waitFor(backend, isEnd);
    await backend.handle('answer', { text: 'right' });
    assert.equal((await end).phase, 'success');
    const copy = (await backend.handle('getAuthSnapshot', undefined)) as AuthSnapshot;
    copy.messages.push({ kind: 'info', text: 'tampered' });
    assert.deepEqual(
      ((await backend.handle('getAuthSnapshot', undefined)) as AuthSnapshot).messages,
      [],
    );
    await backend.close();
  });

  it('a second startAuth while one runs is refused (one attempt at a time)', async () => {
    const backend = backendWith({
      helperPath: fake.path,
      helperEnv: { FAKE_HELPER_SCENARIO: 'success' },
    });
    const prompting = waitFor(backend, (s) => s.phase === 'prompting');
    await backend.handle('startAuth', { user: 'alice' });
    await prompting;
    await assert.rejects(backend.handle('startAuth', { user: 'bob' }), /already running/);
    const end = waitFor(backend, isEnd);
    await backend.handle('cancelAuth', undefined);
    assert.equal((await end).failure?.reason, 'cancelled');
    await backend.close();
  });

  it('garbage from the helper is an internal failure', async () => {
    const backend = backendWith({
      helperPath: fake.path,
      helperEnv: { FAKE_HELPER_SCENARIO: 'garbage' },
    });
    const end = waitFor(backend, isEnd);
    await backend.handle('startAuth', { user: 'alice' });
    assert.deepEqual((await end).failure, { reason: 'internal', pamCode: null, pamName: null });
    await backend.close();
  });
});
