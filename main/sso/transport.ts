// Every byte main/sso sends to the portal goes through here: undici with its own Agent, the
// TLS policy (minimum version, CA file, SPKI pins checked inside the handshake), timeouts for
// connect, headers and body, a response size cap counted while streaming, and no redirect
// ever followed. openid-client and jose get `fetch` (a Fetch-API shaped view of `request`),
// so the OAuth logic stays theirs and the wire policy stays ours.
import { createHash, X509Certificate } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { Agent, request } from 'undici';
import type { ResolvedTransportSettings } from './config';
import { isLoopbackHost } from './config';
import { SsoError, findSsoError } from './errors';

export interface SsoRequestInit {
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
}

export interface SsoHttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** The subset of Fetch that openid-client (customFetch) and jose (customFetch) call. */
export type SsoFetch = (
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string> | Headers;
    body?: unknown;
    signal?: AbortSignal | null;
    redirect?: string;
  },
) => Promise<Response>;

export interface SsoTransport {
  request(url: URL, init: SsoRequestInit): Promise<SsoHttpResponse>;
  fetch: SsoFetch;
  close(): Promise<void>;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const PIN_MISMATCH = 'ERR_SSO_PIN_MISMATCH';

function errorCode(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT'
  );
}

/** Maps whatever undici, tls or net threw to an SsoError (`timedOut`: one of our deadlines fired). */
export function classifyNetworkError(error: unknown, timedOut: boolean): SsoError {
  const own = findSsoError(error);
  if (own) return own;
  if (timedOut) return new SsoError('SSO_TIMEOUT', 'the portal did not answer in time');
  const code = errorCode(error);
  if (code === PIN_MISMATCH) {
    return new SsoError('SSO_PIN_MISMATCH', "the portal's certificate key matches no pin", {
      detail: code,
    });
  }
  if (code === null) {
    return new SsoError('SSO_INTERNAL', 'the request to the portal failed', { cause: error });
  }
  if (DNS_CODES.has(code)) {
    return new SsoError('SSO_UNREACHABLE', 'the portal host name does not resolve', {
      detail: code,
    });
  }
  if (isTlsCode(code)) {
    return new SsoError('SSO_TLS_REFUSED', 'the TLS connection to the portal was refused', {
      detail: code,
    });
  }
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT'
  ) {
    return new SsoError('SSO_TIMEOUT', 'the portal did not answer in time', { detail: code });
  }
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new SsoError('SSO_CANCELLED', 'the request to the portal was cancelled', {
      detail: code,
    });
  }
  if (code === 'UND_ERR_SOCKET' || code.startsWith('E')) {
    return new SsoError('SSO_UNREACHABLE', 'the portal cannot be reached', { detail: code });
  }
  return new SsoError('SSO_BAD_RESPONSE', 'the portal answered something unreadable', {
    detail: code,
  });
}

/** SHA-256 of the certificate's SubjectPublicKeyInfo (DER): the `sha256//` pin value. */
export function spkiSha256(certDer: Buffer): Buffer {
  const spki = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest();
}

function pinCheck(pins: Buffer[]) {
  // Called by Node inside the handshake, after the chain verified and before `secureConnect`:
  // an Error returned here destroys the socket, so a pin mismatch never sees a request byte.
  return (host: string, cert: PeerCertificate): Error | undefined => {
    const identity = checkServerIdentity(host, cert);
    if (identity) return identity;
    if (pins.length === 0) return undefined;
    let digest: Buffer;
    try {
      digest = spkiSha256(cert.raw);
    } catch {
      return Object.assign(new Error('the certificate key cannot be read'), { code: PIN_MISMATCH });
    }
    if (pins.some((pin) => pin.equals(digest))) return undefined;
    return Object.assign(new Error("the portal's certificate key matches no pin"), {
      code: PIN_MISMATCH,
    });
  };
}

function lookupOverride(resolve: Map<string, string>): LookupFunction | undefined {
  if (resolve.size === 0) return undefined;
  return (hostname, options, callback) => {
    const address = resolve.get(hostname.toLowerCase());
    if (address === undefined) {
      const error = Object.assign(new Error(`no test address for ${hostname}`), {
        code: 'ENOTFOUND',
      });
      callback(error, '', 0);
      return;
    }
    const family = address.includes(':') ? 6 : 4;
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, all: { address: string; family: number }[]) => void)(null, [
        { address, family },
      ]);
    } else {
      callback(null, address, family);
    }
  };
}

