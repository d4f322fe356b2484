import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AuthFailure, AuthSnapshot } from '../../preload/api';
import {
  authReducer,
  DEFAULT_THROTTLE,
  INITIAL_SNAPSHOT,
  throttleDelayMs,
  type AuthEvent,
} from './machine';

const wrong: AuthFailure = { reason: 'credentials', pamCode: 7, pamName: 'PAM_AUTH_ERR' };
const locked: AuthFailure = { reason: 'locked', pamCode: 7, pamName: 'PAM_AUTH_ERR' };

function run(events: AuthEvent[], from: AuthSnapshot = INITIAL_SNAPSHOT): AuthSnapshot {
  return events.reduce(authReducer, from);
}

describe('authReducer', () => {
  it('idle → authenticating → prompting → authenticating → success', () => {
    const started = run([{ type: 'started', user: 'alice' }]);
    assert.equal(started.phase, 'authenticating');
    assert.equal(started.user, 'alice');
    const prompting = authReducer(started, {
      type: 'prompted',
      prompt: { secret: true, text: 'Password: ' },
    });
    assert.equal(prompting.phase, 'prompting');
    assert.deepEqual(prompting.prompt, { secret: true, text: 'Password: ' });
    const answered = authReducer(prompting, { type: 'answered', next: null });
    assert.equal(answered.phase, 'authenticating');
    assert.equal(answered.prompt, null);
    const done = authReducer(answered, { type: 'succeeded', offlineValidUntil: 1_800_000_000 });
    assert.equal(done.phase, 'success');
    assert.equal(done.offlineValidUntil, 1_800_000_000);
  });

  it('a session the display manager did not start turns a success into a failure, only then', () => {
    const success = run([
      { type: 'started', user: 'alice' },
      { type: 'succeeded', offlineValidUntil: null },
    ]);
    const failed = authReducer(success, { type: 'session-failed' });
    assert.equal(failed.phase, 'failure');
    assert.equal(failed.failure?.reason, 'session-failed');
    // Anywhere else it changes nothing: it can never make a running or failed attempt anything.
    const running = run([{ type: 'started', user: 'alice' }]);
    assert.equal(authReducer(running, { type: 'session-failed' }), running);
    assert.equal(authReducer(INITIAL_SNAPSHOT, { type: 'session-failed' }), INITIAL_SNAPSHOT);
  });

  it('answering with another prompt queued shows that prompt', () => {
    const state = run([
      { type: 'started', user: 'alice' },
      { type: 'prompted', prompt: { secret: true, text: 'Password: ' } },
      { type: 'answered', next: { secret: false, text: 'OTP: ' } },
    ]);
    assert.equal(state.phase, 'prompting');
    assert.deepEqual(state.prompt, { secret: false, text: 'OTP: ' });
  });

  it('messages accumulate in order during the attempt and reset on the next start', () => {
    const state = run([
      { type: 'started', user: 'alice' },
      { type: 'message', message: { kind: 'info', text: 'one' } },
      { type: 'message', message: { kind: 'error', text: 'two' } },
      { type: 'failed', failure: wrong, lockedUntil: null },
    ]);
    assert.deepEqual(state.messages, [
      { kind: 'info', text: 'one' },
      { kind: 'error', text: 'two' },
    ]);
    assert.equal(state.phase, 'failure');
    assert.deepEqual(authReducer(state, { type: 'started', user: 'bob' }).messages, []);
  });

  it('a locked failure ends in phase locked with the deadline', () => {
    const state = run([
      { type: 'started', user: 'alice' },
      { type: 'failed', failure: locked, lockedUntil: 1_000_240_000 },
    ]);
    assert.equal(state.phase, 'locked');
    assert.equal(state.lockedUntil, 1_000_240_000);
  });

  it('ignores events that do not fit the phase', () => {
    const idle = INITIAL_SNAPSHOT;
    assert.equal(authReducer(idle, { type: 'succeeded', offlineValidUntil: null }), idle);
    assert.equal(
      authReducer(idle, { type: 'prompted', prompt: { secret: true, text: 'x' } }),
      idle,
    );
    assert.equal(authReducer(idle, { type: 'answered', next: null }), idle);
    assert.equal(authReducer(idle, { type: 'failed', failure: wrong, lockedUntil: null }), idle);
    const running = run([{ type: 'started', user: 'alice' }]);
    assert.equal(authReducer(running, { type: 'started', user: 'mallory' }), running);
    assert.equal(authReducer(running, { type: 'reset' }), running);
    assert.equal(
      authReducer(running, { type: 'rejected', user: 'x', failure: wrong, lockedUntil: null }),
      running,
    );
    const failed = authReducer(running, { type: 'failed', failure: wrong, lockedUntil: null });
    assert.equal(authReducer(failed, { type: 'succeeded', offlineValidUntil: null }), failed);
  });

  it('a rejection (throttled / mirrored lock) happens only between attempts and keeps throttling', () => {
    const throttled = run([{ type: 'throttle', throttledUntil: 5_000 }]);
    const rejected = authReducer(throttled, {
      type: 'rejected',
      user: 'alice',
      failure: { reason: 'throttled', pamCode: null, pamName: null },
      lockedUntil: null,
    });
    assert.equal(rejected.phase, 'failure');
    assert.equal(rejected.throttledUntil, 5_000);
    assert.equal(authReducer(rejected, { type: 'reset' }).throttledUntil, 5_000);
  });

  it('never reaches success without a succeeded event (property)', () => {
    const eventArb: fc.Arbitrary<AuthEvent> = fc.oneof(
      fc.constant<AuthEvent>({ type: 'started', user: 'alice' }),
      fc.constant<AuthEvent>({ type: 'prompted', prompt: { secret: true, text: 'P' } }),
      fc.constant<AuthEvent>({ type: 'answered', next: null }),
      fc.constant<AuthEvent>({ type: 'message', message: { kind: 'offline-ok', expiresAt: 1 } }),
      fc.constant<AuthEvent>({ type: 'failed', failure: wrong, lockedUntil: null }),
      fc.constant<AuthEvent>({ type: 'failed', failure: locked, lockedUntil: 10 }),
      fc.constant<AuthEvent>({ type: 'rejected', user: 'bob', failure: locked, lockedUntil: 10 }),
      fc.constant<AuthEvent>({ type: 'throttle', throttledUntil: 3 }),
      fc.constant<AuthEvent>({ type: 'reset' }),
      fc.constant<AuthEvent>({ type: 'offline', offline: true }),
      fc.constant<AuthEvent>({ type: 'offline', offline: false }),
    );
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (events) => {
        assert.notEqual(run(events).phase, 'success');
      }),
    );
  });
});

