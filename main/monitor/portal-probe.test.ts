// The monitor against a REAL loopback HTTP server (./test/loopback-portal): every verdict
// comes from an actual socket, refused connection, stalled answer or status line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireOrSkip } from '../../testkit/require';
import {
  PortalMonitor,
  PortalMonitorError,
  type MonitorTimers,
  type PortalMonitorOptions,
  type ProbeResult,
} from './portal-probe';
import { DISCOVERY_PATH, startLoopbackPortal, type LoopbackPortal } from './test/loopback-portal';

const TIMEOUT_MS = 400;

/** Real timers that remember every delay asked for and which handles are still armed. */
class RecordingTimers implements MonitorTimers {
  readonly delays: number[] = [];
  readonly armed = new Set<NodeJS.Timeout>();
  setTimeout(callback: () => void, ms: number): unknown {
    this.delays.push(ms);
    const handle = setTimeout(() => {
      this.armed.delete(handle);
      callback();
    }, ms);
    this.armed.add(handle);
    return handle;
  }
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as NodeJS.Timeout);
    this.armed.delete(handle as NodeJS.Timeout);
  }
  /** Delays of scheduled probes (the per-probe deadline is TIMEOUT_MS, told apart). */
  get probeDelays(): number[] {
    return this.delays.filter((ms) => ms !== TIMEOUT_MS);
  }
}

function monitorFor(url: URL | null, options: Partial<PortalMonitorOptions> = {}): PortalMonitor {
  return new PortalMonitor({ url, timeoutMs: TIMEOUT_MS, ...options });
}

function nextChange(monitor: PortalMonitor): Promise<boolean> {
  return new Promise((resolve) => {
    const off = monitor.onChange((offline) => {
      off();
      resolve(offline);
    });
  });
}

function assertFailure(
  result: ProbeResult | null,
  reason: string,
): asserts result is Extract<ProbeResult, { ok: false }> {
  assert.ok(
    result !== null && !result.ok,
    `expected a failed probe, got ${JSON.stringify(result)}`,
  );
  assert.equal(result.reason, reason);
}