/** Where a request went, for logs: method, host and path, never the query. */
function describe(method: string, url: URL): string {
  return `${method} ${url.host}${url.pathname}`;
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

export function createTransport(settings: ResolvedTransportSettings): SsoTransport {
  const agent = new Agent({
    connect: {
      timeout: settings.connectMs,
      minVersion: settings.minVersion,
      ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      rejectUnauthorized: true,
      checkServerIdentity: pinCheck(settings.pins),
      // No TLS session resumption: Node skips checkServerIdentity on a resumed session, and
      // the pin must be checked on every connection.
      maxCachedSessions: 0,
      ...(lookupOverride(settings.resolve) ? { lookup: lookupOverride(settings.resolve) } : {}),
    },
    headersTimeout: settings.headersMs,
    bodyTimeout: settings.bodyMs,
    keepAliveTimeout: 4_000,
    connections: 4,
  });
  const log = settings.log;

  const checkUrl = (url: URL): void => {
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && settings.allowLoopbackHttp && isLoopbackHost(url.hostname)) {
      return;
    }
    throw new SsoError('SSO_CONFIG_INVALID', 'only https URLs are used for the portal', {
      detail: url.protocol,
    });
  };

  const doRequest = async (url: URL, init: SsoRequestInit): Promise<SsoHttpResponse> => {
    const where = describe(init.method, url);
    const started = Date.now();
    const total = AbortSignal.timeout(settings.totalMs);
    const bodyDeadline = new AbortController();
    const signals = [total, bodyDeadline.signal];
    if (init.signal) signals.push(init.signal);
    const signal = AbortSignal.any(signals);
    const deadlineHit = (): boolean =>
      total.aborted ||
      bodyDeadline.signal.aborted ||
      (init.signal?.aborted === true &&
        (init.signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError');
    let bodyTimer: NodeJS.Timeout | undefined;
    try {
      checkUrl(url);
      const response = await request(url, {
        dispatcher: agent,
        method: init.method as 'GET',
        headers: { 'user-agent': 'bastion-greeter', ...init.headers },
        body: init.body ?? null,
        signal,
      });
      const status = response.statusCode;
      // Destroying an undici body emits an AbortError; we destroy on purpose, so it is noise.
      response.body.on('error', () => undefined);
      if (status >= 300 && status < 400) {
        response.body.destroy();
        throw new SsoError('SSO_REDIRECT_REFUSED', 'the portal answered with a redirect', {
          detail: String(status),
        });
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > settings.maxResponseBytes) {
        response.body.destroy();
        throw new SsoError('SSO_RESPONSE_TOO_LARGE', 'the portal answer is too large', {
          detail: String(declared),
        });
      }
      // undici's bodyTimeout is per chunk; a drip of one byte a second never trips it.
      bodyTimer = setTimeout(() => bodyDeadline.abort(), settings.bodyMs);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > settings.maxResponseBytes) {
          response.body.destroy();
          throw new SsoError('SSO_RESPONSE_TOO_LARGE', 'the portal answer is too large', {
            detail: `>${settings.maxResponseBytes}`,
          });
        }
        chunks.push(buf);
      }
      log(`sso: ${where} -> ${status} (${size} B, ${Date.now() - started} ms)`);
      return {
        status,
        headers: toHeaders(response.headers),
        body: Buffer.concat(chunks, size),
      };
    } catch (error) {
      const own = findSsoError(error);
      const sso = own ?? classifyNetworkError(error, deadlineHit());
      log(
        `sso: ${where} failed: ${sso.code}${sso.detail ? ` (${sso.detail})` : ''} after ${Date.now() - started} ms`,
      );
      throw sso;
    } finally {
      clearTimeout(bodyTimer);
    }
  };

  const fetch: SsoFetch = async (rawUrl, init) => {
    const url = new URL(rawUrl);
    const headers: Record<string, string> = {};
    if (init.headers instanceof Headers) {
      init.headers.forEach((value, name) => {
        headers[name] = value;
      });
    } else if (init.headers) {
      Object.assign(headers, init.headers);
    }
    let body: string | Buffer | undefined;
    const raw = init.body;
    if (raw === undefined || raw === null) body = undefined;
    else if (typeof raw === 'string') body = raw;
    else if (raw instanceof URLSearchParams) body = raw.toString();
    else if (raw instanceof Uint8Array) body = Buffer.from(raw);
    else if (raw instanceof ArrayBuffer) body = Buffer.from(raw);
    else throw new SsoError('SSO_INTERNAL', 'unsupported request body type');
    const answer = await doRequest(url, {
      method: init.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    if (answer.status < 200 || answer.status > 599) {
      throw new SsoError('SSO_BAD_RESPONSE', 'the portal answered an impossible status', {
        detail: String(answer.status),
      });
    }
    const empty = answer.status === 204 || answer.status === 205 || answer.body.length === 0;
    return new Response(empty ? null : new Uint8Array(answer.body), {
      status: answer.status,
      headers: answer.headers,
    });
  };

  return {
    request: doRequest,
    fetch,
    close: async () => {
      await agent.destroy();
    },
  };
}
