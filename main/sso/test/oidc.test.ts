// Grants and ID token checks against the OIDC provider TEST DOUBLE (the real LemonLDAP::NG
// runs in *.llng.test.ts): password, refresh (rotated or kept), code + PKCE, device grant,
// ID token issuer/audience/expiry/nonce, unknown kid → one JWKS refetch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSsoClient, type SsoClient } from '../client';
import { SsoError, type SsoErrorCode } from '../errors';
import { startRig, type SsoRig } from './sso-rig';

async function rejectsWith(promise: Promise<unknown>, code: SsoErrorCode): Promise<SsoError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SsoError, `expected SsoError, got ${String(error)}`);
    assert.equal(error.code, code, `${error.code} (${error.detail ?? ''}): ${error.message}`);
    return error;
  }
  assert.fail(`expected ${code}, it succeeded`);
}

describe('password and refresh grants', () => {
  let rig: SsoRig;
  let client: SsoClient;
  before(async () => {
    rig = await startRig({ refreshMode: 'rotate' });
    client = await createSsoClient(rig.config({ allowPasswordGrant: true }));
  });
  after(async () => {
    await client.close();
    await rig.close();
  });

  test('password grant: tokens with a verified ID token', async () => {
    const set = await client.passwordGrant('dwho', 'dwho');
    assert.ok(rig.double.issuedAccessTokens.has(set.accessToken));
    assert.ok(set.refreshToken && rig.double.refreshTokens.has(set.refreshToken));
    assert.equal(set.claims?.sub, 'dwho');
    assert.equal(set.claims?.preferred_username, 'dwho');
    assert.ok(set.expiresAt > Date.now() + 3_500_000 && set.expiresAt <= Date.now() + 3_600_000);
  });

  test('bad password: SSO_INVALID_GRANT', async () => {
    await rejectsWith(client.passwordGrant('dwho', 'nope'), 'SSO_INVALID_GRANT');
  });

  test('password grant is refused when the site does not allow it, before any request', async () => {
    const strict = await createSsoClient(rig.config());
    const before = rig.double.requestsTo('/oauth2/token').length;
    await rejectsWith(strict.passwordGrant('dwho', 'dwho'), 'SSO_NOT_ALLOWED');
    assert.equal(rig.double.requestsTo('/oauth2/token').length, before);
    await strict.close();
  });

  test('refresh rotates the refresh token; the old one is then refused', async () => {
    const first = await client.passwordGrant('dwho', 'dwho');
    const second = await client.refresh(first.refreshToken!);
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.ok(rig.double.refreshTokens.has(second.refreshToken!));
    await rejectsWith(client.refresh(first.refreshToken!), 'SSO_INVALID_GRANT');
  });

  test('userinfo with the access token; a dead token is SSO_TOKEN_REJECTED', async () => {
    const set = await client.passwordGrant('dwho', 'dwho');
    const info = await client.userinfo(set.accessToken, 'dwho');
    assert.equal(info.sub, 'dwho');
    await rejectsWith(client.userinfo('not-a-token'), 'SSO_TOKEN_REJECTED');
  });
});

test('refresh keeps the old refresh token when the portal returns none (LemonLDAP::NG 2.16)', async () => {
  const rig = await startRig({ refreshMode: 'omit' });
  const client = await createSsoClient(rig.config({ allowPasswordGrant: true }));
  try {
    const first = await client.passwordGrant('dwho', 'dwho');
    const second = await client.refresh(first.refreshToken!);
    assert.equal(second.refreshToken, first.refreshToken);
    assert.notEqual(second.accessToken, first.accessToken);
  } finally {
    await client.close();
    await rig.close();
  }
});

