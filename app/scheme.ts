// The greeter page is served from `app://greeter/`, a privileged custom scheme, never from
// file:// (Electron security checklist, "Use a custom protocol instead of file://"). Under
// file:// the page's CSP 'self' means every local file, session.webRequest never sees the
// responses (so only the meta-tag CSP applies) and the IPC sender check can only compare
// file paths. A standard, secure custom scheme gives the page an origin of its own
// (app://greeter), which 'self' then means exactly, and our handler (./renderer-protocol)
// decides every byte the renderer can load.
import type * as ElectronModule from 'electron';

export type SchemeElectron = Pick<typeof ElectronModule, 'protocol'>;

export const APP_SCHEME = 'app';
/** The only host the handler serves; any other host of the scheme is refused. */
export const APP_HOST = 'greeter';
export const GREETER_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The one document the window loads and the one URL IPC trusts (app/ipc.ts). */
export const GREETER_INDEX_URL = `${GREETER_ORIGIN}/index.html`;
/** The background-only page of the displays without the form (app/displays.ts). */
export const BACKGROUND_URL = `${GREETER_ORIGIN}/background.html`;

/**
 * The scheme's privileges, each one on purpose. Everything not listed stays off: `bypassCSP`
 * (our CSP must apply), `allowServiceWorkers` (nothing may outlive or intercept the page),
 * `codeCache` and `allowExtensions` (nothing written to or read from the profile for us).
 */
export const APP_SCHEME_PRIVILEGES = Object.freeze({
  // Parsed like http: a host, relative URLs and a real origin for 'self' and same-origin
  // checks. Without it the page would have an opaque origin that 'self' never matches.
  standard: true,
  // A secure context like https, so the page is never treated as mixed/insecure content.
  secure: true,
  // The page talks to main over IPC only: no fetch()/XHR to the scheme, no CORS requests
  // into it, no streamed media. Classic <script>/<link> loads need none of these.
  supportFetchAPI: false,
  corsEnabled: false,
  stream: false,
});

/**
 * Declares `app` privileged. Electron accepts this only before the `ready` event, so the
 * entry calls it first thing; the handler itself is installed later, per session.
 */
export function registerAppSchemeAsPrivileged(electron: SchemeElectron): void {
  electron.protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } },
  ]);
}
