import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthSnapshot, GreeterInfo } from '../../preload/api';
import { selectAttemptActive, selectBusy, selectOffline, selectOpenPrompt } from './selectors';
import {
  IDLE_SNAPSHOT,
  initialState,
  withAnswerSent,
  withFetchedSnapshot,
  withInfo,
  withPushedSnapshot,
  withRequestFailed,
  withRequestStarted,
  withStartupFailed,
} from './state';

const INFO: GreeterInfo = {
  mode: 'login',
  hostname: 'ws-1',
  currentUser: null,
  locale: 'fr',
  offline: true,
  host: 'electron',
};

function snap(overrides: Partial<AuthSnapshot>): AuthSnapshot {
  return { ...IDLE_SNAPSHOT, messages: [], ...overrides };
}

const PROMPTING = snap({
  phase: 'prompting',
  user: 'alice',
  prompt: { secret: true, text: 'Password: ' },
});

test('start-up: loading, then ready with info, or failed', () => {
  const start = initialState();
  assert.equal(start.startup, 'loading');
  assert.equal(start.snapshot.phase, 'idle');
  const ready = withInfo(start, INFO);
  assert.equal(ready.startup, 'ready');
  assert.equal(ready.info, INFO);
  assert.equal(withStartupFailed(start).startup, 'failed');
  assert.equal(start.startup, 'loading', 'reducers do not mutate');
});

test('a pushed snapshot wins over a start-up fetch that resolves later', () => {
  const pushed = snap({ phase: 'authenticating', user: 'alice' });
  const stale = snap({ phase: 'idle' });
  const afterPush = withPushedSnapshot(initialState(), pushed);
  assert.equal(withFetchedSnapshot(afterPush, stale).snapshot, pushed);
  // Without a push, the fetched snapshot is taken.
  assert.equal(withFetchedSnapshot(initialState(), stale).snapshot, stale);
});

test('an answered prompt is hidden until main pushes again', () => {
  let state = withPushedSnapshot(initialState(), PROMPTING);
  assert.deepEqual(selectOpenPrompt(state), PROMPTING.prompt);
  assert.equal(selectBusy(state), false);
  state = withAnswerSent(state);
  assert.equal(selectOpenPrompt(state), null, 'not asked twice while main works on the answer');
  assert.equal(selectBusy(state), true);
  state = withPushedSnapshot(state, snap({ phase: 'authenticating', user: 'alice' }));
  assert.equal(selectOpenPrompt(state), null);
  assert.equal(state.promptAnswered, false);
});

test('a queued next prompt with the same text is shown (main pushes only on change)', () => {
  let state = withAnswerSent(withPushedSnapshot(initialState(), PROMPTING));
  state = withPushedSnapshot(state, structuredClone(PROMPTING));
  assert.deepEqual(selectOpenPrompt(state), PROMPTING.prompt);
  const second = snap({ ...PROMPTING, prompt: { secret: false, text: 'Code:' } });
  state = withPushedSnapshot(withAnswerSent(state), second);
  assert.deepEqual(selectOpenPrompt(state), second.prompt);
});

test('the start-up fetch never hides a prompt', () => {
  const state = withFetchedSnapshot(withAnswerSent(initialState()), PROMPTING);
  assert.deepEqual(selectOpenPrompt(state), PROMPTING.prompt);
});

test('a rejected call is shown and puts a lost answer back on screen', () => {
  let state = withAnswerSent(withPushedSnapshot(initialState(), PROMPTING));
  state = withRequestFailed(state);
  assert.equal(state.requestFailed, true);
  assert.deepEqual(selectOpenPrompt(state), PROMPTING.prompt);
  state = withRequestStarted(state);
  assert.equal(state.requestFailed, false);
  assert.equal(withRequestStarted(state), state, 'no change, no new object');
});

test('attempt activity by phase', () => {
  const phases: [AuthSnapshot['phase'], boolean][] = [
    ['idle', false],
    ['authenticating', true],
    ['prompting', true],
    ['success', false],
    ['failure', false],
    ['locked', false],
  ];
  for (const [phase, active] of phases) {
    const state = withPushedSnapshot(initialState(), snap({ phase }));
    assert.equal(selectAttemptActive(state), active, phase);
  }
  // 'prompting' without a prompt object asks nothing.
  assert.equal(
    selectOpenPrompt(withPushedSnapshot(initialState(), snap({ phase: 'prompting' }))),
    null,
  );
});

test('offline: info.offline for the first paint, then every snapshot (fetched or pushed)', () => {
  let state = initialState();
  assert.equal(selectOffline(state), false, 'nothing known yet');
  state = withInfo(state, INFO); // INFO.offline is true
  assert.equal(selectOffline(state), true);
  state = withFetchedSnapshot(state, snap({ offline: false }));
  assert.equal(selectOffline(state), false, 'the snapshot is live; info is not');
  state = withPushedSnapshot(state, snap({ offline: true }));
  assert.equal(selectOffline(state), true);
  state = withPushedSnapshot(state, snap({ offline: false }));
  assert.equal(selectOffline(state), false);
  // A push before info arrives still wins over info.
  const pushedFirst = withInfo(withPushedSnapshot(initialState(), snap({ offline: false })), INFO);
  assert.equal(selectOffline(pushedFirst), false);
});