describe('ID token checks', () => {
  let rig: SsoRig;
  let client: SsoClient;
  before(async () => {
    rig = await startRig();
    client = await createSsoClient(rig.config({ allowPasswordGrant: true, clockSkewSeconds: 30 }));
  });
  after(async () => {
    await client.close();
    await rig.close();
  });

  for (const [name, tweaks] of [
    ['wrong issuer', { iss: 'https://evil.example.net' }],
    ['wrong audience', { aud: 'someone-else' }],
    ['expired beyond the skew', { expIn: -120 }],
  ] as const) {
    test(`${name}: SSO_ID_TOKEN_INVALID`, async () => {
      rig.double.idTokenTweaks = tweaks;
      await rejectsWith(client.passwordGrant('dwho', 'dwho'), 'SSO_ID_TOKEN_INVALID');
      rig.double.idTokenTweaks = {};
    });
  }

  test('expired within the skew is accepted', async () => {
    rig.double.idTokenTweaks = { expIn: -10 };
    const set = await client.passwordGrant('dwho', 'dwho');
    assert.equal(set.claims?.sub, 'dwho');
    rig.double.idTokenTweaks = {};
  });

  test('unknown kid: one JWKS refetch, then accepted when the portal publishes the new key', async () => {
    await client.passwordGrant('dwho', 'dwho'); // the JWKS is cached now
    const fetched = rig.double.jwksFetches;
    await rig.double.rotateKey('k2');
    const set = await client.passwordGrant('dwho', 'dwho');
    assert.equal(set.claims?.sub, 'dwho');
    assert.equal(rig.double.jwksFetches, fetched + 1);
    await client.passwordGrant('dwho', 'dwho');
    assert.equal(rig.double.jwksFetches, fetched + 1, 'a known kid needs no fetch');
  });

  test('unknown kid that stays unknown: one refetch, then refused', async () => {
    await rig.double.signWithUnpublishedKey('k-rogue');
    const fetched = rig.double.jwksFetches;
    const error = await rejectsWith(client.passwordGrant('dwho', 'dwho'), 'SSO_ID_TOKEN_INVALID');
    assert.equal(error.detail, 'ERR_JWKS_NO_MATCHING_KEY');
    assert.equal(rig.double.jwksFetches, fetched + 1);
  });
});

describe('authorization code + PKCE', () => {
  let rig: SsoRig;
  let client: SsoClient;
  before(async () => {
    rig = await startRig();
    client = await createSsoClient(rig.config());
  });
  after(async () => {
    await client.close();
    await rig.close();
  });

  test('the URL carries S256 PKCE, state and nonce; the callback gives verified tokens', async () => {
    const { url, pending } = client.beginAuthorization();
    const u = new URL(url);
    assert.equal(u.origin + u.pathname, `${rig.double.issuer}/oauth2/authorize`);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.ok((u.searchParams.get('state') ?? '').length >= 32);
    assert.ok((u.searchParams.get('nonce') ?? '').length >= 32);
    assert.equal(u.searchParams.get('redirect_uri'), 'http://127.0.0.1/bastion-callback');
    assert.equal(JSON.stringify(pending).includes(u.searchParams.get('state')!), false);
    const set = await client.completeAuthorization(rig.double.approve(url), pending);
    assert.equal(set.claims?.sub, 'dwho');
    assert.ok(set.refreshToken);
  });

  test('a state mismatch is refused before the code is spent', async () => {
    const { url, pending } = client.beginAuthorization();
    const callback = new URL(rig.double.approve(url));
    callback.searchParams.set('state', 'forged');
    const before = rig.double.requestsTo('/oauth2/token').length;
    await rejectsWith(client.completeAuthorization(callback.href, pending), 'SSO_STATE_MISMATCH');
    assert.equal(rig.double.requestsTo('/oauth2/token').length, before);
    // Single use: the same pending flow cannot be replayed with the right state.
    await rejectsWith(
      client.completeAuthorization(rig.double.approve(url), pending),
      'SSO_STATE_MISMATCH',
    );
  });

  test('another issuer in `iss`, a foreign callback URL, repeated parameters, error=access_denied', async () => {
    let flow = client.beginAuthorization();
    let callback = new URL(rig.double.approve(flow.url));
    callback.searchParams.set('iss', 'https://evil.example.net');
    await rejectsWith(
      client.completeAuthorization(callback.href, flow.pending),
      'SSO_ISSUER_MISMATCH',
    );

    flow = client.beginAuthorization();
    callback = new URL(rig.double.approve(flow.url));
    callback.pathname = '/elsewhere';
    await rejectsWith(
      client.completeAuthorization(callback.href, flow.pending),
      'SSO_BAD_RESPONSE',
    );

    flow = client.beginAuthorization();
    callback = new URL(rig.double.approve(flow.url));
    callback.searchParams.append('code', 'second');
    await rejectsWith(
      client.completeAuthorization(callback.href, flow.pending),
      'SSO_BAD_RESPONSE',
    );

    flow = client.beginAuthorization();
    const denied = new URL('http://127.0.0.1/bastion-callback');
    denied.searchParams.set('error', 'access_denied');
    denied.searchParams.set('state', new URL(flow.url).searchParams.get('state')!);
    await rejectsWith(client.completeAuthorization(denied.href, flow.pending), 'SSO_ACCESS_DENIED');
  });

  test('a wrong nonce in the ID token is refused', async () => {
    const { url, pending } = client.beginAuthorization();
    rig.double.idTokenTweaks = { nonce: 'replayed-nonce' };
    await rejectsWith(
      client.completeAuthorization(rig.double.approve(url), pending),
      'SSO_ID_TOKEN_INVALID',
    );
    rig.double.idTokenTweaks = {};
  });
});

