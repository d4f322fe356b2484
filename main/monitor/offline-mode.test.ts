// Unit tests with a fake clock and fake timers: backoff, the network signal, the state
// machine and its schedule, and the session guard's revalidation / grace / max-unreachable
// rules (the force-online list is the real file; the session ender and the revalidator are
// test doubles, named as such; logind and HTTP are covered by ./monitor.integration.test.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backoff } from './backoff';
import { FileForceOnlineList, isForcedOnline, ForceOnlineError } from './force-online';
import { hasIpv4DefaultRoute, hasIpv6DefaultRoute } from './network';
import { OfflineModeMonitor } from './offline-mode-monitor';
import { FileOfflineSessions } from './offline-sessions';
import type { MonitorTimers } from './portal-probe';
import type { RevalidationVerdict, UserRevalidator } from './revalidate';
import type { SessionEnder } from './session-ender';
import { SessionGuard } from './session-guard';
import {
  parseOfflineStatusLine,
  type MonitorEvent,
  type MonitorStatus,
  type SessionEndReason,
} from './status';

class FakeClock {
  t = 1_800_000_000_000;
  now = (): number => this.t;
}

/** Timers that never fire on their own: the test reads what was scheduled. */
class FakeTimers implements MonitorTimers {
  readonly armed = new Map<number, { callback: () => void; ms: number }>();
  private id = 0;
  setTimeout(callback: () => void, ms: number): unknown {
    this.armed.set(++this.id, { callback, ms });
    return this.id;
  }
  clearTimeout(handle: unknown): void {
    this.armed.delete(handle as number);
  }
  /** Delays of the armed timers (the probe deadline is always cleared after a probe). */
  delays(): number[] {
    return [...this.armed.values()].map((t) => t.ms);
  }
}

class SessionEnderTestDouble implements SessionEnder {
  readonly ended: Array<{ user: string; reason: SessionEndReason }> = [];
  fail = false;
  async endSessionsOf(user: string, reason: SessionEndReason): Promise<number> {
    if (this.fail) throw new Error('logind unavailable (test double)');
    this.ended.push({ user, reason });
    return 1;
  }
}

class RevalidatorTestDouble implements UserRevalidator {
  readonly verdicts = new Map<string, RevalidationVerdict | 'unreachable'>();
  readonly asked: string[] = [];
  async revalidate(user: string): Promise<RevalidationVerdict> {
    this.asked.push(user);
    const verdict = this.verdicts.get(user) ?? 'unreachable';
    if (verdict === 'unreachable') throw new Error('portal did not answer (test double)');
    return verdict;
  }
}

describe('Backoff', () => {
  it('doubles from the base up to the cap, jittered within [half, full], reset to base', () => {
    const low = new Backoff({ baseMs: 1_000, maxMs: 10_000, random: () => 0 });
    assert.deepEqual(
      Array.from({ length: 7 }, () => low.next()),
      [500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000],
    );
    const high = new Backoff({ baseMs: 1_000, maxMs: 10_000, random: () => 0.999999 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => high.next()),
      [1_000, 2_000, 4_000, 8_000, 10_000, 10_000],
    );
    high.reset();
    assert.equal(high.next(), 1_000);
    const real = new Backoff({ baseMs: 1_000, maxMs: 8_000 });
    for (let i = 0; i < 50; i++) {
      const d = real.next();
      assert.ok(d >= 500 && d <= 8_000, `${d}`);
    }
    assert.throws(() => new Backoff({ baseMs: 0 }), RangeError);
  });
});

