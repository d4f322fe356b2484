// The SSO client's settings and their checks, done once when a client is created: a bad
// setting is SSO_CONFIG_INVALID before any byte goes on the wire.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { SsoError } from './errors';

export interface SsoTlsPolicy {
  /**
   * Lowest TLS version accepted. Default 'TLSv1.3'. 'TLSv1.2' is a weakening for portals
   * that cannot do 1.3 yet (TLS 1.2 allows weaker key exchanges and ciphers); say why in the
   * site's configuration when you set it.
   */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** PEM file of the CA(s) to trust instead of the system roots. */
  caFile?: string;
  /**
   * Public-key pins of the portal's certificate, `sha256//<base64 of SHA-256(SPKI DER)>` (curl's
   * and Open Bastion's `cert_pin` form). When set, the leaf certificate's key must match one
   * of them, checked during the handshake: a mismatch ends the connection before any request
   * byte is sent. Pinning is on top of the CA check, never instead of it.
   */
  pins?: string[];
  /**
   * Accept `http://` to the literal loopback addresses 127.0.0.1 and [::1] only: tests and the
   * demo. Never a name (`localhost` is whatever the resolver says it is).
   */
  allowLoopbackHttp?: boolean;
}

export interface SsoTimeouts {
  /** TCP + TLS handshake. Default 5000 ms. */
  connectMs?: number;
  /** From the request sent to the response headers. Default 10 000 ms. */
  headersMs?: number;
  /** From the headers to the last body byte (a slow drip is cut here). Default 10 000 ms. */
  bodyMs?: number;
}

export interface SsoConfig {
  /** The OIDC issuer (`https://auth.example.com`); discovery reads its well-known document. */
  issuer: string;
  clientId: string;
  /** Confidential clients only (client_secret_basic). Never logged. */
  clientSecret?: string;
  /** Default ['openid', 'profile', 'offline_access']. */
  scopes?: string[];
  /** The redirect URI registered for the authorization code flow (exact match). */
  redirectUri?: string;
  tls?: SsoTlsPolicy;
  /** Whole-request deadline (connect + headers + body). Default 20 000 ms. */
  timeoutMs?: number;
  timeouts?: SsoTimeouts;
  /** Largest response body read; beyond it SSO_RESPONSE_TOO_LARGE. Default 256 KiB. */
  maxResponseBytes?: number;
  /** The site allows the resource-owner password grant (plain OIDC sites). Default false. */
  allowPasswordGrant?: boolean;
  /** Clock skew tolerated on ID token times (exp, iat, nbf). Default 60 s. */
  clockSkewSeconds?: number;
  openBastion?: { serverToken?: string; signingSecret?: string };
  /**
   * TEST/DEV ONLY: host name → IP address used instead of DNS, so a rig reaches
   * `auth.example.com` on 127.0.0.1 without editing /etc/hosts. SNI, the Host header and the
   * certificate check still use the URL's host name.
   */
  resolve?: Record<string, string>;
  /** Diagnostic lines: endpoint and error code only, never tokens or secrets. */
  log?: (line: string) => void;
}

export interface ResolvedTransportSettings {
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  ca: string | undefined;
  /** Raw SHA-256 digests (32 bytes each) of the accepted SPKIs; empty = no pinning. */
  pins: Buffer[];
  allowLoopbackHttp: boolean;
  connectMs: number;
  headersMs: number;
  bodyMs: number;
  totalMs: number;
  maxResponseBytes: number;
  resolve: Map<string, string>;
  log: (line: string) => void;
}

const PIN_PREFIX = 'sha256//';

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SsoError('SSO_CONFIG_INVALID', `${name} must be a positive integer`);
  }
  return value;
}

/** `sha256//<base64>` → the 32-byte digest; anything else is a configuration error. */
export function parsePin(pin: string): Buffer {
  if (!pin.startsWith(PIN_PREFIX)) {
    throw new SsoError('SSO_CONFIG_INVALID', 'a certificate pin must start with sha256//');
  }
  const b64 = pin.slice(PIN_PREFIX.length);
  // Standard alphabet, padding optional (Open Bastion accepts 43 or 44 characters).
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(b64)) {
    throw new SsoError(
      'SSO_CONFIG_INVALID',
      'a certificate pin must be sha256//<base64 of 32 bytes>',
    );
  }
  const digest = Buffer.from(b64, 'base64');
  if (digest.length !== 32) {
    throw new SsoError(
      'SSO_CONFIG_INVALID',
      'a certificate pin must be sha256//<base64 of 32 bytes>',
    );
  }
  return digest;
}

/**
 * Whether plain http may go to `hostname`: the literal 127.0.0.1 or ::1 only. Not `localhost`
 * (resolved through /etc/hosts and NSS, which may send it elsewhere), and not the rest of
 * 127.0.0.0/8 (no test needs it; one address is one thing to reason about). `hostname` is a
 * WHATWG URL's, which already normalised `0x7f.1` and friends to dotted decimal.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host =
    hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (isIP(host) === 4) return host === '127.0.0.1';
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** The issuer as a URL: https (or loopback http when allowed), no credentials/query/fragment. */
export function parseIssuer(raw: string, allowLoopbackHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsoError('SSO_CONFIG_INVALID', 'the issuer is not a valid URL');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new SsoError(
      'SSO_CONFIG_INVALID',
      'the issuer must not carry credentials, a query or a fragment',
    );
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowLoopbackHttp && isLoopbackHost(url.hostname)) return url;
  throw new SsoError('SSO_CONFIG_INVALID', 'the issuer must be https');
}

export function resolveTransportSettings(config: {
  tls?: SsoTlsPolicy;
  timeoutMs?: number;
  timeouts?: SsoTimeouts;
  maxResponseBytes?: number;
  resolve?: Record<string, string>;
  log?: (line: string) => void;
}): ResolvedTransportSettings {
  const tls = config.tls ?? {};
  const minVersion = tls.minVersion ?? 'TLSv1.3';
  if (minVersion !== 'TLSv1.3' && minVersion !== 'TLSv1.2') {
    throw new SsoError('SSO_CONFIG_INVALID', 'tls.minVersion must be TLSv1.2 or TLSv1.3');
  }
  let ca: string | undefined;
  if (tls.caFile !== undefined) {
    try {
      ca = readFileSync(tls.caFile, 'utf8');
    } catch (cause) {
      throw new SsoError('SSO_CONFIG_INVALID', 'the CA file cannot be read', { cause });
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new SsoError('SSO_CONFIG_INVALID', 'the CA file holds no PEM certificate');
    }
  }
  const resolve = new Map<string, string>();
  for (const [host, address] of Object.entries(config.resolve ?? {})) {
    if (isIP(address) === 0) {
      throw new SsoError('SSO_CONFIG_INVALID', 'resolve maps a host to something not an IP');
    }
    resolve.set(host.toLowerCase(), address);
  }
  return {
    minVersion,
    ca,
    pins: (tls.pins ?? []).map(parsePin),
    allowLoopbackHttp: tls.allowLoopbackHttp === true,
    connectMs: positive(config.timeouts?.connectMs, 5_000, 'timeouts.connectMs'),
    headersMs: positive(config.timeouts?.headersMs, 10_000, 'timeouts.headersMs'),
    bodyMs: positive(config.timeouts?.bodyMs, 10_000, 'timeouts.bodyMs'),
    totalMs: positive(config.timeoutMs, 20_000, 'timeoutMs'),
    maxResponseBytes: positive(config.maxResponseBytes, 256 * 1024, 'maxResponseBytes'),
    resolve,
    log: config.log ?? ((line) => console.error(line)),
  };
}
