// CTAPHID transport and device choice against the in-process software authenticator:
// keepalive events, cancel, device gone, concurrent INITs, busy channel retry, pre-flight.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SoftAuthenticator } from '../../../testkit/fido2/soft-ctap2';
import type { SoftAuthenticatorConfig } from '../../../testkit/fido2/soft-ctap2';
import { SoftCtapHid } from '../../../testkit/fido2/soft-ctaphid';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import { Ctap2Client } from '../ctap2';
import { findAuthenticatorWithCredential, parseDeviceChoice } from '../device-choice';
import type { Fido2Error } from '../errors';
import { hmacSecretCreateExtension } from '../hmac-secret';
import type { KeepaliveEvent } from '../transport';
import { CtapHidTransport } from '../transport';

function softHid(config: Partial<SoftAuthenticatorConfig> = {}): SoftCtapHid {
  return new SoftCtapHid(new SoftAuthenticator(config));
}

async function client(hid: SoftCtapHid): Promise<Ctap2Client> {
  return new Ctap2Client(await CtapHidTransport.open(new SoftHidDevice(hid)));
}

async function enroll(c: Ctap2Client, rpId = 'example.org'): Promise<Uint8Array> {
  const made = await c.makeCredential({
    clientDataHash: randomBytes(32),
    rp: { id: rpId },
    user: { id: randomBytes(8), name: 'u' },
    extensions: hmacSecretCreateExtension(),
  });
  return made.authData.credentialId!;
}

describe('CTAPHID transport', () => {
  it('surfaces touch-needed keepalives once per status change', async () => {
    const hid = softHid();
    const c = await client(hid);
    const id = await enroll(c);
    hid.authenticator.config.touchDelayMs = 250;
    const events: KeepaliveEvent[] = [];
    await c.getAssertion(
      { rpId: 'example.org', clientDataHash: randomBytes(32), allowList: [id] },
      { onKeepalive: (e) => events.push(e) },
    );
    assert.deepEqual(events, [{ kind: 'touch-needed' }]);
  });

  it('cancels a touch wait on abort, promptly, with CANCELLED', async () => {
    const hid = softHid();
    const c = await client(hid);
    const id = await enroll(c);
    hid.authenticator.config.touchDelayMs = null;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    await assert.rejects(
      c.getAssertion(
        { rpId: 'example.org', clientDataHash: randomBytes(32), allowList: [id] },
        { signal: controller.signal },
      ),
      (e: Fido2Error) => e.code === 'CANCELLED',
    );
    assert.ok(Date.now() - started < 1500);
    // The channel is usable again afterwards.
    hid.authenticator.config.touchDelayMs = 0;
    await c.getAssertion({ rpId: 'example.org', clientDataHash: randomBytes(32), allowList: [id] });
  });

  it('reports DEVICE_GONE when the key is pulled during a touch wait', async () => {
    const hid = softHid();
    const c = await client(hid);
    const id = await enroll(c);
    hid.authenticator.config.touchDelayMs = null;
    setTimeout(() => hid.unplug(), 100);
    await assert.rejects(
      c.getAssertion({ rpId: 'example.org', clientDataHash: randomBytes(32), allowList: [id] }),
      (e: Fido2Error) => e.code === 'DEVICE_GONE',
    );
  });

  it('allocates distinct channels for concurrent INITs that see each other’s answers', async () => {
    const hid = softHid();
    const [a, b] = await Promise.all([
      CtapHidTransport.open(new SoftHidDevice(hid)),
      CtapHidTransport.open(new SoftHidDevice(hid)),
    ]);
    assert.notEqual(a.info.cid, b.info.cid);
    assert.ok(a.info.capabilities.cbor);
  });

  it('retries a busy channel until the other program is done', async () => {
    const hid = softHid();
    const first = await client(hid);
    const id = await enroll(first);
    const second = await client(hid);
    hid.authenticator.config.touchDelayMs = 300;
    const slow = first.getAssertion({
      rpId: 'example.org',
      clientDataHash: randomBytes(32),
      allowList: [id],
    });
    await new Promise((r) => setTimeout(r, 50));
    const before = second.transport.stats.transactions;
    const info = await second.getInfo();
    await slow;
    assert.ok(info.versions.includes('FIDO_2_1'));
    assert.ok(
      second.transport.stats.transactions - before > 1,
      'the request was re-sent after CHANNEL_BUSY',
    );
  });

  it('refuses a second call on the same transport while one runs', async () => {
    const hid = softHid({ touchDelayMs: 200 });
    const c = await client(hid);
    hid.authenticator.config.touchDelayMs = 0;
    const id = await enroll(c);
    hid.authenticator.config.touchDelayMs = 200;
    const running = c.getAssertion({
      rpId: 'example.org',
      clientDataHash: randomBytes(32),
      allowList: [id],
    });
    await assert.rejects(
      c.transport.transaction(0x01, Buffer.from('ping')),
      (e: Fido2Error) => e.code === 'DEVICE_BUSY',
    );
    await running;
  });
});

