// The site's SSO settings, /etc/bastion-greeter/sso.conf: ONE strict reader for both users —
// the greeter (main/ipc/sso-settings.ts: "Sign in with SSO", refresh at unlock) and the CLI
// (main/cli/sso-online.ts: `bastion-offline online`, the password grant as root). Each takes
// what it needs; every key either may meet is known here, so one file serves both.
//
//   [sso]
//   issuer = https://auth.example.com        required; https (http only with the next key)
//   allow-loopback-http = false              an http:// issuer on loopback: tests, the demo
//   client-id = bastion-greeter              required
//   client-secret = …                        CLI only (confidential client); makes the file
//                                            root-only (0600), so the greeter cannot read it
//   scopes = openid profile offline_access   space separated
//   tls-min-version = TLSv1.3                or TLSv1.2 (a weakening: say why)
//   ca-file = /etc/bastion-greeter/portal-ca.pem
//   pins = sha256//<base64> …                SPKI pins, space separated
//   timeout-ms = 20000                       whole request, 1000..120000
//   sign-in = device portal                  greeter: the login screen's SSO actions
//   redirect-uri = http://127.0.0.1/callback greeter: needed by sign-in = portal
//   portal-timeout-seconds = 300             greeter: 1..9999
//   unlock-with-refresh = false              greeter: refresh beside a password unlock
//   allow-password-grant = false             greeter: keep tokens after a password unlock
//                                            (needs unlock-with-refresh)
//
// Strict, because this file decides who logs in: an unknown group or key, a repeated key, a
// line that is not `key = value`, an empty value or one with control characters, a bad value
// → the whole file is refused (SsoConfError naming the line, never echoing a value). The file
// must be a regular file (no symlink), at most 64 KiB, owned by root or the reader, not
// writable by group or others, reached through trusted parents; with a client-secret, not
// readable by them either.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { SsoMethod } from '../../preload/api';
import { OfflineCacheError, OfflineCode } from '../offline/codes';
import { checkParents, effectiveUid } from '../offline/secure-fs';

export const DEFAULT_SSO_CONF = '/etc/bastion-greeter/sso.conf';
export const MAX_SSO_CONF_BYTES = 64 * 1024;

export class SsoConfError extends Error {
  readonly code = 'SSO_CONF_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SsoConfError';
  }
}

/** Every setting of sso.conf, checked; optional ones absent when the file does not set them. */
export interface SiteSsoConf {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes?: string[];
  tls: {
    minVersion?: 'TLSv1.2' | 'TLSv1.3';
    caFile?: string;
    pins?: string[];
    allowLoopbackHttp?: boolean;
  };
  timeoutMs?: number;
  /** The login screen's SSO actions, in order (empty: none offered). */
  signIn: SsoMethod[];
  /** Set (and plain: no query, fragment or credentials) whenever signIn has `portal`. */
  redirectUri: string | null;
  portalTimeoutSeconds: number;
  unlockWithRefresh: boolean;
  allowPasswordGrant: boolean;
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
  'sign-in',
  'redirect-uri',
  'portal-timeout-seconds',
  'unlock-with-refresh',
  'allow-password-grant',
]);
const LINE = /^([a-z-]+)[ \t]*=[ \t]*(.*?)[ \t]*$/;
const PIN = /^sha256\/\/[A-Za-z0-9+/]{43}=$/;

function flag(values: Map<string, string>, key: string): boolean | undefined {
  const raw = values.get(key);
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false')
    throw new SsoConfError(`sso.conf: ${key} must be true or false`);
  return raw === 'true';
}

