// The portal side of the root guard (./root-guard.ts), from the site's sso.conf: the probe
// (GET of the issuer's discovery document on main/sso's transport, so sso.conf's TLS policy,
// CA file and pins apply; any answer below 500 counts, as the tray's probe does; a redirect,
// a TLS or pin failure, a timeout do not) and, when the administrator gave Open Bastion's
// server token, the `/pam/userinfo` revalidation. Loaded only by `bastion-offline guard` (it
// pulls main/sso's transport: not for verify's start-up; see main/cli/bastion-sso-online.ts).
import { resolveTransportSettings, type SsoConfig } from '../sso/config';
import { createOpenBastionClient } from '../sso/open-bastion';
import { createTransport } from '../sso/transport';
import type { PortalReach } from './offline-mode-monitor';
import { NoRevalidation, PamUserinfoRevalidator, type UserRevalidator } from './revalidate';

export interface GuardPortal {
  reach: PortalReach;
  revalidator: UserRevalidator;
  /** Whether revalidation asks the portal (false: no server token, NoRevalidation). */
  revalidates: boolean;
  close(): Promise<void>;
}

export interface GuardOpenBastionSecrets {
  serverToken: string;
  signingSecret?: string;
}

export function createGuardPortal(
  config: SsoConfig,
  openBastion: GuardOpenBastionSecrets | null,
): GuardPortal {
  const transport = createTransport(resolveTransportSettings(config));
  const issuer = new URL(config.issuer);
  const discovery = new URL(issuer.href);
  discovery.pathname = `${issuer.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const client =
    openBastion === null
      ? null
      : createOpenBastionClient({
          ...config,
          openBastion: {
            serverToken: openBastion.serverToken,
            ...(openBastion.signingSecret === undefined
              ? {}
              : { signingSecret: openBastion.signingSecret }),
          },
        });
  return {
    reach: async (signal) => {
      try {
        return (await transport.request(discovery, { method: 'GET', signal })).status < 500;
      } catch {
        return false;
      }
    },
    revalidator: client === null ? new NoRevalidation() : new PamUserinfoRevalidator(client),
    revalidates: client !== null,
    close: async () => {
      await Promise.allSettled([transport.close(), client?.close()]);
    },
  };
}
