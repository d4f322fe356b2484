// Touch or type, whichever comes first (issue #9 item 4), end to end: the controller runs the
// password service and the key service side by side through OUR helper (test build), on real
// libpam (pam_wrapper) with real pam_u2f (Debian libpam-u2f), which reaches the software
// authenticator through the fake-hidraw shim preloaded into the helper. The mapping is
// written by main/keys (enrollIntoAuthfile), as the wizard does.
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { AuthSnapshot, SecurityKeySnapshot } from '../../preload/api';
import { openAuthenticator } from '../fido2/device-choice';
import { enrollIntoAuthfile } from '../keys';
import { FAKE_HIDRAW_SO, FakeHidrawRig, hasFakeHidraw } from '../../testkit/fido2/fake-hidraw-rig';
import type { SoftAuthenticatorConfig } from '../../testkit/fido2/soft-ctap2';
import { SoftHidDevice } from '../../testkit/fido2/soft-hid-device';
import { PAM_MATRIX, PAM_WRAPPER_LIB } from '../../testkit/pam-stack';
import { fileExists, requireOrSkip } from '../../testkit/require';
import {
  createHelperFixture,
  hasHelperTestBuild,
  HELPER_TEST_BINARY,
} from '../pam/test/real-helper';
import { AuthController } from './controller';
import { helperTransport } from './helper-transport';
import { readPinRetries } from './key-device';
import type { AuthConversation, AuthTransport } from './transport';

