// main/sso against the real LemonLDAP::NG 2.16 rig (testkit/sso/llng-rig.ts): password
// grant, refresh, bad password, revoked / ended / expired refresh, userinfo, the portal
// stopped or hung (bounded), TLS with the rig's CA file and its SPKI pin; and the Open
// Bastion client against the /pam/* test double on the issuer's own origin.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createOpenBastionClient,
  createSsoClient,
  isSsoError,
  type SsoClient,
  type SsoConfig,
  type SsoErrorCode,
} from '../index';
import { requireOrSkip } from '../../../testkit/require';
import { llngRigMissing, startLlngRig, type LlngRig } from '../../../testkit/sso/llng-rig';
import {
  startOpenBastionPamDouble,
  type OpenBastionPamDouble,
} from '../../../testkit/sso/open-bastion-pam-double';

const missing = llngRigMissing();
const NEED = `LemonLDAP::NG rig (${missing})`;

async function rejectsWith(promise: Promise<unknown>, code: SsoErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isSsoError(error), `not an SsoError: ${String(error)}`);
    assert.equal(error.code, code, `${error.code} (${error.detail ?? ''}): ${error.message}`);
    return true;
  });
}

describe('main/sso against a real LemonLDAP::NG', { timeout: 120_000 }, () => {
  let rig: LlngRig | undefined;
  let client: SsoClient | undefined;
  const logs: string[] = [];
  const config = (extra: Partial<SsoConfig> = {}): SsoConfig => ({
    issuer: rig!.issuer,
    clientId: rig!.publicClient.clientId,
    redirectUri: rig!.publicClient.redirectUris.customScheme,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    allowPasswordGrant: true,
    tls: { caFile: rig!.caFile },
    resolve: rig!.resolve,
    timeoutMs: 5_000,
    timeouts: { connectMs: 1_000, headersMs: 2_000, bodyMs: 2_000 },
    log: (line) => logs.push(line),
    ...extra,
  });

  before(async () => {
    if (missing) return;
    rig = await startLlngRig();
    client = await createSsoClient(config());
  });
  after(async () => {
    await client?.close();
    await rig?.stop();
  });

  it('password grant: tokens, verified ID token claims, userinfo', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const t0 = Date.now();
    const tokens = await client!.passwordGrant('dwho', 'dwho');
    t.diagnostic(`password grant ${Date.now() - t0} ms`);
    assert.ok(tokens.accessToken.length > 20);
    assert.ok(tokens.refreshToken);
    assert.equal(tokens.claims?.sub, 'dwho');
    assert.ok(tokens.expiresAt > Date.now() + 60_000);
    const info = await client!.userinfo(tokens.accessToken, 'dwho');
    assert.equal(info.sub, 'dwho');
  });

  it('refresh: a new access token, the refresh token kept (2.16 does not rotate)', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const first = await client!.passwordGrant('rtyler', 'rtyler');
    const t0 = Date.now();
    const again = await client!.refresh(first.refreshToken!);
    t.diagnostic(`refresh grant ${Date.now() - t0} ms`);
    assert.notEqual(again.accessToken, first.accessToken);
    assert.equal(again.refreshToken, first.refreshToken);
    assert.equal(again.claims?.sub ?? 'rtyler', 'rtyler');
  });

  it('bad password → SSO_INVALID_GRANT', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    await rejectsWith(client!.passwordGrant('dwho', 'not-the-password'), 'SSO_INVALID_GRANT');
  });

  it('revoked refresh token → SSO_INVALID_GRANT', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const tokens = await client!.passwordGrant('dwho', 'dwho');
    await rig!.revokeRefreshToken(tokens.refreshToken!);
    // LLNG 2.16 answers `invalid_request` for an unknown refresh token (not invalid_grant)
    await rejectsWith(client!.refresh(tokens.refreshToken!), 'SSO_INVALID_GRANT');
  });

  it('SSO session ended by an administrator, or expired → SSO_INVALID_GRANT', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const ended = await client!.passwordGrant('msmith', 'msmith');
    assert.ok((await rig!.endSsoSessions('msmith')) >= 1);
    await rejectsWith(client!.refresh(ended.refreshToken!), 'SSO_INVALID_GRANT');
    const expired = await client!.passwordGrant('rtyler', 'rtyler');
    await client!.refresh(expired.refreshToken!);
    assert.ok((await rig!.expireSsoSessions('rtyler')) >= 1);
    await rejectsWith(client!.refresh(expired.refreshToken!), 'SSO_INVALID_GRANT');
  });

  it('portal stopped → SSO_UNREACHABLE at once; hung → SSO_TIMEOUT within the deadline', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const tokens = await client!.passwordGrant('dwho', 'dwho');
    await rig!.stopPortal();
    try {
      const t0 = Date.now();
      await rejectsWith(client!.refresh(tokens.refreshToken!), 'SSO_UNREACHABLE');
      const refusedMs = Date.now() - t0;
      t.diagnostic(`refused → SSO_UNREACHABLE in ${refusedMs} ms`);
      assert.ok(refusedMs < 1_500, `${refusedMs} ms`);
    } finally {
      await rig!.startPortal();
    }
    // Back: the same refresh token works again (the portal's sessions are on disk).
    await client!.refresh(tokens.refreshToken!);

    rig!.freezePortal();
    try {
      const t0 = Date.now();
      await rejectsWith(client!.refresh(tokens.refreshToken!), 'SSO_TIMEOUT');
      const hungMs = Date.now() - t0;
      t.diagnostic(`hung portal → SSO_TIMEOUT in ${hungMs} ms`);
      assert.ok(hungMs < 6_000, `${hungMs} ms`);
    } finally {
      rig!.thawPortal();
    }
  });

  it('TLS: CA file + right pin accepted; wrong pin and unknown CA refused', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const pinned = await createSsoClient(
      config({ tls: { caFile: rig!.caFile, pins: [rig!.spkiPin] } }),
    );
    try {
      assert.ok((await pinned.passwordGrant('dwho', 'dwho')).accessToken);
    } finally {
      await pinned.close();
    }
    await rejectsWith(
      createSsoClient(config({ tls: { caFile: rig!.caFile, pins: [rig!.wrongSpkiPin] } })),
      'SSO_PIN_MISMATCH',
    );
    // Without the rig's CA file the system roots apply: the portal's certificate is unknown.
    await rejectsWith(createSsoClient(config({ tls: {} })), 'SSO_TLS_REFUSED');
  });

  it('tokens never reach the client log', async (t) => {
    if (!requireOrSkip(t, missing === null, NEED)) return;
    const tokens = await client!.passwordGrant('dwho', 'dwho');
    await client!.refresh(tokens.refreshToken!);
    assert.ok(logs.length > 0, 'the client logged nothing');
    const all = logs.join('\n');
    for (const secret of [
      tokens.accessToken,
      tokens.refreshToken!,
      tokens.idToken ?? 'x'.repeat(40),
    ]) {
      assert.ok(!all.includes(secret));
      assert.ok(!all.includes(Buffer.from(secret).toString('base64url')));
    }
  });
});

