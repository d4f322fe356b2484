// Open Bastion's portal plugin endpoints (`/pam/*`), by hand: no library speaks them. Same
// transport (TLS policy, pins, limits) as the OIDC client. Request signing follows Open
// Bastion's ob_sign.h (linagora/open-bastion, the one wire format its PAM and NSS modules,
// ob-cert-daemon and scripts share, verified by the portal's pam-access plugin):
//
//   message          = <X-Timestamp>.<X-Nonce>.<METHOD>.<path>.<body>   (always four dots)
//   X-Timestamp      = Unix seconds, decimal
//   X-Nonce          = <Unix ms>-<UUID v4>
//   X-Signature-256  = "sha256=" + lowercase hex HMAC-SHA256(key = secret bytes, message)
//
// <path> has no scheme, host or query; <body> is the exact bytes sent. The nonce is inside
// the MAC, so a captured request cannot be replayed with a fresh nonce. An empty secret
// counts as none (as in Open Bastion): HMAC under an empty key is forgeable by anyone.
import { createHmac, randomUUID } from 'node:crypto';
import { parseIssuer, resolveTransportSettings, type SsoConfig } from './config';
import { SsoError } from './errors';
import { isJsonObject, parseJsonObject } from './json-checks';
import { createTransport } from './transport';

export interface OpenBastionConfig extends SsoConfig {
  /** The portal's base URL; default: the issuer (LemonLDAP::NG serves both). */
  portalUrl?: string;
  /** Open Bastion's `server_group`, sent when set. */
  serverGroup?: string;
}

export interface OpenBastionUserinfo {
  found: boolean;
  user?: string;
  groups?: string[];
  uid?: number;
  gid?: number;
  gecos?: string;
  home?: string;
  shell?: string;
}

export interface OpenBastionVerify {
  /** The token is active for this server. */
  valid: boolean;
  user?: string;
  groups?: string[];
  /** The portal's reason for a refusal, for logs (not token material). */
  reason?: string;
}

export interface OpenBastionAuthorize {
  authorized: boolean;
  user: string;
  groups?: string[];
  reason?: string;
}

export interface OpenBastionHeartbeat {
  /** A fresh server access token, when the portal minted one. */
  accessToken?: string;
  expiresIn?: number;
  nextHeartbeat?: number;
}

export interface OpenBastionClient {
  userinfo(user: string): Promise<OpenBastionUserinfo>;
  verify(token: string): Promise<OpenBastionVerify>;
  authorize(user: string, host: string, service: string): Promise<OpenBastionAuthorize>;
  /** Open Bastion authenticates a heartbeat by the server's refresh token in the body. */
  heartbeat(refreshToken: string, hostname?: string): Promise<OpenBastionHeartbeat>;
  close(): Promise<void>;
}

export interface SignatureHeaders {
  'X-Timestamp': string;
  'X-Nonce': string;
  'X-Signature-256': string;
}

/** The three signing headers for one request (`nowMs` and `uuid` are injectable for tests). */
export function openBastionSignatureHeaders(
  secret: string,
  method: string,
  path: string,
  body: string,
  nowMs: number = Date.now(),
  uuid: string = randomUUID(),
): SignatureHeaders {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = `${Math.floor(nowMs)}-${uuid}`;
  const message = `${timestamp}.${nonce}.${method}.${path}.${body}`;
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(message, 'utf8')
    .digest('hex');
  return { 'X-Timestamp': timestamp, 'X-Nonce': nonce, 'X-Signature-256': `sha256=${mac}` };
}

function bad(what: string): SsoError {
  return new SsoError('SSO_BAD_RESPONSE', 'the portal answer is malformed', { detail: what });
}

function optionalString(json: Record<string, unknown>, key: string): string | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw bad(`${key} is not a string`);
  return value;
}

function optionalStrings(json: Record<string, unknown>, key: string): string[] | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw bad(`${key} is not a list of strings`);
  }
  return value as string[];
}

function optionalInt(json: Record<string, unknown>, key: string): number | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw bad(`${key} is not a non-negative integer`);
  }
  return value;
}

function requiredBoolean(json: Record<string, unknown>, key: string): boolean {
  const value = json[key];
  if (typeof value !== 'boolean') throw bad(`${key} is not a boolean`);
  return value;
}

