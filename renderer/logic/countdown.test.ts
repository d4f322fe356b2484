import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatCountdown, nextSecondsLeftChange, secondsLeft } from './countdown';

test('formatCountdown renders m:ss', () => {
  assert.equal(formatCountdown(240), '4:00');
  assert.equal(formatCountdown(239), '3:59');
  assert.equal(formatCountdown(61), '1:01');
  assert.equal(formatCountdown(9), '0:09');
  assert.equal(formatCountdown(0), '0:00');
  assert.equal(formatCountdown(3600), '60:00');
});

test('formatCountdown reads nonsense as 0:00 and drops fractions', () => {
  assert.equal(formatCountdown(-5), '0:00');
  assert.equal(formatCountdown(Number.NaN), '0:00');
  assert.equal(formatCountdown(Number.POSITIVE_INFINITY), '0:00');
  assert.equal(formatCountdown(59.9), '0:59');
});

test('formatCountdown round-trips every whole number of seconds', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000_000 }), (seconds) => {
      const match = /^(\d+):([0-5]\d)$/.exec(formatCountdown(seconds));
      assert.ok(match, formatCountdown(seconds));
      assert.equal(Number(match[1]) * 60 + Number(match[2]), seconds);
    }),
  );
});

test('secondsLeft rounds up and never goes negative', () => {
  const now = 1_700_000_000_000;
  assert.equal(secondsLeft(now + 240_000, now), 240);
  assert.equal(secondsLeft(now + 239_001, now), 240);
  assert.equal(secondsLeft(now + 200, now), 1);
  assert.equal(secondsLeft(now, now), 0);
  assert.equal(secondsLeft(now - 5_000, now), 0);
  assert.equal(secondsLeft(null, now), 0);
  assert.equal(secondsLeft(Number.NaN, now), 0);
});

test('the English lock line matches what the e2e suite looks for', async () => {
  const { en } = await import('../i18n/en');
  const now = 1_700_000_000_000;
  const line = en.lockedCountdown(formatCountdown(secondsLeft(now + 240_000, now)));
  assert.equal(line, 'Locked, 4:00 left');
  assert.match(line, /locked, \d+:\d\d left/i);
});

test('nextSecondsLeftChange names the moment the shown seconds change, and null once at 0', () => {
  const now = 1_700_000_000_000;
  const until = now + 2_500; // shows 3 now
  const first = nextSecondsLeftChange(until, now)!;
  assert.equal(first, now + 500);
  assert.equal(secondsLeft(until, first - 1), 3);
  assert.equal(secondsLeft(until, first), 2);
  assert.equal(nextSecondsLeftChange(until, first), now + 1_500);
  assert.equal(nextSecondsLeftChange(until, now + 1_500), until);
  assert.equal(secondsLeft(until, until), 0);
  assert.equal(nextSecondsLeftChange(until, until), null);
  assert.equal(nextSecondsLeftChange(null, now), null);
});