describe('authReducer: offline belief', () => {
  it('changes in any phase, and only the offline field', () => {
    const prompting = run([
      { type: 'started', user: 'alice' },
      { type: 'prompted', prompt: { secret: true, text: 'Password: ' } },
    ]);
    const offline = authReducer(prompting, { type: 'offline', offline: true });
    assert.deepEqual(offline, { ...prompting, offline: true });
    assert.equal(authReducer(offline, { type: 'offline', offline: true }), offline, 'no change');
    assert.equal(authReducer(offline, { type: 'offline', offline: false }).offline, false);
  });

  it('survives a new attempt, a refusal and a reset', () => {
    const offline = authReducer(INITIAL_SNAPSHOT, { type: 'offline', offline: true });
    const failed = run(
      [
        { type: 'started', user: 'alice' },
        { type: 'failed', failure: wrong, lockedUntil: null },
      ],
      offline,
    );
    assert.equal(failed.offline, true);
    assert.equal(run([{ type: 'started', user: 'bob' }], failed).offline, true);
    assert.equal(run([{ type: 'reset' }], failed).offline, true);
    const rejected = authReducer(failed, {
      type: 'rejected',
      user: 'bob',
      failure: locked,
      lockedUntil: 10,
    });
    assert.equal(rejected.offline, true);
  });
});

describe('throttleDelayMs', () => {
  it('is free for the first failures, then doubles up to the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => throttleDelayMs(DEFAULT_THROTTLE, n));
    assert.deepEqual(delays, [0, 0, 0, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  });
});