export function createOpenBastionClient(config: OpenBastionConfig): OpenBastionClient {
  const settings = resolveTransportSettings(config);
  const base = parseIssuer(config.portalUrl ?? config.issuer, settings.allowLoopbackHttp);
  const basePath = base.pathname.replace(/\/$/, '');
  const secret = config.openBastion?.signingSecret || undefined;
  const serverToken = config.openBastion?.serverToken || undefined;
  const transport = createTransport(settings);
  const log = settings.log;

  const call = async (
    endpoint: 'userinfo' | 'verify' | 'authorize' | 'heartbeat',
    payload: Record<string, unknown>,
    bearer: boolean,
  ): Promise<Record<string, unknown>> => {
    const path = `${basePath}/pam/${endpoint}`;
    try {
      if (bearer && serverToken === undefined) {
        throw new SsoError('SSO_CONFIG_INVALID', 'no Open Bastion server token is configured');
      }
      const body = JSON.stringify(
        config.serverGroup ? { ...payload, server_group: config.serverGroup } : payload,
      );
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(bearer ? { authorization: `Bearer ${serverToken}` } : {}),
        ...(secret ? openBastionSignatureHeaders(secret, 'POST', path, body) : {}),
      };
      const answer = await transport.request(new URL(path, base), {
        method: 'POST',
        headers,
        body,
      });
      if (answer.status === 401 || answer.status === 403) {
        if (endpoint === 'heartbeat' && answer.status === 401) {
          throw new SsoError('SSO_INVALID_GRANT', 'the portal refused the server refresh token', {
            detail: '401',
          });
        }
        throw new SsoError('SSO_HOST_NOT_ENROLLED', 'the portal refused this computer', {
          detail: String(answer.status),
        });
      }
      if (answer.status >= 500) {
        throw new SsoError('SSO_UNREACHABLE', 'the portal is failing', {
          detail: String(answer.status),
        });
      }
      if (answer.status !== 200) {
        throw new SsoError('SSO_BAD_RESPONSE', 'the portal answered an unexpected status', {
          detail: String(answer.status),
        });
      }
      if (!/^application\/json\b/i.test(answer.headers.get('content-type') ?? '')) {
        throw bad('not JSON');
      }
      const json = parseJsonObject('open-bastion', answer.body.toString('utf8'));
      log(`sso: open-bastion ${endpoint}: ok`);
      return json;
    } catch (error) {
      const sso =
        error instanceof SsoError
          ? error
          : new SsoError('SSO_INTERNAL', 'the Open Bastion call failed', {
              detail: error instanceof Error ? error.name : 'unknown',
            });
      log(
        `sso: open-bastion ${endpoint} failed: ${sso.code}${sso.detail ? ` (${sso.detail})` : ''}`,
      );
      throw sso;
    }
  };

  return {
    async userinfo(user) {
      const json = await call('userinfo', { user }, true);
      const found = requiredBoolean(json, 'found');
      if (!found) return { found };
      const result: OpenBastionUserinfo = { found };
      const name = optionalString(json, 'user');
      if (name !== undefined) result.user = name;
      const groups = optionalStrings(json, 'groups');
      if (groups !== undefined) result.groups = groups;
      for (const key of ['uid', 'gid'] as const) {
        // Open Bastion's NSS module ignores a non-integer uid; here it is simply not reported.
        const value = json[key];
        if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
          result[key] = value;
      }
      for (const key of ['gecos', 'home', 'shell'] as const) {
        const value = optionalString(json, key);
        if (value !== undefined) result[key] = value;
      }
      return result;
    },

    async verify(token) {
      const json = await call('verify', { token }, true);
      const valid = requiredBoolean(json, 'valid');
      const result: OpenBastionVerify = { valid };
      const reason = optionalString(json, 'error') ?? optionalString(json, 'reason');
      if (reason !== undefined) result.reason = reason.slice(0, 200);
      if (!valid) return result;
      const user = optionalString(json, 'user');
      if (user === undefined || user === '') throw bad('user is missing');
      result.user = user;
      const groups = optionalStrings(json, 'groups');
      if (groups !== undefined) result.groups = groups;
      return result;
    },

    async authorize(user, host, service) {
      const json = await call('authorize', { user, host, service }, true);
      const authorized = requiredBoolean(json, 'authorized');
      const name = optionalString(json, 'user');
      if (name === undefined || name === '') throw bad('user is missing');
      const result: OpenBastionAuthorize = { authorized, user: name };
      const reason = optionalString(json, 'reason');
      if (reason !== undefined) result.reason = reason.slice(0, 200);
      const groups = optionalStrings(json, 'groups');
      if (groups !== undefined) result.groups = groups;
      return result;
    },

    async heartbeat(refreshToken, hostname) {
      const json = await call(
        'heartbeat',
        hostname ? { refresh_token: refreshToken, hostname } : { refresh_token: refreshToken },
        false,
      );
      if (!isJsonObject(json)) throw bad('not an object');
      const result: OpenBastionHeartbeat = {};
      const accessToken = optionalString(json, 'access_token');
      if (accessToken !== undefined) result.accessToken = accessToken;
      const expiresIn = optionalInt(json, 'expires_in');
      if (expiresIn !== undefined) result.expiresIn = expiresIn;
      const next = optionalInt(json, 'next_heartbeat');
      if (next !== undefined) result.nextHeartbeat = next;
      return result;
    },

    close: () => transport.close(),
  };
}
