// The site's SSO sign-in settings for the login screen: /etc/bastion-greeter/sso.conf, read
// with greeter.conf's grammar and reading rules (main/screens/policy.ts). Without the file,
// or with one that cannot be accepted, there is no "Sign in with SSO" (fail closed: a
// half-understood portal setting never reaches the screen).
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
//   # pins (space separated sha256//<base64>), portal-timeout-seconds (default 300).
//   # allow-loopback-http = true: an http:// issuer on loopback, for tests and the demo only.
//   # unlock-with-refresh = true: on the unlock screen, Enter with an empty password field
//   # answers the password prompt with a fresh access token from the stored refresh token
//   # (pam_openbastion sites; main/sso/TOKENS.md). Default false.
//   # allow-password-grant = true: after a password sign-in the stack accepted online, main
//   # also asks the portal for tokens with that password (resource-owner password grant) to
//   # keep a refresh token for the next unlock. Default false; needs unlock-with-refresh.
//
// Secrets (a client secret, Open Bastion's server token) do not belong in this file: the
// greeter's client is public (PKCE), as a client on a shared workstation must be.
import type { SsoMethod } from '../../preload/api';
import type { SsoConfig } from '../sso';
import { decodeUtf8, DesktopEntryError } from '../screens/desktop-entry';
import { hasControlCharacter, readBoundedFile, ReadRefusedError } from '../screens/read-bounded';

export const DEFAULT_SSO_CONF_PATH = '/etc/bastion-greeter/sso.conf';
const MAX_SSO_CONF_BYTES = 16 * 1024;
const GROUP = 'sso';
const LINE = /^([A-Za-z0-9-]+)[ \t]*=[ \t]*(.*?)[ \t]*$/;
const KEYS = new Set([
  'issuer',
  'client-id',
  'sign-in',
  'redirect-uri',
  'scopes',
  'tls-min-version',
  'ca-file',
  'pins',
  'portal-timeout-seconds',
  'allow-loopback-http',
  'unlock-with-refresh',
  'allow-password-grant',
]);

export interface SsoSignInSettings {
  /** What main/sso's client is created with (without redirectUri: the portal view's). */
  client: Omit<SsoConfig, 'redirectUri' | 'log'>;
  methods: SsoMethod[];
  /** Only when `portal` is offered. */
  redirectUri: string | null;
  portalTimeoutMs: number;
  /** `unlock-with-refresh = true`: Enter with an empty field on the unlock screen refreshes. */
  unlockWithRefresh: boolean;
  /** `allow-password-grant = true` (with unlock-with-refresh): keep tokens after a password. */
  passwordGrantAfterSignIn: boolean;
}

