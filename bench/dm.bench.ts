// Display-manager login round trip (issue 8): a real LightDM 1.26 (`--test-mode`, Xvfb, as the
// non-root test account; testkit/dm/lightdm-rig.ts) with its test greeter
// (testkit/dm/lightdm-greeter-for-test.ts, which drives main/dm/lightdm): from the greeter's
// AUTHENTICATE to the rig's session script running as the user (LightDM ran PAM in its session
// child, the greeter answered the prompt, asked START_SESSION, was told to exit, exited, and
// LightDM started the session). Against the helper transport in the same run: one whole
// transaction through main/pam's client (spawned helper, its release-flags test build) on the
// SAME PAM stack (pam_wrapper, the rig's stack with its mode switches off), which has no session
// to start. Interleaved, so drift in machine load hits both alike. Runs as root (the rig drops
// to its test account).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runPamTransaction } from '../main/pam/helper-client';
import {
  LOGIN_PASS,
  LOGIN_USER,
  TEST_SESSION,
  lightdmRigMissing,
  lightdmRigPamStack,
  startLightdmRig,
  type LightdmRig,
} from '../testkit/dm/lightdm-rig';
import { PAM_WRAPPER_LIB } from '../testkit/pam-stack';
import { HELPER_BENCH_BUILD, HELPER_OUT } from '../testkit/paths';
import { fileExists } from '../testkit/require';
import { median, round } from './stats';

const RUNS = 25;
const METHOD_MODULE = join(HELPER_OUT, 'pam_bastion_method.so');
const WARMUP = 2;

const missing = lightdmRigMissing();
if (missing !== null) throw new Error(`the LightDM rig needs ${missing}`);
if (!fileExists(HELPER_BENCH_BUILD) || !fileExists(METHOD_MODULE)) {
  throw new Error(`${HELPER_BENCH_BUILD} missing: run make -C native-helper`);
}

// The helper's stack: the rig's own, in a dir of its own (pam_wrapper reads it from there); on
// tmpfs, as pam.bench.ts keeps the helper's rate-limit state.
const stackDir = mkdtempSync('/dev/shm/bastion-dm-bench-');
writeFileSync(join(stackDir, 'passdb'), `${LOGIN_USER}:${LOGIN_PASS}:bastion-greeter\n`, {
  mode: 0o600,
});
writeFileSync(join(stackDir, 'passdb-otp'), `${LOGIN_USER}:000000:bastion-greeter\n`, {
  mode: 0o600,
});
writeFileSync(join(stackDir, 'bastion-greeter'), lightdmRigPamStack(stackDir));
const helperEnv = {
  LD_PRELOAD: PAM_WRAPPER_LIB,
  PAM_WRAPPER: '1',
  PAM_WRAPPER_SERVICE_DIR: stackDir,
  UID_WRAPPER_DISABLE_DEEPBIND: '1',
  BASTION_TEST_STATE_DIR: join(stackDir, 'helper-state'),
};

async function helperRoundTrip(): Promise<number> {
  const start = performance.now();
  const tx = runPamTransaction({
    helperPath: HELPER_BENCH_BUILD,
    socketPath: null,
    service: 'bastion-greeter',
    user: LOGIN_USER,
    env: helperEnv,
  });
  for await (const event of tx.events()) {
    if (event.type === 'prompt') tx.answer(LOGIN_PASS);
    if (event.type === 'result' && !event.outcome.ok) {
      throw new Error(`helper round trip failed: ${JSON.stringify(event.outcome)}`);
    }
  }
  return performance.now() - start;
}

interface LightdmSample {
  /** AUTHENTICATE → the session script's first line (ms). */
  roundTrip: number;
  /** AUTHENTICATE → END_AUTHENTICATION success (the part the helper also does). */
  auth: number;
  /** START_SESSION sent → the session script's first line. */
  sessionStart: number;
}

