// The greetd transport against REAL greetd 0.9 (Debian), as root, started and stopped by PID
// through testkit/dm/greetd-rig.ts (vt = "none", private /etc/pam.d in a private mount
// namespace, pam_matrix). The greeter greetd launches is testkit/dm/
// greetd-greeter-for-test.ts, bundled, driving this folder's client; it logs JSON lines.
// Under CI=true a missing greetd (or not being root) fails instead of skipping.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parsePamText } from '../../auth/conversation';
import {
  bundleGreeter,
  ensureLoginUser,
  greetdRigMissing,
  LOGIN_PASSWORD,
  LOGIN_USER,
  OTP,
  startGreetdRig,
  type GreetdRig,
  type GreetdRigOptions,
  type GreeterLine,
} from '../../../testkit/dm/greetd-rig';
import { requireOrSkip } from '../../../testkit/require';

const missing = greetdRigMissing();
let bundle: { file: string; cleanup(): void } | null = null;

before(async () => {
  if (!missing) bundle = await bundleGreeter();
});
after(() => bundle?.cleanup());

/** Starts a rig for one test, stopped (by PID) when the test ends. */
async function withRig(
  t: TestContext,
  runs: unknown[][],
  options: Partial<GreetdRigOptions> = {},
): Promise<GreetdRig | null> {
  if (!requireOrSkip(t, missing === null, missing ?? 'greetd rig')) return null;
  const rig = await startGreetdRig({ greeter: bundle!.file, scenario: { runs }, ...options });
  t.after(() => rig.stop());
  return rig;
}

const outcomes = (lines: GreeterLine[]) =>
  lines.filter((l) => l.ev === 'outcome').map(({ ev: _e, t: _t, pid: _p, ms: _m, ...o }) => o);
const events = (lines: GreeterLine[]) =>
  lines.filter((l) => l.ev === 'event').map((l) => l.event as Record<string, unknown>);
