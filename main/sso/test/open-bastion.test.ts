// Open Bastion's /pam/* calls against the OIDC provider TEST DOUBLE's plugin part (Debian's
// LemonLDAP::NG has no such plugin): request signing checked by the double's own verifier of
// ob_sign.h's format, Bearer server token, strict answer types.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createSsoClient } from '../client';
import { SsoError, type SsoErrorCode } from '../errors';
import { createOpenBastionClient, openBastionSignatureHeaders } from '../open-bastion';
import { startRig, type SsoRig } from './sso-rig';

async function rejectsWith(promise: Promise<unknown>, code: SsoErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SsoError);
    assert.equal(error.code, code, `${error.code} (${error.detail ?? ''})`);
    return true;
  });
}

test('the signature is ob_sign.h\'s: HMAC-SHA256 over "<ts>.<nonce>.<METHOD>.<path>.<body>"', () => {
  const h = openBastionSignatureHeaders(
    's3cret',
    'POST',
    '/pam/verify',
    '{"token":"x"}',
    1_700_000_000_123,
    '0f8fad5b-d9cb-469f-a165-70867728950e',
  );
  assert.equal(h['X-Timestamp'], '1700000000');
  assert.equal(h['X-Nonce'], '1700000000123-0f8fad5b-d9cb-469f-a165-70867728950e');
  const expected = createHmac('sha256', 's3cret')
    .update(
      '1700000000.1700000000123-0f8fad5b-d9cb-469f-a165-70867728950e.POST./pam/verify.{"token":"x"}',
    )
    .digest('hex');
  assert.equal(h['X-Signature-256'], `sha256=${expected}`);
});

describe('/pam/* against the double', () => {
  let rig: SsoRig;
  const ob = { serverToken: 'server-token-123', signingSecret: 'signing-secret-456' };
  before(async () => {
    rig = await startRig({ openBastion: ob });
  });
  after(() => rig.close());

  test('userinfo, verify, authorize, heartbeat: signed, verified by the double, typed answers', async () => {
    const sso = await createSsoClient(rig.config({ allowPasswordGrant: true }));
    const tokens = await sso.passwordGrant('dwho', 'dwho');
    await sso.close();
    const client = createOpenBastionClient(rig.config({ openBastion: ob }));
    try {
      assert.deepEqual(await client.userinfo('dwho'), {
        found: true,
        user: 'dwho',
        groups: ['users'],
        uid: 10001,
        gecos: 'Doctor Who',
      });
      assert.deepEqual(await client.userinfo('nobody'), { found: false });
      assert.deepEqual(await client.verify(tokens.accessToken), {
        valid: true,
        user: 'dwho',
        groups: ['users'],
      });
      assert.equal((await client.verify('forged')).valid, false);
      assert.equal((await client.authorize('dwho', 'ws1', 'bastion-greeter')).authorized, true);
      const beat = await client.heartbeat(tokens.refreshToken!, 'ws1');
      assert.equal(typeof beat.accessToken, 'string');
      assert.equal(beat.nextHeartbeat, 300);
    } finally {
      await client.close();
    }
    assert.equal(rig.double.signatureResults.length, 6);
    assert.ok(rig.double.signatureResults.every(Boolean), 'every request verified');
    const verify = rig.double.requestsTo('/pam/verify')[0]!;
    assert.equal(verify.headers.authorization, `Bearer ${ob.serverToken}`);
    assert.match(String(verify.headers['x-nonce']), /^\d{13}-[0-9a-f-]{36}$/);
  });

  test('a wrong signing secret is refused by the portal; a wrong server token too', async () => {
    const wrongSecret = createOpenBastionClient(
      rig.config({ openBastion: { ...ob, signingSecret: 'other' } }),
    );
    await rejectsWith(wrongSecret.userinfo('dwho'), 'SSO_HOST_NOT_ENROLLED');
    assert.equal(rig.double.signatureResults.at(-1), false);
    await wrongSecret.close();
    const wrongToken = createOpenBastionClient(
      rig.config({ openBastion: { ...ob, serverToken: 'stolen' } }),
    );
    await rejectsWith(wrongToken.userinfo('dwho'), 'SSO_HOST_NOT_ENROLLED');
    await wrongToken.close();
  });

  test('mistyped answers are refused: found as a string, valid missing, user missing', async () => {
    const client = createOpenBastionClient(rig.config({ openBastion: ob }));
    rig.double.overrides.set('/pam/userinfo', (_q, res) =>
      rig.double.json(res, 200, { found: 'true' }),
    );
    await rejectsWith(client.userinfo('dwho'), 'SSO_BAD_RESPONSE');
    rig.double.overrides.set('/pam/verify', (_q, res) =>
      rig.double.json(res, 200, { user: 'dwho' }),
    );
    await rejectsWith(client.verify('x'), 'SSO_BAD_RESPONSE');
    rig.double.overrides.set('/pam/verify', (_q, res) =>
      rig.double.json(res, 200, { valid: true }),
    );
    await rejectsWith(client.verify('x'), 'SSO_BAD_RESPONSE');
    rig.double.overrides.set('/pam/userinfo', (_q, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('bad gateway');
    });
    await rejectsWith(client.userinfo('dwho'), 'SSO_UNREACHABLE');
    rig.double.overrides.clear();
    await client.close();
  });

  test('no server token configured: a configuration error, nothing sent', async () => {
    const client = createOpenBastionClient(rig.config());
    const before = rig.double.requests.length;
    await rejectsWith(client.userinfo('dwho'), 'SSO_CONFIG_INVALID');
    assert.equal(rig.double.requests.length, before);
    await client.close();
  });
});
