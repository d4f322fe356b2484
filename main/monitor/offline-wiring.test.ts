// The monitor wired to the real greeter backend: verdicts reach AuthSnapshot.offline (pushed)
// and getInfo; a probe that reaches the portal clears an "offline" set by other evidence.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthSnapshot, GreeterInfo } from '../../preload/api';
import { createGreeterBackend, type BastionGreeterBackend } from '../ipc/greeter-backend';
import { startPortalMonitor } from './offline-wiring';
import { startLoopbackPortal, type LoopbackPortal } from './test/loopback-portal';

function backend(): BastionGreeterBackend {
  return createGreeterBackend({
    mode: 'login',
    locale: 'en',
    host: 'dev-chromium',
    currentUser: null,
    hostname: 'ws-1',
    helperPath: '/nonexistent/bastion-pam-helper',
    stateDir: null,
    log: () => undefined,
  });
}

function nextOffline(target: BastionGreeterBackend, offline: boolean): Promise<AuthSnapshot> {
  return new Promise((resolve) => {
    const off = target.subscribe((snapshot) => {
      if (snapshot.offline === offline) {
        off();
        resolve(snapshot);
      }
    });
  });
}

describe('startPortalMonitor → greeter backend', () => {
  let portal: LoopbackPortal;
  before(async () => {
    portal = await startLoopbackPortal();
  });
  after(async () => {
    await portal.close();
  });

  it('no URL: nothing probed, the backend stays as it is', async () => {
    const target = backend();
    const running = startPortalMonitor(null, target);
    assert.equal(running.monitor, null);
    await running.stop();
    assert.equal(((await target.handle('getInfo', undefined)) as GreeterInfo).offline, false);
    await target.close();
  });

  it('portal down → snapshot.offline pushed true; portal back → pushed false', async () => {
    const target = backend();
    const pushes: boolean[] = [];
    target.subscribe((snapshot) => pushes.push(snapshot.offline));
    const running = startPortalMonitor(portal.url, target, {
      intervalMs: 30,
      offlineIntervalMs: 30,
      timeoutMs: 1_000,
    });
    try {
      const offline = nextOffline(target, true);
      await portal.stop();
      assert.equal((await offline).phase, 'idle');
      assert.equal(((await target.handle('getInfo', undefined)) as GreeterInfo).offline, true);
      const online = nextOffline(target, false);
      await portal.restart();
      await online;
      assert.equal(((await target.handle('getInfo', undefined)) as GreeterInfo).offline, false);
      assert.deepEqual(pushes, [true, false], 'one push per change, no repeats');
    } finally {
      await running.stop();
      await target.close();
    }
  });

  it('offline from other evidence (PAM) holds until a probe next reaches the portal', async () => {
    const target = backend();
    const running = startPortalMonitor(portal.url, target, {
      intervalMs: 60_000,
      offlineIntervalMs: 60_000,
    });
    try {
      await running.monitor!.probeNow(); // online, and the next probe is a minute away
      target.setOffline(true); // what the controller does on OFFLINE_ERROR/OFFLINE_OK
      const snapshot = (await target.handle('getAuthSnapshot', undefined)) as AuthSnapshot;
      assert.equal(snapshot.offline, true, 'the monitor does not undo it on its own');
      const online = nextOffline(target, false);
      await running.monitor!.probeNow();
      await online;
    } finally {
      await running.stop();
      await target.close();
    }
  });
});
