// Lock on removal, with real parts: node-hid in a child process sees two software keys through
// the fake-hidraw shim, logind is python3-dbusmock's template on a private bus. The key holding
// the enrolled credential is found without a touch; removing another key does nothing;
// removing it calls logind's LockSession for the session. Another key of the same model taking
// its path between two polls (the kernel reuses /dev/hidrawN at once) counts as removal.
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openAuthenticator } from '../../fido2/device-choice';
import { REPO_ROOT } from '../../../testkit/paths';
import { FakeHidrawRig, hasFakeHidraw } from '../../../testkit/fido2/fake-hidraw-rig';
import type { SoftAuthenticator } from '../../../testkit/fido2/soft-ctap2';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import { requireOrSkip } from '../../../testkit/require';
import { logindMockMissing, startLogindMock } from '../../power/test/logind-mock';
import { enrollIntoAuthfile, enrolledCredentialIds } from '../index';

const RUNNER = join(REPO_ROOT, 'main/keys/test/removal-watch-runner-for-test.ts');
const ORIGIN = 'pam://bastion-test';
const GET_ASSERTION = 0x02;

const root = mkdtempSync(join(tmpdir(), 'bastion-removal-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** getAssertion requests that asked for user presence (up absent means up=true). */
function presenceRequests(authenticator: SoftAuthenticator, from: number): number {
  return authenticator.requestLog.slice(from).filter((entry) => {
    if (entry.command !== GET_ASSERTION) return false;
    const options = entry.params?.get(5);
    return !(options instanceof Map && options.get('up') === false);
  }).length;
}

async function lockCalls(mock: Awaited<ReturnType<typeof startLogindMock>>): Promise<number> {
  const reply = await mock.mockCall('GetCalls');
  return (JSON.stringify(reply.data).match(/"LockSession"/g) ?? []).length;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Enrolls alice on device 0 and bob on device 1, starts logind's mock and the watcher. */
async function watching(t: TestContext) {
  const rig = await FakeHidrawRig.start([{}, {}]);
  t.after(() => rig.stop());
  const [enrolled, other] = [rig.devices[0]!, rig.devices[1]!];
  // The other key holds a credential of its own for the same origin: only the person's counts.
  const authfile = join(root, `u2f_keys-${Math.random().toString(16).slice(2)}`);
  for (const [device, user] of [
    [enrolled, 'alice'],
    [other, 'bob'],
  ] as const) {
    const opened = await openAuthenticator(async () => new SoftHidDevice(device.hid), device.path);
    await enrollIntoAuthfile(opened.client, { user, authfile, origin: ORIGIN });
    await opened.close();
  }
  assert.equal(enrolledCredentialIds(authfile, 'alice').length, 1);
  const mock = await startLogindMock({});
  t.after(() => mock.stop());
  const logged = rig.devices.map((d) => d.authenticator.requestLog.length);

  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      RUNNER,
      JSON.stringify({
        rpId: ORIGIN,
        authfile,
        user: 'alice',
        address: mock.address,
        sessionId: 'c7',
        intervalMs: 200,
      }),
    ],
    { env: { ...process.env, ...rig.env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const timer = sleep(15_000).then(() => {
      throw new Error('the watcher said nothing in 15 s');
    });
    const line = await Promise.race([lines.next(), timer]);
    return JSON.parse((line as IteratorResult<string>).value) as Record<string, unknown>;
  };
  return { rig, enrolled, other, mock, child, next, logged };
}

const available = (t: TestContext): boolean => {
  const missing = logindMockMissing();
  return requireOrSkip(
    t,
    hasFakeHidraw() && missing === null,
    `fake_hidraw.so and ${missing ?? ''}`,
  );
};

describe('lock on removal (node-hid through the shim, logind mock on a private bus)', () => {
  it('finds the unlocking key without a touch; another key removed: no lock; it removed: LockSession', async (t: TestContext) => {
    if (!available(t)) return;
    const { enrolled, other, mock, child, next, logged } = await watching(t);

    assert.deepEqual(await next(), { watching: [enrolled.path] });
    // Asked without a touch: no getAssertion with user presence reached either key.
    assert.equal(presenceRequests(enrolled.authenticator, logged[0]!), 0);
    assert.equal(presenceRequests(other.authenticator, logged[1]!), 0);
    assert.ok(
      enrolled.authenticator.requestLog.slice(logged[0]).some((e) => e.command === GET_ASSERTION),
      'the enrolled key was asked',
    );

    other.unplug();
    await sleep(1_000); // five polls
    assert.equal(await lockCalls(mock), 0, 'another key removed: no lock');
    assert.equal(child.exitCode, null);

    enrolled.unplug();
    assert.deepEqual(await next(), { lockRequested: true });
    assert.equal(await lockCalls(mock), 1);
    const reply = await mock.mockCall('GetCalls');
    assert.match(JSON.stringify(reply.data), /"LockSession",\[\{"type":"s","data":"c7"\}\]/);
  });

  it('another key of the same model takes its hidraw path between two polls: LockSession', async (t: TestContext) => {
    if (!available(t)) return;
    const { rig, enrolled, mock, child, next } = await watching(t);
    assert.deepEqual(await next(), { watching: [enrolled.path] });
    await sleep(600); // polls that find it unchanged
    assert.equal(await lockCalls(mock), 0, 'nothing changed: no lock');
    assert.equal(child.exitCode, null);

    // Unplugged and another plugged in at once: the path is never missing from the list.
    const newcomer = await rig.replaceDevice(0);
    assert.equal(newcomer.path, enrolled.path);
    assert.deepEqual(await next(), { lockRequested: true });
    assert.equal(await lockCalls(mock), 1);
  });
});
