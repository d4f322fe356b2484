// The loopback HTTP bridge of the Chromium fallback (development only; never packaged).
//
// It serves the built renderer plus dev/bridge-client.js on 127.0.0.1 (random port) and
// forwards `POST /api/<call>` to the same GreeterBackend that Electron's IPC uses, with the
// same untrusted-payload contract. Other local users and web pages can reach a loopback
// port, so every API and event request must carry a random 32-byte token (compared in
// constant time), name the exact Host `127.0.0.1:<port>` (stops DNS rebinding), come from
// our origin if it says where it comes from, and carry a JSON body of at most 16 KiB.
// The page itself holds data too once it is served with its first paint (user names, real
// names, the host name): it is served only below a random path, `/<secret>/`, which only
// pageUrl names; anything else (`/` included) is 404 and runs nothing.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import type { AuthSnapshot, SecurityKeySnapshot, SsoSnapshot } from '../preload/api';
import type { BackendCall, GreeterBackend } from '../main/ipc/backend';

export const TOKEN_HEADER = 'x-bastion-token';
export const MAX_BODY_BYTES = 16 * 1024;
const SSE_KEEPALIVE_MS = 15_000;

/** The calls the bridge forwards; anything else is 404 before the backend sees it. */
export const BRIDGE_CALLS: readonly BackendCall[] = [
  'getInfo',
  'getAuthSnapshot',
  'getScreenOptions',
  'startAuth',
  'answer',
  'cancelAuth',
  'powerAction',
  'startAssistiveTool',
  'setKeyboardLayout',
  'getKeySnapshot',
  'answerKeyPin',
  'cancelKey',
  'getSsoSnapshot',
  'startSso',
  'cancelSso',
];

/** What the bridge forwards to: the greeter's backend, or another page's (dev/keys-server.ts). */
export interface BridgeBackend {
  handle(call: string, payload: unknown): Promise<unknown>;
  subscribe(listener: (snapshot: unknown) => void): () => void;
}

export interface DevBridgeOptions {
  backend: GreeterBackend | BridgeBackend;
  /** build/renderer: index.html, app.js, styles.css, … */
  rendererDir: string;
  /** build/dev/bridge-client.js */
  bridgeClientPath: string;
  contentSecurityPolicy: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The calls forwarded (default BRIDGE_CALLS, the greeter's). */
  calls?: readonly string[];
  /** The page served at `/` and its script (default index.html and app.js). */
  page?: { html: string; script: string };
  /**
   * Turns the page into the document served, per request: the greeter's first paint
   * (main/screens/first-paint.ts), as Electron's app:// handler serves it. Default: as is.
   */
  renderPage?: (html: string) => Promise<string>;
}

export interface DevBridge {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  /** Hex of 32 random bytes. */
  token: string;
  /**
   * The page URL: below its random path (`/<32 hex>/`, in every request, so it stays in the
   * address bar), with the token in its fragment (never sent to the server by the browser).
   */
  pageUrl: string;
  close(): Promise<void>;
}

export type DevBridgeErrorCode = 'DEV_INDEX_NO_APP_SCRIPT' | 'DEV_RENDERER_MISSING';

/** The random path segment the page and its files are served below. */
const PAGE_PATH = /^\/([0-9a-f]{32})(\/.*)$/;

export class DevBridgeError extends Error {
  readonly code: DevBridgeErrorCode;
  constructor(code: DevBridgeErrorCode, message: string) {
    super(message);
    this.name = 'DevBridgeError';
    this.code = code;
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** Puts `<script src="bridge-client.js">` right before the page's app.js script tag. */
export function injectBridgeScript(indexHtml: string, script = 'app.js'): string {
  const name = script.replace(/[.]/g, '\\.');
  const appScript = new RegExp(`<script\\b[^>]*\\bsrc=["']?(?:\\./)?${name}["']?[^>]*>`, 'i');
  const match = appScript.exec(indexHtml);
  if (!match) {
    throw new DevBridgeError('DEV_INDEX_NO_APP_SCRIPT', `the page has no <script src="${script}">`);
  }
  return (
    indexHtml.slice(0, match.index) +
    '<script src="bridge-client.js"></script>\n    ' +
    indexHtml.slice(match.index)
  );
}

function sameToken(expected: Buffer, given: string | undefined): boolean {
  // Hash both sides so the comparison is constant-time whatever the given length.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256')
    .update(given ?? '')
    .digest();
  return timingSafeEqual(a, b) && given !== undefined;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Name and code the page sees (defaults: a plain bridge error). */
    readonly errorName = 'BridgeError',
    readonly errorCode = `HTTP_${status}`,
  ) {
    super(message);
  }
}

function readJsonBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      reject(new HttpError(413, 'body too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'body is not JSON'));
      } finally {
        // The body may hold a password: do not keep it around longer than needed.
        for (const chunk of chunks) chunk.fill(0);
      }
    });
  });
}

