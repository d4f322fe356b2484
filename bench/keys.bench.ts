// Enrollment round trip for pam_u2f through the fake-hidraw shim against one software
// authenticator: our `bastion-keys keys enroll` (make credential + test assertion + atomic
// write of the mapping) vs Debian's `pamu2fcfg` (make credential + attestation check, line on
// stdout), each a whole command as an administrator runs it, medians of RUNS, same run, same
// authenticator. Also: CTAPHID messages per enrollment (authenticator side) and our round trip
// in process (no process start, no shim) for scale.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openAuthenticator } from '../main/fido2/device-choice';
import { enrollKey } from '../main/keys';
import { FakeHidrawRig } from '../testkit/fido2/fake-hidraw-rig';
import { SoftHidDevice } from '../testkit/fido2/soft-hid-device';
import { BUILD_DIR, REPO_ROOT } from '../testkit/paths';
import { median, round, timeRuns } from './stats';

const RUNS = 15;
const ORIGIN = 'pam://bastion-bench';
const USER = userInfo().username;
const BUNDLE = join(BUILD_DIR, 'cli/bastion-keys.mjs');

function run(command: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: REPO_ROOT,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${command} exited ${code}: ${stderr}`)),
    );
  });
}

const rig = await FakeHidrawRig.start([{}]);
const dir = mkdtempSync(join(tmpdir(), 'bastion-keys-bench-'));
try {
  const device = rig.devices[0]!;
  const ours = existsSync(BUNDLE)
    ? { command: process.execPath, prefix: [BUNDLE] }
    : {
        command: process.execPath,
        prefix: ['--import', 'tsx', join(REPO_ROOT, 'main/cli/bastion-keys.ts')],
      };
  let n = 0;
  const oursOnce = () =>
    run(
      ours.command,
      [
        ...ours.prefix,
        'keys',
        'enroll',
        '--user',
        USER,
        '--device',
        device.path,
        '--authfile',
        join(dir, `f${n++}`, 'u2f_keys'),
        '--origin',
        ORIGIN,
      ],
      rig.env,
    );
  const pamu2fcfgOnce = () => run('pamu2fcfg', ['-u', USER, '-o', ORIGIN, '-i', ORIGIN], rig.env);
  const messages = async (fn: () => Promise<number>) => {
    const before = device.hid.messagesReceived;
    await fn();
    return device.hid.messagesReceived - before;
  };
  await oursOnce(); // warm-up (file cache)
  await pamu2fcfgOnce();
  const oursMsgs = await messages(oursOnce);
  const theirMsgs = await messages(pamu2fcfgOnce);
  const oursMs: number[] = [];
  const theirMs: number[] = [];
  // Interleaved, so drift in machine load hits both alike.
  for (let i = 0; i < RUNS; i++) {
    oursMs.push(await oursOnce());
    theirMs.push(await pamu2fcfgOnce());
  }
  // In process over the same authenticator (no shim, no process start): the CTAP2 work alone.
  const opened = await openAuthenticator(async () => new SoftHidDevice(device.hid), '/dev/soft');
  const inProcess = await timeRuns(
    () => enrollKey(opened.client, { user: USER, origin: ORIGIN }),
    RUNS,
  );
  await opened.close();
  // The floor of any `bastion-keys` command: node start + bundle load, no device.
  const helpMs: number[] = [];
  for (let i = 0; i < RUNS; i++)
    helpMs.push(await run(ours.command, [...ours.prefix, '--help'], {}));
  const o = median(oursMs);
  const p = median(theirMs);
  process.stdout.write(
    JSON.stringify({
      bench: 'keys-enroll-round-trip',
      runs: RUNS,
      ours_cli_median_ms: round(o, 1),
      pamu2fcfg_median_ms: round(p, 1),
      time_ratio_ours_vs_pamu2fcfg: round(o / p),
      ours_cli_startup_floor_median_ms: round(median(helpMs), 1),
      ours_in_process_median_ms: round(median(inProcess), 2),
      ours_ctaphid_messages_per_enrollment: oursMsgs,
      pamu2fcfg_ctaphid_messages_per_enrollment: theirMsgs,
      note: 'ours = make credential + test assertion + mapping write, node start included; pamu2fcfg = make credential + attestation check, no test assertion, no file write',
    }) + '\n',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await rig.stop();
}
