// refreshAlongside over the real file token store, with a REFRESHER TEST DOUBLE standing in
// for the portal (the real-LemonLDAP::NG refresh is tested by the SSO rig's own suite).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTokenStore, ensureTokenKey, tokenFileName, type StoredTokenSet } from '../token-store';
import { refreshAlongside, type SsoRefresher } from '../unlock-with-refresh';

class SsoErrorForTest extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * Test double of the portal's refresh grant: knows which refresh tokens are live, rotates them
 * when asked, refuses a spent or unknown one with SSO_INVALID_GRANT (as a portal detecting
 * reuse does), or fails as scripted.
 */
class RefresherTestDouble implements SsoRefresher {
  readonly live = new Set<string>();
  calls = 0;
  failWith: string | null = null;
  hang = false;
  rotate = false;
  accessToken = (n: number): string => `at-fresh-${n}`;
  async refresh(refreshToken: string): Promise<StoredTokenSet> {
    this.calls++;
    if (this.hang) return new Promise(() => undefined);
    if (this.failWith) throw new SsoErrorForTest(this.failWith);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (!this.live.has(refreshToken)) throw new SsoErrorForTest('SSO_INVALID_GRANT');
    const tokens: StoredTokenSet = {
      accessToken: this.accessToken(this.calls),
      expiresAt: Date.now() + 300_000,
    };
    if (this.rotate) {
      this.live.delete(refreshToken);
      tokens.refreshToken = `rt-rotated-${this.calls}`;
      this.live.add(tokens.refreshToken);
    }
    return tokens;
  }
}

const STORED: StoredTokenSet = {
  accessToken: 'at-old-7c1e',
  refreshToken: 'rt-live-52aa',
  expiresAt: Date.now() - 1_000,
};

let root: string;
let n = 0;
function setup(): { store: FileTokenStore; dir: string; keyFile: string; logs: string[] } {
  const base = join(root, `c${++n}`);
  mkdirSync(base, { mode: 0o700 });
  const dir = join(base, 'tokens');
  const keyFile = join(base, 'key', 'token.key');
  ensureTokenKey(keyFile);
  return { store: new FileTokenStore({ dir, keyFile }), dir, keyFile, logs: [] };
}

function assertNoSecrets(logs: string[], secrets: string[]): void {
  assert.ok(logs.length > 0, 'the log is not empty');
  for (const secret of secrets) {
    assert.ok(
      logs.every((line) => !line.includes(secret)),
      `${secret} logged`,
    );
  }
}