async function lightdmLogin(
  rig: LightdmRig,
  answers: string[] = [LOGIN_PASS],
): Promise<LightdmSample> {
  const before = rig.sessionStarts().length;
  const run = rig.queueRun({
    resettable: false,
    steps: [
      { op: 'login', user: LOGIN_USER, answers },
      { op: 'start_session', name: TEST_SESSION },
    ],
  });
  const outcome = await rig.waitFor(run, (r) => r.ev === 'outcome', 15_000);
  if ((outcome.outcome as { ok?: boolean }).ok !== true) {
    throw new Error(`LightDM login failed: ${JSON.stringify(outcome)}\n${rig.log()}`);
  }
  const session = await rig.waitFor(run, (r) => r.ev === 'session', 15_000);
  const starts = await rig.waitSessionStarts(before + 1, 15_000);
  // "<epoch seconds with ns> USER=<name>", written by the session script as it starts.
  if (!starts[before]!.endsWith(` USER=${LOGIN_USER}`)) {
    throw new Error(`unexpected session start: ${starts[before]}`);
  }
  const startedAt = Number(starts[before]!.split(' ')[0]) * 1000;
  const begunAt = outcome.t - (outcome.ms as number);
  const sessionAskedAt = session.t - (session.ms as number);
  // The next greeter must not start its login while this session is still being torn down.
  await rig.waitFor(run, (r) => r.ev === 'ended' || r.ev === 'crash', 15_000);
  return {
    roundTrip: startedAt - begunAt,
    auth: outcome.ms as number,
    sessionStart: startedAt - sessionAskedAt,
  };
}

const benchStarted = performance.now();
const rig = await startLightdmRig();
let withMethod: LightdmRig | null = null;
try {
  const lightdm: LightdmSample[] = [];
  const helper: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const l = await lightdmLogin(rig);
    const h = await helperRoundTrip();
    if (i >= WARMUP) {
      lightdm.push(l);
      helper.push(h);
    }
  }
  await rig.stop();
  // The same login through a stack asking pam_bastion_method's question first (security keys on
  // under LightDM, README "Touch or type"), answered "password" as the greeter's password side
  // does: the cost of the question when the password goes. pam_u2f's line is skipped (its
  // mapping is never read: an empty file).
  writeFileSync(join(stackDir, 'u2f_keys'), '', { mode: 0o644 });
  withMethod = await startLightdmRig({
    keyAuthfile: join(stackDir, 'u2f_keys'),
    keyMethodModule: METHOD_MODULE,
  });
  const method: LightdmSample[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const m = await lightdmLogin(withMethod, ['password', LOGIN_PASS]);
    if (i >= WARMUP) method.push(m);
  }
  const roundTripMs = median(lightdm.map((s) => s.roundTrip));
  const methodAuthMs = median(method.map((s) => s.auth));
  const helperMs = median(helper);
  console.log(
    JSON.stringify({
      runs: RUNS,
      lightdm_login_round_trip_median_ms: round(roundTripMs, 1),
      lightdm_login_round_trip_max_ms: round(Math.max(...lightdm.map((s) => s.roundTrip)), 1),
      lightdm_authenticate_median_ms: round(median(lightdm.map((s) => s.auth)), 1),
      lightdm_start_session_to_session_running_median_ms: round(
        median(lightdm.map((s) => s.sessionStart)),
        1,
      ),
      helper_round_trip_median_ms: round(helperMs, 1),
      ratio_lightdm_login_vs_helper: round(roundTripMs / helperMs, 2),
      ratio_lightdm_authenticate_vs_helper: round(median(lightdm.map((s) => s.auth)) / helperMs, 2),
      lightdm_authenticate_with_method_question_median_ms: round(methodAuthMs, 1),
      ratio_method_question_vs_plain_authenticate: round(
        methodAuthMs / median(lightdm.map((s) => s.auth)),
        2,
      ),
      what:
        'LightDM: AUTHENTICATE → session script running (greeter exit and session start ' +
        'included; ms clock); helper: one spawned-helper transaction, authenticate + ' +
        'acct_mgmt, no session; same pam_wrapper stack. with_method_question: the stack asking ' +
        'pam_bastion_method\'s question first, answered "password" (after the plain runs)',
      total_s: round((performance.now() - benchStarted) / 1000, 1),
    }),
  );
} finally {
  await rig.stop();
  await withMethod?.stop();
  rmSync(stackDir, { recursive: true, force: true });
}
