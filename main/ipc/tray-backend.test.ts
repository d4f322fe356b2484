// The tray backend's pure parts: the status line of `bastion-offline status` (fail closed),
// the merge of monitor and cache, and greeter.conf's offline-expiry-warning-minutes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOfflineExpiryWarning } from '../screens/policy';
import { mergeTraySnapshot } from './tray-backend';
import { parseCacheStatusLines } from './tray-cache-status';

test('OFFLINE_STATUS lines: known, none, and everything else unknown', () => {
  assert.deepEqual(parseCacheStatusLines(['OFFLINE_STATUS:1795000000:0']), {
    kind: 'known',
    validUntil: 1795000000_000,
    lockedUntil: null,
  });
  assert.deepEqual(parseCacheStatusLines(['OFFLINE_STATUS:1795000000:1794000300']), {
    kind: 'known',
    validUntil: 1795000000_000,
    lockedUntil: 1794000300_000,
  });
  assert.deepEqual(parseCacheStatusLines(['OFFLINE_ERROR:-4']), { kind: 'none' });
  for (const lines of [
    [],
    ['OFFLINE_STATUS:1795000000:0', 'OFFLINE_STATUS:1795000000:0'],
    ['hello', 'OFFLINE_STATUS:1795000000:0'],
    ['OFFLINE_STATUS:0:0'],
    ['OFFLINE_STATUS:-1:0'],
    ['OFFLINE_STATUS:01795000000:0'],
    ['OFFLINE_ERROR:-2'],
    [' OFFLINE_STATUS:1795000000:0'],
  ])
    assert.equal(parseCacheStatusLines(lines).kind, 'unknown', JSON.stringify(lines));
});

test('the cache is the authority on expiry and lock; the monitor fills in what it lacks', () => {
  const status = {
    state: 'offline' as const,
    since: 1,
    lastRevalidation: null,
    cachedLoginValidUntil: 500,
    lockout: { until: 900, attempts: 4 },
  };
  const fromCache = mergeTraySnapshot(
    'alice',
    status,
    { kind: 'known', validUntil: 700, lockedUntil: 800 },
    60_000,
    false,
  );
  assert.deepEqual(fromCache.cachedLogin, { kind: 'known', validUntil: 700 });
  assert.deepEqual(fromCache.lockout, { until: 800, attempts: 4 });
  const noLock = mergeTraySnapshot(
    'alice',
    status,
    { kind: 'known', validUntil: 700, lockedUntil: null },
    60_000,
    false,
  );
  assert.equal(noLock.lockout, null, "the cache says unlocked: the monitor's lock is stale");
  const unknown = mergeTraySnapshot('alice', status, { kind: 'unknown', reason: 'x' }, 1, false);
  assert.deepEqual(unknown.cachedLogin, { kind: 'known', validUntil: 500 });
  assert.deepEqual(unknown.lockout, { until: 900, attempts: 4 });
  const bare = mergeTraySnapshot(
    'alice',
    { state: 'online', since: 1, lastRevalidation: 2 },
    null,
    1,
    false,
  );
  assert.deepEqual([bare.cachedLogin, bare.lockout], [{ kind: 'unknown' }, null]);
});

test('offline-expiry-warning-minutes: default 60, 0..10080, a bad value reads as 60', () => {
  const logs: string[] = [];
  const read = (text: string) => parseOfflineExpiryWarning(text, (l) => logs.push(l));
  assert.equal(read(''), 60);
  assert.equal(read('[greeter]\noffline-expiry-warning-minutes = 15\n'), 15);
  assert.equal(read('[greeter]\noffline-expiry-warning-minutes=0\n'), 0);
  assert.equal(read('[greeter]\noffline-expiry-warning-minutes = 10080\n'), 10080);
  assert.equal(logs.length, 0);
  for (const bad of ['-5', '10081', '1e3', 'soon', '015', ''])
    assert.equal(read(`[greeter]\noffline-expiry-warning-minutes = ${bad}\n`), 60, bad);
  assert.equal(logs.length, 6);
  assert.equal(read('[other]\noffline-expiry-warning-minutes = 5\n'), 60, 'only [greeter]');
  assert.equal(read('[greeter]\n# offline-expiry-warning-minutes = 5\n'), 60, 'a comment');
});
