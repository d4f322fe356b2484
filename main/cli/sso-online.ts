// `bastion-offline online`: the PAM command of plain OIDC sites (DESIGN.md "What answers the
// PAM password prompt"): the OIDC password grant as root with the password from stdin, then,
// on success, the offline verifier recorded as `store` records it. The site's settings come
// from one root-owned file, /etc/bastion-greeter/sso.conf, read strictly:
//
//   [sso]
//   issuer = https://auth.example.com        # required; https (http only on loopback, below)
//   client-id = bastion-greeter               # required
//   client-secret = …                         # confidential clients only
//   scopes = openid profile                   # space separated; default: the client's
//   tls-min-version = TLSv1.3                 # or TLSv1.2 (a weakening: say why)
//   ca-file = /etc/bastion-greeter/portal-ca.pem
//   pins = sha256//AAAA… sha256//BBBB…        # space separated SPKI pins
//   timeout-ms = 20000                        # 1000..120000
//   allow-loopback-http = false               # tests and the demo only
//
// Strict, because this file decides who logs in: an unknown group or key, a repeated key, a
// line that is not `key = value`, a bad value, a file that is not a regular file owned by the
// effective user (root under pam_exec seteuid) with no group/world access, or over 64 KiB →
// the whole file is refused and the online login fails (the reason goes to the administrator).
import type { SsoConfig } from '../sso/config';
import { OfflineCacheError, OfflineCode } from '../offline/codes';
import { readPrivateFile } from '../offline/secure-fs';

export const DEFAULT_SSO_CONF = '/etc/bastion-greeter/sso.conf';
export const MAX_SSO_CONF_BYTES = 64 * 1024;

export class SsoConfError extends Error {
  readonly code = 'SSO_CONF_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SsoConfError';
  }
}

const KEYS = new Set([
  'issuer',
  'client-id',
  'client-secret',
  'scopes',
  'tls-min-version',
  'ca-file',
  'pins',
  'timeout-ms',
  'allow-loopback-http',
]);
const LINE = /^([a-z-]+)[ \t]*=[ \t]*(.*?)[ \t]*$/;

/** Parses sso.conf's text; throws SsoConfError naming the line (never echoing a value). */
export function parseSsoConf(text: string): SsoConfig {
  const values = new Map<string, string>();
  let group: string | null = null;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const where = `sso.conf line ${index + 1}`;
    if (line.trim() === '' || /^[ \t]*[#;]/.test(line)) return;
    const header = /^\[([^\]]*)\]$/.exec(line.trim());
    if (header) {
      group = header[1]!;
      if (group !== 'sso') throw new SsoConfError(`${where}: unknown group [${group}]`);
      return;
    }
    const entry = LINE.exec(line);
    if (!entry) throw new SsoConfError(`${where}: not a key = value line`);
    const [, key, value] = entry as unknown as [string, string, string];
    if (group !== 'sso') throw new SsoConfError(`${where}: ${key} outside [sso]`);
    if (!KEYS.has(key)) throw new SsoConfError(`${where}: unknown key ${key}`);
    if (values.has(key)) throw new SsoConfError(`${where}: ${key} repeated`);
    if (value === '' || [...value].some((c) => c < ' ' || c === '\x7f')) {
      throw new SsoConfError(`${where}: ${key} is empty or has control characters`);
    }
    values.set(key, value);
  });
  const issuer = values.get('issuer');
  const clientId = values.get('client-id');
  if (issuer === undefined) throw new SsoConfError('sso.conf: issuer is required');
  if (clientId === undefined) throw new SsoConfError('sso.conf: client-id is required');
  const config: SsoConfig = { issuer, clientId, allowPasswordGrant: true, tls: {} };
  const tls = config.tls!;
  const secret = values.get('client-secret');
  if (secret !== undefined) config.clientSecret = secret;
  const scopes = values.get('scopes');
  if (scopes !== undefined) config.scopes = scopes.split(/[ \t]+/);
  const min = values.get('tls-min-version');
  if (min !== undefined) {
    if (min !== 'TLSv1.2' && min !== 'TLSv1.3') {
      throw new SsoConfError('sso.conf: tls-min-version must be TLSv1.2 or TLSv1.3');
    }
    tls.minVersion = min;
  }
  const ca = values.get('ca-file');
  if (ca !== undefined) {
    if (!ca.startsWith('/')) throw new SsoConfError('sso.conf: ca-file must be an absolute path');
    tls.caFile = ca;
  }
  const pins = values.get('pins');
  if (pins !== undefined) {
    tls.pins = pins.split(/[ \t]+/);
    if (tls.pins.some((pin) => !/^sha256\/\/[A-Za-z0-9+/]{43}=$/.test(pin))) {
      throw new SsoConfError('sso.conf: pins must be sha256//<base64 of 32 bytes>');
    }
  }
  const timeout = values.get('timeout-ms');
  if (timeout !== undefined) {
    const ms = /^[0-9]{1,6}$/.test(timeout) ? Number(timeout) : NaN;
    if (!(ms >= 1_000 && ms <= 120_000)) {
      throw new SsoConfError('sso.conf: timeout-ms must be 1000..120000');
    }
    config.timeoutMs = ms;
  }
  const loopback = values.get('allow-loopback-http');
  if (loopback !== undefined) {
    if (loopback !== 'true' && loopback !== 'false') {
      throw new SsoConfError('sso.conf: allow-loopback-http must be true or false');
    }
    tls.allowLoopbackHttp = loopback === 'true';
  }
  return config;
}

/** Reads and parses sso.conf; a missing or unacceptable file is an SsoConfError. */
export function loadSsoConf(path: string): SsoConfig {
  let bytes: Buffer | null;
  try {
    bytes = readPrivateFile(path, {
      what: 'sso.conf',
      maxBytes: MAX_SSO_CONF_BYTES,
      badCode: OfflineCode.INVALID,
    });
  } catch (error) {
    throw new SsoConfError(
      error instanceof OfflineCacheError ? error.reason : `sso.conf ${path}: unreadable`,
    );
  }
  if (bytes === null) throw new SsoConfError(`sso.conf ${path} is missing`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SsoConfError(`sso.conf ${path} is not UTF-8`);
  } finally {
    bytes.fill(0); // it may hold a client secret
  }
  return parseSsoConf(text);
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
