// TEST DOUBLE of Open Bastion's LemonLDAP::NG portal plugin (its `/pam/*` endpoints), which
// Debian's LemonLDAP::NG does not ship. It plays the plugin's wire contract only, as read in
// Open Bastion's sources (linagora/open-bastion: the PamAccess portal plugin for the routes
// and JSON shapes, src/ob_sign.c and SECURITY.md for request signing); no code was copied.
//
//   POST /pam/userinfo  {user}                  → {found, user, groups, …attrs}
//   POST /pam/verify    {token}                 → {valid, user, groups} | {valid:false, error}
//                                                 (one-time tokens: consumed on first use)
//   POST /pam/authorize {user, host, service}   → {authorized, user, groups, permissions,
//                                                  offline?:{enabled, ttl}} | {authorized:false…}
//   POST /pam/heartbeat {refresh_token, hostname…} → {status:'ok', next_heartbeat, server_time}
// Server authentication: `Authorization: Bearer <server token>` (401 with
// `WWW-Authenticate: Bearer realm="pam"` otherwise); heartbeat authenticates by the server's
// refresh token in the body, as the plugin does.
//
// Request signing (when the double has a signing secret; Open Bastion after its fix #188):
//   X-Timestamp: <unix seconds>
//   X-Nonce: <unix ms>-<UUID v4>
//   X-Signature-256: sha256=<lowercase hex HMAC-SHA256(secret, "<ts>.<nonce>.<METHOD>.<path>.<body>")>
// with <path> the request path (`/pam/userinfo`) and <body> the exact body bytes. The double
// refuses (401 {error}) a missing or malformed header, a timestamp more than `maxSkewSeconds`
// away, a nonce seen before, or a wrong signature. (Releases before #188 signed
// "<ts>.<METHOD>.<path>.<body>" without the nonce; that form is refused here, on purpose.)
//
// It listens on 127.0.0.1 (plain HTTP, for the rig's nginx to forward `/pam/` to it, so the
// endpoints answer on the issuer's own origin), or on HTTPS with a given certificate.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface PamDoubleUser {
  found: boolean;
  groups?: string[];
  /** Extra attributes returned flat by /pam/userinfo (the plugin's pamAccessExportedVars). */
  attrs?: Record<string, string>;
  /** /pam/authorize's answer for this user (default: authorized when found). */
  authorized?: boolean;
  sudoAllowed?: boolean;
  offlineTtl?: number;
}

export interface PamDoubleRequest {
  path: string;
  /** Parsed JSON body (null when not JSON). */
  body: unknown;
  /** The status the double answered. */
  status: number;
  /** Why it was refused, when it was (bearer, signature, skew, replay, json). */
  refused: string | null;
  signed: boolean;
}

export interface PamDoubleOptions {
  /** Port on 127.0.0.1 (the rig's `pamDoublePort`); 0 = any. */
  port?: number;
  /** Bearer token every /pam/* call but heartbeat must carry. */
  serverToken: string;
  /** When set, every request must be signed with it (see the header). */
  signingSecret?: string;
  /** Accepted distance between X-Timestamp and the double's clock. Default 300 s. */
  maxSkewSeconds?: number;
  /** Refresh tokens the heartbeat accepts. */
  heartbeatRefreshTokens?: string[];
  users?: Record<string, PamDoubleUser>;
  /** HTTPS instead of HTTP (PEM strings). */
  tls?: { cert: string; key: string };
  /** Milliseconds to wait before answering (for timeout tests). */
  delayMs?: number;
}

