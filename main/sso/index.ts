// main/sso: the SSO portal client (issue #10). OIDC through openid-client on our undici
// transport, Open Bastion's /pam/* calls by hand. See README.md in this folder.
export { createSsoClient, parseCallback } from './client';
export type { DeviceAuthorization, PendingAuthorization, SsoClient, TokenSet } from './client';
export type { SsoConfig, SsoTimeouts, SsoTlsPolicy } from './config';
export {
  SSO_ERROR_CODES,
  SSO_UNREACHABLE_CODES,
  SsoError,
  findSsoError,
  isSsoError,
  type SsoErrorCode,
} from './errors';
export type { IdTokenClaims } from './id-token';
export { createOpenBastionClient, openBastionSignatureHeaders } from './open-bastion';
export type {
  OpenBastionAuthorize,
  OpenBastionClient,
  OpenBastionConfig,
  OpenBastionHeartbeat,
  OpenBastionUserinfo,
  OpenBastionVerify,
  SignatureHeaders,
} from './open-bastion';
export { spkiSha256 } from './transport';
