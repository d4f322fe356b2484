// The auth controller end to end: real helper (test build), real libpam through pam_wrapper,
// pam_matrix for passwords and pam_exec for the offline-cache lines. Injectable clock.
import { after, before, describe, it, type TestContext } from 'node:test';
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
import { AuthController, AuthControllerError, type AuthControllerOptions } from './controller';
import { LockoutStore } from './lockout-store';

const START = 1_800_000_000_000;

class ManualClockForTest {
  current = START;
  now(): number {
    return this.current;
  }
}

/** Runs one attempt, answering every prompt with `answer`; returns the final snapshot. */
async function attempt(
  controller: AuthController,
  user: string,
  answer: string,
): Promise<AuthSnapshot> {
  const unsubscribe = controller.subscribe((snapshot) => {
    if (snapshot.phase === 'prompting') controller.answer(answer);
  });
  try {
    await controller.start(user);
    await controller.idle();
    return controller.snapshot();
  } finally {
    unsubscribe();
  }
}

describe('AuthController through the real helper', () => {
  const available = hasHelperTestBuild();
  const gate = (t: TestContext) =>
    requireOrSkip(t, available, `the helper test build (${HELPER_TEST_BINARY}) or libpam-wrapper`);
  const fixtures: HelperFixture[] = [];
  let stateRoot: string;

  before(() => {
    stateRoot = mkdtempSync(join(tmpdir(), 'bastion-controller-'));
  });
  after(() => {
    for (const fixture of fixtures) fixture.cleanup();
    rmSync(stateRoot, { recursive: true, force: true });
  });

  interface Setup {
    controller: AuthController;
    clock: ManualClockForTest;
    fixture: HelperFixture;
    /** A new controller on the same stack, state dir and clock (a greeter restart). */
    make: (extra?: Partial<AuthControllerOptions>) => AuthController;
  }

  /**
   * A fresh pam_wrapper stack, helper rate-limit dir and greeter state dir per test.
   * `service` is a function of the fixture so it can reference scripts written into it.
   */
  function setup(
    name: string,
    service: (fixture: HelperFixture) => string,
    users: [string, string][],
    options: Partial<AuthControllerOptions> = {},
  ): Setup {
    const fixture = createHelperFixture({
      services: {},
      users: users.map(([user, password]) => ({ user, password, service: 'bastion-greeter' })),
    });
    fixtures.push(fixture);
    writeFileSync(
      join(fixture.stack.dir, 'bastion-greeter'),
      service(fixture).replaceAll('{passdb}', fixture.stack.passdb),
    );
    const clock = new ManualClockForTest();
    const stateDir = join(stateRoot, name);
    const make = (extra: Partial<AuthControllerOptions> = {}) =>
      new AuthController({
        helperPath: HELPER_TEST_BINARY,
        service: 'bastion-greeter',
        helperEnv: fixture.env,
        deadlineMs: 30_000,
        clock,
        lockoutStore: new LockoutStore({ stateDir, clock }),
        log: () => undefined,
        ...options,
        ...extra,
      });
    return { controller: make(), clock, fixture, make };
  }

  const matrix = `auth required ${PAM_MATRIX} passdb={passdb}\naccount required ${PAM_MATRIX} passdb={passdb}\n`;

  it('right password → success; wrong → credentials failure with the PAM code', async (t) => {
    if (!gate(t)) return;
    const { controller } = setup('basic', () => matrix, [['alice', 'secret']]);
    // The answering listener is subscribed first and answers re-entrantly from its callback.
    const offAnswer = controller.subscribe((s) => {
      if (s.phase === 'prompting') controller.answer('secret');
    });
    const phases: string[] = [];
    const offPhases = controller.subscribe((s) => phases.push(s.phase));
    await controller.start('alice');
    await controller.idle();
    offAnswer();
    offPhases();
    const ok = controller.snapshot();
    assert.equal(ok.phase, 'success');
    // The later listener still sees every snapshot, in order.
    assert.deepEqual(phases, ['authenticating', 'prompting', 'authenticating', 'success']);
    assert.equal(ok.user, 'alice');
    const bad = await attempt(controller, 'alice', 'wrong');
    assert.equal(bad.phase, 'failure');
    assert.deepEqual(bad.failure, { reason: 'credentials', pamCode: 7, pamName: 'PAM_AUTH_ERR' });
    await controller.close();
  });

  it('pam_exec printing OFFLINE_ERROR:-6:240 → locked, lockedUntil = now + 240 s, persisted across a restart', async (t) => {
    if (!gate(t)) return;
    const { controller, clock, make } = setup(
      'locked',
      (f) =>
        `auth requisite ${PAM_EXEC} quiet stdout ${f.script('locked.sh', 'echo OFFLINE_ERROR:-6:240\nexit 1')}\n${matrix}`,
      [['alice', 'secret']],
    );
    const snapshot = await attempt(controller, 'alice', 'secret');
    assert.equal(snapshot.phase, 'locked');
    assert.equal(snapshot.lockedUntil, START + 240_000);
    assert.equal(snapshot.failure?.reason, 'locked');
    assert.deepEqual(snapshot.messages, [
      { kind: 'offline-error', code: -6, name: 'LOCKED', lockSeconds: 240 },
    ]);
    await controller.close();

    // A restarted login screen shows nobody's lockout (it would tell whoever sits down who is
    // locked out); the unlock screen of alice's session shows hers before anything is typed.
    clock.current += 60_000;
    const loginScreen = make();
    assert.equal(loginScreen.snapshot().phase, 'idle');
    await loginScreen.close();
    const restarted = make({ initialUser: 'alice' });
    assert.equal(restarted.snapshot().phase, 'locked');
    assert.equal(restarted.snapshot().user, 'alice');
    assert.equal(restarted.snapshot().lockedUntil, START + 240_000);
    // The mirror alone refuses nothing while the portal is believed reachable: the attempt
    // reaches PAM, the authority, whose offline cache answers with the lock again…
    const retried = await attempt(restarted, 'alice', 'secret');
    assert.equal(retried.phase, 'locked');
    assert.equal(retried.messages.length, 1, 'the attempt ran through the helper');
    assert.equal(retried.offline, true, 'the OFFLINE_ERROR line is evidence of offline mode');
    // …and now that main knows it is offline, a start while locked is refused locally (no
    // helper run, no new messages).
    await restarted.start('alice');
    assert.equal(restarted.snapshot().phase, 'locked');
    assert.deepEqual(restarted.snapshot().messages, []);
    // Another user is not held back by alice's lock: bob's attempt reaches PAM (which, in
    // this stack, reports a lock for everyone).
    const other = await attempt(restarted, 'bob', 'x');
    assert.equal(other.user, 'bob');
    assert.equal(other.messages.length, 1, 'the attempt ran through the helper');
    // Once the lock has passed, attempts reach PAM again (which locks again here).
    clock.current = START + 60_000 + 240_000;
    const again = await attempt(restarted, 'alice', 'secret');
    assert.equal(again.phase, 'locked');
    assert.equal(again.lockedUntil, clock.current + 240_000);
    await restarted.close();
  });

  it('a lockout longer than the cache can be configured for is mirrored for at most a day', async (t) => {
    if (!gate(t)) return;
    const { controller } = setup(
      'locked-huge',
      (f) =>
        `auth requisite ${PAM_EXEC} quiet stdout ${f.script('huge.sh', 'echo OFFLINE_ERROR:-6:999999999\nexit 1')}\n${matrix}`,
      [['alice', 'secret']],
    );
    const snapshot = await attempt(controller, 'alice', 'secret');
    assert.equal(snapshot.phase, 'locked');
    assert.equal(snapshot.lockedUntil, START + 86_400_000);
    await controller.close();
  });

  it('three failures throttle the next attempt with a growing delay; success clears it', async (t) => {
    if (!gate(t)) return;
    const { controller, clock } = setup('throttle', () => matrix, [['alice', 'secret']]);
    for (let i = 1; i <= 2; i += 1) {
      const snapshot = await attempt(controller, 'alice', 'wrong');
      assert.equal(snapshot.throttledUntil, null, `after failure ${i}`);
    }
    const third = await attempt(controller, 'alice', 'wrong');
    assert.equal(third.throttledUntil, START + 2_000);
    // Throttled: refused before the helper runs.
    await controller.start('alice');
    assert.deepEqual(controller.snapshot().failure, {
      reason: 'throttled',
      pamCode: null,
      pamName: null,
    });
    assert.equal(controller.snapshot().throttledUntil, START + 2_000);
    clock.current += 2_000;
    const fourth = await attempt(controller, 'alice', 'wrong');
    assert.equal(fourth.throttledUntil, clock.current + 4_000);
    clock.current += 4_000;
    const success = await attempt(controller, 'alice', 'secret');
    assert.equal(success.phase, 'success');
    assert.equal(success.throttledUntil, null);
    const afterSuccess = await attempt(controller, 'alice', 'wrong');
    assert.equal(afterSuccess.throttledUntil, null, 'the count restarts after a success');
    await controller.close();
  });

  it('offlineAnswerPrefix sends OFFLINE:<answer> to secret prompts', async (t) => {
    if (!gate(t)) return;
    // pam_matrix cannot hold a ':' in a password: a pam_exec script checks the exact bytes.
    const { controller } = setup(
      'prefix',
      (f) =>
        `auth required ${PAM_EXEC} quiet expose_authtok ` +
        `${f.script('check.sh', 'pw=$(tr -d "\\000")\n[ "$pw" = "OFFLINE:secret" ]')}\n` +
        `account required ${PAM_MATRIX} passdb={passdb}\n`,
      [['alice', 'unused']],
      { offlineAnswerPrefix: true },
    );
    assert.equal((await attempt(controller, 'alice', 'secret')).phase, 'success');
    controller.setOfflineAnswerPrefix(false);
    assert.equal((await attempt(controller, 'alice', 'secret')).phase, 'failure');
    await controller.close();
  });

  it('OFFLINE_OK after a success records offlineValidUntil; a touch cue is a touch message', async (t) => {
    if (!gate(t)) return;
    const { controller } = setup(
      'offline-ok',
      (f) =>
        `auth required ${PAM_MATRIX} passdb={passdb}\n` +
        `auth optional ${PAM_EXEC} quiet stdout ${f.script('ok.sh', 'echo "Please touch the device."\necho OFFLINE_OK:1900000000')}\n` +
        `account required ${PAM_MATRIX} passdb={passdb}\n`,
      [['alice', 'secret']],
    );
    const snapshot = await attempt(controller, 'alice', 'secret');
    assert.equal(snapshot.phase, 'success');
    assert.equal(snapshot.offlineValidUntil, 1_900_000_000);
    assert.equal(snapshot.offline, true, 'OFFLINE_OK is PAM evidence of offline mode');
    assert.deepEqual(snapshot.messages, [
      { kind: 'touch', text: 'Please touch the device.' },
      { kind: 'offline-ok', expiresAt: 1_900_000_000 },
    ]);
    await controller.close();
  });

  it('OFFLINE_OK on a failed attempt is never a success', async (t) => {
    if (!gate(t)) return;
    const { controller } = setup(
      'offline-ok-fail',
      (f) =>
        `auth requisite ${PAM_EXEC} quiet stdout ${f.script('ok-fail.sh', 'echo OFFLINE_OK:1900000000\nexit 1')}\n${matrix}`,
      [['alice', 'secret']],
    );
    const snapshot = await attempt(controller, 'alice', 'secret');
    assert.equal(snapshot.phase, 'failure');
    assert.equal(snapshot.offlineValidUntil, null);
    await controller.close();
  });

  it('an offline-cache error other than LOCKED/PASSWORD/NOTFOUND is reason offline-cache', async (t) => {
    if (!gate(t)) return;
    const { controller } = setup(
      'expired',
      (f) =>
        `auth requisite ${PAM_EXEC} quiet stdout ${f.script('expired.sh', 'echo OFFLINE_ERROR:-5\nexit 1')}\n${matrix}`,
      [['alice', 'secret']],
    );
    const snapshot = await attempt(controller, 'alice', 'secret');
    assert.equal(snapshot.phase, 'failure');
    assert.equal(snapshot.failure?.reason, 'offline-cache');
    await controller.close();
  });

  it('one attempt at a time; answers only to an open prompt; an oversized prefixed answer is refused unsent', async (t) => {
    if (!gate(t)) return;
    const { controller } = setup('misuse', () => matrix, [['alice', 'secret']], {
      offlineAnswerPrefix: true,
    });
    assert.throws(
      () => controller.answer('secret'),
      (error: unknown) => error instanceof AuthControllerError && error.code === 'NOT_PROMPTING',
    );
    const prompting = new Promise<void>((resolve) => {
      const off = controller.subscribe((s) => {
        if (s.phase === 'prompting') {
          off();
          resolve();
        }
      });
    });
    await controller.start('alice');
    await prompting;
    await assert.rejects(
      controller.start('bob'),
      (error: unknown) => error instanceof AuthControllerError && error.code === 'BUSY',
    );
    // 512 bytes pass IPC validation but not with `OFFLINE:` in front.
    assert.throws(
      () => controller.answer('x'.repeat(512)),
      (error: unknown) => error instanceof AuthControllerError && error.code === 'ANSWER_REJECTED',
    );
    assert.equal(controller.snapshot().phase, 'prompting', 'the prompt stays open');
    await controller.cancel();
    assert.deepEqual(controller.snapshot().failure, {
      reason: 'cancelled',
      pamCode: null,
      pamName: null,
    });
    await controller.close();
  });

  it('cancels do not count towards throttling', async (t) => {
    if (!gate(t)) return;
    const { controller } = setup('cancels', () => matrix, [['alice', 'secret']]);
    for (let i = 0; i < 4; i += 1) {
      const off = controller.subscribe((s) => {
        if (s.phase === 'prompting') void controller.cancel();
      });
      await controller.start('alice');
      await controller.idle();
      off();
      assert.equal(controller.snapshot().failure?.reason, 'cancelled');
      assert.equal(controller.snapshot().throttledUntil, null);
    }
    await controller.close();
  });

  it("the helper's own rate limit (BASTION_THROTTLED) surfaces as reason throttled", async (t) => {
    if (!gate(t)) return;
    const { controller } = setup('helper-throttle', () => matrix, [['alice', 'secret']], {
      // Main's throttle out of the way, to reach the helper's.
      throttle: { failuresBeforeDelay: 1_000, baseDelayMs: 1, maxDelayMs: 1 },
    });
    let last = controller.snapshot();
    for (let i = 0; i < 8 && last.failure?.reason !== 'throttled'; i += 1) {
      last = await attempt(controller, 'alice', 'wrong');
      assert.notEqual(last.phase, 'success');
    }
    assert.deepEqual(last.failure, {
      reason: 'throttled',
      pamCode: 11,
      pamName: 'BASTION_THROTTLED',
    });
    // Even the right password is refused while the helper throttles.
    const right = await attempt(controller, 'alice', 'secret');
    assert.equal(right.failure?.reason, 'throttled');
    await controller.close();
  });
});