/** Parses sso.conf's text; throws SsoConfError naming the line (never echoing a value). */
export function parseSiteSsoConf(text: string): SiteSsoConf {
  const values = new Map<string, string>();
  let group: string | null = null;
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw, index) => {
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
  const words = (key: string): string[] | undefined => values.get(key)?.split(/[ \t]+/);

  const conf: SiteSsoConf = {
    issuer,
    clientId,
    tls: {},
    signIn: [],
    redirectUri: null,
    portalTimeoutSeconds: 300,
    unlockWithRefresh: flag(values, 'unlock-with-refresh') ?? false,
    allowPasswordGrant: flag(values, 'allow-password-grant') ?? false,
  };
  const secret = values.get('client-secret');
  if (secret !== undefined) conf.clientSecret = secret;
  const scopes = words('scopes');
  if (scopes !== undefined) conf.scopes = scopes;
  const min = values.get('tls-min-version');
  if (min !== undefined) {
    if (min !== 'TLSv1.2' && min !== 'TLSv1.3') {
      throw new SsoConfError('sso.conf: tls-min-version must be TLSv1.2 or TLSv1.3');
    }
    conf.tls.minVersion = min;
  }
  const ca = values.get('ca-file');
  if (ca !== undefined) {
    if (!ca.startsWith('/')) throw new SsoConfError('sso.conf: ca-file must be an absolute path');
    conf.tls.caFile = ca;
  }
  const pins = words('pins');
  if (pins !== undefined) {
    if (pins.some((pin) => !PIN.test(pin))) {
      throw new SsoConfError('sso.conf: pins must be sha256//<base64 of 32 bytes>');
    }
    conf.tls.pins = pins;
  }
  const loopback = flag(values, 'allow-loopback-http');
  if (loopback !== undefined) conf.tls.allowLoopbackHttp = loopback;
  const timeout = values.get('timeout-ms');
  if (timeout !== undefined) {
    const ms = /^[0-9]{1,6}$/.test(timeout) ? Number(timeout) : NaN;
    if (!(ms >= 1_000 && ms <= 120_000)) {
      throw new SsoConfError('sso.conf: timeout-ms must be 1000..120000');
    }
    conf.timeoutMs = ms;
  }
  for (const word of words('sign-in') ?? []) {
    if ((word !== 'device' && word !== 'portal') || conf.signIn.includes(word)) {
      throw new SsoConfError('sso.conf: sign-in takes device and/or portal, once each');
    }
    conf.signIn.push(word);
  }
  const redirect = values.get('redirect-uri');
  if (redirect !== undefined) {
    let plain = false;
    try {
      const url = new URL(redirect);
      plain = url.hash === '' && url.search === '' && url.username === '' && url.password === '';
    } catch {
      plain = false;
    }
    if (!plain) throw new SsoConfError('sso.conf: redirect-uri must be a plain URL');
    conf.redirectUri = redirect;
  }
  if (conf.signIn.includes('portal') && conf.redirectUri === null) {
    throw new SsoConfError('sso.conf: sign-in = portal needs redirect-uri');
  }
  const portalTimeout = values.get('portal-timeout-seconds');
  if (portalTimeout !== undefined) {
    if (!/^[1-9][0-9]{0,3}$/.test(portalTimeout)) {
      throw new SsoConfError('sso.conf: portal-timeout-seconds must be 1..9999');
    }
    conf.portalTimeoutSeconds = Number(portalTimeout);
  }
  if (conf.allowPasswordGrant && !conf.unlockWithRefresh) {
    throw new SsoConfError('sso.conf: allow-password-grant needs unlock-with-refresh = true');
  }
  return conf;
}

/**
 * Reads and parses sso.conf. null: there is no such file. Anything else wrong (see the header)
 * is an SsoConfError.
 */
export function readSiteSsoConf(path: string, euid: number = effectiveUid()): SiteSsoConf | null {
  try {
    if (!checkParents(path, 'sso.conf', OfflineCode.INVALID, euid)) return null;
  } catch (error) {
    if (error instanceof OfflineCacheError) throw new SsoConfError(error.reason);
    throw error;
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted in place of the file must not hang the reader.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new SsoConfError(`sso.conf ${path} is a symlink`);
    throw new SsoConfError(`sso.conf ${path}: unreadable (${code ?? 'error'})`);
  }
  let bytes: Buffer | null = null;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SsoConfError(`sso.conf ${path} is not a regular file`);
    if (st.uid !== 0 && st.uid !== euid) {
      throw new SsoConfError(`sso.conf ${path} is owned by uid ${st.uid}, not root`);
    }
    if ((st.mode & 0o022) !== 0) {
      throw new SsoConfError(`sso.conf ${path} is group/world writable`);
    }
    if (st.size > MAX_SSO_CONF_BYTES) {
      throw new SsoConfError(`sso.conf ${path} is larger than ${MAX_SSO_CONF_BYTES} bytes`);
    }
    bytes = Buffer.alloc(st.size + 1);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, bytes, filled, bytes.length - filled, null);
      if (n === 0) break;
      filled += n;
      if (filled === bytes.length) throw new SsoConfError(`sso.conf ${path} grew while read`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, filled));
    } catch {
      throw new SsoConfError(`sso.conf ${path} is not UTF-8`);
    }
    const conf = parseSiteSsoConf(text);
    // A client secret must not be readable by the greeter account or anyone else.
    if (conf.clientSecret !== undefined && (st.mode & 0o077) !== 0) {
      throw new SsoConfError(
        `sso.conf ${path} holds client-secret but is group/world accessible (make it 0600)`,
      );
    }
    return conf;
  } finally {
    bytes?.fill(0); // it may hold a client secret
    closeSync(fd);
  }
}
