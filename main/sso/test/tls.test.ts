// The wire policy, against local HTTPS servers (the OIDC provider TEST DOUBLE): TLS version,
// CA, SPKI pins, size cap, strict JSON, slow drip, redirects.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSsoClient } from '../client';
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

describe('TLS version', () => {
  let rig: SsoRig;
  before(async () => {
    rig = await startRig({ tlsVersions: { maxVersion: 'TLSv1.2' } });
  });
  after(() => rig.close());

  test('a TLS 1.2-only portal is refused by default, before any HTTP request', async () => {
    await rejectsWith(createSsoClient(rig.config()), 'SSO_TLS_REFUSED');
    assert.equal(rig.double.requests.length, 0);
  });

  test('and accepted when the site lowers the minimum to TLS 1.2', async () => {
    const client = await createSsoClient(rig.config({ tls: { minVersion: 'TLSv1.2' } }));
    assert.equal(client.issuer, rig.double.issuer);
    await client.close();
  });
});

describe('CA and pins', () => {
  let rig: SsoRig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.close());

  test('a certificate from a CA the system does not trust is refused', async () => {
    await rejectsWith(
      createSsoClient(rig.config({ tls: { caFile: undefined } })),
      'SSO_TLS_REFUSED',
    );
    assert.equal(rig.double.requests.length, 0);
  });

  test('the CA file makes it trusted', async () => {
    const client = await createSsoClient(rig.config());
    await client.close();
    assert.equal(rig.double.requestsTo('/.well-known/openid-configuration').length, 1);
  });

  test('a wrong pin is refused inside the handshake: the server sees no HTTP request', async () => {
    const before = rig.double.requests.length;
    const connections = rig.double.tcpConnections;
    const error = await rejectsWith(
      createSsoClient(rig.config({ tls: { pins: [rig.tls.otherPin] } })),
      'SSO_PIN_MISMATCH',
    );
    assert.equal(error.detail, 'ERR_SSO_PIN_MISMATCH');
    assert.equal(rig.double.requests.length, before, 'no request reached the server');
    // The client did connect: the refusal was ours, on the pin, not a network failure.
    assert.ok(rig.double.tcpConnections > connections);
  });

  test('the right pin (among others) is accepted', async () => {
    const client = await createSsoClient(
      rig.config({ tls: { pins: [rig.tls.otherPin, rig.tls.pin] } }),
    );
    await client.close();
  });

  test('a malformed pin is a configuration error', async () => {
    await rejectsWith(
      createSsoClient(rig.config({ tls: { pins: ['sha1//abc'] } })),
      'SSO_CONFIG_INVALID',
    );
  });

  test('plain http is refused unless allowed, and then only on loopback', async () => {
    await rejectsWith(
      createSsoClient({ issuer: 'http://auth.example.com', clientId: 'x' }),
      'SSO_CONFIG_INVALID',
    );
    await rejectsWith(
      createSsoClient({
        issuer: 'http://auth.example.com',
        clientId: 'x',
        tls: { allowLoopbackHttp: true },
      }),
      'SSO_CONFIG_INVALID',
    );
  });
});

describe('hostile answers', () => {
  let rig: SsoRig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.close());
  const discovery = '/.well-known/openid-configuration';

  test('an oversized answer is cut at the limit (streamed, no content-length)', async () => {
    rig.double.overrides.set(discovery, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 && res.write(chunk)) sent += 1;
        if (sent < 64) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    const started = Date.now();
    await rejectsWith(
      createSsoClient(rig.config({ maxResponseBytes: 64 * 1024 })),
      'SSO_RESPONSE_TOO_LARGE',
    );
    assert.ok(Date.now() - started < 5_000);
    rig.double.overrides.clear();
  });

  test('an oversized content-length is refused before reading', async () => {
    rig.double.overrides.set(discovery, (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(10 * 1024 * 1024),
      });
      res.write('{');
    });
    await rejectsWith(createSsoClient(rig.config()), 'SSO_RESPONSE_TOO_LARGE');
    rig.double.overrides.clear();
  });

  test('a slow drip (1 byte/s) is cut by the body deadline', async () => {
    const timers: NodeJS.Timeout[] = [];
    rig.double.overrides.set(discovery, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 1_000);
      timers.push(timer);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const error = await rejectsWith(
      createSsoClient(rig.config({ timeouts: { bodyMs: 2_500 } })),
      'SSO_TIMEOUT',
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 2_400 && elapsed < 5_000, `cut after ${elapsed} ms`);
    assert.match(error.message, /did not answer in time/);
    timers.forEach(clearInterval);
    rig.double.overrides.clear();
  });

  test('headers that never come hit the headers timeout', async () => {
    rig.double.overrides.set(discovery, () => undefined);
    const started = Date.now();
    await rejectsWith(
      createSsoClient(rig.config({ timeouts: { headersMs: 1_000 } })),
      'SSO_TIMEOUT',
    );
    assert.ok(Date.now() - started < 3_000);
    rig.double.overrides.clear();
  });

  test('a redirect chain is refused at the first hop, never followed', async () => {
    rig.double.overrides.set(discovery, (_req, res) => {
      res.writeHead(302, { location: `${rig.double.issuer}/hop1` });
      res.end();
    });
    rig.double.overrides.set('/hop1', (_req, res) => {
      res.writeHead(307, { location: 'https://evil.example.net/.well-known/openid-configuration' });
      res.end();
    });
    await rejectsWith(createSsoClient(rig.config()), 'SSO_REDIRECT_REFUSED');
    assert.equal(rig.double.requestsTo('/hop1').length, 0);
    rig.double.overrides.clear();
  });

  test('mistyped JSON: expires_in as a string, access_token missing, discovery not JSON', async () => {
    const client = await createSsoClient(rig.config({ allowPasswordGrant: true }));
    const token = '/oauth2/token';
    rig.double.overrides.set(token, (_req, res) =>
      rig.double.json(res, 200, { access_token: 'a', token_type: 'Bearer', expires_in: '3600' }),
    );
    const e1 = await rejectsWith(client.passwordGrant('dwho', 'dwho'), 'SSO_BAD_RESPONSE');
    assert.match(e1.detail ?? '', /expires_in/);
    rig.double.overrides.set(token, (_req, res) =>
      rig.double.json(res, 200, { token_type: 'Bearer', expires_in: 3600 }),
    );
    const e2 = await rejectsWith(client.passwordGrant('dwho', 'dwho'), 'SSO_BAD_RESPONSE');
    assert.match(e2.detail ?? '', /access_token/);
    rig.double.overrides.set(token, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    await rejectsWith(client.passwordGrant('dwho', 'dwho'), 'SSO_BAD_RESPONSE');
    rig.double.overrides.clear();
    await client.close();
    rig.double.overrides.set(discovery, (_req, res) => rig.double.json(res, 200, { issuer: 42 }));
    await rejectsWith(createSsoClient(rig.config()), 'SSO_BAD_RESPONSE');
    rig.double.overrides.clear();
  });

  test('a discovery document for another issuer is refused', async () => {
    rig.double.overrides.set(discovery, (_req, res) =>
      rig.double.json(res, 200, {
        issuer: 'https://evil.example.net',
        token_endpoint: 'https://evil.example.net/t',
      }),
    );
    await rejectsWith(createSsoClient(rig.config()), 'SSO_DISCOVERY_FAILED');
    rig.double.overrides.clear();
  });

  test('nothing listening: unreachable', async () => {
    await rejectsWith(
      createSsoClient({
        ...rig.config(),
        issuer: 'https://auth.example.com:1',
      }),
      'SSO_UNREACHABLE',
    );
  });
});
