// `bastion-offline online`: the PAM command of plain OIDC sites (DESIGN.md "What answers the
// PAM password prompt"): the OIDC password grant as root with the password from stdin, then,
// on success, the offline verifier recorded as `store` records it. The site's settings come
// from /etc/bastion-greeter/sso.conf, the same file the greeter reads, through the one strict
// reader (main/sso/site-config.ts: every key, the file's ownership and mode); `online` takes
// the client's keys (issuer, client-id, client-secret, scopes, TLS, timeout-ms) and leaves the
// greeter's (sign-in, redirect-uri, …) to the greeter. A refused file fails the online login
// (the reason goes to the administrator).
import type { SsoConfig } from '../sso/config';
import {
  DEFAULT_SSO_CONF,
  MAX_SSO_CONF_BYTES,
  parseSiteSsoConf,
  readSiteSsoConf,
  SsoConfError,
  type SiteSsoConf,
} from '../sso/site-config';

export { DEFAULT_SSO_CONF, MAX_SSO_CONF_BYTES, SsoConfError };

/** What `online` takes of the site's settings: the password grant's client. */
export function passwordGrantConfig(site: SiteSsoConf): SsoConfig {
  const config: SsoConfig = {
    issuer: site.issuer,
    clientId: site.clientId,
    allowPasswordGrant: true,
    tls: { ...site.tls },
  };
  if (site.clientSecret !== undefined) config.clientSecret = site.clientSecret;
  if (site.scopes !== undefined) config.scopes = [...site.scopes];
  if (site.timeoutMs !== undefined) config.timeoutMs = site.timeoutMs;
  return config;
}

/** Parses sso.conf's text; throws SsoConfError naming the line (never echoing a value). */
export function parseSsoConf(text: string): SsoConfig {
  return passwordGrantConfig(parseSiteSsoConf(text));
}

/** Reads and parses sso.conf; a missing or unacceptable file is an SsoConfError. */
export function loadSsoConf(path: string): SsoConfig {
  const site = readSiteSsoConf(path);
  if (site === null) throw new SsoConfError(`sso.conf ${path} is missing`);
  return passwordGrantConfig(site);
}

/** What `online` needs of main/sso's client (SsoClient.passwordGrant fits). */
export interface PasswordGrantClient {
  passwordGrant(user: string, password: string): Promise<{ accessToken: string }>;
}

/** Builds the client from the site's settings (main/sso's createSsoClient fits). */
export type PasswordGrantClientFactory = (config: SsoConfig) => Promise<PasswordGrantClient>;

/** The outcome of the grant, for the exit status and the administrator's line. */
export type OnlineOutcome =
  { ok: true } | { ok: false; reason: 'refused' | 'unreachable' | 'error'; code: string };

const UNREACHABLE = new Set(['SSO_UNREACHABLE', 'SSO_TIMEOUT', 'SSO_DISCOVERY_FAILED']);

/**
 * The password grant for `user`. The password arrives as bytes (wiped by the caller); the
 * client takes a string, which JavaScript cannot wipe: it lives until collected, in this
 * short-lived root process only.
 */
export async function onlinePasswordGrant(
  config: SsoConfig,
  factory: PasswordGrantClientFactory,
  user: string,
  password: Buffer,
): Promise<OnlineOutcome> {
  try {
    const client = await factory(config);
    await client.passwordGrant(user, password.toString('utf8'));
    return { ok: true };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const name = typeof code === 'string' ? code : 'UNKNOWN';
    if (name === 'SSO_INVALID_GRANT' || name === 'SSO_ACCESS_DENIED') {
      return { ok: false, reason: 'refused', code: name };
    }
    if (UNREACHABLE.has(name)) return { ok: false, reason: 'unreachable', code: name };
    return { ok: false, reason: 'error', code: name };
  }
}
