// Controller behaviour that needs no helper run: restoring the persisted lockout at start,
// and an unavailable helper. Attempts through the real helper are in controller.pam.test.ts.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthController } from './controller';
import { LOCKOUT_FILE_NAME, LockoutStore } from './lockout-store';

let stateDir: string;
let now = 1_800_000_000_000;
const clock = { now: () => now };

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'bastion-controller-unit-'));
  chmodSync(stateDir, 0o700);
  now = 1_800_000_000_000;
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

function controller(initialUser: string | null, log: string[] = []): AuthController {
  return new AuthController({
    helperPath: '/nonexistent/bastion-pam-helper',
    service: 'bastion-greeter',
    clock,
    lockoutStore: new LockoutStore({ stateDir, clock }),
    initialUser,
    log: (line) => log.push(line),
  });
}

async function seed(entries: Record<string, number>): Promise<void> {
  const store = new LockoutStore({ stateDir, clock });
  store.load();
  for (const [user, until] of Object.entries(entries)) await store.set(user, until);
}

describe('AuthController start-up', () => {
  it('shows nothing when no lockout is stored', () => {
    assert.equal(controller(null).snapshot().phase, 'idle');
  });

  it("login screen: shows nobody's lockout (it would tell passers-by who is locked out)", async () => {
    await seed({ alice: now + 60_000, bob: now + 240_000 });
    const snapshot = controller(null).snapshot();
    assert.equal(snapshot.phase, 'idle');
    assert.equal(snapshot.user, null);
    assert.equal(snapshot.lockedUntil, null);
  });

  it("unlock screen: shows only the session user's lockout", async () => {
    await seed({ bob: now + 240_000 });
    assert.equal(controller('alice').snapshot().phase, 'idle');
    await seed({ alice: now + 30_000 });
    const snapshot = controller('alice').snapshot();
    assert.equal(snapshot.user, 'alice');
    assert.equal(snapshot.lockedUntil, now + 30_000);
  });

  it('ignores expired lockouts', async () => {
    await seed({ alice: now + 1_000 });
    now += 1_000;
    assert.equal(controller('alice').snapshot().phase, 'idle');
  });

  it('a corrupt store is logged and ignored (PAM still enforces)', () => {
    writeFileSync(join(stateDir, LOCKOUT_FILE_NAME), 'not json', { mode: 0o600 });
    const log: string[] = [];
    assert.equal(controller(null, log).snapshot().phase, 'idle');
    assert.match(log.join('\n'), /lockout store not loaded/);
  });

  it('the log says which transport ran and why the attempt broke (never an answer)', async () => {
    const log: string[] = [];
    const auth = new AuthController({
      helperPath: '/nonexistent/bastion-pam-helper',
      // ENOTDIR: a connect error other than "no socket here", so no fallback.
      socketPath: '/etc/passwd/bastion-pam-helper.sock',
      service: 'bastion-greeter',
      clock,
      lockoutStore: null,
      log: (line) => log.push(line),
    });
    await auth.start('alice');
    await auth.idle();
    assert.equal(auth.snapshot().failure?.reason, 'unavailable');
    assert.deepEqual(log, [
      'attempt for alice via no helper: unavailable (SOCKET_CONNECT_FAILED: cannot connect to ' +
        'the PAM helper socket /etc/passwd/bastion-pam-helper.sock (ENOTDIR))',
    ]);
    await auth.close();
  });

  it('a missing helper ends the attempt as unavailable, and does not count as a guess', async () => {
    const auth = controller(null);
    for (let i = 0; i < 5; i += 1) {
      await auth.start('alice');
      await auth.idle();
      assert.equal(auth.snapshot().phase, 'failure');
      assert.equal(auth.snapshot().failure?.reason, 'unavailable');
      assert.equal(auth.snapshot().throttledUntil, null);
    }
    await auth.close();
  });
});
