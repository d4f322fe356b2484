// Refresh at unlock (issue #10) against the real LemonLDAP::NG rig, through the greeter
// backend, the real helper (test build) and real libpam: the person unlocks with their
// password, which the PAM stack's stand-in for pam_openbastion (./test/llng-unlock-fixture.ts)
// checks with the RIG's password grant; beside it main refreshes the stored tokens. A stored
// refresh token never answers PAM: Enter with an empty field must not unlock (it once did).
// A revoked refresh token wipes the store and the password still unlocks; a stopped portal
// sends the password down the offline path.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireOrSkip } from '../../testkit/require';
import { llngRigMissing, startLlngRig, type LlngRig } from '../../testkit/sso/llng-rig';
import type { SsoSnapshot } from '../../preload/api';
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

  it('nothing saved: the password unlocks as without SSO, no notice on screen', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    assert.equal(await f.store.load(USER), null);
    const end = await f.unlock(rig!.users.dwho);
    assert.equal(end.phase, 'success');
    assert.deepEqual(f.standInLines(), ['accepted password dwho']);
    assert.ok(!f.ssoSnapshots.some((s) => s.phase === 'failed'), 'no notice');
  });

  it('a password the stack accepted online keeps a refresh token (password grant)', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    // Enrolment runs after the verdict of the unlock above: wait for the store to hold it.
    const deadline = Date.now() + 10_000;
    let stored = await f.store.load(USER);
    while (stored === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      stored = await f.store.load(USER);
    }
    assert.ok(stored?.refreshToken, 'a refresh token is stored after the password unlock');
    assert.equal(stored.claims?.sub, USER);
  });

  it('Enter with an empty field and a live refresh token: NOT unlocked, nothing sent from the store', async (t) => {
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
    // The old path: Unlock with an empty field (the prompt shows), Enter again with it empty.
    const end = await f.unlock('');
    assert.notEqual(end.phase, 'success', 'a key press is not the person');
    const seen = f.standInLines().slice(linesBefore);
    assert.ok(
      seen.every((line) => line === 'refused password dwho'),
      `PAM saw the empty answer at most, never a token: ${JSON.stringify(seen)}`,
    );
    const after = await f.store.load(USER);
    assert.equal(
      after?.accessToken,
      tokens.accessToken,
      'the store was neither used nor refreshed',
    );
  });

  it('password unlock with the refresh alongside: unlocked, the stored tokens refreshed', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    const before = await f.store.load(USER);
    assert.ok(before?.refreshToken);
    const linesBefore = f.standInLines().length;
    const t0 = Date.now();
    const end = await f.unlock(rig!.users.dwho);
    t.diagnostic(`password unlock with refresh alongside ${Date.now() - t0} ms`);
    assert.equal(end.phase, 'success', JSON.stringify(end.failure));
    assert.deepEqual(f.standInLines().slice(linesBefore), ['accepted password dwho']);
    const after = await f.store.load(USER);
    assert.ok(after !== null);
    assert.notEqual(after.accessToken, before.accessToken, 'a fresh access token was stored');
    assert.equal(after.refreshToken, before.refreshToken, 'LLNG 2.16 does not rotate: kept');
    assert.ok(
      !f.logs.some((l) => l.includes(after.accessToken) || l.includes(before.refreshToken!)),
    );
  });

  it('portal stopped: the typed password takes the offline path, the tokens are kept', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    const kept = await f.store.load(USER);
    assert.ok(kept?.refreshToken);
    await rig!.stopPortal();
    try {
      await f.startToPrompt();
      const linesBefore = f.standInLines().length;
      const ended = until(f.backend, (s) => !['prompting', 'authenticating'].includes(s.phase));
      await f.backend.handle('answer', { text: rig!.users.dwho });
      const end = await ended;
      assert.equal(end.offline, true, 'the refresh found the portal unreachable');
      assert.equal(lastSso(f)?.problem, 'SSO_UNLOCK_UNREACHABLE');
      // The password reached PAM as `OFFLINE:<password>` (pam_openbastion's offline path),
      // decided before it was sent. The stand-in has no offline cache, so it refuses.
      assert.deepEqual(f.standInLines().slice(linesBefore), ['refused offline dwho']);
      assert.equal((await f.store.load(USER))?.refreshToken, kept.refreshToken);
      await f.backend.handle('cancelAuth', undefined);
    } finally {
      await rig!.startPortal();
    }
    f.backend.setOffline(false);
  });

  it('revoked refresh token: the password still unlocks, the store is wiped, the session-ended hook told', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const f = fixture!;
    const stored = await f.store.load(USER);
    assert.ok(stored?.refreshToken);
    await rig!.revokeRefreshToken(stored.refreshToken);
    const linesBefore = f.standInLines().length;
    const endedBefore = f.sessionEnded.length;
    const end = await f.unlock(rig!.users.dwho);
    assert.equal(end.phase, 'success', JSON.stringify(end.failure));
    assert.equal(end.offline, false, 'the portal answered: online');
    assert.deepEqual(f.standInLines().slice(linesBefore), ['accepted password dwho']);
    assert.ok(
      f.ssoSnapshots.some((s) => s.problem === 'SSO_UNLOCK_ENDED'),
      'the screen was told',
    );
    assert.deepEqual(f.sessionEnded.slice(endedBefore), [USER]);
    // With allow-password-grant the accepted password enrols new tokens; the revoked one is gone.
    const deadline = Date.now() + 10_000;
    let now = await f.store.load(USER);
    while (now?.refreshToken === stored.refreshToken && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      now = await f.store.load(USER);
    }
    assert.notEqual(now?.refreshToken, stored.refreshToken, 'the revoked token was wiped');
  });
});
