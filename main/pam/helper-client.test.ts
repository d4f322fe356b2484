import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PamClientError,
  parseResult,
  runPamTransaction,
  type PamEvent,
  type PamOutcome,
  type PamClientErrorCode,
} from './helper-client';
import { installFakeHelperForTest, type FakeHelperForTest } from './test/fake-helper';

async function collect(events: AsyncIterable<PamEvent>): Promise<PamEvent[]> {
  const all: PamEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

function assertClientError(outcome: PamOutcome, code: PamClientErrorCode): void {
  assert.equal(outcome.ok, false, 'must never be a success');
  assert.ok(
    !outcome.ok && outcome.kind === 'client-error',
    `expected a client error, got ${JSON.stringify(outcome)}`,
  );
  assert.equal(outcome.error.code, code);
}

describe('parseResult', () => {
  it('parses the grammar', () => {
    assert.deepEqual(parseResult('7:PAM_AUTH_ERR:authenticate'), {
      code: 7,
      name: 'PAM_AUTH_ERR',
      stage: 'authenticate',
    });
  });
  for (const bad of [
    '',
    '0:PAM_SUCCESS',
    '0:PAM_SUCCESS:acct_mgmt:x',
    ' 0:PAM_SUCCESS:acct_mgmt',
    '00:PAM_SUCCESS:acct_mgmt',
    '-1:PAM_X:helper',
    '0:pam_success:acct_mgmt',
    '0:PAM_SUCCESS:session',
    '999999:PAM_X:helper',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseResult(bad),
        (error: unknown) => error instanceof PamClientError && error.code === 'MALFORMED_RESULT',
      );
    });
  }
});