/** The next greeter greetd starts (after the session) quits: greetd then exits by itself. */
const QUIT = [{ op: 'exit', code: 1 }];
const OK = { ok: true, result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' } };
const AUTH_ERR = {
  ok: false,
  kind: 'refused',
  result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
};

describe('greetd transport on real greetd 0.9', { timeout: 60_000 }, () => {
  it('right password → start_session → the command ran as the user with our env', async (t) => {
    const rig = await withRig(
      t,
      [
        [
          { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASSWORD] },
          {
            op: 'start_session',
            cmd: ['$SESSION', 'arg1'],
            env: ['BASTION_SESSION=test', 'XDG_SESSION_TYPE=wayland'],
          },
        ],
        QUIT,
      ],
      { sessionSeconds: 0.2 },
    );
    if (!rig) return;
    const marker = await rig.waitForMarker(10_000);
    const uid = ensureLoginUser();
    assert.equal(marker[0], `uid=${uid} user=${LOGIN_USER} args=arg1`);
    assert.ok(marker.includes('BASTION_SESSION=test'), marker.join('\n'));
    assert.ok(marker.includes('XDG_SESSION_TYPE=wayland'));
    assert.ok(marker.includes(`USER=${LOGIN_USER}`));
    const lines = rig.greeterLog();
    const start = lines.find((l) => l.ev === 'start')!;
    assert.notEqual(start.uid, 0, 'the greeter runs as _greetd, not root');
    assert.deepEqual(outcomes(lines), [OK]);
    assert.deepEqual(events(lines), [{ type: 'prompt', secret: true, text: 'Password: ' }]);
    const session = lines.find((l) => l.ev === 'session')!;
    assert.deepEqual(session.outcome, { ok: true });
    // The app is told by when it must be gone (greetd kills it after 5 s).
    assert.ok(typeof session.mustExitBy === 'number' && session.mustExitBy - session.t <= 5_000);
    // The session starts once the greeter has exited: well before greetd's 5 s kill.
    const exit = lines.find((l) => l.ev === 'exit')!;
    assert.ok(exit.t - session.t < 1_000);
    assert.equal(await rig.waitForExit(10_000), 0);
    assert.ok(!JSON.stringify(rig.greeterLog()).includes(LOGIN_PASSWORD), 'no answer logged');
  });

  it('wrong password → refused (PAM_AUTH_ERR), then a second attempt works', async (t) => {
    const rig = await withRig(t, [
      [
        { op: 'login', user: LOGIN_USER, answers: ['wrong-password'] },
        { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASSWORD] },
        { op: 'exit', code: 0 },
      ],
    ]);
    if (!rig) return;
    await rig.waitForLine((l) => l.ev === 'exit', 10_000);
    assert.deepEqual(outcomes(rig.greeterLog()), [AUTH_ERR, OK]);
    // The greeter quit without a session: greetd exits (0), as documented.
    assert.equal(await rig.waitForExit(10_000), 0);
  });

  it('cancel at the prompt, then a login works', async (t) => {
    const rig = await withRig(t, [
      [
        { op: 'login', user: LOGIN_USER, cancelOnPrompt: true },
        { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASSWORD] },
        { op: 'start_session', cmd: ['$SESSION', 'after-cancel'], env: [] },
      ],
      QUIT,
    ]);
    if (!rig) return;
    const marker = await rig.waitForMarker(10_000);
    assert.match(marker[0]!, /args=after-cancel$/);
    const [cancelled, ok] = outcomes(rig.greeterLog());
    assert.equal(cancelled!.code, 'CANCELLED');
    assert.deepEqual(ok, OK);
  });

  it('a two-prompt PAM stack is relayed in order', async (t) => {
    const rig = await withRig(
      t,
      [
        [
          { op: 'login', user: LOGIN_USER, answers: [OTP, 'wrong'] },
          { op: 'login', user: LOGIN_USER, answers: [OTP, LOGIN_PASSWORD] },
          { op: 'exit', code: 0 },
        ],
      ],
      { pam: 'two-prompt' },
    );
    if (!rig) return;
    await rig.waitForLine((l) => l.ev === 'exit', 10_000);
    const lines = rig.greeterLog();
    assert.deepEqual(outcomes(lines), [AUTH_ERR, OK]);
    const attempt = [
      { type: 'info', text: `First factor: one-time code for ${LOGIN_USER}` },
      { type: 'prompt', secret: false, text: 'Password: ' },
      { type: 'info', text: 'Second factor: password' },
      { type: 'prompt', secret: true, text: 'Password: ' },
    ];
    assert.deepEqual(events(lines), [...attempt, ...attempt]);
  });

  it('an OFFLINE_ERROR:-6:30 line from pam_exec arrives as an info event (a countdown)', async (t) => {
    const rig = await withRig(
      t,
      [
        [
          { op: 'login', user: LOGIN_USER, answers: ['wrong'] },
          { op: 'exit', code: 0 },
        ],
      ],
      { pam: 'offline-info' },
    );
    if (!rig) return;
    await rig.waitForLine((l) => l.ev === 'exit', 10_000);
    const lines = rig.greeterLog();
    assert.deepEqual(events(lines)[0], { type: 'info', text: 'OFFLINE_ERROR:-6:30' });
    // What the controller makes of it: the cache's lockout with its seconds.
    const message = parsePamText('info', 'OFFLINE_ERROR:-6:30');
    assert.equal(message.kind, 'offline-error');
    assert.ok(message.kind === 'offline-error' && message.lockSeconds === 30);
    assert.deepEqual(outcomes(lines), [AUTH_ERR]);
  });

  it("an account refused by pam_acct_mgmt keeps PAM's verdict and stage", async (t) => {
    const rig = await withRig(
      t,
      [
        [
          { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASSWORD] },
          { op: 'login', user: LOGIN_USER, answers: [LOGIN_PASSWORD] },
          { op: 'exit', code: 0 },
        ],
      ],
      { pam: 'account-denied' },
    );
    if (!rig) return;
    await rig.waitForLine((l) => l.ev === 'exit', 10_000);
    // greetd words it `pam_acct_mgmt: AUTH_ERR` (pam_deny's account answer is PAM_AUTH_ERR):
    // the stage says the password was right and the account was refused.
    const refused = {
      ok: false,
      kind: 'refused',
      result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'acct_mgmt' },
    };
    assert.deepEqual(outcomes(rig.greeterLog()), [refused, refused]);
  });
});
