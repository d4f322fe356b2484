// The monitor end to end on real parts: a real loopback HTTP portal that is stopped and
// restarted (./test/loopback-portal, with its /pam/userinfo TEST DOUBLE) asked by main/sso's
// Open Bastion client, real undici probes,
// real force-online and marker files, and python3-dbusmock's logind on a private bus, which
// records the TerminateSession calls. Under CI=true a missing dbusmock fails.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOrSkip } from '../../testkit/require';
import { logindMockMissing, startLogindMock, type LogindMock } from '../power/test/logind-mock';
import { Backoff } from './backoff';
import { FileForceOnlineList } from './force-online';
import { OfflineModeMonitor, httpPortalReach } from './offline-mode-monitor';
import { FileOfflineSessions } from './offline-sessions';
import { createOpenBastionClient } from '../sso/index';
import { PamUserinfoRevalidator } from './revalidate';
import { LogindSessionEnder } from './session-ender';
import { SessionGuard } from './session-guard';
import type { MonitorEvent, MonitorStatus } from './status';
import {
  PAM_USERINFO_PATH,
  startLoopbackPortal,
  type LoopbackPortal,
} from './test/loopback-portal';

const missing = logindMockMissing();

function waitFor(
  events: MonitorEvent[],
  match: (event: MonitorEvent) => boolean,
  what: string,
  ms = 10_000,
): Promise<MonitorEvent> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      const hit = events.find(match);
      if (hit) return resolve(hit);
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

const isState = (state: MonitorStatus['state']) => (e: MonitorEvent) =>
  e.type === 'status' && e.status.state === state;

describe('monitor against a loopback portal and logind (dbusmock)', () => {
  let portal: LoopbackPortal;
  let root: string;
  before(async () => {
    portal = await startLoopbackPortal();
    root = mkdtempSync(join(tmpdir(), 'bastion-monitor-'));
  });
  after(async () => {
    await portal.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('portal stops → portal-unreachable; back → online, dwho revalidated, disabled rtyler ended', async (t: TestContext) => {
    if (!requireOrSkip(t, missing === null, `${missing} (logind mock)`)) return;
    const logind: LogindMock = await startLogindMock({});
    t.after(() => logind.stop());
    await logind.mockCall('AddSession', ['ssusb', 'c1', 'seat0', '1001', 'dwho', 'true']);
    await logind.mockCall('AddSession', ['ssusb', 'c2', 'seat0', '1002', 'rtyler', 'false']);

    const sessions = new FileOfflineSessions(join(root, 'offline-sessions'));
    const forceOnline = new FileForceOnlineList(join(root, 'force', 'force-online'));
    const logs: string[] = [];
    const guard = new SessionGuard({
      sessions,
      forceOnline,
      // main/sso's real Open Bastion client (Bearer server token, request signing) against
      // the loopback portal's /pam/userinfo test double.
      revalidator: new PamUserinfoRevalidator(
        createOpenBastionClient({
          issuer: portal.url.origin,
          clientId: 'bastion-greeter',
          tls: { allowLoopbackHttp: true },
          timeoutMs: 2_000,
          openBastion: {
            serverToken: 'server-token-for-test',
            signingSecret: 'signing-secret-for-test',
          },
        }),
      ),
      ender: new LogindSessionEnder({ systemBusAddress: logind.address, timeoutMs: 3_000 }, (l) =>
        logs.push(l),
      ),
      log: (l) => logs.push(l),
    });
    const http = httpPortalReach(portal.url);
    t.after(() => http.close());
    const monitor = new OfflineModeMonitor({
      reach: http.reach,
      // Loopback needs no default route; the route signal has its own unit tests.
      networkUp: () => true,
      guard,
      intervalMs: 150,
      timeoutMs: 1_000,
      backoff: new Backoff({ baseMs: 40, maxMs: 160 }),
      log: (l) => logs.push(l),
    });
    const events: MonitorEvent[] = [];
    monitor.onEvent((e) => events.push(e));
    t.after(() => monitor.stop());

    portal.pamUsers.set('dwho', true);
    portal.pamUsers.set('rtyler', false);
    monitor.start();
    await waitFor(events, isState('online'), 'online');

    await portal.stop();
    const down = (await waitFor(events, isState('portal-unreachable'), 'portal-unreachable')) as {
      status: MonitorStatus;
    };
    assert.ok(
      down.status.nextCheckAt !== null && down.status.nextCheckAt - down.status.since <= 200,
    );
    // Offline logins happen while the portal is away.
    await sessions.mark('dwho', Date.now());
    await sessions.mark('rtyler', Date.now());
    const before = events.length;

    await portal.restart();
    await waitFor(events, (e) => e.type === 'revalidated' && e.user === 'dwho', 'dwho revalidated');
    const ended = await waitFor(
      events,
      (e) => e.type === 'session-ended' && e.user === 'rtyler',
      'rtyler ended',
    );
    assert.deepEqual(ended, {
      type: 'session-ended',
      user: 'rtyler',
      reason: 'user-disabled',
      sessions: 1,
    });
    assert.ok(events.slice(before).some(isState('online')));
    assert.ok(monitor.snapshot().lastRevalidation !== null);

    const calls = JSON.stringify((await logind.mockCall('GetCalls')).data);
    assert.match(calls, /"TerminateSession",\[\{"type":"s","data":"c2"\}\]/);
    assert.doesNotMatch(calls, /"TerminateSession",\[\{"type":"s","data":"c1"\}\]/);
    assert.equal(forceOnline.read(), 'rtyler\n');
    assert.equal(statSync(forceOnline.path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(root, 'force')), ['force-online'], 'no temp file left');
    assert.deepEqual(await sessions.list(), []);
    assert.ok(portal.requests.filter((r) => r === PAM_USERINFO_PATH).length >= 2);
  });
});
