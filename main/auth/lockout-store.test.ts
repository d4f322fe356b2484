import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LOCKOUT_FILE_NAME,
  LockoutStore,
  LockoutStoreError,
  type LockoutStoreErrorCode,
} from './lockout-store';

let root: string;
let now: number;
const clock = { now: () => now };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'bastion-lockout-'));
  now = 1_700_000_000_000;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function rejectsWith(code: LockoutStoreErrorCode) {
  return (error: unknown) => error instanceof LockoutStoreError && error.code === code;
}

describe('LockoutStore', () => {
  it('persists a lockout for a new instance, 0600 in a 0700 dir, no temp files left', async () => {
    const stateDir = join(root, 'state');
    const store = new LockoutStore({ stateDir, clock });
    store.load();
    await store.set('alice', now + 240_000);
    assert.equal(statSync(stateDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(stateDir, LOCKOUT_FILE_NAME)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(stateDir), [LOCKOUT_FILE_NAME]);

    const reopened = new LockoutStore({ stateDir, clock });
    reopened.load();
    assert.equal(reopened.lockedUntil('alice'), now + 240_000);
    assert.equal(reopened.lockedUntil('bob'), null);
    now += 240_000;
    assert.equal(reopened.lockedUntil('alice'), null, 'expired at the deadline');
  });

  it('lists active lockouts latest first and drops expired ones on write', async () => {
    const store = new LockoutStore({ stateDir: root, clock });
    chmodSync(root, 0o700);
    store.load();
    await store.set('alice', now + 1_000);
    await store.set('bob', now + 5_000);
    assert.deepEqual(
      store.active().map((e) => e.user),
      ['bob', 'alice'],
    );
    now += 2_000;
    await store.set('bob', null);
    const data = JSON.parse(readFileSync(join(root, LOCKOUT_FILE_NAME), 'utf8')) as unknown;
    assert.deepEqual(data, { v: 1, lockouts: {} });
  });

  it('refuses a group/world accessible state dir', () => {
    chmodSync(root, 0o755);
    assert.throws(
      () => new LockoutStore({ stateDir: root, clock }).load(),
      rejectsWith('INSECURE_DIR'),
    );
  });

  it('refuses a symlinked state dir', () => {
    const real = join(root, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(root, 'link'));
    assert.throws(
      () => new LockoutStore({ stateDir: join(root, 'link'), clock }).load(),
      rejectsWith('INSECURE_DIR'),
    );
  });

  it('refuses a symlinked file (O_NOFOLLOW)', () => {
    const stateDir = join(root, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(root, 'elsewhere'), '{"v":1,"lockouts":{}}', { mode: 0o600 });
    symlinkSync(join(root, 'elsewhere'), join(stateDir, LOCKOUT_FILE_NAME));
    assert.throws(() => new LockoutStore({ stateDir, clock }).load(), rejectsWith('INSECURE_FILE'));
  });

  it('refuses a group-readable file', () => {
    chmodSync(root, 0o700);
    writeFileSync(join(root, LOCKOUT_FILE_NAME), '{"v":1,"lockouts":{}}', { mode: 0o644 });
    chmodSync(join(root, LOCKOUT_FILE_NAME), 0o644);
    assert.throws(
      () => new LockoutStore({ stateDir: root, clock }).load(),
      rejectsWith('INSECURE_FILE'),
    );
  });

  for (const [name, body] of [
    ['not JSON', '{"v":1,'],
    ['wrong version', '{"v":2,"lockouts":{}}'],
    ['array', '[]'],
    ['string deadline', '{"v":1,"lockouts":{"alice":"9999999999999"}}'],
    ['fractional deadline', '{"v":1,"lockouts":{"alice":1.5}}'],
    ['negative deadline', '{"v":1,"lockouts":{"alice":-1}}'],
    ['lockouts not an object', '{"v":1,"lockouts":null}'],
  ] as const) {
    it(`reports a corrupt file (${name})`, () => {
      chmodSync(root, 0o700);
      writeFileSync(join(root, LOCKOUT_FILE_NAME), body, { mode: 0o600 });
      const store = new LockoutStore({ stateDir: root, clock });
      assert.throws(() => store.load(), rejectsWith('CORRUPT'));
      assert.deepEqual(store.active(), []);
    });
  }
});
