// The OIDC client: openid-client does the protocol (discovery, PKCE, state/nonce, token and
// device endpoints, claim checks); we give it our transport as its fetch, check the shape of
// every JSON answer before it does, verify ID token signatures with jose (id-token.ts), and
// turn whatever fails into one SsoError code.
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import {
  parseIssuer,
  resolveTransportSettings,
  type ResolvedTransportSettings,
  type SsoConfig,
} from './config';
import { SsoError } from './errors';
import { createIdTokenVerifier, type IdTokenClaims, type IdTokenVerifier } from './id-token';
import { checkJsonAnswer, type JsonEndpoint } from './json-checks';
import { toSsoError } from './oauth-errors';
import { createTransport, type SsoFetch, type SsoTransport } from './transport';

export interface TokenSet {
  accessToken: string;
  /** The refresh token to keep: the rotated one, or the previous one when none was returned. */
  refreshToken?: string;
  idToken?: string;
  /** Access token expiry, ms epoch (now when the portal gave no expires_in: refresh before reuse). */
  expiresAt: number;
  /** The verified ID token's claims, when an ID token came with this answer. */
  claims?: IdTokenClaims;
}

/** An authorization code flow in progress. Opaque: its verifier and nonce stay inside main/sso. */
export interface PendingAuthorization {
  readonly id: string;
  readonly createdAt: number;
}

/** What the person needs to approve a device sign-in on their phone (RFC 8628). */
export interface DeviceAuthorization {
  readonly verificationUri: string;
  readonly verificationUriComplete?: string;
  readonly userCode: string;
  /** ms epoch: past it the code is dead (SSO_DEVICE_EXPIRED). */
  readonly expiresAt: number;
  /** Seconds between polls the portal asked for. */
  readonly interval: number;
}