describe(
  'Open Bastion /pam/* (TEST DOUBLE behind the real portal origin)',
  { timeout: 60_000 },
  () => {
    let rig: LlngRig | undefined;
    let double: OpenBastionPamDouble | undefined;
    const serverToken = 'server-token-for-the-double';
    const signingSecret = 'signing-secret-for-the-double';

    before(async () => {
      if (missing) return;
      rig = await startLlngRig();
      double = await startOpenBastionPamDouble({
        port: rig.pamDoublePort,
        serverToken,
        signingSecret,
        heartbeatRefreshTokens: ['server-refresh-token'],
        users: {
          dwho: { found: true, groups: ['users', 'admins'], sudoAllowed: true, offlineTtl: 86_400 },
        },
      });
    });
    after(async () => {
      await double?.stop();
      await rig?.stop();
    });

    const obConfig = (secret = signingSecret, token = serverToken) => ({
      issuer: rig!.issuer,
      clientId: rig!.publicClient.clientId,
      tls: { caFile: rig!.caFile, pins: [rig!.spkiPin] },
      resolve: rig!.resolve,
      openBastion: { serverToken: token, signingSecret: secret },
    });

    it('userinfo / verify / authorize / heartbeat, signed, through the portal origin', async (t) => {
      if (!requireOrSkip(t, missing === null, NEED)) return;
      const ob = createOpenBastionClient(obConfig());
      try {
        const found = await ob.userinfo('dwho');
        assert.equal(found.found, true);
        assert.deepEqual(found.groups, ['users', 'admins']);
        // A disabled user, as the plugin reports one: found=false.
        double!.setUser('dwho', { found: false });
        assert.equal((await ob.userinfo('dwho')).found, false);
        double!.setUser('dwho', { found: true, groups: ['users'] });

        const pamToken = double!.issuePamToken('dwho');
        assert.equal((await ob.verify(pamToken)).valid, true);
        assert.equal((await ob.verify(pamToken)).valid, false, 'one-time token reused');

        const authz = await ob.authorize('dwho', 'ws-1', 'lightdm');
        assert.equal(authz.authorized, true);
        assert.equal((await ob.authorize('nobody', 'ws-1', 'lightdm')).authorized, false);
        await ob.heartbeat('server-refresh-token', 'ws-1');
        await rejectsWith(ob.heartbeat('wrong-refresh-token', 'ws-1'), 'SSO_INVALID_GRANT');
      } finally {
        await ob.close();
      }
      const accepted = double!.requests.filter((r) => r.refused === null);
      assert.ok(accepted.length >= 7);
      assert.ok(accepted.every((r) => r.signed));
    });

    it('a wrong signing secret or server token is refused by the double', async (t) => {
      if (!requireOrSkip(t, missing === null, NEED)) return;
      const before = double!.requests.length;
      const wrongSecret = createOpenBastionClient(obConfig('another-secret'));
      const wrongToken = createOpenBastionClient(obConfig(signingSecret, 'another-token'));
      try {
        await rejectsWith(wrongSecret.userinfo('dwho'), 'SSO_HOST_NOT_ENROLLED');
        await rejectsWith(wrongToken.userinfo('dwho'), 'SSO_HOST_NOT_ENROLLED');
      } finally {
        await wrongSecret.close();
        await wrongToken.close();
      }
      const refused = double!.requests.slice(before).map((r) => r.refused);
      assert.deepEqual(refused, ['signature: mismatch', 'bearer']);
    });
  },
);