const PAM_U2F = '/lib/x86_64-linux-gnu/security/pam_u2f.so';
const ORIGIN = 'pam://bastion-test';
const PASSWORD = 'correct horse';
const PIN = '24680';
const USER = userInfo().username; // pam_u2f needs a passwd entry; the helper runs as root here

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function processGone(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The real helper transport, keeping each conversation so the test can see its helper pid. */
function recorded(transport: AuthTransport, into: AuthConversation[]): AuthTransport {
  return {
    kind: transport.kind,
    begin(user) {
      const conversation = transport.begin(user);
      into.push(conversation);
      return conversation;
    },
  };
}
const pidOf = (c: AuthConversation | undefined): number | undefined =>
  (c as { pid?: number } | undefined)?.pid;

interface Rig {
  controller: AuthController;
  rig: FakeHidrawRig;
  passwordRuns: AuthConversation[];
  keyRuns: AuthConversation[];
  snapshots: AuthSnapshot[];
  keyStates: SecurityKeySnapshot[];
}

async function setup(
  t: TestContext,
  config: Partial<SoftAuthenticatorConfig>,
  requirement: 'presence' | 'pin',
  u2fOptions = '',
  log?: (line: string) => void,
): Promise<Rig> {
  const root = mkdtempSync(join(tmpdir(), 'bastion-u2f-controller-'));
  roots.push(root);
  const authfile = join(root, 'keys', 'u2f_keys');
  const rig = await FakeHidrawRig.start([{ config: { ...config, touchDelayMs: 0 } }]);
  t.after(() => rig.stop());
  const device = rig.devices[0]!;
  // Enrolled as the wizard does (main/keys), through our CTAP2 stack in process.
  const opened = await openAuthenticator(async () => new SoftHidDevice(device.hid), device.path);
  await enrollIntoAuthfile(opened.client, {
    user: USER,
    authfile,
    origin: ORIGIN,
    requirement,
    ...(requirement === 'pin' ? { pin: Buffer.from(PIN) } : {}),
  });
  await opened.close();
  device.authenticator.config.touchDelayMs = config.touchDelayMs ?? 0;
  const fixture = createHelperFixture({
    services: {
      'bastion-greeter': `auth required ${PAM_MATRIX} passdb={passdb}\naccount required ${PAM_MATRIX} passdb={passdb}\n`,
      // As resources/pam/u2f/bastion-greeter-u2f, with the test's authfile and origin.
      'bastion-greeter-u2f': `auth required ${PAM_U2F} cue authfile=${authfile} origin=${ORIGIN} appid=${ORIGIN} authpending_file= ${u2fOptions}\naccount required pam_permit.so\n`,
    },
    users: [{ user: USER, password: PASSWORD, service: 'bastion-greeter' }],
  });
  t.after(() => fixture.cleanup());
  const env = {
    ...fixture.env,
    ...rig.env,
    LD_PRELOAD: `${PAM_WRAPPER_LIB} ${FAKE_HIDRAW_SO}`,
  };
  const passwordRuns: AuthConversation[] = [];
  const keyRuns: AuthConversation[] = [];
  const controller = new AuthController({
    transport: recorded(
      helperTransport({
        helperPath: HELPER_TEST_BINARY,
        service: 'bastion-greeter',
        env,
        deadlineMs: 30_000,
      }),
      passwordRuns,
    ),
    keyTransport: recorded(
      helperTransport({
        helperPath: HELPER_TEST_BINARY,
        service: 'bastion-greeter-u2f',
        env,
        deadlineMs: 30_000,
      }),
      keyRuns,
    ),
    helperPath: HELPER_TEST_BINARY,
    service: 'bastion-greeter',
    ...(log ? { log } : {}),
    // Our CTAP2 stack reads the retries from the same authenticator; in process, because this
    // test process has no shim preloaded for node-hid (the app lists and opens with node-hid).
    keyPinRetries: () =>
      readPinRetries({
        list: async () => [
          { path: device.path, vendorId: 0x1209, productId: 0xb457, product: '', manufacturer: '' },
        ],
        open: async () => new SoftHidDevice(device.hid),
      }),
  });
  t.after(() => controller.close());
  const snapshots: AuthSnapshot[] = [];
  const keyStates: SecurityKeySnapshot[] = [];
  controller.subscribe((s) => snapshots.push(s));
  controller.subscribeKey((s) => keyStates.push(s));
  return { controller, rig, passwordRuns, keyRuns, snapshots, keyStates };
}

const phases = (states: SecurityKeySnapshot[]) => states.map((s) => s.phase);

describe('touch or type, whichever comes first: our helper, real pam_u2f, the software key', () => {
  const ready = (t: TestContext) =>
    requireOrSkip(
      t,
      hasHelperTestBuild() && hasFakeHidraw() && fileExists(PAM_U2F) && process.getuid?.() === 0,
      'the helper test build, libpam-wrapper, libpam-u2f, fake_hidraw.so and root',
    );

  it('a touch unlocks; the password transaction is cancelled (its helper gone, no leftovers)', async (t) => {
    if (!ready(t)) return;
    const r = await setup(t, { touchDelayMs: 400 }, 'presence');
    await r.controller.start(USER);
    await until(() => r.controller.snapshot().phase === 'success', 15_000, 'the key to win');
    await r.controller.idle();
    await r.controller.keyIdle();
    assert.equal(r.controller.snapshot().phase, 'success');
    assert.ok(
      phases(r.keyStates).includes('touch'),
      `key states: ${phases(r.keyStates).join(',')}`,
    );
    assert.equal(r.controller.keySnapshot().phase, 'success');
    // The password side was at its prompt, never answered, and is gone.
    assert.equal(r.passwordRuns.length, 1);
    await until(
      () => processGone(pidOf(r.passwordRuns[0])) && processGone(pidOf(r.keyRuns[0])),
      5_000,
      'both helpers to exit',
    );
    assert.ok(
      !r.snapshots.some((s) => s.phase === 'failure'),
      'the cancelled password side is not a failure',
    );
  });

  it('a password typed while the key waits for its PIN: unlocked by the password, the PIN retries unchanged', async (t) => {
    if (!ready(t)) return;
    const r = await setup(t, { pin: PIN, touchDelayMs: null }, 'pin');
    const authenticator = r.rig.devices[0]!.authenticator;
    const retriesBefore = authenticator.pinRetries;
    const logged = authenticator.requestLog.length;
    await r.controller.start(USER);
    await until(() => r.controller.keySnapshot().phase === 'pin', 15_000, 'the key PIN prompt');
    await until(() => r.controller.snapshot().phase === 'prompting', 15_000, 'the password prompt');
    assert.equal(r.controller.keySnapshot().pinRetries, retriesBefore);
    r.controller.answer(PASSWORD); // the password field: only ever the password conversation
    await r.controller.idle();
    await r.controller.keyIdle();
    assert.equal(r.controller.snapshot().phase, 'success');
    assert.equal(r.controller.keySnapshot().phase, 'off');
    assert.equal(authenticator.pinRetries, retriesBefore);
    // No PIN token was ever asked for (clientPIN 5 / 9): nothing reached the key as a PIN.
    const tokens = authenticator.requestLog
      .slice(logged)
      .filter((e) => e.command === 0x06 && [5, 9].includes(e.params?.get(2) as number));
    assert.deepEqual(tokens, []);
    await until(() => processGone(pidOf(r.keyRuns[0])), 5_000, 'the key helper to exit');
  });

  it('a wrong PIN: refused with the retries left; the password still works', async (t) => {
    if (!ready(t)) return;
    const r = await setup(t, { pin: PIN, touchDelayMs: 0 }, 'pin');
    await r.controller.start(USER);
    await until(() => r.controller.keySnapshot().phase === 'pin', 15_000, 'the key PIN prompt');
    const before = r.controller.keySnapshot().pinRetries!;
    r.controller.answerKeyPin('1111');
    await r.controller.keyIdle();
    const refused = r.controller.keySnapshot();
    assert.equal(refused.phase, 'refused');
    assert.equal(refused.problem, 'pin-wrong');
    assert.equal(refused.pinRetries, before - 1);
    assert.equal(r.rig.devices[0]!.authenticator.pinRetries, before - 1);
    assert.equal(r.controller.snapshot().phase, 'prompting', 'the password side is untouched');
    r.controller.answer(PASSWORD);
    await r.controller.idle();
    assert.equal(r.controller.snapshot().phase, 'success');
  });

  it('the right PIN then a touch unlocks', async (t) => {
    if (!ready(t)) return;
    const r = await setup(t, { pin: PIN, touchDelayMs: 200 }, 'pin');
    await r.controller.start(USER);
    await until(() => r.controller.keySnapshot().phase === 'pin', 15_000, 'the key PIN prompt');
    r.controller.answerKeyPin(PIN);
    await until(() => r.controller.snapshot().phase === 'success', 15_000, 'the key to win');
    assert.equal(r.rig.devices[0]!.authenticator.pinRetries, 8);
  });

  it('a blocked PIN: said so, no PIN is sent; the password still works', async (t) => {
    if (!ready(t)) return;
    const r = await setup(t, { pin: PIN, touchDelayMs: 0 }, 'pin');
    const authenticator = r.rig.devices[0]!.authenticator;
    authenticator.pinRetries = 0; // blocked after enrollment
    const logged = authenticator.requestLog.length;
    await r.controller.start(USER);
    await until(() => r.controller.keySnapshot().phase === 'refused', 15_000, 'the key refusal');
    assert.equal(r.controller.keySnapshot().problem, 'pin-blocked');
    // clientPIN subcommands after start: only getRetries (1) / getKeyAgreement (2), no token.
    const pinSubcommands = authenticator.requestLog
      .slice(logged)
      .filter((e) => e.command === 0x06)
      .map((e) => e.params?.get(2));
    assert.ok(
      pinSubcommands.every((sub) => sub === 1 || sub === 2),
      `clientPIN: ${pinSubcommands.join(',')}`,
    );
    await until(() => r.controller.snapshot().phase === 'prompting', 15_000, 'the password prompt');
    r.controller.answer(PASSWORD);
    await r.controller.idle();
    assert.equal(r.controller.snapshot().phase, 'success');
  });

  it('a key without the credential is refused and the password still works', async (t) => {
    if (!ready(t)) return;
    const r = await setup(t, { touchDelayMs: 0 }, 'presence');
    r.rig.devices[0]!.authenticator.credentials.length = 0;
    await r.controller.start(USER);
    await until(() => r.controller.keySnapshot().phase === 'refused', 15_000, 'the key refusal');
    assert.equal(r.controller.keySnapshot().problem, 'refused');
    assert.ok(!phases(r.keyStates).includes('touch'), 'no touch was asked for');
    await until(() => r.controller.snapshot().phase === 'prompting', 15_000, 'the password prompt');
    r.controller.answer(PASSWORD);
    await r.controller.idle();
    assert.equal(r.controller.snapshot().phase, 'success');
  });

  it('pam_u2f `alwaysok` says yes without a touch: not unlocked, logged once (issue #9 review, finding 3)', async (t) => {
    if (!ready(t)) return;
    const lines: string[] = [];
    const r = await setup(t, { touchDelayMs: 0 }, 'presence', 'alwaysok', (line) =>
      lines.push(line),
    );
    r.rig.devices[0]!.authenticator.credentials.length = 0; // the key cannot answer: alwaysok does
    await r.controller.start(USER);
    await until(() => r.controller.keySnapshot().phase === 'refused', 15_000, 'the key refusal');
    await r.controller.keyIdle();
    assert.ok(!phases(r.keyStates).includes('touch'), 'no touch was asked for');
    assert.notEqual(r.controller.snapshot().phase, 'success');
    assert.equal(
      lines.filter((l) => /without pam_u2f's touch cue or a PIN/.test(l)).length,
      1,
      lines.join('\n'),
    );
    await until(() => r.controller.snapshot().phase === 'prompting', 15_000, 'the password prompt');
    r.controller.answer(PASSWORD);
    await r.controller.idle();
    assert.equal(r.controller.snapshot().phase, 'success');
  });
});
