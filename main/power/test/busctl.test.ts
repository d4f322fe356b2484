// Unit tests of busctl's output parsing and the Can* rule (no bus involved).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BusctlError, busctlEnv, parseBusctlReply, replyString } from '../busctl';
import { canAnswerAllows } from '../logind';
import { parsePrepareForSleep } from '../sleep-inhibitor';

const bad = (error: unknown) => error instanceof BusctlError && error.code === 'BUSCTL_BAD_OUTPUT';

test('a Can* reply parses to its string', () => {
  assert.equal(replyString(parseBusctlReply('{"type":"s","data":["yes"]}\n')), 'yes');
  assert.equal(replyString(parseBusctlReply('{"type":"s","data":["challenge"]}')), 'challenge');
});

test('an empty reply (a method returning nothing) has no values', () => {
  assert.deepEqual(parseBusctlReply(''), { type: '', data: [] });
  assert.deepEqual(parseBusctlReply('\n'), { type: '', data: [] });
});

test('anything but the exact JSON shape is refused', () => {
  for (const output of [
    's "yes"', // busctl without --json
    '{"type":"s","data":["yes"]',
    '[]',
    'null',
    '"yes"',
    '{"type":"s"}',
    '{"data":["yes"]}',
    '{"type":"s","data":["yes"],"extra":1}',
    '{"type":1,"data":["yes"]}',
    '{"type":"s","data":"yes"}',
    '{"type":"s","data":["yes"]}\n{"type":"s","data":["no"]}',
  ]) {
    assert.throws(() => parseBusctlReply(output), bad, output);
  }
});

test('replyString wants exactly one string of signature s', () => {
  for (const reply of [
    { type: 'b', data: [true] },
    { type: 's', data: [] },
    { type: 's', data: ['yes', 'no'] },
    { type: 's', data: [1] },
    { type: 'ss', data: ['a', 'b'] },
  ]) {
    assert.throws(() => replyString(reply), bad);
  }
});

test('only "yes" allows: challenge (polkit would ask; no agent here), no, na and others hide', () => {
  assert.equal(canAnswerAllows('yes'), true);
  for (const answer of ['no', 'na', 'challenge', 'YES', ' yes', '']) {
    assert.equal(canAnswerAllows(answer), false, answer);
  }
});

test('the busctl child gets the bus address as its whole environment', () => {
  assert.deepEqual(busctlEnv({}), {});
  assert.deepEqual(busctlEnv({ systemBusAddress: 'unix:path=/tmp/x' }), {
    DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/tmp/x',
  });
});

test('gdbus monitor lines: PrepareForSleep only, strictly', () => {
  const line = (arg: string) =>
    `/org/freedesktop/login1: org.freedesktop.login1.Manager.PrepareForSleep (${arg},)`;
  assert.equal(parsePrepareForSleep(line('true')), true);
  assert.equal(parsePrepareForSleep(line('false')), false);
  assert.equal(parsePrepareForSleep(line('1')), null);
  assert.equal(
    parsePrepareForSleep(
      '/org/freedesktop/login1: org.freedesktop.login1.Manager.PrepareForShutdown (true,)',
    ),
    null,
  );
  assert.equal(parsePrepareForSleep(`/other: ${line('true')}`), null);
  assert.equal(parsePrepareForSleep(''), null);
});
