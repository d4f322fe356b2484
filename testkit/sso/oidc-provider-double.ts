// OIDC PROVIDER TEST DOUBLE (not LemonLDAP::NG): a minimal issuer on node:https or node:http
// for the faults a real portal cannot be made to produce on demand (mistyped JSON, oversized
// or dripping answers, redirect chains, ID tokens with a wrong issuer/audience/nonce/kid,
// device-grant scripts, Open Bastion's /pam/* plugin, which Debian's LemonLDAP::NG lacks).
// It signs ID tokens with jose (RS256) and verifies Open Bastion request signatures with its
// own implementation of ob_sign.h's format, independent of main/sso's.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface OidcDoubleOptions {
  /** HTTPS with this certificate; absent: plain HTTP (loopback tests only). */
  tls?: {
    cert: string;
    key: string;
    minVersion?: 'TLSv1.2' | 'TLSv1.3';
    maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  };
  /** Host name in the issuer URL (default 127.0.0.1); the server listens on 127.0.0.1. */
  hostname?: string;
  clientId?: string;
  users?: Record<string, string>;
  /** Offer the device authorization endpoint. Default true. */
  device?: boolean;
  /** Refresh grant: 'rotate' (new refresh token each time) or 'omit' (none returned). */
  refreshMode?: 'rotate' | 'omit';
  openBastion?: { serverToken: string; signingSecret?: string };
}

export type DeviceStep =
  'authorization_pending' | 'slow_down' | 'expired_token' | 'access_denied' | 'ok';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface IdTokenTweaks {
  iss?: string;
  aud?: string;
  /** Seconds from now (negative: already expired). */
  expIn?: number;
  nonce?: string;
}

async function newKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey: privateKey as CryptoKey, jwk };
}

const token = (): string => randomBytes(24).toString('base64url');

export class OidcProviderDouble {
  issuer = '';
  port = 0;
  readonly requests: RecordedRequest[] = [];
  /** TLS handshakes completed (secureConnection events). */
  secureConnections = 0;
  /** TCP connections accepted. */
  tcpConnections = 0;
  jwksFetches = 0;
  /** Per-path handlers that replace the normal behaviour. */
  readonly overrides = new Map<string, Handler>();
  idTokenTweaks: IdTokenTweaks = {};
  /** What the device grant answers on each poll, in order (the last step repeats). */
  deviceScript: DeviceStep[] = ['ok'];
  deviceInterval = 1;
  deviceExpiresIn = 60;
  readonly devicePolls: number[] = [];
  /** Open Bastion signature checks: true = verified, false = refused. */
  readonly signatureResults: boolean[] = [];
  readonly issuedAccessTokens = new Set<string>();
  readonly refreshTokens = new Map<string, string>(); // refresh token → user
  private readonly server: Server;
  private readonly options: OidcDoubleOptions;
  private published: SigningKey[] = [];
  private signer!: SigningKey;
  private readonly codes = new Map<
    string,
    { user: string; challenge: string; redirectUri: string; nonce: string }
  >();
  private readonly deviceCodes = new Map<string, { polls: number }>();
  private readonly seenNonces = new Set<string>();

