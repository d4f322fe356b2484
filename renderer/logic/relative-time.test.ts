import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRelativeSpan, nextRelativeChange, relativeKey, relativeTo } from './relative-time';

const T = Date.UTC(2026, 10, 23, 14, 5);
const MIN = 60_000;

test('coarse words: now, minutes, hours, days, both ways', () => {
  assert.deepEqual(relativeTo(T, T + 30_000), { kind: 'now', past: true });
  assert.deepEqual(relativeTo(T, T - 30_000), { kind: 'now', past: false });
  assert.deepEqual(relativeTo(T, T + 12 * MIN + 59_000), {
    kind: 'span',
    amount: -12,
    unit: 'minute',
  });
  assert.deepEqual(relativeTo(T, T - 25 * MIN), { kind: 'span', amount: 25, unit: 'minute' });
  assert.deepEqual(relativeTo(T, T + 119 * MIN), { kind: 'span', amount: -119, unit: 'minute' });
  assert.deepEqual(relativeTo(T, T + 120 * MIN), { kind: 'span', amount: -2, unit: 'hour' });
  assert.deepEqual(relativeTo(T, T - 3 * 24 * 60 * MIN), { kind: 'span', amount: 3, unit: 'day' });
});

test('the next change is never later than the words change (checked minute by minute)', () => {
  for (const target of [T, T + 17_123]) {
    for (
      let now = target - 3 * 24 * 60 * MIN;
      now < target + 3 * 24 * 60 * MIN;
      now += 7 * MIN + 13_000
    ) {
      const next = nextRelativeChange(target, now);
      assert.ok(next > now, 'strictly later');
      const key = relativeKey(target, now);
      // Nothing changes before `next`: sample the instants just before it.
      for (let probe = now; probe < next; probe += Math.max(1, Math.floor((next - now) / 50)))
        assert.equal(relativeKey(target, probe), key, `no change before next (${now} → ${probe})`);
    }
  }
});

test('formatted in the locale', () => {
  assert.equal(formatRelativeSpan(-12, 'minute', 'en-GB'), '12 minutes ago');
  assert.equal(formatRelativeSpan(3, 'hour', 'fr-FR'), 'dans 3 heures');
});
