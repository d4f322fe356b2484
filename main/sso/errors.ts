// Typed errors of the SSO client. One code per outcome a caller (login screen, monitor, tray)
// must react to differently; the screens show their own sentence per code (renderer/i18n
// `sso`), so the English `message` here is for logs and never carries token material.
import type { SsoErrorCode } from '../../preload/api';

export type { SsoErrorCode };

/** Every code, for exhaustive tests and for validating a code read back from elsewhere. */
export const SSO_ERROR_CODES = [
  'SSO_CONFIG_INVALID',
  'SSO_DISCOVERY_FAILED',
  'SSO_TLS_REFUSED',
  'SSO_PIN_MISMATCH',
  'SSO_TIMEOUT',
  'SSO_UNREACHABLE',
  'SSO_RESPONSE_TOO_LARGE',
  'SSO_BAD_RESPONSE',
  'SSO_REDIRECT_REFUSED',
  'SSO_INVALID_GRANT',
  'SSO_TOKEN_REJECTED',
  'SSO_ID_TOKEN_INVALID',
  'SSO_STATE_MISMATCH',
  'SSO_ISSUER_MISMATCH',
  'SSO_ACCESS_DENIED',
  'SSO_DEVICE_EXPIRED',
  'SSO_NOT_ALLOWED',
  'SSO_CANCELLED',
  'SSO_HOST_NOT_ENROLLED',
  'SSO_INTERNAL',
] as const satisfies readonly SsoErrorCode[];

const allListed: [Exclude<SsoErrorCode, (typeof SSO_ERROR_CODES)[number]>] extends [never]
  ? true
  : false = true;
void allListed;

/** Codes that mean "the portal did not answer": the monitor's portal-unreachable state. */
export const SSO_UNREACHABLE_CODES: ReadonlySet<SsoErrorCode> = new Set<SsoErrorCode>([
  'SSO_UNREACHABLE',
  'SSO_TIMEOUT',
  'SSO_DISCOVERY_FAILED',
]);

export class SsoError extends Error {
  readonly code: SsoErrorCode;
  /**
   * A short machine detail for logs (a socket or OAuth error code such as ECONNREFUSED or
   * invalid_grant, an HTTP status), never a token, password or secret.
   */
  readonly detail: string | null;
  constructor(
    code: SsoErrorCode,
    message: string,
    options: { detail?: string | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SsoError';
    this.code = code;
    this.detail = options.detail ?? null;
  }
}

export function isSsoError(error: unknown): error is SsoError {
  return error instanceof SsoError;
}

/** The first SsoError in `error`'s cause chain (libraries wrap what our fetch threw). */
export function findSsoError(error: unknown): SsoError | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e instanceof SsoError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