describe('network: default route', () => {
  const v4 = (line: string): string =>
    `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n${line}\n`;
  it('IPv4: a default route that is up counts; lo, reject, non-default routes do not', () => {
    assert.equal(
      hasIpv4DefaultRoute(v4('eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0')),
      true,
    );
    assert.equal(
      hasIpv4DefaultRoute(v4('eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0')),
      false,
    );
    assert.equal(
      hasIpv4DefaultRoute(v4('eth0\t00000000\t010200C0\t0201\t0\t0\t0\t00000000\t0\t0\t0')),
      false,
    );
    assert.equal(
      hasIpv4DefaultRoute(v4('lo\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0')),
      false,
    );
    assert.equal(hasIpv4DefaultRoute(''), false);
  });
  it('IPv6: ::/0 up on a real interface counts; the kernel\u2019s reject route on lo does not', () => {
    const zero = '0'.repeat(32);
    assert.equal(
      hasIpv6DefaultRoute(
        `${zero} 00 ${zero} 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0`,
      ),
      true,
    );
    assert.equal(
      hasIpv6DefaultRoute(
        `${zero} 00 ${zero} 00 ${zero} ffffffff 00000001 00000000 00200200       lo`,
      ),
      false,
    );
  });
});

describe('OfflineModeMonitor (fake clock)', () => {
  function monitorWith(reach: () => boolean, network: () => boolean) {
    const clock = new FakeClock();
    const timers = new FakeTimers();
    const events: MonitorEvent[] = [];
    const monitor = new OfflineModeMonitor({
      reach: async () => reach(),
      networkUp: network,
      clock,
      timers,
      intervalMs: 60_000,
      backoff: new Backoff({ baseMs: 5_000, maxMs: 40_000, random: () => 0.999999 }),
    });
    monitor.onEvent((event) => events.push(event));
    return { clock, timers, monitor, events };
  }

  it('online → portal-unreachable after 2 failures (backoff grows, capped) → online (backoff reset)', async () => {
    let up = true;
    const { clock, timers, monitor } = monitorWith(
      () => up,
      () => true,
    );
    monitor.start();
    await monitor.retryNow();
    assert.equal(monitor.snapshot().state, 'online');
    assert.deepEqual(timers.delays(), [60_000]);
    const onlineSince = monitor.snapshot().since;

    up = false;
    clock.t += 60_000;
    await monitor.retryNow();
    assert.equal(monitor.snapshot().state, 'online', 'one failure is being confirmed');
    assert.equal(monitor.snapshot().since, onlineSince);
    assert.deepEqual(timers.delays(), [5_000]);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock.t += 1_000;
      await monitor.retryNow();
      seen.push(timers.delays()[0]!);
    }
    assert.deepEqual(seen, [10_000, 20_000, 40_000, 40_000, 40_000]);
    const status = monitor.snapshot();
    assert.equal(status.state, 'portal-unreachable');
    assert.equal(status.since, 1_800_000_000_000 + 61_000);
    assert.equal(status.nextCheckAt, clock.t + 40_000);

    up = true;
    clock.t += 3_000;
    await monitor.retryNow(); // "retry now": at once, whatever the backoff said
    assert.equal(monitor.snapshot().state, 'online');
    assert.deepEqual(timers.delays(), [60_000]);
    up = false;
    await monitor.retryNow();
    assert.deepEqual(timers.delays(), [5_000], 'the backoff starts again from its base');
    await monitor.stop();
    assert.deepEqual(timers.delays(), [], 'no timer left after stop');
  });

  it('no default route → offline at once, the portal is not probed; route back → probe', async () => {
    let network = false;
    let probes = 0;
    const { monitor, events } = monitorWith(
      () => {
        probes++;
        return true;
      },
      () => network,
    );
    await monitor.retryNow();
    assert.equal(monitor.snapshot().state, 'offline');
    assert.equal(probes, 0);
    network = true;
    await monitor.retryNow();
    assert.equal(monitor.snapshot().state, 'online');
    assert.equal(probes, 1);
    const states = events
      .filter((e) => e.type === 'status')
      .map((e) => (e as { status: MonitorStatus }).status.state);
    assert.deepEqual(states, ['offline', 'online']);
  });

  it('a probe that never settles counts as a failure at the deadline', async () => {
    const clock = new FakeClock();
    const timers = new FakeTimers();
    const monitor = new OfflineModeMonitor({
      reach: () => new Promise(() => undefined),
      networkUp: () => true,
      clock,
      timers,
      timeoutMs: 4_000,
    });
    const checking = monitor.retryNow();
    assert.deepEqual(timers.delays(), [4_000]);
    [...timers.armed.values()][0]!.callback();
    assert.equal((await checking).state, 'portal-unreachable');
  });

  it('the cached login line fills cachedLoginValidUntil and lockout', async () => {
    const clock = new FakeClock();
    const monitor = new OfflineModeMonitor({
      reach: async () => false,
      networkUp: () => false,
      clock,
      timers: new FakeTimers(),
      cachedLogin: async () => `OFFLINE_STATUS:1800600000:${clock.t / 1000 + 120}`,
    });
    const status = await monitor.retryNow();
    assert.equal(status.cachedLoginValidUntil, 1_800_600_000_000);
    assert.deepEqual(status.lockout, { until: clock.t + 120_000 });
    assert.equal(
      parseOfflineStatusLine('OFFLINE_STATUS:0:0', clock.t)?.cachedLoginValidUntil,
      undefined,
    );
    assert.equal(parseOfflineStatusLine('OFFLINE_ERROR:-4', clock.t), null);
  });
});

