// One HTTP probe of the SSO portal with undici: GET the configured URL, no redirect followed
// (undici 7's `request` follows none without the redirect interceptor, and we add none), a
// bounded part of the body read and discarded, everything under the caller's AbortSignal.
// Network failures become a `ProbeNetworkError` with a reason the monitor can log.
import { Agent, request } from 'undici';

/** What a probe learned from an HTTP answer. */
export interface ProbeAnswer {
  status: number;
}

/** Sends one probe to `url`; resolves on any HTTP answer, rejects with ProbeNetworkError. */
export type ProbeFetch = (url: URL, signal: AbortSignal) => Promise<ProbeAnswer>;

export type ProbeNetworkReason = 'dns' | 'connect' | 'tls' | 'timeout' | 'protocol';

export class ProbeNetworkError extends Error {
  readonly code = 'PROBE_NETWORK';
  readonly reason: ProbeNetworkReason;
  /** The system or library error code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED…), if any. */
  readonly detail: string | null;
  constructor(reason: ProbeNetworkReason, detail: string | null) {
    super(`portal probe failed: ${reason}${detail ? ` (${detail})` : ''}`);
    this.name = 'ProbeNetworkError';
    this.reason = reason;
    this.detail = detail;
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);

function errorCode(error: unknown): string | null {
  // undici wraps socket errors; the system code may sit on the error or on its cause.
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR_ABORTED')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Maps whatever undici or the socket threw to a reason; `aborted` means our deadline fired. */
export function classifyProbeError(error: unknown, aborted: boolean): ProbeNetworkError {
  if (error instanceof ProbeNetworkError) return error;
  if (aborted) return new ProbeNetworkError('timeout', null);
  const code = errorCode(error);
  if (code === null) return new ProbeNetworkError('protocol', null);
  if (DNS_CODES.has(code)) return new ProbeNetworkError('dns', code);
  if (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
  ) {
    return new ProbeNetworkError('tls', code);
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new ProbeNetworkError('timeout', code);
  }
  if (code.startsWith('UND_ERR')) return new ProbeNetworkError('protocol', code);
  return new ProbeNetworkError('connect', code);
}

export interface UndiciProbeFetchOptions {
  /** Most body bytes read (and discarded) before the connection is dropped. Default 16 KiB. */
  maxBodyBytes?: number;
}

export interface UndiciProbeFetch {
  fetch: ProbeFetch;
  /** Closes the probe's own connection pool (no socket outlives the monitor). */
  close(): Promise<void>;
}

/**
 * The real probe. It has its own Agent so that no keep-alive socket or global dispatcher
 * setting is shared with the rest of main, and closing it leaves nothing behind.
 */
export function createUndiciProbeFetch(options: UndiciProbeFetchOptions = {}): UndiciProbeFetch {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  const agent = new Agent({ keepAliveTimeout: 1_000, connections: 1 });
  const fetch: ProbeFetch = async (url, signal) => {
    try {
      const response = await request(url, {
        method: 'GET',
        dispatcher: agent,
        signal,
        headers: { accept: 'application/json', 'user-agent': 'bastion-greeter-probe' },
      });
      // Reads at most maxBodyBytes, then destroys the stream: we only needed the status, and
      // the portal has answered even if its body stalls or breaks off.
      await response.body.dump({ limit: maxBodyBytes, signal }).catch(() => undefined);
      return { status: response.statusCode };
    } catch (error) {
      throw classifyProbeError(error, signal.aborted);
    }
  };
  return {
    fetch,
    close: async () => {
      await agent.destroy();
    },
  };
}
