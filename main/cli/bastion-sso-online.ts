// The SSO client for `bastion-offline online`, bundled on its own (build/cli/
// bastion-sso-online.cjs, scripts/build.mjs) and loaded by path at run time by
// ./bastion-offline.ts for `online` only: the offline path (verify/store/status, run at every
// offline login) does not load openid-client, undici and jose (~1.2 MB of bundle).
// `bastion-offline guard` (root's periodic session guard: main/sso's transport, logind) is
// loaded from here too.
export { createSsoClient } from '../sso/index';
export { bastionGuard } from './guard-command';