/** Parses sso.conf's text; null (no SSO sign-in) when it is incomplete or wrong. Never throws. */
export function parseSsoSettings(
  text: string,
  log: (line: string) => void = () => undefined,
): SsoSignInSettings | null {
  const values = new Map<string, string>();
  let group: string | null = null;
  let refused = false;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    const where = `sso.conf: line ${n + 1}`;
    if (line.trim() === '' || /^[ \t]*[#;]/.test(line)) continue;
    const header = /^\[([^\]]*)\]$/.exec(line.trim());
    if (header) {
      group = header[1]!;
      if (group !== GROUP) log(`${where}: unknown group [${group}] ignored`);
      continue;
    }
    const entry = LINE.exec(line);
    if (!entry || group !== GROUP) {
      log(`${where}: ignored`);
      continue;
    }
    const [, key, value] = entry as unknown as [string, string, string];
    if (!KEYS.has(key)) {
      log(`${where}: unknown key ${key} ignored`);
      continue;
    }
    if (values.has(key)) {
      log(`${where}: ${key} repeated; the file is refused`);
      refused = true;
      continue;
    }
    if (hasControlCharacter(value, '')) {
      log(`${where}: ${key} has control characters; the file is refused`);
      refused = true;
      continue;
    }
    values.set(key, value);
  }
  if (refused) return null;
  const issuer = values.get('issuer') ?? '';
  const clientId = values.get('client-id') ?? '';
  if (issuer === '' || clientId === '') {
    log('sso.conf: issuer and client-id are required; no SSO sign-in');
    return null;
  }
  const methods: SsoMethod[] = [];
  for (const word of (values.get('sign-in') ?? '').split(/[ \t,]+/).filter(Boolean)) {
    if ((word !== 'device' && word !== 'portal') || methods.includes(word)) {
      log(`sso.conf: sign-in: ${word} is not device or portal (or repeated); no SSO sign-in`);
      return null;
    }
    methods.push(word);
  }
  const redirectUri = values.get('redirect-uri') ?? null;
  if (methods.includes('portal')) {
    let ok = false;
    try {
      const url = new URL(redirectUri ?? '');
      ok = url.hash === '' && url.search === '' && url.username === '' && url.password === '';
    } catch {
      ok = false;
    }
    if (!ok) {
      log('sso.conf: sign-in = portal needs a plain redirect-uri; no SSO sign-in');
      return null;
    }
  }
  const tlsMin = values.get('tls-min-version');
  if (tlsMin !== undefined && tlsMin !== 'TLSv1.3' && tlsMin !== 'TLSv1.2') {
    log('sso.conf: tls-min-version is not TLSv1.3 or TLSv1.2; no SSO sign-in');
    return null;
  }
  const loopback = values.get('allow-loopback-http');
  if (loopback !== undefined && loopback !== 'true' && loopback !== 'false') {
    log('sso.conf: allow-loopback-http is not true or false; no SSO sign-in');
    return null;
  }
  const flags: Record<'unlock-with-refresh' | 'allow-password-grant', boolean> = {
    'unlock-with-refresh': false,
    'allow-password-grant': false,
  };
  for (const key of Object.keys(flags) as (keyof typeof flags)[]) {
    const raw = values.get(key);
    if (raw !== undefined && raw !== 'true' && raw !== 'false') {
      log(`sso.conf: ${key} is not true or false; no SSO sign-in`);
      return null;
    }
    flags[key] = raw === 'true';
  }
  if (flags['allow-password-grant'] && !flags['unlock-with-refresh']) {
    log('sso.conf: allow-password-grant needs unlock-with-refresh = true; no SSO sign-in');
    return null;
  }
  const timeout = values.get('portal-timeout-seconds');
  if (timeout !== undefined && !/^[1-9][0-9]{0,3}$/.test(timeout)) {
    log('sso.conf: portal-timeout-seconds is not 1..9999; no SSO sign-in');
    return null;
  }
  const caFile = values.get('ca-file');
  const pins = (values.get('pins') ?? '').split(/[ \t]+/).filter(Boolean);
  const scopes = (values.get('scopes') ?? '').split(/[ \t]+/).filter(Boolean);
  return {
    client: {
      issuer,
      clientId,
      ...(scopes.length > 0 ? { scopes } : {}),
      tls: {
        ...(tlsMin ? { minVersion: tlsMin } : {}),
        ...(caFile ? { caFile } : {}),
        ...(pins.length > 0 ? { pins } : {}),
        allowLoopbackHttp: loopback === 'true',
      },
      ...(flags['allow-password-grant'] ? { allowPasswordGrant: true } : {}),
    },
    methods,
    redirectUri: methods.includes('portal') ? redirectUri : null,
    portalTimeoutMs: (timeout === undefined ? 300 : Number(timeout)) * 1000,
    unlockWithRefresh: flags['unlock-with-refresh'],
    passwordGrantAfterSignIn: flags['allow-password-grant'],
  };
}

/** Reads sso.conf (absent → null, quietly; refused → null, logged). Never throws. */
export function loadSsoSettings(
  path: string = DEFAULT_SSO_CONF_PATH,
  log: (line: string) => void = () => undefined,
): SsoSignInSettings | null {
  let bytes: Buffer | null;
  try {
    bytes = readBoundedFile(path, MAX_SSO_CONF_BYTES);
  } catch (error) {
    const reason = error instanceof ReadRefusedError ? error.message : (error as Error).name;
    log(`sso.conf: ${path} refused (${reason}); no SSO sign-in`);
    return null;
  }
  if (bytes === null) return null;
  try {
    return parseSsoSettings(decodeUtf8(bytes).replace(/^\uFEFF/, ''), log);
  } catch (error) {
    if (!(error instanceof DesktopEntryError)) throw error;
    log(`sso.conf: ${path} refused (not valid UTF-8); no SSO sign-in`);
    return null;
  }
}