describe('refreshAlongside (beside a password unlock)', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'bastion-unlock-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('nothing stored → no-token, the portal is not asked', async () => {
    const { store, logs } = setup();
    const portal = new RefresherTestDouble();
    const result = await refreshAlongside('dwho', store, portal, { log: (l) => logs.push(l) });
    assert.deepEqual(result, { kind: 'not-refreshed', reason: 'no-token', detail: 'none stored' });
    assert.equal(portal.calls, 0);
  });

  it('refreshes and saves; the result carries no token; an unrotated refresh token is kept', async () => {
    const { store, logs } = setup();
    await store.save('dwho', STORED);
    const portal = new RefresherTestDouble();
    portal.live.add(STORED.refreshToken!);
    const result = await refreshAlongside('dwho', store, portal, { log: (l) => logs.push(l) });
    assert.equal(result.kind, 'refreshed');
    assert.equal(result.kind === 'refreshed' && result.rotated, false);
    assert.equal(result.kind === 'refreshed' && result.saved, true);
    // Nothing in the result could answer a PAM prompt.
    assert.ok(!JSON.stringify(result).includes('at-fresh-1'));
    const saved = await store.load('dwho');
    assert.equal(saved?.accessToken, 'at-fresh-1');
    assert.equal(saved?.refreshToken, STORED.refreshToken);
    assertNoSecrets(logs, ['at-fresh-1', STORED.refreshToken!, STORED.accessToken]);
  });

  it('a rotated refresh token is stored; two unlocks at once do not spend the same one', async () => {
    const { store, logs } = setup();
    await store.save('dwho', STORED);
    const portal = new RefresherTestDouble();
    portal.rotate = true;
    portal.live.add(STORED.refreshToken!);
    const results = await Promise.all([
      refreshAlongside('dwho', store, portal, { log: (l) => logs.push(l) }),
      refreshAlongside('dwho', store, portal, { log: (l) => logs.push(l) }),
    ]);
    assert.deepEqual(
      results.map((r) => r.kind),
      ['refreshed', 'refreshed'],
    );
    assert.equal(portal.calls, 2);
    assert.equal((await store.load('dwho'))?.refreshToken, 'rt-rotated-2');
    assertNoSecrets(logs, ['rt-rotated-1', 'rt-rotated-2', STORED.refreshToken!]);
  });

  it('invalid_grant (revoked or expired) → the tokens are wiped', async () => {
    const { store, dir, logs } = setup();
    await store.save('dwho', STORED);
    const portal = new RefresherTestDouble(); // does not know the token: revoked
    const result = await refreshAlongside('dwho', store, portal, { log: (l) => logs.push(l) });
    assert.deepEqual(result, {
      kind: 'not-refreshed',
      reason: 'invalid-grant',
      detail: 'SSO_INVALID_GRANT',
    });
    assert.equal(await store.load('dwho'), null);
    assert.throws(() => readFileSync(join(dir, tokenFileName('dwho'))), { code: 'ENOENT' });
  });

  it('portal unreachable or past the deadline → unreachable (offline path), tokens kept', async () => {
    const { store, logs } = setup();
    await store.save('dwho', STORED);
    const portal = new RefresherTestDouble();
    portal.failWith = 'SSO_UNREACHABLE';
    const down = await refreshAlongside('dwho', store, portal, { log: (l) => logs.push(l) });
    assert.equal(down.kind === 'not-refreshed' && down.reason, 'unreachable');
    portal.failWith = null;
    portal.hang = true;
    const started = Date.now();
    const slow = await refreshAlongside('dwho', store, portal, { timeoutMs: 150 });
    assert.equal(slow.kind === 'not-refreshed' && slow.reason, 'unreachable');
    assert.ok(Date.now() - started < 2_000);
    assert.deepEqual(await store.load('dwho'), STORED);
  });

  it('other portal failures (TLS refused, bad response) → refresh-failed, tokens kept', async () => {
    const { store } = setup();
    await store.save('dwho', STORED);
    const portal = new RefresherTestDouble();
    for (const code of ['SSO_TLS_REFUSED', 'SSO_PIN_MISMATCH', 'SSO_BAD_RESPONSE']) {
      portal.failWith = code;
      const result = await refreshAlongside('dwho', store, portal);
      assert.deepEqual(result, { kind: 'not-refreshed', reason: 'refresh-failed', detail: code });
    }
    assert.deepEqual(await store.load('dwho'), STORED);
  });

  it('a tampered token file → no-token with a log line; the portal is not asked', async () => {
    const { store, dir, logs } = setup();
    await store.save('dwho', STORED);
    const path = join(dir, tokenFileName('dwho'));
    const bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 0x80;
    writeFileSync(path, bytes, { mode: 0o600 });
    const portal = new RefresherTestDouble();
    const result = await refreshAlongside('dwho', store, portal, { log: (l) => logs.push(l) });
    assert.equal(result.kind === 'not-refreshed' && result.reason, 'no-token');
    assert.match(result.kind === 'not-refreshed' ? result.detail : '', /TOKEN_FILE_INVALID/);
    assert.equal(portal.calls, 0);
    assert.ok(logs.some((line) => /TOKEN_FILE_INVALID/.test(line)));
  });

  it('key file missing → store-error', async () => {
    const { store, keyFile } = setup();
    await store.save('dwho', STORED);
    rmSync(keyFile);
    const result = await refreshAlongside('dwho', store, new RefresherTestDouble());
    assert.deepEqual(result, {
      kind: 'not-refreshed',
      reason: 'store-error',
      detail: 'TOKEN_KEY_MISSING',
    });
  });
});
