// Smoke test of the real LemonLDAP::NG rig (testkit/sso/llng-rig.ts) with plain HTTP calls,
// independent of main/sso: what the portal really offers (discovery, JWKS, grants), and the
// facts the client is written against (no RFC 8628 in Debian's 2.16; a deleted refresh
// token answers invalid_request, an ended SSO session invalid_grant).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { Agent, fetch } from 'undici';
import { requireOrSkip } from '../../../testkit/require';
import { llngRigMissing, startLlngRig, type LlngRig } from '../../../testkit/sso/llng-rig';

const missing = llngRigMissing();

describe('LemonLDAP::NG rig (real portal, plain HTTP calls)', { timeout: 90_000 }, () => {
  let rig: LlngRig | undefined;
  let agent: Agent | undefined;

  before(async () => {
    if (missing) return;
    rig = await startLlngRig();
    agent = new Agent({ connect: { ca: rig.caPem, lookup: rig.lookup } });
  });
  after(async () => {
    await agent?.close();
    await rig?.stop();
  });

  const get = async (path: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(new URL(path, rig!.issuer), { dispatcher: agent });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const token = async (
    form: Record<string, string>,
  ): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(new URL('oauth2/token', rig!.issuer), {
      method: 'POST',
      dispatcher: agent,
      body: new URLSearchParams(form),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const passwordGrant = (user: string, password: string): ReturnType<typeof token> =>
    token({
      grant_type: 'password',
      client_id: rig!.publicClient.clientId,
      username: user,
      password,
      scope: 'openid profile email offline_access',
    });
  const refresh = (refreshToken: string): ReturnType<typeof token> =>
    token({
      grant_type: 'refresh_token',
      client_id: rig!.publicClient.clientId,
      refresh_token: refreshToken,
    });

  it('starts fast and serves discovery for its issuer; no device grant in 2.16', async (t) => {
    if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig (${missing})`)) return;
    t.diagnostic(`rig start ${rig!.startMs} ms`);
    assert.ok(rig!.startMs < 15_000, `rig start ${rig!.startMs} ms`);
    const { status, json } = await get('.well-known/openid-configuration');
    assert.equal(status, 200);
    assert.equal(json.issuer, rig!.issuer);
    assert.equal(json.token_endpoint, `${rig!.issuer}oauth2/token`);
    assert.deepEqual(json.code_challenge_methods_supported, ['plain', 'S256']);
    const grants = json.grant_types_supported as string[];
    for (const g of ['authorization_code', 'password', 'refresh_token'])
      assert.ok(grants.includes(g));
    // Debian's LemonLDAP::NG 2.16 has no RFC 8628: the device grant is tested on a double.
    assert.equal(json.device_authorization_endpoint, undefined);
    assert.ok(!grants.includes('urn:ietf:params:oauth:grant-type:device_code'));
  });

  it('password grant gives tokens whose ID token verifies against the JWKS', async (t) => {
    if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig (${missing})`)) return;
    const jwks = await get('oauth2/jwks');
    assert.equal(jwks.status, 200);
    const { status, json } = await passwordGrant('dwho', 'dwho');
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(typeof json.access_token, 'string');
    assert.equal(typeof json.refresh_token, 'string');
    const { payload, protectedHeader } = await jwtVerify(
      json.id_token as string,
      createLocalJWKSet(jwks.json as unknown as JSONWebKeySet),
      { issuer: rig!.issuer, audience: rig!.publicClient.clientId },
    );
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.sub, 'dwho');
  });

  it('refresh works, without rotation; a bad password is invalid_grant', async (t) => {
    if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig (${missing})`)) return;
    const first = await passwordGrant('rtyler', 'rtyler');
    const rt = first.json.refresh_token as string;
    const again = await refresh(rt);
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.notEqual(again.json.access_token, first.json.access_token);
    assert.equal(again.json.refresh_token, undefined, 'LLNG 2.16 does not rotate');
    const bad = await passwordGrant('rtyler', 'wrong');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid_grant');
  });

  it('a revoked refresh token and an ended or expired SSO session are refused', async (t) => {
    if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig (${missing})`)) return;
    const a = (await passwordGrant('dwho', 'dwho')).json.refresh_token as string;
    assert.equal((await refresh(a)).status, 200);
    await rig!.revokeRefreshToken(a);
    const revoked = await refresh(a);
    assert.equal(revoked.status, 400);
    // LLNG 2.16 answers invalid_request (not RFC 6749's invalid_grant) for an unknown token
    assert.equal(revoked.json.error, 'invalid_request');

    const b = (await passwordGrant('msmith', 'msmith')).json.refresh_token as string;
    assert.ok((await rig!.endSsoSessions('msmith')) >= 1);
    const ended = await refresh(b);
    assert.equal(ended.status, 400);
    assert.equal(ended.json.error, 'invalid_grant');

    const c = (await passwordGrant('rtyler', 'rtyler')).json.refresh_token as string;
    assert.equal((await refresh(c)).status, 200);
    assert.ok((await rig!.expireSsoSessions('rtyler')) >= 1);
    const expired = await refresh(c);
    assert.equal(expired.status, 400);
    assert.equal(expired.json.error, 'invalid_grant');
  });

  it('introspection: refused to the public RP, answered to the confidential one', async (t) => {
    if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig (${missing})`)) return;
    const at = (await passwordGrant('dwho', 'dwho')).json.access_token as string;
    const introspect = (auth: Record<string, string>) =>
      fetch(new URL('oauth2/introspect', rig!.issuer), {
        method: 'POST',
        dispatcher: agent,
        body: new URLSearchParams({ token: at, ...auth }),
      });
    const pub = await introspect({ client_id: rig!.publicClient.clientId });
    assert.notEqual(pub.status, 200);
    await pub.text();
    const conf = await introspect({
      client_id: rig!.confidentialClient.clientId,
      client_secret: rig!.confidentialClient.clientSecret,
    });
    assert.equal(conf.status, 200);
    const body = (await conf.json()) as Record<string, unknown>;
    assert.equal(body.active, true);
    assert.equal(body.sub, 'dwho');
  });

  it('stopPortal refuses connections at once; startPortal brings it back', async (t) => {
    if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig (${missing})`)) return;
    await rig!.stopPortal();
    const t0 = Date.now();
    await assert.rejects(get('.well-known/openid-configuration'));
    assert.ok(Date.now() - t0 < 2_000);
    const t1 = Date.now();
    await rig!.startPortal();
    t.diagnostic(`portal restart ${Date.now() - t1} ms`);
    assert.equal((await get('.well-known/openid-configuration')).status, 200);
  });
});
