// Refresh at unlock (issue #10) against the real LemonLDAP::NG rig, through the greeter
// backend, the real helper (test build) and real libpam: the unlock screen's Enter with an
// empty password field answers the PAM password prompt with a fresh access token, which the
// PAM stack's stand-in for pam_openbastion (./test/llng-unlock-fixture.ts) checks with the
// RIG's introspection. A revoked refresh token, or a stopped portal, asks for the password.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireOrSkip } from '../../testkit/require';
import { llngRigMissing, startLlngRig, type LlngRig } from '../../testkit/sso/llng-rig';
import type { AuthSnapshot, SsoSnapshot } from '../../preload/api';
import {
  startLlngUnlockFixture,
  unlockFixtureMissing,
  until,
  type LlngUnlockFixture,
} from './test/llng-unlock-fixture';

const USER = 'dwho';
const missing = [llngRigMissing(), unlockFixtureMissing()].filter(Boolean).join(', ') || null;
const NEED = `LemonLDAP::NG rig and the real helper (${missing})`;

const lastSso = (f: LlngUnlockFixture): SsoSnapshot | undefined => f.ssoSnapshots.at(-1);

describe('refresh at unlock against a real LemonLDAP::NG', { timeout: 180_000 }, () => {
  let rig: LlngRig | undefined;
  let fixture: LlngUnlockFixture | undefined;
  before(async () => {
    if (missing) return;
    rig = await startLlngRig();
    fixture = await startLlngUnlockFixture(rig, USER, { refreshTimeoutMs: 3_000 });
  });
  after(async () => {
    await fixture?.close();
    await rig?.stop();
  });

  it('nothing saved: Enter with an empty field asks for the password, nothing answered', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    await f.startToPrompt();
    await f.backend.handle('answer', { text: '' });
    const snap = (await f.backend.handle('getAuthSnapshot', undefined)) as AuthSnapshot;
    assert.equal(snap.phase, 'prompting', 'the prompt stays open for the password');
    assert.equal(lastSso(f)?.problem, 'SSO_UNLOCK_NO_SAVED');
    assert.deepEqual(f.standInLines(), []);
    await f.backend.handle('cancelAuth', undefined);
  });

  it('a password the stack accepted online keeps a refresh token (password grant)', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    const end = await f.unlock(rig!.users.dwho);
    assert.equal(end.phase, 'success');
    assert.deepEqual(f.standInLines(), ['accepted password dwho']);
    // Enrolment runs after the verdict: wait for the store to hold it.
    const deadline = Date.now() + 10_000;
    let stored = await f.store.load(USER);
    while (stored === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      stored = await f.store.load(USER);
    }
    assert.ok(stored?.refreshToken, 'a refresh token is stored after the password unlock');
    assert.equal(stored.claims?.sub, USER);
  });

  it('refresh at unlock: Enter with an empty field → fresh access token → the rig says active for dwho → unlocked', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    // As after an SSO sign-in on the login screen: tokens from a password grant, saved.
    const tokens = await f.client.passwordGrant(USER, rig!.users.dwho);
    await f.store.wipe(USER);
    await f.saveTokens({
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken!,
      expiresAt: tokens.expiresAt,
    });
    const linesBefore = f.standInLines().length;
    const t0 = Date.now();
    const end = await f.unlock('');
    t.diagnostic(`unlock with refresh ${Date.now() - t0} ms`);
    assert.equal(end.phase, 'success', JSON.stringify(end.failure));
    assert.deepEqual(f.standInLines().slice(linesBefore), ['accepted token dwho']);
    const after = await f.store.load(USER);
    assert.ok(after !== null);
    assert.notEqual(after.accessToken, tokens.accessToken, 'a fresh access token was stored');
    assert.equal(after.refreshToken, tokens.refreshToken, 'LLNG 2.16 does not rotate: kept');
    assert.ok(
      !f.logs.some((l) => l.includes(after.accessToken) || l.includes(tokens.refreshToken!)),
    );
  });

  it('portal stopped: asks for the password (offline path), the tokens are kept', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    const kept = await f.store.load(USER);
    assert.ok(kept?.refreshToken);
    await rig!.stopPortal();
    try {
      await f.startToPrompt();
      const offline = until(f.backend, (s) => s.offline);
      await f.backend.handle('answer', { text: '' });
      assert.equal((await offline).offline, true);
      assert.equal(lastSso(f)?.problem, 'SSO_UNLOCK_UNREACHABLE');
      assert.equal((await f.store.load(USER))?.refreshToken, kept.refreshToken);
      await f.backend.handle('cancelAuth', undefined);
    } finally {
      await rig!.startPortal();
    }
    f.backend.setOffline(false);
  });

  it('revoked refresh token: asks for the password, the store is wiped, nothing reaches PAM', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    const stored = await f.store.load(USER);
    assert.ok(stored?.refreshToken);
    await rig!.revokeRefreshToken(stored.refreshToken);
    const linesBefore = f.standInLines().length;
    await f.startToPrompt();
    await f.backend.handle('answer', { text: '' });
    const snap = (await f.backend.handle('getAuthSnapshot', undefined)) as AuthSnapshot;
    assert.equal(snap.phase, 'prompting', 'the password is asked for');
    assert.equal(lastSso(f)?.problem, 'SSO_UNLOCK_ENDED');
    assert.equal(await f.store.load(USER), null, 'the tokens are wiped');
    assert.equal(f.standInLines().length, linesBefore, 'nothing was answered');
    // The password still unlocks (and, with allow-password-grant, saves new tokens).
    const ended = until(f.backend, (s) => s.phase === 'success' || s.phase === 'failure');
    await f.backend.handle('answer', { text: rig!.users.dwho });
    assert.equal((await ended).phase, 'success');
    assert.equal(lastSso(f)?.phase, 'off', 'the notice is cleared after the unlock');
  });
});