export interface OpenBastionPamDouble {
  url: string;
  port: number;
  requests: PamDoubleRequest[];
  setUser(user: string, entry: PamDoubleUser): void;
  /** A one-time PAM token for /pam/verify, as the portal's /pam page would issue. */
  issuePamToken(user: string, ttlSeconds?: number): string;
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

const NONCE_RE = /^[0-9]{13}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_BODY = 64 * 1024;

/** The signature Open Bastion's client sends, for tests that sign by hand. */
export function openBastionSignature(
  secret: string,
  timestamp: number,
  nonce: string,
  method: string,
  path: string,
  body: string,
): string {
  const mac = createHmac('sha256', secret)
    .update(`${timestamp}.${nonce}.${method}.${path}.${body}`)
    .digest('hex');
  return `sha256=${mac}`;
}

export async function startOpenBastionPamDouble(
  options: PamDoubleOptions,
): Promise<OpenBastionPamDouble> {
  const users = new Map<string, PamDoubleUser>(Object.entries(options.users ?? {}));
  const pamTokens = new Map<string, { user: string; expiresAt: number }>();
  const seenNonces = new Map<string, number>();
  const requests: PamDoubleRequest[] = [];
  const maxSkew = options.maxSkewSeconds ?? 300;
  let delayMs = options.delayMs ?? 0;

  const send = (res: ServerResponse, status: number, body: unknown, extra = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...extra,
    });
    res.end(text);
  };

  const checkSignature = (req: IncomingMessage, path: string, raw: string): string | null => {
    const secret = options.signingSecret;
    if (secret === undefined) return null;
    const ts = req.headers['x-timestamp'];
    const nonce = req.headers['x-nonce'];
    const sig = req.headers['x-signature-256'];
    if (typeof ts !== 'string' || !/^[0-9]{1,12}$/.test(ts)) return 'signature: X-Timestamp';
    if (typeof nonce !== 'string' || !NONCE_RE.test(nonce)) return 'signature: X-Nonce';
    if (typeof sig !== 'string' || !/^sha256=[0-9a-f]{64}$/.test(sig)) {
      return 'signature: X-Signature-256';
    }
    const now = Math.floor(Date.now() / 1000);
    if (Math.abs(now - Number(ts)) > maxSkew) return 'signature: skew';
    const expected = Buffer.from(
      openBastionSignature(secret, Number(ts), nonce, req.method ?? '', path, raw),
    );
    if (!timingSafeEqual(expected, Buffer.from(sig))) return 'signature: mismatch';
    for (const [n, at] of seenNonces) if (at < now - 2 * maxSkew) seenNonces.delete(n);
    if (seenNonces.has(nonce)) return 'signature: replay';
    seenNonces.set(nonce, now);
    return null;
  };

  const bearerOk = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization ?? '';
    const expected = Buffer.from(`Bearer ${options.serverToken}`);
    const given = Buffer.from(auth);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const path = new URL(req.url ?? '/', 'http://double').pathname;
    const record = (status: number, refused: string | null, body: unknown): void => {
      requests.push({
        path,
        body,
        status,
        refused,
        signed: req.headers['x-signature-256'] !== undefined,
      });
    };
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        body = parsed as Record<string, unknown>;
      }
    } catch {
      body = null;
    }
    if (req.method !== 'POST' || !path.startsWith('/pam/')) {
      record(404, 'route', body);
      send(res, 404, { error: 'Not found' });
      return;
    }
    const sigError = checkSignature(req, path, raw);
    if (sigError !== null) {
      record(401, sigError, body);
      send(res, 401, { error: 'Invalid request signature' });
      return;
    }
    if (path !== '/pam/heartbeat' && !bearerOk(req)) {
      record(401, 'bearer', body);
      send(
        res,
        401,
        { error: 'Server Bearer token required' },
        { 'www-authenticate': 'Bearer realm="pam"' },
      );
      return;
    }
    if (body === null) {
      record(400, 'json', body);
      send(res, 400, { error: 'Invalid JSON' });
      return;
    }
    const answer = (status: number, out: unknown): void => {
      record(status, null, body);
      send(res, status, out);
    };
    switch (path) {
      case '/pam/userinfo': {
        const user = body.user;
        if (typeof user !== 'string' || user === '') {
          answer(400, { error: 'user parameter required' });
          return;
        }
        const entry = users.get(user);
        if (!entry?.found) answer(200, { found: false, user });
        else answer(200, { ...entry.attrs, found: true, user, groups: entry.groups ?? [] });
        return;
      }
      case '/pam/verify': {
        const token = body.token;
        if (typeof token !== 'string' || token === '') {
          answer(400, { error: 'token parameter required' });
          return;
        }
        const issued = pamTokens.get(token);
        pamTokens.delete(token);
        if (!issued) answer(200, { valid: false, error: 'Invalid or expired token' });
        else if (Date.now() > issued.expiresAt)
          answer(200, { valid: false, error: 'Token expired' });
        else
          answer(200, {
            valid: true,
            user: issued.user,
            groups: users.get(issued.user)?.groups ?? [],
          });
        return;
      }
      case '/pam/authorize': {
        const user = body.user;
        if (typeof user !== 'string' || user === '') {
          answer(400, { error: 'Missing user parameter' });
          return;
        }
        const entry = users.get(user);
        if (!entry?.found) {
          answer(200, { authorized: false, user, reason: 'User not found' });
          return;
        }
        const authorized = entry.authorized ?? true;
        answer(
          200,
          authorized
            ? {
                authorized: true,
                user,
                groups: entry.groups ?? [],
                permissions: { sudo_allowed: entry.sudoAllowed ?? false },
                ...(entry.offlineTtl === undefined
                  ? {}
                  : { offline: { enabled: true, ttl: entry.offlineTtl } }),
              }
            : {
                authorized: false,
                user,
                groups: entry.groups ?? [],
                reason: 'Access denied by rule',
              },
        );
        return;
      }
      case '/pam/heartbeat': {
        const rt = body.refresh_token;
        if (typeof rt !== 'string' || rt === '') {
          answer(400, { error: 'refresh_token required' });
          return;
        }
        if (!(options.heartbeatRefreshTokens ?? []).includes(rt)) {
          record(401, 'refresh_token', body);
          send(
            res,
            401,
            { error: 'Invalid refresh_token' },
            { 'www-authenticate': 'Bearer realm="pam"' },
          );
          return;
        }
        answer(200, {
          status: 'ok',
          next_heartbeat: 300,
          server_time: Math.floor(Date.now() / 1000),
        });
        return;
      }
      default:
        record(404, 'route', body);
        send(res, 404, { error: 'Not found' });
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (delayMs > 0) setTimeout(() => handle(req, res, raw), delayMs);
      else handle(req, res, raw);
    });
  };
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    setUser(user, entry) {
      users.set(user, entry);
    },
    issuePamToken(user, ttlSeconds = 600) {
      const token = randomBytes(32).toString('hex');
      pamTokens.set(token, { user, expiresAt: Date.now() + ttlSeconds * 1000 });
      return token;
    },
    setDelay(ms) {
      delayMs = ms;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