describe('PortalMonitor against a real loopback server', () => {
  let portal: LoopbackPortal;
  before(async () => {
    portal = await startLoopbackPortal();
  });
  after(async () => {
    await portal.close();
  });

  it('200 → online; one success is enough to come back from offline', async () => {
    portal.behaviour = { kind: 'status', status: 200 };
    const monitor = monitorFor(portal.url, { initiallyOffline: true });
    const changes: boolean[] = [];
    monitor.onChange((offline) => changes.push(offline));
    const result = await monitor.probeNow();
    assert.deepEqual(result && result.ok && result.status, 200);
    assert.equal(monitor.offline, false);
    assert.deepEqual(changes, [false]);
    await monitor.stop();
  });

  it('server stopped (ECONNREFUSED) → offline only after 2 failed probes in a row; back up → online', async () => {
    portal.behaviour = { kind: 'status', status: 200 };
    const monitor = monitorFor(portal.url);
    const changes: boolean[] = [];
    monitor.onChange((offline) => changes.push(offline));
    await portal.stop();
    try {
      const first = await monitor.probeNow();
      assertFailure(first, 'connect');
      assert.equal(first.detail, 'ECONNREFUSED');
      assert.equal(monitor.offline, false, 'one failure is not enough');
      assertFailure(await monitor.probeNow(), 'connect');
      assert.equal(monitor.offline, true);
      assertFailure(await monitor.probeNow(), 'connect');
      assert.deepEqual(changes, [true], 'a further failure is no new change');
    } finally {
      await portal.restart();
    }
    const back = await monitor.probeNow();
    assert.ok(back?.ok);
    assert.equal(monitor.offline, false);
    assert.deepEqual(changes, [true, false]);
    await monitor.stop();
  });

  it('a success between failures resets the count (hysteresis)', async () => {
    const monitor = monitorFor(portal.url);
    portal.behaviour = { kind: 'status', status: 503 };
    await monitor.probeNow();
    portal.behaviour = { kind: 'status', status: 200 };
    await monitor.probeNow();
    portal.behaviour = { kind: 'status', status: 503 };
    await monitor.probeNow();
    assert.equal(monitor.offline, false);
    await monitor.probeNow();
    assert.equal(monitor.offline, true);
    await monitor.stop();
  });

  it('a server that never answers → timeout at the deadline → offline', async () => {
    portal.behaviour = { kind: 'hang' };
    const monitor = monitorFor(portal.url);
    const started = Date.now();
    const result = await monitor.probeNow();
    const elapsed = Date.now() - started;
    assertFailure(result, 'timeout');
    assert.ok(elapsed >= TIMEOUT_MS - 20 && elapsed < TIMEOUT_MS + 1_000, `took ${elapsed} ms`);
    assertFailure(await monitor.probeNow(), 'timeout');
    assert.equal(monitor.offline, true);
    await monitor.stop();
  });

  it('503 → offline (server error); 404 and 401 → online (the portal answered)', async () => {
    const monitor = monitorFor(portal.url);
    portal.behaviour = { kind: 'status', status: 503 };
    const result = await monitor.probeNow();
    assertFailure(result, 'server-error');
    assert.equal(result.status, 503);
    await monitor.probeNow();
    assert.equal(monitor.offline, true);
    for (const status of [404, 401]) {
      portal.behaviour = { kind: 'status', status: 503 };
      await monitor.probeNow();
      await monitor.probeNow();
      assert.equal(monitor.offline, true);
      portal.behaviour = { kind: 'status', status };
      const answer = await monitor.probeNow();
      assert.ok(answer?.ok && answer.status === status);
      assert.equal(monitor.offline, false);
    }
    await monitor.stop();
  });

  it('redirects are not followed: a 302 to a failing page is the portal answering', async () => {
    portal.behaviour = { kind: 'redirect', status: 302, location: '/elsewhere-500' };
    const before = portal.requests.length;
    const monitor = monitorFor(portal.url, { initiallyOffline: true });
    const result = await monitor.probeNow();
    assert.ok(result?.ok && result.status === 302);
    assert.equal(monitor.offline, false);
    assert.deepEqual(portal.requests.slice(before), [DISCOVERY_PATH]);
    await monitor.stop();
  });

  it('an endless body is read only up to the bound, then the connection is dropped', async () => {
    portal.behaviour = { kind: 'endless-body' };
    const monitor = monitorFor(portal.url, { initiallyOffline: true });
    const result = await monitor.probeNow();
    assert.ok(result?.ok && result.status === 200);
    assert.ok(result.elapsedMs < TIMEOUT_MS, `took ${result.elapsedMs} ms: the body was not cut`);
    await portal.endlessBodiesClosed();
    await monitor.stop();
  });

  it('start() probes at once, then faster while confirming or offline, slower while online', async () => {
    portal.behaviour = { kind: 'status', status: 200 };
    const timers = new RecordingTimers();
    const probes: ProbeResult[] = [];
    const monitor = monitorFor(portal.url, {
      timers,
      intervalMs: 60_000,
      offlineIntervalMs: 40,
    });
    const firstProbe = new Promise<void>((resolve) => {
      const off = monitor.onProbe(() => {
        off();
        resolve();
      });
    });
    monitor.onProbe((result) => probes.push(result));
    monitor.start();
    await firstProbe;
    assert.deepEqual(timers.probeDelays, [0, 60_000]);

    await portal.stop();
    const wentOffline = nextChange(monitor);
    void monitor.probeNow(); // the first failure; the confirmation comes 40 ms later
    assert.equal(await wentOffline, true);
    const wentOnline = nextChange(monitor);
    await portal.restart();
    assert.equal(await wentOnline, false);
    await monitor.stop();

    // The probes: ok, fail, fail (offline), then fails every 40 ms until the server is back.
    assert.ok(probes[0]?.ok);
    assert.ok(!probes[1]?.ok && !probes[2]?.ok);
    assert.ok(probes.at(-1)?.ok);
    const delays = timers.probeDelays;
    assert.deepEqual(delays.slice(0, 2), [0, 60_000]);
    assert.ok(
      delays.slice(2, -1).every((ms) => ms === 40),
      `while failing, probes every 40 ms: ${delays.join(',')}`,
    );
    assert.equal(delays.at(-1), 60_000, 'back online: the slow interval again');
  });

  it('stop() leaves no timer armed and aborts a probe in flight without a verdict', async () => {
    portal.behaviour = { kind: 'hang' };
    const timers = new RecordingTimers();
    const monitor = monitorFor(portal.url, { timers, intervalMs: 50, offlineIntervalMs: 50 });
    const changes: boolean[] = [];
    monitor.onChange((offline) => changes.push(offline));
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first probe is hanging
    assert.ok(timers.armed.size > 0);
    await monitor.stop();
    assert.equal(timers.armed.size, 0);
    assert.deepEqual(changes, []);
    assert.equal(monitor.offline, false);
    await assert.rejects(
      monitor.probeNow(),
      (error: unknown) => error instanceof PortalMonitorError && error.code === 'MONITOR_STOPPED',
    );
    assert.throws(
      () => monitor.start(),
      (error: unknown) => error instanceof PortalMonitorError && error.code === 'MONITOR_STOPPED',
    );
  });

  it('never probes anything but the configured URL, query included', async () => {
    portal.behaviour = { kind: 'status', status: 200 };
    const url = new URL(portal.url.href);
    url.search = '?probe=1';
    const before = portal.requests.length;
    const monitor = monitorFor(url);
    await monitor.probeNow();
    await monitor.probeNow();
    await monitor.stop();
    assert.deepEqual(portal.requests.slice(before), [
      `${DISCOVERY_PATH}?probe=1`,
      `${DISCOVERY_PATH}?probe=1`,
    ]);
  });
});