describe('SessionGuard (fake clock; real force-online and marker files)', () => {
  let root: string;
  let n = 0;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'bastion-guard-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function rig() {
    const base = join(root, `g${++n}`);
    mkdirSync(base, { mode: 0o700 });
    const clock = new FakeClock();
    const sessions = new FileOfflineSessions(join(base, 'offline-sessions'));
    const forceOnline = new FileForceOnlineList(join(base, 'force-online', 'users'));
    const ender = new SessionEnderTestDouble();
    const revalidator = new RevalidatorTestDouble();
    const events: MonitorEvent[] = [];
    const guard = new SessionGuard({
      sessions,
      forceOnline,
      ender,
      revalidator,
      revalidationGraceMs: 14_400_000,
      maxSsoUnreachableMs: 3_600_000,
      now: clock.now,
    });
    guard.onEvent((e) => events.push(e));
    const status = (state: MonitorStatus['state'], since: number): MonitorStatus => ({
      state,
      since,
      lastRevalidation: null,
      nextCheckAt: null,
    });
    return { clock, sessions, forceOnline, ender, revalidator, events, guard, status };
  }

  it('portal back: valid → revalidated (marker gone); disabled → force-online + ended', async () => {
    const { clock, sessions, forceOnline, ender, revalidator, events, guard, status } = rig();
    await sessions.mark('dwho', clock.t - 600_000);
    await sessions.mark('rtyler', clock.t - 600_000);
    revalidator.verdicts.set('dwho', 'valid');
    revalidator.verdicts.set('rtyler', 'disabled');
    await guard.check(status('online', clock.t));
    assert.deepEqual(await sessions.list(), []);
    assert.equal(guard.lastRevalidation, clock.t);
    assert.deepEqual(ender.ended, [{ user: 'rtyler', reason: 'user-disabled' }]);
    assert.equal(forceOnline.read(), 'rtyler\n');
    assert.equal(statSync(forceOnline.path).mode & 0o777, 0o600);
    // Sessions are taken in marker order (hashes): only the per-user order is fixed.
    assert.deepEqual(
      events.filter((e) => e.type !== 'revalidated').map((e) => e.type),
      ['force-online', 'session-ended'],
    );
    assert.deepEqual(
      events.filter((e) => e.type === 'revalidated').map((e) => 'user' in e && e.user),
      ['dwho'],
    );
  });

  it('portal unreachable with the network up: ended only once offline_max_sso_unreachable is reached', async () => {
    const { clock, sessions, ender, forceOnline, guard, status } = rig();
    await sessions.mark('dwho', clock.t);
    const since = clock.t;
    clock.t += 3_600_000 - 1;
    await guard.check(status('portal-unreachable', since));
    assert.deepEqual(ender.ended, []);
    // No network at all does not count, however long.
    clock.t += 10_000_000;
    await guard.check(status('offline', since));
    assert.deepEqual(ender.ended, []);
    await guard.check(status('portal-unreachable', clock.t - 3_600_000));
    assert.deepEqual(ender.ended, [{ user: 'dwho', reason: 'portal-unreachable-too-long' }]);
    assert.ok(isForcedOnline(forceOnline.read(), 'dwho'));
    assert.deepEqual(await sessions.list(), []);
  });

  it('revalidation grace over → force-online once, the session goes on', async () => {
    const { clock, sessions, forceOnline, ender, guard, status, events } = rig();
    await sessions.mark('msmith', clock.t);
    clock.t += 14_400_000 - 1;
    await guard.check(status('offline', clock.t));
    assert.equal(forceOnline.read(), null);
    clock.t += 1;
    await guard.check(status('offline', clock.t));
    await guard.check(status('portal-unreachable', clock.t)); // portal down since just now
    assert.equal(forceOnline.read(), 'msmith\n');
    assert.deepEqual(ender.ended, []);
    assert.equal((await sessions.list()).length, 1);
    assert.deepEqual(
      events.filter((e) => e.type === 'force-online'),
      [{ type: 'force-online', user: 'msmith', reason: 'revalidation-grace-expired' }],
    );
  });

  it('revalidation failing (portal flapping) leaves the session for the next check', async () => {
    const { clock, sessions, ender, guard, status, revalidator } = rig();
    await sessions.mark('dwho', clock.t);
    await guard.check(status('online', clock.t)); // the double says unreachable
    assert.deepEqual(revalidator.asked, ['dwho']);
    assert.equal((await sessions.list()).length, 1);
    assert.deepEqual(ender.ended, []);
  });

  it('a failed termination keeps the marker (retried) but the user is already forced online', async () => {
    const { clock, sessions, ender, forceOnline, guard, status, revalidator } = rig();
    await sessions.mark('dwho', clock.t);
    revalidator.verdicts.set('dwho', 'disabled');
    ender.fail = true;
    await guard.check(status('online', clock.t));
    assert.ok(isForcedOnline(forceOnline.read(), 'dwho'));
    assert.equal((await sessions.list()).length, 1);
    ender.fail = false;
    await guard.check(status('online', clock.t));
    assert.deepEqual(await sessions.list(), []);
  });
});

