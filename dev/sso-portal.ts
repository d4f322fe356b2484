// The portal view of the Chromium fallback (development and e2e only; never packaged). There
// is no Electron here, so the isolation of app/portal-window.ts is rebuilt from processes:
//   * the portal opens in a SEPARATE Chromium (its own temporary profile, `--app=<url>`),
//     never in the greeter's page or its browser;
//   * the redirect URI is a loopback one, `http://127.0.0.1:<port>/callback` (RFC 8252 §7.3:
//     the portal must accept any port on a loopback redirect), served by this process for the
//     one pending authorization only: GET on that exact path, with the pending `state`, once;
//     anything else is answered 400/404 and ignored. Then the listener and Chromium go.
// Differences from Electron, on purpose and documented (README "Sign in with SSO"): the
// redirect IS loaded here (by the portal Chromium, from our loopback listener, which answers
// with a static "you can close this window" page) where Electron cancels it before any
// request; and navigation in the portal Chromium is not limited to the issuer (a plain
// browser has no will-navigate); the greeter's page is still never involved.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PortalViewHost, PortalViewSession } from '../main/ipc/sso-signin';

export class DevPortalError extends Error {
  readonly code: 'SSO_CANCELLED' | 'SSO_PORTAL_UNAVAILABLE';
  constructor(code: DevPortalError['code'], message: string) {
    super(message);
    this.name = 'DevPortalError';
    this.code = code;
  }
}

export interface DevPortalOptions {
  /** Debian's Chromium by default. */
  chromiumPath?: string;
  /** Extra flags for the portal Chromium (tests: headless, CDP, host resolver rules). */
  extraArgs?: readonly string[];
  /** Told the DevTools endpoint when extraArgs ask for one (tests drive the portal's form). */
  onDevTools?: (wsUrl: string) => void;
  log?: (line: string) => void;
}

const CLOSE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Bastion Greeter</title>' +
  '<p>Signed in with the portal. You can close this window.</p>';

/** The loopback port and path to listen on: the configured URI's when it is loopback http. */
function loopbackTarget(configured: string): { port: number; path: string } {
  try {
    const url = new URL(configured);
    if (url.protocol === 'http:' && url.hostname === '127.0.0.1') {
      return { port: url.port === '' ? 0 : Number(url.port), path: url.pathname };
    }
  } catch {
    // not a URL: the default below
  }
  return { port: 0, path: '/callback' };
}

export function createDevPortalHost(options: DevPortalOptions = {}): PortalViewHost {
  const log = options.log ?? (() => undefined);
  const chromium = options.chromiumPath ?? '/usr/bin/chromium';
  return {
    async prepare(configuredRedirectUri: string): Promise<PortalViewSession> {
      const target = loopbackTarget(configuredRedirectUri);
      let expectedState: string | null = null;
      let settle: { resolve(url: string): void; reject(error: Error): void } | null = null;
      let browser: ChildProcess | null = null;
      let profile: string | null = null;
      let closed = false;

      const server: Server = createServer((request, response) => {
        const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
        const noStore = {
          'Cache-Control': 'no-store',
          'Content-Security-Policy': "default-src 'none'",
        };
        if (request.method !== 'GET' || url.pathname !== target.path) {
          response.writeHead(404, noStore).end();
          return;
        }
        // One-shot and for this authorization only: the pending state, exactly once.
        const states = url.searchParams.getAll('state');
        if (
          settle === null ||
          expectedState === null ||
          states.length !== 1 ||
          states[0] !== expectedState
        ) {
          log('portal (fallback): a callback without the pending state was ignored');
          response.writeHead(400, noStore).end();
          return;
        }
        const pending = settle;
        settle = null;
        expectedState = null;
        response.writeHead(200, { ...noStore, 'Content-Type': 'text/html; charset=utf-8' });
        response.end(CLOSE_PAGE, () => close());
        pending.resolve(url.href);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(target.port, '127.0.0.1', () => resolve());
      }).catch((error: unknown) => {
        throw new DevPortalError(
          'SSO_PORTAL_UNAVAILABLE',
          `the loopback redirect listener did not start (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      });
      const port = (server.address() as AddressInfo).port;
      const redirectUri = `http://127.0.0.1:${port}${target.path}`;

      function close(): void {
        if (closed) return;
        closed = true;
        server.close();
        server.closeAllConnections();
        if (browser && browser.exitCode === null && browser.signalCode === null)
          browser.kill('SIGTERM');
        settle?.reject(new DevPortalError('SSO_CANCELLED', 'the portal window was closed'));
        settle = null;
      }

      return {
        redirectUri,
        show(url: string, state: string): Promise<string> {
          return new Promise<string>((resolve, reject) => {
            if (closed || browser !== null) {
              reject(new DevPortalError('SSO_PORTAL_UNAVAILABLE', 'this portal view is spent'));
              return;
            }
            settle = { resolve, reject };
            expectedState = state;
            profile = mkdtempSync(join(tmpdir(), 'bastion-portal-profile-'));
            const own = profile;
            const child = spawn(
              chromium,
              [
                `--user-data-dir=${own}`,
                '--no-first-run',
                '--no-default-browser-check',
                '--disable-sync',
                '--disable-background-networking',
                '--disable-component-update',
                ...(options.extraArgs ?? []),
                `--app=${url}`,
              ],
              { stdio: ['ignore', 'ignore', 'pipe'] },
            );
            browser = child;
            let stderr = '';
            child.stderr?.on('data', (chunk: Buffer) => {
              if (stderr.length > 64 * 1024) return;
              stderr += chunk.toString('utf8');
              const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
              if (match && options.onDevTools) {
                options.onDevTools(match[1]!);
                options.onDevTools = undefined;
              }
            });
            child.once('error', () => {
              settle?.reject(
                new DevPortalError('SSO_PORTAL_UNAVAILABLE', 'Chromium did not start'),
              );
              settle = null;
              close();
            });
            child.once('exit', () => {
              // Chromium's helper processes may still be writing to the profile for a moment
              // after the browser process exits (ENOTEMPTY): retry, and never let a leftover
              // temporary profile throw out of an exit handler.
              try {
                rmSync(own, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
              } catch (error) {
                log(`portal (fallback): temporary profile not removed: ${String(error)}`);
              }
              // Closed by the person before the portal answered: cancelled.
              close();
            });
            log(`portal (fallback): Chromium opened for ${new URL(url).origin}`);
          });
        },
        close,
      };
    },
  };
}
