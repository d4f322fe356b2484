// ID token signature and claims, checked with jose against the issuer's JWKS. oauth4webapi
// already checks the claims of an ID token that arrives over TLS from the token endpoint
// (issuer, audience, times, nonce) but, as OIDC Core 3.1.3.7 allows, not its signature; we
// check both here, because the ID token's claims become the person's identity on screen.
//
// JWKS: fetched through our transport (TLS policy, size cap), cached, and on a `kid` the
// cache does not know, fetched again once (jose's createRemoteJWKSet with no cooldown); if
// the fresh set still lacks the key the token is refused. oauth4webapi's own JWKS cache would
// refetch only when its copy is at least 60 s old, so a key rotated just after our last fetch
// would be refused: that is why the signature check is jose's here and not openid-client's.
import {
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import { SsoError } from './errors';
import type { SsoFetch } from './transport';

export interface IdTokenClaims {
  sub: string;
  preferred_username?: string;
  [k: string]: unknown;
}

export interface IdTokenVerifier {
  verify(idToken: string, expectedNonce?: string): Promise<IdTokenClaims>;
}

/** Asymmetric JWS algorithms only: an HS* ID token would be keyed by the client secret. */
const ASYMMETRIC = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

export function createIdTokenVerifier(options: {
  issuer: string;
  clientId: string;
  jwksUri: string;
  advertisedAlgs: string[] | undefined;
  clockSkewSeconds: number;
  fetch: SsoFetch;
}): IdTokenVerifier {
  const algorithms = (options.advertisedAlgs ?? ['RS256']).filter((alg) =>
    ASYMMETRIC.includes(alg),
  );
  if (algorithms.length === 0) {
    throw new SsoError(
      'SSO_DISCOVERY_FAILED',
      'the portal signs ID tokens with no usable algorithm',
    );
  }
  const jwks = createRemoteJWKSet(new URL(options.jwksUri), {
    cooldownDuration: 0,
    [customFetch]: options.fetch as unknown as typeof fetch,
  });
  return {
    async verify(idToken, expectedNonce) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(idToken, jwks, {
          issuer: options.issuer,
          audience: options.clientId,
          algorithms,
          clockTolerance: options.clockSkewSeconds,
          requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
        }));
      } catch (error) {
        if (error instanceof SsoError) throw error;
        const jwksError = (error as { cause?: unknown }).cause;
        if (jwksError instanceof SsoError) throw jwksError;
        const detail =
          error instanceof joseErrors.JOSEError
            ? error.code
            : error instanceof Error
              ? error.name
              : 'unknown';
        throw new SsoError('SSO_ID_TOKEN_INVALID', 'the ID token did not verify', { detail });
      }
      if (expectedNonce !== undefined && payload.nonce !== expectedNonce) {
        throw new SsoError('SSO_ID_TOKEN_INVALID', 'the ID token did not verify', {
          detail: 'nonce',
        });
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        throw new SsoError('SSO_ID_TOKEN_INVALID', 'the ID token did not verify', {
          detail: 'sub',
        });
      }
      if (
        payload.preferred_username !== undefined &&
        typeof payload.preferred_username !== 'string'
      ) {
        throw new SsoError('SSO_ID_TOKEN_INVALID', 'the ID token did not verify', {
          detail: 'preferred_username',
        });
      }
      return payload as IdTokenClaims;
    },
  };
}