/**
 * The page's arguments, `{"args": [...]}`: none → no payload, one → the payload. More than
 * one is refused as Electron's IPC handlers refuse it (app/ipc.ts).
 */
function payloadOf(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'body must be a JSON object');
  }
  const keys = Object.keys(body);
  const args = (body as { args?: unknown }).args;
  if (keys.length !== 1 || keys[0] !== 'args' || !Array.isArray(args)) {
    throw new HttpError(400, 'body must be {"args": [...]}');
  }
  if (args.length > 1) {
    throw new HttpError(400, 'at most one payload', 'IpcRefusedError', 'IPC_TOO_MANY_ARGUMENTS');
  }
  return args[0];
}

/** What a backend rejection looks like on the wire: its name, code and message only. */
function describeError(error: unknown): { name: string; code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      code: typeof code === 'string' ? code : 'ERROR',
      message: error.message,
    };
  }
  return { name: 'Error', code: 'ERROR', message: 'request failed' };
}

export async function startDevBridge(options: DevBridgeOptions): Promise<DevBridge> {
  const { backend, contentSecurityPolicy } = options;
  const rendererDir = await realpath(options.rendererDir).catch(() => {
    throw new DevBridgeError('DEV_RENDERER_MISSING', `${options.rendererDir} does not exist`);
  });
  const page = options.page ?? { html: 'index.html', script: 'app.js' };
  const calls = options.calls ?? BRIDGE_CALLS;
  const indexHtml = injectBridgeScript(
    await readFile(join(rendererDir, page.html), 'utf8'),
    page.script,
  );
  const bridgeClient = await readFile(options.bridgeClientPath);
  const token = randomBytes(32).toString('hex');
  const tokenKey = Buffer.from(token, 'utf8');
  // Not the token: it stays in the address bar and history, where the token must not.
  const pageSecret = randomBytes(16).toString('hex');
  const pageSecretKey = Buffer.from(pageSecret, 'utf8');
  let expectedHost = '';
  let origin = '';
  const eventStreams = new Set<ServerResponse>();

  const baseHeaders = (): Record<string, string> => ({
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  });

  const send = (
    response: ServerResponse,
    status: number,
    body: string | Buffer,
    type: string,
  ): void => {
    response.writeHead(status, { ...baseHeaders(), 'Content-Type': type });
    response.end(body);
  };
  const sendJson = (response: ServerResponse, status: number, value: unknown): void =>
    send(response, status, JSON.stringify(value), 'application/json; charset=utf-8');

  /** The page as served: its first paint when there is one, else (or if it fails) as is. */
  async function renderedPage(): Promise<string> {
    if (!options.renderPage) return indexHtml;
    try {
      return await options.renderPage(indexHtml);
    } catch {
      return indexHtml;
    }
  }

  async function serveStatic(fullPath: string, response: ServerResponse): Promise<void> {
    if (fullPath === '/favicon.ico') {
      // Browsers ask for it on every load; answering spares the console a 404 line.
      response.writeHead(204, baseHeaders());
      response.end();
      return;
    }
    // Everything else only below the page's secret path, checked before anything is read or
    // rendered: whoever does not have pageUrl makes the backend answer nothing.
    const below = PAGE_PATH.exec(fullPath);
    if (!below || !sameToken(pageSecretKey, below[1])) throw new HttpError(404, 'not found');
    const pathname = below[2]!;
    if (pathname === '/' || pathname === '/index.html') {
      send(response, 200, await renderedPage(), CONTENT_TYPES['.html']!);
      return;
    }
    if (pathname === '/bridge-client.js') {
      send(response, 200, bridgeClient, CONTENT_TYPES['.js']!);
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(pathname).slice(1);
    } catch {
      throw new HttpError(404, 'not found'); // malformed %-escape
    }
    const type = CONTENT_TYPES[extname(relative)];
    if (!type || relative.split('/').some((part) => part === '' || part.startsWith('.'))) {
      throw new HttpError(404, 'not found');
    }
    const file = await realpath(join(rendererDir, relative)).catch(() => null);
    if (!file || !file.startsWith(rendererDir + sep) || !(await stat(file)).isFile()) {
      throw new HttpError(404, 'not found');
    }
    send(response, 200, await readFile(file), type);
  }

  async function serveCall(
    call: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    if (!sameToken(tokenKey, headerValue(request, TOKEN_HEADER))) {
      throw new HttpError(403, 'missing or wrong token');
    }
    const contentType = headerValue(request, 'content-type') ?? '';
    if (!/^application\/json(;|$)/i.test(contentType)) {
      throw new HttpError(415, 'only application/json bodies');
    }
    if (!(calls as readonly string[]).includes(call)) throw new HttpError(404, 'no such call');
    const payload = payloadOf(await readJsonBody(request));
    let value: unknown;
    try {
      value = await backend.handle(call, payload);
    } catch (error) {
      sendJson(response, 400, { ok: false, error: describeError(error) });
      return;
    }
    sendJson(response, 200, { ok: true, value: value ?? null });
  }

  function serveEvents(url: URL, response: ServerResponse): void {
    if (!sameToken(tokenKey, url.searchParams.get('token') ?? undefined)) {
      throw new HttpError(403, 'missing or wrong token');
    }
    response.writeHead(200, {
      ...baseHeaders(),
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    response.write(': connected\n\n');
    eventStreams.add(response);
    const unsubscribe = backend.subscribe((snapshot: AuthSnapshot | unknown) => {
      response.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    });
    // The greeter's backend also pushes the security key's snapshots (other pages' do not).
    const unsubscribeKey =
      'subscribeKey' in backend
        ? backend.subscribeKey((snapshot: SecurityKeySnapshot) => {
            response.write(`event: key-snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
          })
        : () => undefined;
    // And the SSO sign-in's (never a token: main keeps those).
    const unsubscribeSso =
      'subscribeSso' in backend && backend.subscribeSso
        ? backend.subscribeSso((snapshot: SsoSnapshot) => {
            response.write(`event: sso-snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
          })
        : () => undefined;
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
    response.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      unsubscribeKey();
      unsubscribeSso();
      eventStreams.delete(response);
    });
  }

  const server = createServer((request, response) => {
    void (async () => {
      try {
        // DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends its own Host.
        if (request.headers.host !== expectedHost) throw new HttpError(403, 'wrong Host');
        const requestOrigin = headerValue(request, 'origin');
        if (requestOrigin !== undefined && requestOrigin !== origin) {
          throw new HttpError(403, 'wrong Origin');
        }
        const url = new URL(request.url ?? '/', origin);
        const method = request.method ?? 'GET';
        const api = /^\/api\/([A-Za-z]+)$/.exec(url.pathname);
        if (api) {
          if (method !== 'POST') throw new HttpError(405, 'POST only');
          await serveCall(api[1]!, request, response);
        } else if (url.pathname === '/events') {
          if (method !== 'GET') throw new HttpError(405, 'GET only');
          serveEvents(url, response);
        } else {
          if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'GET only');
          await serveStatic(url.pathname, response);
        }
      } catch (error) {
        const known = error instanceof HttpError ? error : null;
        const body = {
          ok: false,
          error: {
            name: known?.errorName ?? 'BridgeError',
            code: known?.errorCode ?? 'HTTP_500',
            message: known?.message ?? 'internal error',
          },
        };
        if (!response.headersSent) sendJson(response, known?.status ?? 500, body);
        else response.destroy();
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  expectedHost = `127.0.0.1:${port}`;
  origin = `http://${expectedHost}`;

  return {
    origin,
    port,
    token,
    pageUrl: `${origin}/${pageSecret}/#token=${token}`,
    close: async () => {
      for (const stream of eventStreams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