describe('helper client against the fake-helper-for-test double', () => {
  let fake: FakeHelperForTest;
  before(() => {
    fake = installFakeHelperForTest();
  });
  after(() => fake.cleanup());

  const start = (scenario: string, deadlineMs?: number) =>
    runPamTransaction({
      helperPath: fake.path,
      service: 'bastion-greeter',
      user: 'alice',
      env: { FAKE_HELPER_SCENARIO: scenario },
      deadlineMs: deadlineMs ?? 10_000,
      killGraceMs: 200,
    });

  it('a well-formed success is a success (the double itself is sane)', async () => {
    const transaction = start('success');
    const events: PamEvent[] = [];
    for await (const event of transaction.events()) {
      events.push(event);
      if (event.type === 'prompt') transaction.answer('right');
    }
    assert.deepEqual(events[0], { type: 'prompt', secret: true, text: 'Password: ' });
    assert.deepEqual(events.at(-1), {
      type: 'result',
      outcome: { ok: true, result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' } },
    });
  });

  it('a wrong answer is a refusal carrying the PAM result', async () => {
    const transaction = start('success');
    for await (const event of transaction.events()) {
      if (event.type === 'prompt') transaction.answer('wrong');
    }
    const outcome = await transaction.outcome;
    assert.deepEqual(outcome, {
      ok: false,
      kind: 'refused',
      result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
      exitCode: 1,
    });
  });

  const faults: [string, PamClientErrorCode][] = [
    ['garbage', 'MALFORMED_FRAME'],
    ['oversized', 'MALFORMED_FRAME'],
    ['truncated', 'MALFORMED_FRAME'],
    ['two-results', 'DUPLICATE_RESULT'],
    ['success-then-junk', 'TRAILING_DATA'],
    ['success-then-info', 'TRAILING_DATA'],
    ['exit0-without-result', 'MISSING_RESULT'],
    ['success-exit1', 'INCONSISTENT_EXIT'],
    ['failure-exit0', 'INCONSISTENT_EXIT'],
    ['success-wrong-stage', 'INCONSISTENT_EXIT'],
    ['malformed-result', 'MALFORMED_RESULT'],
    ['answer-frame-from-helper', 'UNEXPECTED_FRAME'],
    ['bad-utf8', 'MALFORMED_TEXT'],
    ['nul-in-text', 'MALFORMED_TEXT'],
    ['success-then-sigkill', 'KILLED'],
  ];
  for (const [scenario, code] of faults) {
    it(`${scenario} → ${code}, never success`, async () => {
      const events = await collect(start(scenario).events());
      const last = events.at(-1);
      assert.equal(last?.type, 'result');
      assert.equal(events.filter((e) => e.type === 'result').length, 1);
      if (last?.type === 'result') assertClientError(last.outcome, code);
    });
  }

  it('the deadline ends a hanging helper as TIMEOUT and the process goes away', async () => {
    const started = Date.now();
    const outcome = await start('hang', 300).outcome;
    assertClientError(outcome, 'TIMEOUT');
    assert.ok(Date.now() - started < 5_000);
  });

  it('answer() without a prompt is refused and sends nothing', async () => {
    const transaction = start('success');
    assert.throws(
      () => transaction.answer('right'),
      (error: unknown) => error instanceof PamClientError && error.code === 'NO_PENDING_PROMPT',
    );
    transaction.cancel();
    assertClientError(await transaction.outcome, 'CANCELLED');
  });

  it('answers over 512 bytes or with NUL are refused; a refused answer leaves the prompt open', async () => {
    const transaction = start('success');
    for await (const event of transaction.events()) {
      if (event.type !== 'prompt') continue;
      assert.throws(
        () => transaction.answer('x'.repeat(513)),
        (error: unknown) => error instanceof PamClientError && error.code === 'ANSWER_TOO_LARGE',
      );
      assert.throws(
        () => transaction.answer('é'.repeat(257)),
        (error: unknown) => error instanceof PamClientError && error.code === 'ANSWER_TOO_LARGE',
      );
      assert.throws(
        () => transaction.answer('a\0b'),
        (error: unknown) => error instanceof PamClientError && error.code === 'ANSWER_HAS_NUL',
      );
      transaction.answer('right');
    }
    assert.equal((await transaction.outcome).ok, true);
  });

  it('answer() after the end is refused', async () => {
    const transaction = start('exit0-without-result');
    await transaction.outcome;
    assert.throws(
      () => transaction.answer('x'),
      (error: unknown) => error instanceof PamClientError && error.code === 'TRANSACTION_OVER',
    );
  });

  it('cancel() mid-prompt is CANCELLED', async () => {
    const transaction = start('success');
    for await (const event of transaction.events()) {
      if (event.type === 'prompt') transaction.cancel();
    }
    assertClientError(await transaction.outcome, 'CANCELLED');
  });
});

describe('helper client: spawn failures', () => {
  it('a missing helper is HELPER_NOT_FOUND', async () => {
    const outcome = await runPamTransaction({
      helperPath: '/nonexistent/bastion-pam-helper',
      service: 'bastion-greeter',
      user: 'alice',
    }).outcome;
    assertClientError(outcome, 'HELPER_NOT_FOUND');
  });

  it('a helper that is not executable is HELPER_NOT_EXECUTABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bastion-noexec-'));
    try {
      const path = join(dir, 'helper');
      writeFileSync(path, '#!/bin/sh\nexit 0\n');
      chmodSync(path, 0o600);
      const outcome = await runPamTransaction({ helperPath: path, service: 's', user: 'u' })
        .outcome;
      assertClientError(outcome, 'HELPER_NOT_EXECUTABLE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an empty or NUL-carrying service/user is INVALID_REQUEST and nothing is spawned', async () => {
    for (const [service, user] of [
      ['', 'alice'],
      ['bastion-greeter', ''],
      ['bastion-greeter', 'alice\0root'],
      ['bastion\0x', 'alice'],
    ]) {
      const transaction = runPamTransaction({
        helperPath: '/bin/true',
        service: service!,
        user: user!,
      });
      assertClientError(await transaction.outcome, 'INVALID_REQUEST');
      assert.equal(transaction.pid, undefined);
    }
  });
});
