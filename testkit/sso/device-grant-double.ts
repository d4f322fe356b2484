// DEVICE-GRANT TEST DOUBLE of an OIDC provider (RFC 8628), on loopback http. Debian's
// LemonLDAP::NG 2.16 offers no device authorization grant (no `device_authorization_endpoint`
// in its discovery document), so the phone sign-in is tested against this double instead:
// discovery, JWKS (ES256), the device authorization endpoint and the token endpoint's
// device_code grant (authorization_pending until `approve`, access_denied after `deny`,
// expired_token past the code's life), with an ID token naming `preferred_username`, and a
// token introspection endpoint (RFC 7662, POST /introspect) for the PAM stand-in of tests,
// as pam_openbastion introspects the access token it is given.
// It is a stand-in for a fault we cannot cause with the real portal, not a portal.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface DeviceGrantDouble {
  /** http://127.0.0.1:<port> (an sso.conf `issuer` with allow-loopback-http = true). */
  readonly issuer: string;
  readonly clientId: string;
  /** The person approved the code on their phone, as `user` (preferred_username). */
  approve(userCode: string, user: string): void;
  deny(userCode: string): void;
  /** Every access token issued, in order (the PAM stand-in accepts exactly these). */
  readonly issuedAccessTokens: readonly string[];
  /** User codes handed out, in order. */
  readonly userCodes: readonly string[];
  /** Token endpoint polls seen. */
  readonly polls: number;
  stop(): Promise<void>;
}

interface DeviceEntry {
  deviceCode: string;
  userCode: string;
  expiresAt: number;
  state:
    | { kind: 'pending' }
    | { kind: 'approved'; user: string }
    | { kind: 'denied' }
    | { kind: 'spent' };
}

const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'; // RFC 8628 §6.1: no vowels, no look-alikes

function userCode(): string {
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]!);
  return `${chars.slice(0, 4).join('')}-${chars.slice(4).join('')}`;
}

async function body(request: IncomingMessage): Promise<URLSearchParams> {
  let text = '';
  for await (const chunk of request) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > 16 * 1024) throw new Error('body too large');
  }
  return new URLSearchParams(text);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(value));
}

export async function startDeviceGrantDouble(
  options: { clientId?: string; expiresInSeconds?: number } = {},
): Promise<DeviceGrantDouble> {
  const clientId = options.clientId ?? 'bastion-greeter';
  const expiresIn = options.expiresInSeconds ?? 300;
  const { privateKey, publicKey } = (await generateKeyPair('ES256')) as {
    privateKey: CryptoKey;
    publicKey: CryptoKey;
  };
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'double-1', alg: 'ES256', use: 'sig' };
  const devices = new Map<string, DeviceEntry>();
  const byUserCode = new Map<string, DeviceEntry>();
  const issued: string[] = [];
  const owners = new Map<string, string>();
  const userCodes: string[] = [];
  let polls = 0;
  let issuer = '';

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', issuer);
      if (request.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
        json(response, 200, {
          issuer,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          device_authorization_endpoint: `${issuer}/device`,
          userinfo_endpoint: `${issuer}/userinfo`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code'],
          id_token_signing_alg_values_supported: ['ES256'],
          token_endpoint_auth_methods_supported: ['none'],
        });
        return;
      }
      if (request.method === 'GET' && url.pathname === '/jwks') {
        json(response, 200, { keys: [jwk] });
        return;
      }
      if (request.method === 'POST' && url.pathname === '/device') {
        const form = await body(request);
        if (form.get('client_id') !== clientId) {
          json(response, 401, { error: 'invalid_client' });
          return;
        }
        const entry: DeviceEntry = {
          deviceCode: randomBytes(24).toString('base64url'),
          userCode: userCode(),
          expiresAt: Date.now() + expiresIn * 1000,
          state: { kind: 'pending' },
        };
        devices.set(entry.deviceCode, entry);
        byUserCode.set(entry.userCode, entry);
        userCodes.push(entry.userCode);
        json(response, 200, {
          device_code: entry.deviceCode,
          user_code: entry.userCode,
          verification_uri: `${issuer}/activate`,
          verification_uri_complete: `${issuer}/activate?user_code=${entry.userCode}`,
          expires_in: expiresIn,
          interval: 1,
        });
        return;
      }
      if (request.method === 'POST' && url.pathname === '/token') {
        polls++;
        const form = await body(request);
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:device_code') {
          json(response, 400, { error: 'unsupported_grant_type' });
          return;
        }
        const entry = devices.get(form.get('device_code') ?? '');
        if (!entry || form.get('client_id') !== clientId) {
          json(response, 400, { error: 'invalid_grant' });
          return;
        }
        if (Date.now() > entry.expiresAt) {
          json(response, 400, { error: 'expired_token' });
          return;
        }
        const state = entry.state;
        if (state.kind === 'pending') {
          json(response, 400, { error: 'authorization_pending' });
          return;
        }
        if (state.kind === 'denied') {
          json(response, 400, { error: 'access_denied' });
          return;
        }
        if (state.kind === 'spent') {
          json(response, 400, { error: 'invalid_grant' });
          return;
        }
        entry.state = { kind: 'spent' };
        const accessToken = randomBytes(32).toString('base64url');
        issued.push(accessToken);
        owners.set(accessToken, state.user);
        const now = Math.floor(Date.now() / 1000);
        const idToken = await new SignJWT({ preferred_username: state.user })
          .setProtectedHeader({ alg: 'ES256', kid: 'double-1', typ: 'JWT' })
          .setIssuer(issuer)
          .setAudience(clientId)
          .setSubject(`sub-${state.user}`)
          .setIssuedAt(now)
          .setExpirationTime(now + 300)
          .sign(privateKey);
        json(response, 200, {
          access_token: accessToken,
          token_type: 'Bearer',
          expires_in: 300,
          refresh_token: randomBytes(32).toString('base64url'),
          id_token: idToken,
        });
        return;
      }
      if (request.method === 'POST' && url.pathname === '/introspect') {
        const token = (await body(request)).get('token') ?? '';
        const user = owners.get(token);
        json(
          response,
          200,
          user === undefined ? { active: false } : { active: true, username: user },
        );
        return;
      }
      response.writeHead(404).end();
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const entryFor = (code: string): DeviceEntry => {
    const entry = byUserCode.get(code);
    if (!entry) throw new Error(`no device code ${code}`);
    return entry;
  };
  return {
    issuer,
    clientId,
    approve(code, user) {
      entryFor(code).state = { kind: 'approved', user };
    },
    deny(code) {
      entryFor(code).state = { kind: 'denied' };
    },
    issuedAccessTokens: issued,
    userCodes,
    get polls() {
      return polls;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
