// Which key the removal watcher trusts, and what counts as its removal, with software keys in
// process (no shim): a key's touch-free "I hold it" is believed only when its signature over a
// fresh challenge verifies against the enrolled public key — a device holding the same
// credential id with another key pair (a clone) is not the watched key; and the watched key is
// its identity at probe time, so a different device at the same path is a removal. The node-hid
// and logind path runs in removal-watch.dbusmock.test.ts.
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuthenticator } from '../../fido2/device-choice';
import type { FidoDeviceDescriptor } from '../../fido2/hid-device';
import { SoftAuthenticator, type SoftAuthenticatorConfig } from '../../../testkit/fido2/soft-ctap2';
import { SoftCtapHid } from '../../../testkit/fido2/soft-ctaphid';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import { enrollIntoAuthfile } from '../index';
import {
  enrolledWatchCredentials,
  keysHoldingCredential,
  RemovalWatch,
  type RemovalWatchDevices,
} from '../removal-watch';

const ORIGIN = 'pam://bastion-test';
const GET_ASSERTION = 0x02;
const root = mkdtempSync(join(tmpdir(), 'bastion-removal-unit-'));
after(() => rmSync(root, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Plugged {
  authenticator: SoftAuthenticator;
  hid: SoftCtapHid;
  descriptor: FidoDeviceDescriptor;
  /** What deviceNodeIdentity would say of its node (a new device node: a new inode). */
  node: string | null;
}

function plug(
  path: string,
  config: Partial<SoftAuthenticatorConfig> = {},
  authenticator = new SoftAuthenticator(config),
): Plugged {
  return {
    authenticator,
    hid: new SoftCtapHid(authenticator),
    descriptor: {
      path,
      vendorId: 0x1209,
      productId: 0xb457,
      product: 'Bastion Test Authenticator',
      manufacturer: 'Bastion',
      serialNumber: 'BASTION0',
      release: 0x100,
    },
    node: `inode-${Math.random().toString(16).slice(2)}`,
  };
}

/** The device list of a machine whose keys the test plugs and swaps. */
function machine(keys: Map<string, Plugged>): RemovalWatchDevices {
  return {
    list: async () => [...keys.values()].map((k) => k.descriptor),
    open: async (path) => {
      const key = keys.get(path);
      if (!key) throw new Error(`nothing at ${path}`);
      return new SoftHidDevice(key.hid, path);
    },
    identify: async (path) => keys.get(path)?.node ?? null,
  };
}

/** A fresh authfile with alice's credential made on `key`. */
async function enrollAlice(key: Plugged): Promise<string> {
  const authfile = join(root, `u2f_keys-${Math.random().toString(16).slice(2)}`);
  const opened = await openAuthenticator(
    async () => new SoftHidDevice(key.hid, key.descriptor.path),
    key.descriptor.path,
  );
  await enrollIntoAuthfile(opened.client, { user: 'alice', authfile, origin: ORIGIN });
  await opened.close();
  return authfile;
}

/** A hostile device that learned alice's credential id: same id, its own key pair. */
function cloneOf(genuine: SoftAuthenticator, path: string): Plugged {
  const hostile = new SoftAuthenticator();
  const stolen = genuine.credentials[0]!;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  hostile.credentials.push({ ...stolen, id: Buffer.from(stolen.id), privateKey, signCount: 0 });
  return plug(path, {}, hostile);
}

const challenges = (key: Plugged, from = 0): Buffer[] =>
  key.authenticator.requestLog
    .slice(from)
    .filter((e) => e.command === GET_ASSERTION)
    .map((e) => Buffer.from(e.params!.get(2) as Uint8Array));

describe('the probe: a signature over a fresh challenge, checked against the mapping', () => {
  it('a clone holding the same credential id with another key pair is not the watched key', async () => {
    const genuine = plug('/dev/hidraw0');
    const authfile = await enrollAlice(genuine);
    const credentials = enrolledWatchCredentials(authfile, 'alice');
    assert.equal(credentials.length, 1);
    const clone = cloneOf(genuine.authenticator, '/dev/hidraw1');
    const keys = new Map([
      [clone.descriptor.path, clone],
      [genuine.descriptor.path, genuine],
    ]);
    const lines: string[] = [];
    const outcome = await keysHoldingCredential(machine(keys), ORIGIN, credentials, (l) =>
      lines.push(l),
    );
    assert.deepEqual(
      outcome.held.map((h) => h.path),
      ['/dev/hidraw0'],
    );
    assert.equal(outcome.refuted, 1);
    // The clone did answer "held" (it has the id): only its signature gave it away.
    assert.equal(challenges(clone).length, 1);
    assert.match(
      lines.join('\n'),
      /hidraw1 claims the credential but fails its check \(signature\)/,
    );

    // The clone alone: nothing to watch (not armed), no lock ever asked for.
    let locks = 0;
    const watch = await RemovalWatch.start({
      devices: machine(new Map([[clone.descriptor.path, clone]])),
      rpId: ORIGIN,
      credentials,
      lock: async () => void locks++,
    });
    assert.equal(watch, null);
    assert.equal(locks, 0);
  });

  it('each probe asks with a new random clientDataHash, never the all-zero one', async () => {
    const genuine = plug('/dev/hidraw0');
    const credentials = enrolledWatchCredentials(await enrollAlice(genuine), 'alice');
    const from = genuine.authenticator.requestLog.length;
    const devices = machine(new Map([[genuine.descriptor.path, genuine]]));
    await keysHoldingCredential(devices, ORIGIN, credentials);
    await keysHoldingCredential(devices, ORIGIN, credentials);
    const sent = challenges(genuine, from);
    assert.equal(sent.length, 2);
    assert.ok(sent.every((c) => c.length === 32 && !c.equals(Buffer.alloc(32))));
    assert.ok(!sent[0]!.equals(sent[1]!));
  });

  it('a key that cannot be asked without a touch is not watched', async () => {
    const genuine = plug('/dev/hidraw0');
    const credentials = enrolledWatchCredentials(await enrollAlice(genuine), 'alice');
    genuine.authenticator.config.rejectUpFalse = true; // U2F-style: every assertion wants a touch
    const outcome = await keysHoldingCredential(
      machine(new Map([[genuine.descriptor.path, genuine]])),
      ORIGIN,
      credentials,
    );
    assert.deepEqual(outcome, { held: [], undecided: 1, refuted: 0 });
  });
});

describe('the watched key is the device seen at probe time, not its path', () => {
  async function watched(t: TestContext, keys: Map<string, Plugged>, genuine: Plugged) {
    const credentials = enrolledWatchCredentials(await enrollAlice(genuine), 'alice');
    let locks = 0;
    const watch = await RemovalWatch.start({
      devices: machine(keys),
      rpId: ORIGIN,
      credentials,
      intervalMs: 200,
      lock: async () => void locks++,
    });
    assert.ok(watch);
    t.after(() => watch.stop());
    return { watch, locks: () => locks };
  }

  for (const [what, change] of [
    ['another model (product id)', (k: Plugged) => ({ ...k.descriptor, productId: 0x0407 })],
    ['another serial', (k: Plugged) => ({ ...k.descriptor, serialNumber: 'OTHER' })],
    ['the same model, a new device node', (k: Plugged) => k.descriptor],
  ] as const) {
    it(`another device at the same path between two polls: locks (${what})`, async (t) => {
      const genuine = plug('/dev/hidraw0');
      const keys = new Map([[genuine.descriptor.path, genuine]]);
      const { watch, locks } = await watched(t, keys, genuine);
      assert.deepEqual(watch.watched, ['/dev/hidraw0']);
      await sleep(500); // two polls, nothing changed
      assert.equal(locks(), 0);
      const newcomer = plug('/dev/hidraw0');
      keys.set('/dev/hidraw0', { ...newcomer, descriptor: change(genuine) });
      await sleep(450);
      assert.equal(locks(), 1);
    });
  }

  it('the node unreadable while still listed: locks (fail closed)', async (t) => {
    const genuine = plug('/dev/hidraw0');
    const keys = new Map([[genuine.descriptor.path, genuine]]);
    const { locks } = await watched(t, keys, genuine);
    keys.set('/dev/hidraw0', { ...genuine, node: null });
    await sleep(450);
    assert.equal(locks(), 1);
  });
});
