// Fault tests through the fake-hidraw shim: our stack runs over node-hid's real native path in
// a child process; the software authenticator misbehaves as configured. Each fault must end
// in a typed error (or a success where the host must cope), and none may hang.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { FakeHidrawRig, hasFakeHidraw } from '../../../testkit/fido2/fake-hidraw-rig';
import type { DeviceSpec } from '../../../testkit/fido2/fake-hidraw-rig';
import type { SoftAuthenticatorConfig } from '../../../testkit/fido2/soft-ctap2';
import type { DriverRequest } from '../../../testkit/fido2/host-driver';
import { runHostDriver } from '../../../testkit/fido2/peers';
import { requireOrSkip } from '../../../testkit/require';
import { enrollInProcess } from './rig-helpers';

interface Scenario {
  name: string;
  spec: DeviceSpec;
  /** Faults switched on after enrollment. */
  faults?: DeviceSpec['faults'];
  /** Authenticator settings changed after enrollment. */
  later?: Partial<SoftAuthenticatorConfig>;
  pin?: string;
  enrollPin?: string;
  request: Partial<DriverRequest>;
  expect: { error: string } | { ok: true };
  /** Upper bound on the child's whole run. */
  maxMs: number;
}

const salt1 = randomBytes(32).toString('hex');
const scenarios: Scenario[] = [
  {
    name: 'channel busy, then free: retried',
    spec: {},
    faults: { busyCount: 3 },
    request: { op: 'hmac' },
    expect: { ok: true },
    maxMs: 5000,
  },
  {
    name: 'channel busy for good: DEVICE_BUSY',
    spec: {},
    faults: { busyCount: 1000 },
    request: { op: 'hmac', timeoutMs: 800 },
    expect: { error: 'DEVICE_BUSY' },
    maxMs: 5000,
  },
  {
    name: 'interleaved foreign-channel frames: skipped',
    spec: {},
    faults: { foreignFrames: true },
    request: { op: 'hmac' },
    expect: { ok: true },
    maxMs: 5000,
  },
  {
    name: 'bad sequence number: PROTOCOL_ERROR',
    spec: {},
    faults: { badSequence: true },
    request: { op: 'hmac' },
    expect: { error: 'PROTOCOL_ERROR' },
    maxMs: 5000,
  },
  {
    name: 'keepalive flood: TIMEOUT',
    spec: {},
    faults: { keepaliveFlood: true },
    request: { op: 'hmac', timeoutMs: 800 },
    expect: { error: 'TIMEOUT' },
    maxMs: 6000,
  },
  {
    name: 'silent device: TIMEOUT',
    spec: {},
    faults: { silent: true },
    request: { op: 'hmac', timeoutMs: 800 },
    expect: { error: 'TIMEOUT' },
    maxMs: 6000,
  },
  {
    name: 'cancel during touch wait: CANCELLED',
    spec: {},
    later: { touchDelayMs: null },
    request: { op: 'cancel-during-touch' },
    expect: { error: 'CANCELLED' },
    maxMs: 5000,
  },
  {
    name: 'no touch before the deadline: TIMEOUT',
    spec: {},
    later: { touchDelayMs: null },
    request: { op: 'hmac', timeoutMs: 700 },
    expect: { error: 'TIMEOUT' },
    maxMs: 5000,
  },
  {
    name: 'wrong PIN: PIN_INVALID',
    spec: { config: { pin: '123456' } },
    enrollPin: '123456',
    pin: '654321',
    request: { op: 'hmac' },
    expect: { error: 'PIN_INVALID' },
    maxMs: 5000,
  },
  {
    name: 'PIN blocked: PIN_BLOCKED',
    spec: { config: { pin: '123456', pinRetries: 1 } },
    enrollPin: '123456',
    pin: '000000',
    request: { op: 'hmac' },
    expect: { error: 'PIN_BLOCKED' },
    maxMs: 5000,
  },
  {
    name: 'credential not on this key: NO_CREDENTIALS',
    spec: {},
    request: { op: 'hmac', cred: 'aa'.repeat(48) },
    expect: { error: 'NO_CREDENTIALS' },
    maxMs: 5000,
  },
  {
    name: 'key rejecting up=false: UNSUPPORTED_OPTION',
    spec: { config: { rejectUpFalse: true } },
    request: { op: 'hmac', up: false },
    expect: { error: 'UNSUPPORTED_OPTION' },
    maxMs: 5000,
  },
  {
    name: 'CTAP 2.0 key (protocol 1 only, rejects key 4): works',
    spec: { config: { ctapVersion: '2.0' } },
    request: { op: 'hmac' },
    expect: { ok: true },
    maxMs: 5000,
  },
  {
    name: 'device gone mid-call: DEVICE_GONE',
    spec: {},
    faults: { goneOnRequest: 2 },
    request: { op: 'hmac' },
    expect: { error: 'DEVICE_GONE' },
    maxMs: 5000,
  },
  {
    name: 'garbage CBOR: INVALID_CBOR',
    spec: {},
    later: { garbageCbor: true },
    request: { op: 'hmac' },
    expect: { error: 'INVALID_CBOR' },
    maxMs: 5000,
  },
];

describe('faults through the fake-hidraw shim (node-hid native path)', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async (t) => {
      if (!requireOrSkip(t, hasFakeHidraw(), 'native-helper/out/fake_hidraw.so (npm run build)'))
        return;
      const rig = await FakeHidrawRig.start([scenario.spec]);
      t.after(() => rig.stop());
      const device = rig.devices[0]!;
      const rpId = 'example.org';
      const cred = await enrollInProcess(device, rpId, scenario.enrollPin);
      Object.assign(device.hid.faults, scenario.faults ?? {});
      Object.assign(device.authenticator.config, scenario.later ?? {});
      const started = Date.now();
      const result = await runHostDriver(
        rig.env,
        { device: device.path, rp: rpId, cred, salt1, ...scenario.request } as DriverRequest,
        scenario.pin,
      );
      const elapsed = Date.now() - started;
      if ('error' in scenario.expect) {
        assert.equal(result.error, scenario.expect.error, JSON.stringify(result));
      } else {
        assert.equal(result.error, undefined, JSON.stringify(result));
        assert.match(String(result.output1), /^[0-9a-f]{64}$/);
      }
      assert.ok(elapsed < scenario.maxMs, `took ${elapsed} ms`);
      if (scenario.name.startsWith('wrong PIN'))
        assert.match(String(result.message), /7 attempts left/);
    });
  }
});
