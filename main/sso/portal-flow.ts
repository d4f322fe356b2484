// The authorization code + S256 PKCE flow as the greeter runs it (issue #10 item 1): one
// pending authorization at a time, for a bounded time, completed once by the redirect that
// main intercepted (app/portal-window.ts in Electron, dev/sso-portal.ts in the Chromium
// fallback). The protocol itself (PKCE, state, nonce, the code exchange, the ID token) is
// main/sso/client.ts's; this file only owns "which authorization is pending, until when".
//
// The callback is checked here before the client sees it (on the redirect URI exactly, no
// fragment, no repeated parameter, the pending state) so that a stray or forged request to
// the redirect URI spends the pending authorization and never reaches the token endpoint.
import { parseCallback, type PendingAuthorization, type SsoClient, type TokenSet } from './client';
import { SsoError } from './errors';

export type PortalFlowErrorCode =
  | 'PORTAL_FLOW_BUSY' // begin() while an authorization is pending
  | 'PORTAL_FLOW_NONE' // complete() with nothing pending (never begun, spent, cancelled)
  | 'PORTAL_FLOW_EXPIRED'; // the pending authorization outlived its time

export class PortalFlowError extends Error {
  readonly code: PortalFlowErrorCode;
  constructor(code: PortalFlowErrorCode, message: string) {
    super(message);
    this.name = 'PortalFlowError';
    this.code = code;
  }
}

/** Default time a person has to finish signing in to the portal. */
export const DEFAULT_PORTAL_TIMEOUT_MS = 5 * 60_000;

export interface PortalFlowOptions {
  /** The redirect URI the client was created with (SsoConfig.redirectUri). */
  redirectUri: string;
  /** How long one authorization stays pending. Default DEFAULT_PORTAL_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Told once when a pending authorization expires (the view is closed then). */
  onExpired?: () => void;
  /** Diagnostic lines: never codes, states or tokens. */
  log?: (line: string) => void;
}

export interface PortalBegin {
  /** The authorization URL for the isolated portal view. */
  url: string;
  /** ms epoch after which the callback is refused. */
  expiresAt: number;
}

export interface PortalFlow {
  /** Starts one authorization. PortalFlowError PORTAL_FLOW_BUSY if one is pending. */
  begin(): PortalBegin;
  /**
   * Completes the pending authorization with the intercepted redirect. Single use: whatever
   * the outcome, nothing is pending afterwards.
   */
  complete(callbackUrl: string): Promise<TokenSet>;
  /** Drops the pending authorization (cancel, view closed). */
  cancel(): void;
  /** Whether an authorization is pending. */
  readonly pending: boolean;
  /** The pending authorization's state (for a loopback listener's one-shot check), or null. */
  readonly pendingState: string | null;
}

interface Pending {
  authorization: PendingAuthorization;
  state: string;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

export function createPortalFlow(
  client: Pick<SsoClient, 'beginAuthorization' | 'completeAuthorization'>,
  options: PortalFlowOptions,
): PortalFlow {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PORTAL_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new SsoError('SSO_CONFIG_INVALID', 'the portal timeout must be a positive integer');
  }
  const log = options.log ?? (() => undefined);
  let pending: Pending | null = null;
  /** Set when the last pending authorization expired (complete() then says so). */
  let expired = false;

  const drop = (): Pending | null => {
    const was = pending;
    if (was) clearTimeout(was.timer);
    pending = null;
    return was;
  };

  return {
    begin() {
      if (pending) {
        throw new PortalFlowError('PORTAL_FLOW_BUSY', 'a portal sign-in is already pending');
      }
      const { url, pending: authorization } = client.beginAuthorization();
      const state = new URL(url).searchParams.get('state');
      if (state === null || state === '') {
        throw new SsoError('SSO_INTERNAL', 'the authorization URL carries no state');
      }
      const expiresAt = Date.now() + timeoutMs;
      const timer = setTimeout(() => {
        if (pending?.authorization !== authorization) return;
        drop();
        expired = true;
        log('portal sign-in: expired');
        options.onExpired?.();
      }, timeoutMs);
      timer.unref();
      pending = { authorization, state, expiresAt, timer };
      expired = false;
      return { url, expiresAt };
    },

    async complete(callbackUrl) {
      const current = drop();
      if (current === null) {
        throw expired
          ? new PortalFlowError('PORTAL_FLOW_EXPIRED', 'the portal sign-in took too long')
          : new PortalFlowError('PORTAL_FLOW_NONE', 'no portal sign-in is pending');
      }
      if (Date.now() > current.expiresAt) {
        expired = true;
        throw new PortalFlowError('PORTAL_FLOW_EXPIRED', 'the portal sign-in took too long');
      }
      // Strict shape first (throws SSO_BAD_RESPONSE), then the state: both before any byte
      // goes to the token endpoint.
      const params = parseCallback(callbackUrl, options.redirectUri);
      if (params.getAll('state').length !== 1 || params.get('state') !== current.state) {
        log('portal sign-in: a callback with another state was refused');
        throw new SsoError(
          'SSO_STATE_MISMATCH',
          'the sign-in answer does not belong to this attempt',
          {
            detail: 'state',
          },
        );
      }
      return client.completeAuthorization(callbackUrl, current.authorization);
    },

    cancel() {
      if (drop()) log('portal sign-in: cancelled');
      expired = false;
    },

    get pending() {
      return pending !== null;
    },

    get pendingState() {
      return pending?.state ?? null;
    },
  };
}