describe('PortalMonitor without a portal or with bad options', () => {
  it('no URL configured: does nothing, arms no timer, probeNow resolves null', async () => {
    const timers = new RecordingTimers();
    const monitor = new PortalMonitor({ url: null, timers });
    monitor.start();
    assert.equal(monitor.enabled, false);
    assert.equal(await monitor.probeNow(), null);
    assert.deepEqual(timers.delays, []);
    await monitor.stop();
  });

  it('refuses non-http URLs, credentials in the URL and non-positive timings', () => {
    const bad: PortalMonitorOptions[] = [
      { url: new URL('ftp://127.0.0.1/') },
      { url: new URL('https://user:pw@portal.example/') },
      { url: new URL('https://portal.example/'), intervalMs: 0 },
      { url: new URL('https://portal.example/'), timeoutMs: -1 },
      { url: new URL('https://portal.example/'), failuresBeforeOffline: 1.5 },
    ];
    for (const options of bad) {
      assert.throws(
        () => new PortalMonitor(options),
        (error: unknown) => error instanceof PortalMonitorError && error.code === 'MONITOR_CONFIG',
        JSON.stringify(options),
      );
    }
  });

  it('a name that does not resolve → dns failure', async () => {
    const monitor = monitorFor(new URL('http://bastion-probe.invalid/'), { timeoutMs: 3_000 });
    const result = await monitor.probeNow();
    assertFailure(result, 'dns');
    await monitor.stop();
  });

  it('a certificate the system does not trust → tls failure, never online', async (t) => {
    const openssl = spawnSync('openssl', ['version']);
    if (!requireOrSkip(t, openssl.status === 0, 'openssl')) return;
    const dir = mkdtempSync(join(tmpdir(), 'bastion-probe-tls-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ]),
    );
    assert.equal(made.status, 0, made.stderr.toString());
    const server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_request, response) => response.end('{}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const monitor = monitorFor(new URL(`https://127.0.0.1:${port}${DISCOVERY_PATH}`), {
      initiallyOffline: true,
    });
    const result = await monitor.probeNow();
    assertFailure(result, 'tls');
    assert.equal(monitor.offline, true);
    await monitor.stop();
    server.closeAllConnections();
  });
});
