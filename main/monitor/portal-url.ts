// The portal URL the monitor probes (BASTION_PORTAL_URL), checked once at start. The greeter
// itself accepts https only: the probe's answer decides whether passwords go down the
// offline path, so it must come from the portal and not from whoever sits on the network.
// The development server also accepts plain http on loopback, for the demo and the tests.
import { isIP } from 'node:net';

export type PortalUrlErrorCode = 'PORTAL_URL_INVALID' | 'PORTAL_URL_INSECURE';

export class PortalUrlError extends Error {
  readonly code: PortalUrlErrorCode;
  constructor(code: PortalUrlErrorCode, message: string) {
    super(message);
    this.name = 'PortalUrlError';
    this.code = code;
  }
}

export interface PortalUrlRules {
  /** Accept `http://` when the host is loopback (127.0.0.0/8, ::1, localhost). */
  allowLoopbackHttp: boolean;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Parses `raw`; an empty or absent value means "no portal configured" (null). */
export function parsePortalUrl(raw: string | undefined, rules: PortalUrlRules): URL | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PortalUrlError('PORTAL_URL_INVALID', 'the portal URL is not a valid URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw new PortalUrlError('PORTAL_URL_INVALID', 'the portal URL must not carry credentials');
  }
  if (url.hash !== '') {
    throw new PortalUrlError('PORTAL_URL_INVALID', 'the portal URL must not have a fragment');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:') {
    if (rules.allowLoopbackHttp && isLoopbackHost(url.hostname)) return url;
    throw new PortalUrlError(
      'PORTAL_URL_INSECURE',
      rules.allowLoopbackHttp
        ? 'the portal URL must be https (http only on loopback)'
        : 'the portal URL must be https',
    );
  }
  throw new PortalUrlError('PORTAL_URL_INVALID', 'the portal URL must be https');
}
