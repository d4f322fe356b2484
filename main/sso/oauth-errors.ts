// openid-client / oauth4webapi failures → SsoError. What our transport threw is found in the
// cause chain and kept as it was (a pin mismatch stays SSO_PIN_MISMATCH, not "something went
// wrong"); OAuth error bodies map by their `error` value; the rest by the library's code.
import {
  AuthorizationResponseError,
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from 'openid-client';
import { SsoError, findSsoError, type SsoErrorCode } from './errors';

/** An OAuth `error` value safe to log: the RFC's charset, bounded. */
function safeOauthCode(value: unknown): string {
  return typeof value === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(value)
    ? value
    : 'unknown';
}

const BY_OAUTH_ERROR: Record<string, SsoErrorCode> = {
  invalid_grant: 'SSO_INVALID_GRANT',
  access_denied: 'SSO_ACCESS_DENIED',
  expired_token: 'SSO_DEVICE_EXPIRED',
  unauthorized_client: 'SSO_NOT_ALLOWED',
  unsupported_grant_type: 'SSO_NOT_ALLOWED',
  invalid_client: 'SSO_CONFIG_INVALID',
  invalid_scope: 'SSO_CONFIG_INVALID',
  invalid_token: 'SSO_TOKEN_REJECTED',
  temporarily_unavailable: 'SSO_UNREACHABLE',
  server_error: 'SSO_UNREACHABLE',
};

function fromOauthError(error: string, status: number | null): SsoError {
  const code: SsoErrorCode =
    BY_OAUTH_ERROR[error] ??
    (status !== null && status >= 500 ? 'SSO_UNREACHABLE' : 'SSO_BAD_RESPONSE');
  return new SsoError(code, `the portal answered ${error}`, { detail: error });
}

/** `fallback` is used for a failure with nothing more specific (discovery: SSO_DISCOVERY_FAILED). */
export function toSsoError(error: unknown, fallback: SsoErrorCode = 'SSO_BAD_RESPONSE'): SsoError {
  const own = findSsoError(error);
  if (own) return own;
  if (error instanceof ResponseBodyError) {
    return fromOauthError(safeOauthCode(error.error), error.status);
  }
  if (error instanceof AuthorizationResponseError) {
    return fromOauthError(safeOauthCode(error.error), null);
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    const oauth = safeOauthCode(challenge?.parameters.error);
    return new SsoError('SSO_TOKEN_REJECTED', 'the portal refused the access token', {
      detail: `${error.status} ${oauth}`,
    });
  }
  if (error instanceof ClientError) {
    const code = typeof error.code === 'string' ? error.code : 'unknown';
    const inner = error.cause instanceof Error ? error.cause.message : '';
    switch (code) {
      case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
        return new SsoError('SSO_ID_TOKEN_INVALID', 'the ID token did not verify', {
          detail: code,
        });
      case 'OAUTH_INVALID_RESPONSE':
      case 'OAUTH_PARSE_ERROR':
        if (/JWT|ID Token|id_token/i.test(`${error.message} ${inner}`)) {
          return new SsoError('SSO_ID_TOKEN_INVALID', 'the ID token did not verify', {
            detail: code,
          });
        }
        return new SsoError(fallback, 'the portal answered something unusable', { detail: code });
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM': {
        const status = (error.cause as { status?: unknown } | undefined)?.status;
        if (typeof status === 'number' && status >= 500) {
          return new SsoError('SSO_UNREACHABLE', 'the portal is failing', {
            detail: String(status),
          });
        }
        return new SsoError(fallback, 'the portal answered an unexpected status', {
          detail: typeof status === 'number' ? String(status) : code,
        });
      }
      case 'OAUTH_TIMEOUT':
        return new SsoError('SSO_TIMEOUT', 'the portal did not answer in time', { detail: code });
      case 'OAUTH_ABORT':
        return new SsoError('SSO_CANCELLED', 'the request was cancelled', { detail: code });
      default:
        return new SsoError(fallback, 'the portal answered something unusable', { detail: code });
    }
  }
  if (error instanceof TypeError) {
    return new SsoError('SSO_INTERNAL', 'the SSO client was called wrongly', {
      detail: error.name,
    });
  }
  return new SsoError('SSO_INTERNAL', 'the SSO client failed', {
    detail: error instanceof Error ? error.name : 'unknown',
  });
}
