// main/dm/lightdm against a real LightDM 1.26 (`--test-mode`, Xvfb, pam_wrapper + pam_matrix;
// testkit/dm/lightdm-rig.ts). One daemon serves the whole file: each case writes the scenario
// of the next greeter process LightDM starts (testkit/dm/lightdm-greeter-for-test.ts, which
// uses this folder's client) and reads its JSON-lines report. Every case but the last ends
// with a session that exits at once, after which LightDM starts the next greeter.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  LOGIN_PASS,
  LOGIN_USER,
  OTP,
  TEST_SESSION,
  lightdmRigMissing,
  startLightdmRig,
  type GreeterReport,
  type LightdmRig,
} from '../../../testkit/dm/lightdm-rig';
import { requireOrSkip } from '../../../testkit/require';

const missing = lightdmRigMissing();

function events(reports: GreeterReport[]): { type: string; text?: string; secret?: boolean }[] {
  return reports
    .filter((r) => r.ev === 'event')
    .map((r) => r.event as { type: string; text?: string; secret?: boolean });
}

function outcomes(reports: GreeterReport[]): Record<string, unknown>[] {
  return reports.filter((r) => r.ev === 'outcome').map((r) => r.outcome as Record<string, unknown>);
}

describe('LightDM greeter protocol against a real LightDM', { timeout: 90_000 }, () => {
  let rig: LightdmRig | null = null;

  before(async () => {
    if (missing === null) rig = await startLightdmRig();
  });
  after(async () => {
    await rig?.stop();
  });

  /** Plays one greeter run that ends with a started session; returns its reports. */
  async function loginRun(
    steps: Parameters<LightdmRig['queueRun']>[0]['steps'],
  ): Promise<{ reports: GreeterReport[]; sessions: number }> {
    const r = rig!;
    const before = r.sessionStarts().length;
    const run = r.queueRun({ resettable: false, steps });
    await r.waitFor(run, (x) => x.ev === 'ended' || x.ev === 'crash', 15_000);
    const sessions = await r.waitSessionStarts(before + 1);
    return { reports: r.reports(run), sessions: sessions.length - before };
  }

  test('right password: END_AUTHENTICATION 0, session started, greeter ended by LightDM', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const { reports, sessions } = await loginRun([
      { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASS] },
      { op: 'start_session', name: TEST_SESSION },
    ]);
    const connected = reports.find((r) => r.ev === 'connected')!;
    assert.deepEqual(connected.server, { version: '1.26.0', apiVersion: 1 });
    const hints = connected.hints as Record<string, unknown>;
    assert.equal(hints.defaultSession, TEST_SESSION);
    assert.equal(hints.hideUsers, false);
    assert.equal(hints.lockScreen, false);
    assert.deepEqual(events(reports), [{ type: 'prompt', secret: true, text: 'Password: ' }]);
    assert.deepEqual(outcomes(reports), [
      { ok: true, result: { code: 0, name: 'PAM_SUCCESS', stage: 'authenticate' } },
    ]);
    assert.equal(reports.find((r) => r.ev === 'session')?.ok, true);
    const ended = reports.find((r) => r.ev === 'ended')!.end as Record<string, unknown>;
    // LightDM SIGTERMs a non-resettable greeter once the session is accepted; the session
    // starts only after the greeter exited (the marker proves it ran).
    assert.equal(ended.reason, 'terminated');
    assert.equal(ended.sessionStarted, true);
    assert.equal(sessions, 1);
    const marker = rig!.sessionStarts().at(-1)!;
    assert.match(marker, new RegExp(`USER=${LOGIN_USER}$`));
  });

  test('wrong password: refused with PAM_AUTH_ERR, then a second attempt in the same greeter', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const { reports, sessions } = await loginRun([
      { op: 'login', user: LOGIN_USER, answers: ['wrong-password'] },
      { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASS] },
      { op: 'start_session', name: TEST_SESSION },
    ]);
    assert.deepEqual(outcomes(reports), [
      {
        ok: false,
        kind: 'refused',
        result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
      },
      { ok: true, result: { code: 0, name: 'PAM_SUCCESS', stage: 'authenticate' } },
    ]);
    assert.equal(new Set(reports.map((r) => r.pid)).size, 1, 'one greeter process');
    assert.equal(sessions, 1);
  });

  test('cancel at the prompt ends locally as CANCELLED; a new attempt then succeeds', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const { reports, sessions } = await loginRun([
      { op: 'login', user: LOGIN_USER, cancelAtPrompt: true },
      { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASS] },
      { op: 'start_session', name: TEST_SESSION },
    ]);
    const [cancelled, success] = outcomes(reports);
    assert.equal(cancelled?.kind, 'client-error');
    assert.equal(cancelled?.code, 'CANCELLED');
    assert.equal(success?.ok, true);
    assert.equal(sessions, 1);
  });

  test('a two-prompt PAM stack is relayed in order: info, visible, info, secret', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    rig!.setMode('two-prompt', true);
    try {
      const { reports, sessions } = await loginRun([
        { op: 'login', user: LOGIN_USER, answers: [OTP, 'wrong'] },
        { op: 'login', user: LOGIN_USER, answers: [OTP, LOGIN_PASS] },
        { op: 'start_session', name: TEST_SESSION },
      ]);
      const second = reports.filter((r) => r.ev === 'event').slice(-4);
      assert.deepEqual(
        second.map((r) => r.event),
        [
          { type: 'info', text: `First factor: one-time code for ${LOGIN_USER}` },
          { type: 'prompt', secret: false, text: 'Password: ' },
          { type: 'info', text: 'Second factor: password' },
          { type: 'prompt', secret: true, text: 'Password: ' },
        ],
      );
      assert.deepEqual(
        outcomes(reports).map((o) => o.ok),
        [false, true],
      );
      assert.equal(sessions, 1);
    } finally {
      rig!.setMode('two-prompt', false);
    }
  });

  test('an OFFLINE_ERROR line printed by pam_exec arrives as an info event', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    rig!.setMode('offline-info', true);
    try {
      const { reports } = await loginRun([
        { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASS] },
        { op: 'start_session', name: TEST_SESSION },
      ]);
      assert.deepEqual(events(reports), [
        { type: 'info', text: 'OFFLINE_ERROR:-6:30' },
        { type: 'prompt', secret: true, text: 'Password: ' },
      ]);
      assert.equal(outcomes(reports)[0]?.ok, true);
    } finally {
      rig!.setMode('offline-info', false);
    }
  });

  // Last: the session stays up and the resettable greeter is reused for the lock screen.
  test('Seat.Lock: RESET with lock-screen=true, unlock returns to the same session', async (t) => {
    if (!requireOrSkip(t, missing === null, missing ?? '')) return;
    const r = rig!;
    r.setMode('hold-session', true);
    const before = r.sessionStarts().length;
    const run = r.queueRun({
      resettable: true,
      steps: [
        { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASS] },
        { op: 'start_session', name: TEST_SESSION },
        { op: 'wait_reset' },
        { op: 'login', user: LOGIN_USER, answers: ['wrong-password'] },
        { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASS] },
        { op: 'start_session', name: '' },
        { op: 'wait_idle' },
      ],
    });
    await r.waitFor(run, (x) => x.ev === 'idle');
    await r.waitSessionStarts(before + 1);
    const lockedAt = Date.now();
    await r.lock();
    const reset = await r.waitFor(run, (x) => x.ev === 'reset');
    const hints = reset.hints as Record<string, unknown>;
    assert.equal(hints.lockScreen, true);
    assert.equal((reset.raw as Record<string, string>)['lock-screen'], 'true');
    await r.waitFor(run, (x) => x.ev === 'steps-done');
    const reports = r.reports(run);
    assert.deepEqual(
      outcomes(reports).map((o) => (o.ok ? 'ok' : (o.result as { name: string }).name)),
      ['ok', 'PAM_AUTH_ERR', 'ok'],
    );
    assert.deepEqual(
      reports.filter((x) => x.ev === 'session').map((x) => x.ok),
      [true, true],
    );
    assert.equal(reports.filter((x) => x.ev === 'idle').length, 2);
    assert.ok(reset.t - lockedAt < 2_000, 'RESET promptly after Seat.Lock');
    // Unlocking returned to the running session: no second session start.
    assert.equal(r.sessionStarts().length, before + 1);
    assert.equal(new Set(reports.map((x) => x.pid)).size, 1, 'the same greeter process');
  });
});
