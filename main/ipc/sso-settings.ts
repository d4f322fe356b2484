// The site's SSO sign-in settings for the login screen: /etc/bastion-greeter/sso.conf, read
// strictly. Without the file, or with one that cannot be accepted (an unknown key included),
// there is no "Sign in with SSO" (fail closed: a half-understood portal setting never reaches
// the screen).
//
//   [sso]
//   # The OIDC issuer (https; discovery reads its well-known document).
//   issuer = https://auth.example.com
//   client-id = bastion-greeter
//   # The sign-in actions the login screen offers, in this order: `device` (a QR code to
//   # approve from a phone, RFC 8628) and/or `portal` (the portal's own page, code + PKCE).
//   sign-in = device portal
//   # The redirect URI registered for `portal` (exact match at the portal). Electron catches
//   # it before it loads; the Chromium fallback listens on 127.0.0.1 for it (RFC 8252 §7.3).
//   redirect-uri = http://127.0.0.1/callback
//   # Optional: scopes (space separated), tls-min-version (TLSv1.3 | TLSv1.2), ca-file (PEM),
//   # pins (space separated sha256//<base64>), timeout-ms (1000..120000),
//   # portal-timeout-seconds (default 300).
//   # allow-loopback-http = true: an http:// issuer on loopback, for tests and the demo only.
//   # unlock-with-refresh = true: on the unlock screen, beside the person's password unlock,
//   # refresh the stored tokens (kept fresh, revalidated, online/offline decided); a refresh
//   # token never answers PAM (main/sso/TOKENS.md). Default false.
//   # allow-password-grant = true: after a password sign-in the stack accepted online, main
//   # also asks the portal for tokens with that password (resource-owner password grant) to
//   # keep a refresh token for the next unlock. Default false; needs unlock-with-refresh.
//
// The file is read by main/sso/site-config.ts, the one strict reader it shares with
// `bastion-offline online` (which alone takes client-secret: the greeter's client is public,
// PKCE, as a client on a shared workstation must be, so it never uses a secret — and
// a file holding one is root-only, which leaves the greeter without SSO sign-in).
import type { SsoMethod } from '../../preload/api';
import type { SsoConfig } from '../sso';
import {
  DEFAULT_SSO_CONF,
  parseSiteSsoConf,
  readSiteSsoConf,
  SsoConfError,
  type SiteSsoConf,
} from '../sso/site-config';

export const DEFAULT_SSO_CONF_PATH = DEFAULT_SSO_CONF;

export interface SsoSignInSettings {
  /** What main/sso's client is created with (without redirectUri: the portal view's). */
  client: Omit<SsoConfig, 'redirectUri' | 'log'>;
  methods: SsoMethod[];
  /** Only when `portal` is offered. */
  redirectUri: string | null;
  portalTimeoutMs: number;
  /** `unlock-with-refresh = true`: a password unlock refreshes the stored tokens alongside. */
  unlockWithRefresh: boolean;
  /** `allow-password-grant = true` (with unlock-with-refresh): keep tokens after a password. */
  passwordGrantAfterSignIn: boolean;
}

/** What the greeter takes of the site's settings. */
export function signInSettings(site: SiteSsoConf): SsoSignInSettings {
  return {
    client: {
      issuer: site.issuer,
      clientId: site.clientId,
      ...(site.scopes ? { scopes: [...site.scopes] } : {}),
      tls: {
        ...(site.tls.minVersion ? { minVersion: site.tls.minVersion } : {}),
        ...(site.tls.caFile ? { caFile: site.tls.caFile } : {}),
        ...(site.tls.pins ? { pins: [...site.tls.pins] } : {}),
        allowLoopbackHttp: site.tls.allowLoopbackHttp === true,
      },
      ...(site.timeoutMs !== undefined ? { timeoutMs: site.timeoutMs } : {}),
      ...(site.allowPasswordGrant ? { allowPasswordGrant: true } : {}),
    },
    methods: [...site.signIn],
    redirectUri: site.signIn.includes('portal') ? site.redirectUri : null,
    portalTimeoutMs: site.portalTimeoutSeconds * 1000,
    unlockWithRefresh: site.unlockWithRefresh,
    passwordGrantAfterSignIn: site.allowPasswordGrant,
  };
}

/** Parses sso.conf's text; null (no SSO sign-in) when it is incomplete or wrong. Never throws. */
export function parseSsoSettings(
  text: string,
  log: (line: string) => void = () => undefined,
): SsoSignInSettings | null {
  try {
    return signInSettings(parseSiteSsoConf(text));
  } catch (error) {
    if (!(error instanceof SsoConfError)) throw error;
    log(`${error.message}; no SSO sign-in`);
    return null;
  }
}

/** Reads sso.conf (absent → null, quietly; refused → null, logged). Never throws. */
export function loadSsoSettings(
  path: string = DEFAULT_SSO_CONF_PATH,
  log: (line: string) => void = () => undefined,
): SsoSignInSettings | null {
  try {
    const site = readSiteSsoConf(path);
    return site === null ? null : signInSettings(site);
  } catch (error) {
    const reason = error instanceof SsoConfError ? error.message : (error as Error).name;
    log(`sso.conf: ${path} refused (${reason}); no SSO sign-in`);
    return null;
  }
}