export interface SsoClient {
  readonly issuer: string;
  /** Resource-owner password grant; SSO_NOT_ALLOWED unless the site allows it (allowPasswordGrant). */
  passwordGrant(user: string, password: string): Promise<TokenSet>;
  /** Keeps `refreshToken` as the refresh token when the portal returns none (no rotation). */
  refresh(refreshToken: string): Promise<TokenSet>;
  /** Authorization code + S256 PKCE, state and nonce; `url` is for the isolated portal view. */
  beginAuthorization(): { url: string; pending: PendingAuthorization };
  /** `callbackUrl`: the redirect main intercepted. Single use: a pending flow is spent either way. */
  completeAuthorization(callbackUrl: string, pending: PendingAuthorization): Promise<TokenSet>;
  beginDeviceAuthorization(): Promise<DeviceAuthorization>;
  /** Polls as the portal asks (interval, slow_down) until approval, denial, expiry or `signal`. */
  pollDeviceAuthorization(d: DeviceAuthorization, signal?: AbortSignal): Promise<TokenSet>;
  /** The userinfo claims; `expectedSubject` (the ID token's sub) is checked when given. */
  userinfo(accessToken: string, expectedSubject?: string): Promise<Record<string, unknown>>;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

const PENDING_LIFETIME_MS = 10 * 60_000;
const DEFAULT_SCOPES = ['openid', 'profile', 'offline_access'];

interface PendingSecrets {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

interface DeviceSecrets {
  response: oidc.DeviceAuthorizationResponse;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function urlKey(url: string | URL): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.href;
}

/** Our transport's fetch, plus the strict JSON checks of each endpoint we know. */
function checkedFetch(transport: SsoTransport, kinds: Map<string, JsonEndpoint>): SsoFetch {
  return async (url, init) => {
    const response = await transport.fetch(url, init);
    const kind = kinds.get(urlKey(url));
    if (kind === undefined) return response;
    const text = await response.clone().text();
    const type = response.headers.get('content-type') ?? '';
    // A 200 must be JSON (a signed userinfo JWT aside); an OAuth error body is checked when
    // there is one. Other statuses (401 with WWW-Authenticate, 5xx pages) go to the library.
    const oauthErrorBody =
      (kind === 'token' || kind === 'device-authorization') &&
      response.status >= 400 &&
      response.status < 500 &&
      text !== '';
    if (response.status !== 200 && !oauthErrorBody) return response;
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
      if (!(kind === 'userinfo' && /^application\/jwt\b/i.test(type))) {
        throw new SsoError('SSO_BAD_RESPONSE', `the portal's ${kind} answer is not JSON`, {
          detail: type.slice(0, 40) || 'no content-type',
        });
      }
      return response;
    }
    checkJsonAnswer(kind, response.status, text);
    return response;
  };
}

export async function createSsoClient(config: SsoConfig): Promise<SsoClient> {
  if (typeof config.clientId !== 'string' || config.clientId === '') {
    throw new SsoError('SSO_CONFIG_INVALID', 'clientId is required');
  }
  const settings: ResolvedTransportSettings = resolveTransportSettings(config);
  const issuerUrl = parseIssuer(config.issuer, settings.allowLoopbackHttp);
  const scope = (config.scopes ?? DEFAULT_SCOPES).join(' ');
  const skew = config.clockSkewSeconds ?? 60;
  const log = settings.log;
  const transport = createTransport(settings);
  const kinds = new Map<string, JsonEndpoint>();
  const discoveryPath = `${issuerUrl.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
  kinds.set(urlKey(new URL(discoveryPath, issuerUrl)), 'discovery');
  const fetch = checkedFetch(transport, kinds);

  const clientAuth = config.clientSecret
    ? oidc.ClientSecretBasic(config.clientSecret)
    : oidc.None();
  let oc: oidc.Configuration;
  try {
    oc = await oidc.discovery(
      issuerUrl,
      config.clientId,
      {
        [oidc.clockTolerance]: skew,
        ...(config.redirectUri ? { redirect_uris: [config.redirectUri] } : {}),
      },
      clientAuth,
      {
        [oidc.customFetch]: fetch as oidc.CustomFetch,
        timeout: Math.ceil(settings.totalMs / 1000) + 5,
        ...(settings.allowLoopbackHttp ? { execute: [oidc.allowInsecureRequests] } : {}),
      },
    );
  } catch (error) {
    await transport.close();
    const sso = toSsoError(error, 'SSO_DISCOVERY_FAILED');
    log(
      `sso: discovery of ${issuerUrl.host} failed: ${sso.code}${sso.detail ? ` (${sso.detail})` : ''}`,
    );
    throw sso;
  }
  const meta = oc.serverMetadata();
  const issuer = meta.issuer;
  kinds.set(urlKey(meta.token_endpoint!), 'token');
  if (meta.userinfo_endpoint) kinds.set(urlKey(meta.userinfo_endpoint), 'userinfo');
  if (meta.jwks_uri) kinds.set(urlKey(meta.jwks_uri), 'jwks');
  if (meta.device_authorization_endpoint) {
    kinds.set(urlKey(meta.device_authorization_endpoint), 'device-authorization');
  }
  // Every URL the portal handed us must obey the same https rule as the issuer.
  for (const endpoint of [
    meta.token_endpoint,
    meta.userinfo_endpoint,
    meta.jwks_uri,
    meta.authorization_endpoint,
    meta.device_authorization_endpoint,
  ]) {
    if (endpoint === undefined) continue;
    try {
      parseIssuer(urlKey(endpoint), settings.allowLoopbackHttp);
    } catch {
      await transport.close();
      throw new SsoError('SSO_DISCOVERY_FAILED', 'the portal advertises a non-https endpoint');
    }
  }
  let verifier: IdTokenVerifier | null = null;
  if (meta.jwks_uri) {
    verifier = createIdTokenVerifier({
      issuer,
      clientId: config.clientId,
      jwksUri: meta.jwks_uri,
      advertisedAlgs: meta.id_token_signing_alg_values_supported,
      clockSkewSeconds: skew,
      fetch,
    });
  }
  log(
    `sso: discovered ${issuerUrl.host} (device grant ${meta.device_authorization_endpoint ? 'offered' : 'not offered'})`,
  );

  const pendings = new WeakMap<PendingAuthorization, PendingSecrets>();
  const devices = new WeakMap<DeviceAuthorization, DeviceSecrets>();

  const toTokenSet = async (
    response: oidc.TokenEndpointResponse,
    previousRefresh: string | undefined,
    expectedNonce: string | undefined,
  ): Promise<TokenSet> => {
    const set: TokenSet = {
      accessToken: response.access_token,
      expiresAt:
        Date.now() + (typeof response.expires_in === 'number' ? response.expires_in * 1000 : 0),
    };
    const refreshToken = response.refresh_token ?? previousRefresh;
    if (refreshToken !== undefined) set.refreshToken = refreshToken;
    if (response.id_token !== undefined) {
      if (verifier === null) {
        throw new SsoError(
          'SSO_ID_TOKEN_INVALID',
          'the portal publishes no JWKS to verify the ID token',
          {
            detail: 'no jwks_uri',
          },
        );
      }
      set.claims = await verifier.verify(response.id_token, expectedNonce);
      set.idToken = response.id_token;
    } else if (expectedNonce !== undefined) {
      throw new SsoError('SSO_ID_TOKEN_INVALID', 'the portal sent no ID token', {
        detail: 'missing',
      });
    }
    return set;
  };

  const run = async <T>(what: string, task: () => Promise<T>): Promise<T> => {
    try {
      const result = await task();
      log(`sso: ${what}: ok`);
      return result;
    } catch (error) {
      const sso = toSsoError(error);
      log(`sso: ${what} failed: ${sso.code}${sso.detail ? ` (${sso.detail})` : ''}`);
      throw sso;
    }
  };

  const client: SsoClient = {
    issuer,

    passwordGrant(user, password) {
      return run('password grant', async () => {
        if (config.allowPasswordGrant !== true) {
          throw new SsoError('SSO_NOT_ALLOWED', 'this site does not allow the password grant');
        }
        const response = await oidc.genericGrantRequest(oc, 'password', {
          username: user,
          password,
          scope,
        });
        return toTokenSet(response, undefined, undefined);
      });
    },

    refresh(refreshToken) {
      return run('refresh grant', async () => {
        try {
          const response = await oidc.refreshTokenGrant(oc, refreshToken);
          return toTokenSet(response, refreshToken, undefined);
        } catch (error) {
          // LemonLDAP::NG 2.16 answers a refresh token it no longer knows (revoked, its session
          // deleted) with 400 `invalid_request`, not RFC 6749's `invalid_grant`. On this grant the
          // only request parameter is that token, so both mean "the token is dead": ask for the
          // password and wipe it, instead of keeping a dead token as a transient failure.
          const sso = toSsoError(error);
          if (sso.code === 'SSO_BAD_RESPONSE' && sso.detail === 'invalid_request') {
            throw new SsoError(
              'SSO_INVALID_GRANT',
              'the portal no longer accepts this refresh token',
              {
                detail: 'invalid_request',
              },
            );
          }
          throw sso;
        }
      });
    },

    beginAuthorization() {
      if (!config.redirectUri) {
        throw new SsoError('SSO_CONFIG_INVALID', 'no redirect URI is configured for the code flow');
      }
      if (!meta.authorization_endpoint) {
        throw new SsoError('SSO_NOT_ALLOWED', 'the portal offers no authorization endpoint');
      }
      const secrets: PendingSecrets = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        codeVerifier: oidc.randomPKCECodeVerifier(),
        redirectUri: config.redirectUri,
      };
      const url = oidc.buildAuthorizationUrl(oc, {
        redirect_uri: secrets.redirectUri,
        response_type: 'code',
        scope,
        state: secrets.state,
        nonce: secrets.nonce,
        code_challenge: s256(secrets.codeVerifier),
        code_challenge_method: 'S256',
      });
      const pending: PendingAuthorization = Object.freeze({
        id: oidc.randomState().slice(0, 12),
        createdAt: Date.now(),
      });
      pendings.set(pending, secrets);
      log(`sso: authorization started (${pending.id})`);
      return { url: url.href, pending };
    },

    completeAuthorization(callbackUrl, pending) {
      return run('authorization code grant', async () => {
        const secrets = pendings.get(pending);
        // Single use: whatever happens next, this state, nonce and verifier are spent.
        pendings.delete(pending);
        if (secrets === undefined || Date.now() - pending.createdAt > PENDING_LIFETIME_MS) {
          throw new SsoError('SSO_STATE_MISMATCH', 'this sign-in attempt is unknown or expired', {
            detail: 'pending',
          });
        }
        const params = parseCallback(callbackUrl, secrets.redirectUri);
        if (params.get('state') !== secrets.state) {
          throw new SsoError(
            'SSO_STATE_MISMATCH',
            'the sign-in answer does not belong to this attempt',
            {
              detail: 'state',
            },
          );
        }
        const iss = params.get('iss');
        if (iss !== null && iss !== issuer) {
          throw new SsoError('SSO_ISSUER_MISMATCH', 'the sign-in answer names another issuer', {
            detail: 'iss',
          });
        }
        const error = params.get('error');
        if (error !== null) {
          throw error === 'access_denied'
            ? new SsoError('SSO_ACCESS_DENIED', 'the portal denied the sign-in', { detail: error })
            : new SsoError('SSO_BAD_RESPONSE', 'the portal ended the sign-in with an error', {
                detail: /^[a-z_]{1,40}$/.test(error) ? error : 'error',
              });
        }
        const code = params.get('code');
        if (code === null || code === '') {
          throw new SsoError('SSO_BAD_RESPONSE', 'the sign-in answer carries no code', {
            detail: 'code',
          });
        }
        // Only the parameters we checked go on, on the exact registered redirect URI.
        const current = new URL(secrets.redirectUri);
        current.searchParams.set('code', code);
        current.searchParams.set('state', secrets.state);
        if (iss !== null) current.searchParams.set('iss', iss);
        const response = await oidc.authorizationCodeGrant(oc, current, {
          pkceCodeVerifier: secrets.codeVerifier,
          expectedState: secrets.state,
          expectedNonce: secrets.nonce,
          idTokenExpected: true,
        });
        return toTokenSet(response, undefined, secrets.nonce);
      });
    },

    beginDeviceAuthorization() {
      return run('device authorization', async () => {
        if (!meta.device_authorization_endpoint) {
          throw new SsoError('SSO_NOT_ALLOWED', 'the portal offers no device authorization');
        }
        const response = await oidc.initiateDeviceAuthorization(oc, { scope });
        const device: DeviceAuthorization = Object.freeze({
          verificationUri: response.verification_uri,
          ...(response.verification_uri_complete
            ? { verificationUriComplete: response.verification_uri_complete }
            : {}),
          userCode: response.user_code,
          expiresAt: Date.now() + response.expires_in * 1000,
          interval: response.interval ?? 5,
        });
        devices.set(device, { response });
        return device;
      });
    },

    pollDeviceAuthorization(device, signal) {
      return run('device grant', async () => {
        const secrets = devices.get(device);
        if (secrets === undefined) {
          throw new SsoError('SSO_DEVICE_EXPIRED', 'this device sign-in is unknown', {
            detail: 'unknown',
          });
        }
        const left = device.expiresAt - Date.now();
        if (left <= 0) throw new SsoError('SSO_DEVICE_EXPIRED', 'the device code expired');
        const expiry = AbortSignal.timeout(left);
        const combined = signal ? AbortSignal.any([signal, expiry]) : expiry;
        try {
          const response = await oidc.pollDeviceAuthorizationGrant(
            oc,
            secrets.response,
            undefined,
            {
              signal: combined,
            },
          );
          return await toTokenSet(response, undefined, undefined);
        } catch (error) {
          if (signal?.aborted)
            throw new SsoError('SSO_CANCELLED', 'the device sign-in was cancelled');
          if (expiry.aborted) throw new SsoError('SSO_DEVICE_EXPIRED', 'the device code expired');
          throw error;
        } finally {
          devices.delete(device);
        }
      });
    },

    userinfo(accessToken, expectedSubject) {
      return run('userinfo', async () => {
        if (!meta.userinfo_endpoint) {
          throw new SsoError('SSO_NOT_ALLOWED', 'the portal offers no userinfo endpoint');
        }
        const claims = await oidc.fetchUserInfo(
          oc,
          accessToken,
          expectedSubject ?? oidc.skipSubjectCheck,
        );
        return { ...claims } as Record<string, unknown>;
      });
    },

    close: () => transport.close(),
  };
  return client;
}

/**
 * The intercepted redirect, parsed strictly: it must be the registered redirect URI (scheme,
 * host, port, path), carry no fragment, and each OAuth parameter at most once.
 */
export function parseCallback(callbackUrl: string, redirectUri: string): URLSearchParams {
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    throw new SsoError('SSO_BAD_RESPONSE', 'the sign-in answer is not a URL', {
      detail: 'callback',
    });
  }
  const expected = new URL(redirectUri);
  if (
    url.protocol !== expected.protocol ||
    url.host !== expected.host ||
    url.pathname !== expected.pathname ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new SsoError('SSO_BAD_RESPONSE', 'the sign-in answer is not on the redirect URI', {
      detail: 'callback',
    });
  }
  if (url.hash !== '') {
    throw new SsoError('SSO_BAD_RESPONSE', 'the sign-in answer has a fragment', {
      detail: 'callback',
    });
  }
  for (const name of ['code', 'state', 'iss', 'error', 'error_description', 'session_state']) {
    if (url.searchParams.getAll(name).length > 1) {
      throw new SsoError('SSO_BAD_RESPONSE', 'the sign-in answer repeats a parameter', {
        detail: name,
      });
    }
  }
  return url.searchParams;
}
