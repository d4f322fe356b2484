// PAM round trip: one whole transaction (start, START, password prompt, answer, authenticate,
// acct_mgmt, RESULT) through our helper from main/pam, in both of its modes — spawned as the
// setuid binary is, and socket-activated (`--socket` under systemd-socket-activate --accept
// --inetd, which forks and execs one helper per connection as the Accept=yes unit does) —
// against `pamtester` doing the same operations on the same pam_wrapper stack, all in one run.
// The socket figure has no PID-1 cost in it (cgroup, sandbox namespaces of the unit): there is
// no PID-1 systemd here.
// The helper build measured is `test-build-pam-helper-bench`: the release compiler flags with the
// test switch (so it reads the pam_wrapper stack), without the sanitizers of the test build.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrame, FrameType } from '../main/pam/frames';
import { runPamTransaction } from '../main/pam/helper-client';
import { createPamStack, matrixService } from '../testkit/pam-stack';
import { HELPER_BENCH_BUILD } from '../testkit/paths';
import { startSocketActivatedHelper } from '../testkit/socket-activate';
import { median, round, timeRuns } from './stats';

const RUNS = 30;
// An account the system knows (pam_matrix holds its test password): a real login is for a real
// account, and the helper looks the account up (getpwnam, to key its rate limit). An unknown
// name walks every NSS source (here files, then systemd), which costs pam_unix the same.
const ACCOUNT = 'nobody';
const helperPath = HELPER_BENCH_BUILD;
if (!existsSync(helperPath)) throw new Error(`${helperPath} missing: run make -C native-helper`);

const stack = createPamStack({
  services: { 'bastion-greeter': matrixService() },
  users: [{ user: ACCOUNT, password: 'secret', service: 'bastion-greeter' }],
});

// The helper's rate-limit state lives on tmpfs (/run/bastion-pam-helper) when installed; the
// bench points the test switch at a tmpfs dir of its own so nothing is left in /run.
const stateRoot = mkdtempSync('/dev/shm/bastion-bench-');
const helperEnv = { ...stack.env, BASTION_TEST_STATE_DIR: join(stateRoot, 'helper-state') };

// The socket-activated mode: the same build, the same environment, one helper per connection.
const activated = await startSocketActivatedHelper({ binary: helperPath, env: helperEnv });

/** One transaction through main/pam's client; `socketPath` set: the socket-activated mode. */
async function roundTrip(socketPath: string | null): Promise<void> {
  const tx = runPamTransaction({
    helperPath,
    socketPath,
    service: 'bastion-greeter',
    user: ACCOUNT,
    env: helperEnv,
  });
  for await (const event of tx.events()) {
    if (event.type === 'prompt') tx.answer('secret');
    if (event.type === 'result' && !event.outcome.ok) {
      throw new Error(`helper round trip failed: ${JSON.stringify(event.outcome)}`);
    }
  }
  // A silent fallback to spawning would measure the wrong mode.
  const expected = socketPath === null ? 'spawn' : 'socket';
  if (tx.transport !== expected) throw new Error(`ran over ${tx.transport}, not ${expected}`);
}
const viaHelper = () => roundTrip(null);
const viaSocket = () => roundTrip(activated.path);

/**
 * The helper alone, its frames pre-written into stdin like `pamtester` with a pre-filled stdin:
 * START and the ANSWER are both there before it reads (no conversation round trip), its output
 * read and discarded. This isolates the C helper from main's client.
 */
const PREFILLED_FRAMES = Buffer.concat([
  encodeFrame(FrameType.START, `bastion-greeter\0${ACCOUNT}`),
  encodeFrame(FrameType.ANSWER, 'secret'),
]);
function viaHelperPrefilled(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(helperPath, [], { env: helperEnv, stdio: ['pipe', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
    // Written, not ended: the helper reads a closed input while PAM runs as its caller leaving
    // (PROTOCOL.md, the peer watch) and cancels, so the pipe stays open until it exits.
    child.stdin.write(PREFILLED_FRAMES);
    child.on('exit', () => child.stdin.destroy());
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 && output.includes('0:PAM_SUCCESS:acct_mgmt')
        ? resolve()
        : reject(new Error(`helper exit ${code}`)),
    );
  });
}

/**
 * pamtester with its password answered the way the greeter answers: only once the prompt has
 * arrived (`interactive`), or pre-written into its stdin before it starts (`prefilled`, no
 * conversation round trip at all: the floor).
 */
function viaPamtester(interactive: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('pamtester', ['bastion-greeter', ACCOUNT, 'authenticate', 'acct_mgmt'], {
      env: { ...stack.env, PATH: '/usr/bin:/bin' },
      // pamtester writes its prompt to stderr.
      stdio: ['pipe', 'ignore', interactive ? 'pipe' : 'ignore'],
    });
    if (interactive) {
      let seen = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        if (seen.includes('Password:')) return;
        seen += chunk.toString('utf8');
        if (seen.includes('Password:')) child.stdin.end('secret\n');
      });
    } else {
      child.stdin.end('secret\n');
    }
    child.on('error', reject);
    // 'close' (exit and pipes closed), as the helper client waits for before its verdict.
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`pamtester exit ${code}`)),
    );
  });
}

try {
  // Interleave them all so drift in machine load hits them alike.
  const helperSamples: number[] = [];
  const socketSamples: number[] = [];
  const interactiveSamples: number[] = [];
  const prefilledSamples: number[] = [];
  const helperPrefilledSamples: number[] = [];
  const interactive = () => viaPamtester(true);
  const prefilled = () => viaPamtester(false);
  for (const warm of [viaHelper, viaSocket, interactive, prefilled, viaHelperPrefilled]) {
    await timeRuns(warm, 0, 3);
  }
  for (let i = 0; i < RUNS; i++) {
    helperSamples.push(...(await timeRuns(viaHelper, 1, 0)));
    socketSamples.push(...(await timeRuns(viaSocket, 1, 0)));
    interactiveSamples.push(...(await timeRuns(interactive, 1, 0)));
    prefilledSamples.push(...(await timeRuns(prefilled, 1, 0)));
    helperPrefilledSamples.push(...(await timeRuns(viaHelperPrefilled, 1, 0)));
  }
  const helperMs = median(helperSamples);
  const socketMs = median(socketSamples);
  const interactiveMs = median(interactiveSamples);
  const prefilledMs = median(prefilledSamples);
  const helperPrefilledMs = median(helperPrefilledSamples);
  console.log(
    JSON.stringify({
      runs: RUNS,
      helper_round_trip_median_ms: round(helperMs),
      pamtester_interactive_median_ms: round(interactiveMs),
      pamtester_prefilled_stdin_median_ms: round(prefilledMs),
      ratio_helper_vs_pamtester: round(helperMs / interactiveMs),
      ratio_helper_vs_pamtester_prefilled: round(helperMs / prefilledMs),
      socket_round_trip_median_ms: round(socketMs),
      ratio_socket_vs_pamtester: round(socketMs / interactiveMs),
      ratio_socket_vs_pamtester_prefilled: round(socketMs / prefilledMs),
      socket_activation: 'systemd-socket-activate --accept --inetd (no PID-1 unit costs)',
      helper_alone_prefilled_stdin_median_ms: round(helperPrefilledMs),
      ratio_helper_alone_vs_pamtester_prefilled: round(helperPrefilledMs / prefilledMs),
      goal_ratio: 1.1,
    }),
  );
} finally {
  await activated.stop();
  stack.cleanup();
  rmSync(stateRoot, { recursive: true, force: true });
}