describe('device choice', () => {
  it('parses BASTION_FIDO2_DEVICE: none by default, auto, or an absolute path', () => {
    assert.deepEqual(parseDeviceChoice(undefined), { kind: 'none' });
    assert.deepEqual(parseDeviceChoice('none'), { kind: 'none' });
    assert.deepEqual(parseDeviceChoice('auto'), { kind: 'auto' });
    assert.deepEqual(parseDeviceChoice('/dev/hidraw3'), { kind: 'path', path: '/dev/hidraw3' });
    assert.throws(
      () => parseDeviceChoice('hidraw3'),
      (e: Fido2Error) => e.code === 'BAD_INPUT',
    );
  });

  it('finds the key holding the credential with a touch-free pre-flight, also on keys rejecting up=false', async () => {
    const empty = softHid({ touchDelayMs: null });
    const holder = softHid({ rejectUpFalse: true });
    const id = await enroll(await client(holder));
    const hids: Record<string, SoftCtapHid> = { '/dev/a': empty, '/dev/b': holder };
    const open = async (path: string) => new SoftHidDevice(hids[path]!, path);
    const found = await findAuthenticatorWithCredential(open, ['/dev/a', '/dev/b'], 'example.org', [
      id,
    ]);
    assert.equal(found.transport.path, '/dev/b');
    await found.close();
    await assert.rejects(
      findAuthenticatorWithCredential(open, ['/dev/a'], 'example.org', [id]),
      (e: Fido2Error) => e.code === 'NO_CREDENTIALS',
    );
    await assert.rejects(
      findAuthenticatorWithCredential(open, [], 'example.org', [id]),
      (e: Fido2Error) => e.code === 'DEVICE_NOT_FOUND',
    );
  });
});

describe('CTAPHID resync after a failed transaction', () => {
  it('a late answer to a timed-out request is not taken for the next request’s', async () => {
    const hid = softHid();
    const c = await client(hid);
    const id = await enroll(c);
    hid.faults.ignoreCancel = true;
    hid.authenticator.config.touchDelayMs = 1500; // touched after our deadline and CANCEL grace
    await assert.rejects(
      c.getAssertion(
        { rpId: 'example.org', clientDataHash: randomBytes(32), allowList: [id] },
        { timeoutMs: 200 },
      ),
      (e: Fido2Error) => e.code === 'TIMEOUT',
    );
    hid.authenticator.config.touchDelayMs = 0;
    // Without the resync INIT the stale getAssertion answer (arriving at ~1.5 s) would be read here.
    await new Promise((r) => setTimeout(r, 400));
    const info = await c.getInfo();
    assert.ok(info.versions.includes('FIDO_2_0'));
    const again = await c.getAssertion({
      rpId: 'example.org',
      clientDataHash: randomBytes(32),
      allowList: [id],
    });
    assert.deepEqual(Buffer.from(again.credentialId!), Buffer.from(id));
  });

  it('recovers after a keepalive flood once the key behaves again', async () => {
    const hid = softHid();
    const c = await client(hid);
    hid.faults.keepaliveFlood = true;
    await assert.rejects(
      c.call(0x04, null, { timeoutMs: 200 }),
      (e: Fido2Error) => e.code === 'TIMEOUT',
    );
    hid.faults.keepaliveFlood = false;
    const info = await c.getInfo();
    assert.ok(info.extensions.includes('hmac-secret'));
  });
});