describe('device authorization grant', () => {
  let rig: SsoRig;
  let client: SsoClient;
  before(async () => {
    rig = await startRig();
    client = await createSsoClient(rig.config());
  });
  after(async () => {
    await client.close();
    await rig.close();
  });

  test('authorization_pending → slow_down → success, honouring interval and slow_down', async () => {
    rig.double.deviceScript = ['authorization_pending', 'slow_down', 'ok'];
    rig.double.deviceInterval = 1;
    rig.double.devicePolls.length = 0;
    const device = await client.beginDeviceAuthorization();
    assert.equal(device.userCode, 'WDJB-MJHT');
    assert.match(device.verificationUriComplete ?? '', /user_code=WDJB-MJHT/);
    assert.equal(
      JSON.stringify(device).includes('device_code'),
      false,
      'the device code stays inside',
    );
    const started = Date.now();
    const set = await client.pollDeviceAuthorization(device);
    assert.equal(set.claims?.sub, 'dwho');
    const polls = rig.double.devicePolls;
    assert.equal(polls.length, 3);
    assert.ok(polls[0]! - started >= 900, 'waits the interval before the first poll');
    assert.ok(polls[1]! - polls[0]! >= 900 && polls[1]! - polls[0]! < 3_000);
    // slow_down: every later poll waits interval + 5 s (RFC 8628 3.5).
    assert.ok(polls[2]! - polls[1]! >= 5_900, `slow_down honoured (${polls[2]! - polls[1]!} ms)`);
  });

  test('expired_token from the portal: SSO_DEVICE_EXPIRED; access_denied: SSO_ACCESS_DENIED', async () => {
    rig.double.deviceScript = ['expired_token'];
    await rejectsWith(
      client.pollDeviceAuthorization(await client.beginDeviceAuthorization()),
      'SSO_DEVICE_EXPIRED',
    );
    rig.double.deviceScript = ['access_denied'];
    await rejectsWith(
      client.pollDeviceAuthorization(await client.beginDeviceAuthorization()),
      'SSO_ACCESS_DENIED',
    );
  });

  test('the code expires while pending: SSO_DEVICE_EXPIRED at expires_in', async () => {
    rig.double.deviceScript = ['authorization_pending'];
    rig.double.deviceExpiresIn = 2;
    const started = Date.now();
    await rejectsWith(
      client.pollDeviceAuthorization(await client.beginDeviceAuthorization()),
      'SSO_DEVICE_EXPIRED',
    );
    assert.ok(Date.now() - started < 3_500);
    rig.double.deviceExpiresIn = 60;
  });

  test('an AbortSignal cancels the polling', async () => {
    rig.double.deviceScript = ['authorization_pending'];
    const device = await client.beginDeviceAuthorization();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await rejectsWith(client.pollDeviceAuthorization(device, controller.signal), 'SSO_CANCELLED');
  });

  test('no device endpoint: SSO_NOT_ALLOWED', async () => {
    const plain = await startRig({ device: false });
    const c = await createSsoClient(plain.config());
    await rejectsWith(c.beginDeviceAuthorization(), 'SSO_NOT_ALLOWED');
    await c.close();
    await plain.close();
  });
});