  private constructor(options: OidcDoubleOptions) {
    this.options = options;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        this.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
        const override = this.overrides.get(path);
        if (override) return override(req, res, body);
        this.route(req, res, path, body).catch(() => {
          if (!res.headersSent) this.json(res, 500, { error: 'server_error' });
        });
      });
    };
    if (options.tls) {
      const https = createHttpsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          minVersion: options.tls.minVersion ?? 'TLSv1.2',
          maxVersion: options.tls.maxVersion ?? 'TLSv1.3',
        },
        handler,
      );
      https.on('secureConnection', (_s: TLSSocket) => {
        this.secureConnections += 1;
      });
      https.on('tlsClientError', () => undefined);
      this.server = https;
    } else {
      this.server = createHttpServer(handler);
    }
    this.server.on('connection', () => {
      this.tcpConnections += 1;
    });
  }

  static async start(options: OidcDoubleOptions = {}): Promise<OidcProviderDouble> {
    const double = new OidcProviderDouble(options);
    double.signer = await newKey('k1');
    double.published = [double.signer];
    await new Promise<void>((resolve) => double.server.listen(0, '127.0.0.1', resolve));
    double.port = (double.server.address() as AddressInfo).port;
    const scheme = options.tls ? 'https' : 'http';
    double.issuer = `${scheme}://${options.hostname ?? '127.0.0.1'}:${double.port}`;
    return double;
  }

  get clientId(): string {
    return this.options.clientId ?? 'bastion-greeter';
  }

  /** A new key signs from now on and is published beside the old one. */
  async rotateKey(kid: string): Promise<void> {
    this.signer = await newKey(kid);
    this.published = [...this.published, this.signer];
  }

  /** A new key signs from now on but is NOT published (unknown kid that stays unknown). */
  async signWithUnpublishedKey(kid: string): Promise<void> {
    this.signer = await newKey(kid);
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Plays the person approving the sign-in in the portal: returns the redirect main intercepts. */
  approve(authorizeUrl: string, user = 'dwho'): string {
    const url = new URL(authorizeUrl);
    const p = url.searchParams;
    if (p.get('code_challenge_method') !== 'S256') throw new Error('double: no S256 PKCE');
    const code = token();
    this.codes.set(code, {
      user,
      challenge: p.get('code_challenge') ?? '',
      redirectUri: p.get('redirect_uri') ?? '',
      nonce: p.get('nonce') ?? '',
    });
    const back = new URL(p.get('redirect_uri') ?? '');
    back.searchParams.set('code', code);
    back.searchParams.set('state', p.get('state') ?? '');
    back.searchParams.set('iss', this.issuer);
    return back.href;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  json(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(text);
  }

  async idToken(user: string, nonce?: string): Promise<string> {
    const t = this.idTokenTweaks;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { sub: user, preferred_username: user };
    const n = t.nonce ?? nonce;
    if (n) claims.nonce = n;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.signer.kid, typ: 'JWT' })
      .setIssuer(t.iss ?? this.issuer)
      .setAudience(t.aud ?? this.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + (t.expIn ?? 300))
      .sign(this.signer.privateKey);
  }

  private async tokens(
    user: string,
    nonce?: string,
    withRefresh = true,
  ): Promise<Record<string, unknown>> {
    const access = token();
    this.issuedAccessTokens.add(access);
    const answer: Record<string, unknown> = {
      access_token: access,
      token_type: 'Bearer',
      expires_in: 3600,
      id_token: await this.idToken(user, nonce),
    };
    if (withRefresh) {
      const refresh = token();
      this.refreshTokens.set(refresh, user);
      answer.refresh_token = refresh;
    }
    return answer;
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: string,
  ): Promise<void> {
    const form = new URLSearchParams(body);
    switch (path) {
      case '/.well-known/openid-configuration':
        return this.json(res, 200, {
          issuer: this.issuer,
          authorization_endpoint: `${this.issuer}/oauth2/authorize`,
          token_endpoint: `${this.issuer}/oauth2/token`,
          userinfo_endpoint: `${this.issuer}/oauth2/userinfo`,
          jwks_uri: `${this.issuer}/oauth2/jwks`,
          ...(this.options.device !== false
            ? { device_authorization_endpoint: `${this.issuer}/oauth2/device` }
            : {}),
          response_types_supported: ['code'],
          grant_types_supported: [
            'authorization_code',
            'refresh_token',
            'password',
            'urn:ietf:params:oauth:grant-type:device_code',
          ],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
          subject_types_supported: ['public'],
        });
      case '/oauth2/jwks':
        this.jwksFetches += 1;
        return this.json(res, 200, { keys: this.published.map((k) => k.jwk) });
      case '/oauth2/userinfo': {
        const auth = req.headers.authorization ?? '';
        const at = auth.startsWith('Bearer ') ? auth.slice(7) : '';
        if (!this.issuedAccessTokens.has(at)) {
          res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
          return void res.end();
        }
        return this.json(res, 200, { sub: 'dwho', preferred_username: 'dwho' });
      }
      case '/oauth2/device': {
        const code = token();
        this.deviceCodes.set(code, { polls: 0 });
        return this.json(res, 200, {
          device_code: code,
          user_code: 'WDJB-MJHT',
          verification_uri: `${this.issuer}/device`,
          verification_uri_complete: `${this.issuer}/device?user_code=WDJB-MJHT`,
          expires_in: this.deviceExpiresIn,
          interval: this.deviceInterval,
        });
      }
      case '/oauth2/token':
        return this.token(res, form);
      case '/pam/userinfo':
      case '/pam/verify':
      case '/pam/authorize':
      case '/pam/heartbeat':
        return this.pam(req, res, path, body);
      default:
        res.writeHead(404);
        res.end();
    }
  }

  private async token(res: ServerResponse, form: URLSearchParams): Promise<void> {
    const users = this.options.users ?? { dwho: 'dwho' };
    switch (form.get('grant_type')) {
      case 'password': {
        const user = form.get('username') ?? '';
        if (users[user] === undefined || users[user] !== form.get('password')) {
          return this.json(res, 400, { error: 'invalid_grant' });
        }
        return this.json(res, 200, await this.tokens(user));
      }
      case 'refresh_token': {
        const old = form.get('refresh_token') ?? '';
        const user = this.refreshTokens.get(old);
        if (user === undefined) return this.json(res, 400, { error: 'invalid_grant' });
        if (this.options.refreshMode === 'omit')
          return this.json(res, 200, await this.tokens(user, undefined, false));
        this.refreshTokens.delete(old);
        return this.json(res, 200, await this.tokens(user));
      }
      case 'authorization_code': {
        const entry = this.codes.get(form.get('code') ?? '');
        this.codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          !entry ||
          entry.challenge !== challenge ||
          entry.redirectUri !== form.get('redirect_uri')
        ) {
          return this.json(res, 400, { error: 'invalid_grant' });
        }
        return this.json(res, 200, await this.tokens(entry.user, entry.nonce));
      }
      case 'urn:ietf:params:oauth:grant-type:device_code': {
        const device = this.deviceCodes.get(form.get('device_code') ?? '');
        if (!device) return this.json(res, 400, { error: 'invalid_grant' });
        this.devicePolls.push(Date.now());
        const step = this.deviceScript[Math.min(device.polls, this.deviceScript.length - 1)]!;
        device.polls += 1;
        if (step === 'ok') return this.json(res, 200, await this.tokens('dwho'));
        return this.json(res, 400, { error: step });
      }
      default:
        return this.json(res, 400, { error: 'unsupported_grant_type' });
    }
  }

  /** ob_sign.h: HMAC-SHA256(secret, "<ts>.<nonce>.<METHOD>.<path>.<body>"), header "sha256=<hex>". */
  private signatureValid(
    req: IncomingMessage,
    path: string,
    body: string,
    secret: string,
  ): boolean {
    const ts = req.headers['x-timestamp'];
    const nonce = req.headers['x-nonce'];
    const sig = req.headers['x-signature-256'];
    if (typeof ts !== 'string' || typeof nonce !== 'string' || typeof sig !== 'string')
      return false;
    if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
    if (!/^\d{13}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(nonce))
      return false;
    if (this.seenNonces.has(nonce)) return false;
    const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${nonce}.${req.method}.${path}.${body}`).digest('hex')}`;
    const ok =
      expected.length === sig.length && timingSafeEqual(Buffer.from(expected), Buffer.from(sig));
    if (ok) this.seenNonces.add(nonce);
    return ok;
  }

  private pam(req: IncomingMessage, res: ServerResponse, path: string, body: string): void {
    const ob = this.options.openBastion;
    if (!ob) return this.json(res, 404, { error: 'no plugin' });
    if (ob.signingSecret !== undefined) {
      const ok = this.signatureValid(req, path, body, ob.signingSecret);
      this.signatureResults.push(ok);
      if (!ok) return this.json(res, 401, { error: 'bad signature' });
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return this.json(res, 400, { error: 'bad json' });
    }
    if (path === '/pam/heartbeat') {
      if (
        typeof payload.refresh_token !== 'string' ||
        !this.refreshTokens.has(payload.refresh_token)
      ) {
        return this.json(res, 401, { error: 'invalid refresh token' });
      }
      return this.json(res, 200, { access_token: token(), expires_in: 3600, next_heartbeat: 300 });
    }
    if (req.headers.authorization !== `Bearer ${ob.serverToken}`)
      return this.json(res, 401, { error: 'bad server token' });
    const users = this.options.users ?? { dwho: 'dwho' };
    if (path === '/pam/userinfo') {
      const user = String(payload.user);
      return users[user] === undefined
        ? this.json(res, 200, { found: false })
        : this.json(res, 200, {
            found: true,
            user,
            groups: ['users'],
            uid: 10001,
            gecos: 'Doctor Who',
          });
    }
    if (path === '/pam/verify') {
      const valid = typeof payload.token === 'string' && this.issuedAccessTokens.has(payload.token);
      return this.json(
        res,
        200,
        valid
          ? { valid: true, user: 'dwho', groups: ['users'] }
          : { valid: false, error: 'token not active' },
      );
    }
    return this.json(res, 200, {
      authorized: users[String(payload.user)] !== undefined,
      user: String(payload.user),
      groups: ['users'],
    });
  }
}