describe('FileForceOnlineList', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'bastion-force-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('missing → created with the name; appended once; an empty file (everyone) stays empty', async () => {
    const list = new FileForceOnlineList(join(root, 'a', 'force-online'));
    assert.equal(await list.add('dwho'), true);
    assert.equal(await list.add('dwho'), false);
    assert.equal(await list.add('rtyler'), true);
    assert.equal(readFileSync(list.path, 'utf8'), 'dwho\nrtyler\n');
    writeFileSync(list.path, '\n', { mode: 0o600 });
    assert.equal(await list.add('msmith'), false, 'already covered: everyone');
    assert.equal(readFileSync(list.path, 'utf8'), '\n');
    await assert.rejects(
      list.add('two words'),
      (e: unknown) => e instanceof ForceOnlineError && e.code === 'FORCE_ONLINE_USER_INVALID',
    );
  });

  it('concurrent adds lose nobody (flock + atomic rename)', async () => {
    const list = new FileForceOnlineList(join(root, 'b', 'force-online'));
    const users = Array.from({ length: 12 }, (_, i) => `user${i}`);
    await Promise.all(users.map((u) => new FileForceOnlineList(list.path).add(u)));
    assert.deepEqual(readFileSync(list.path, 'utf8').trim().split('\n').sort(), users.sort());
  });
});
