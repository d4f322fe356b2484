// The `app://greeter/` handler: serves regular files under build/renderer and nothing else.
// It sees the real fetch-API Request/Response (Electron's protocol.handle uses the same
// classes as Node), so it is tested with real files and real Requests under plain Node.
//
// Every check is an allowlist, applied to the URL as the handler receives it and again to
// the file's resolved path: a URL that Chromium would have normalised differently, a
// symlink placed in the directory, or a file type we never ship are all refused, not
// "cleaned up". A refusal is a status code with an empty body (the page has no use for
// details, and a probe learns nothing more).
import { promises as fs } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './scheme';

export type RendererRefusalCode =
  | 'APP_BAD_METHOD'
  | 'APP_BAD_HOST'
  | 'APP_BAD_PATH'
  | 'APP_TYPE_NOT_ALLOWED'
  | 'APP_NOT_FOUND'
  | 'APP_OUTSIDE_ROOT'
  | 'APP_NOT_A_FILE';

/** The HTTP status each refusal answers with: 404 for what is not there, 403 for policy. */
export const REFUSAL_STATUS: Readonly<Record<RendererRefusalCode, number>> = {
  APP_BAD_METHOD: 405,
  APP_BAD_HOST: 404,
  APP_BAD_PATH: 403,
  APP_TYPE_NOT_ALLOWED: 403,
  APP_NOT_FOUND: 404,
  APP_OUTSIDE_ROOT: 403,
  APP_NOT_A_FILE: 403,
};

export class RendererRefusal extends Error {
  readonly code: RendererRefusalCode;
  constructor(code: RendererRefusalCode, message: string) {
    super(message);
    this.name = 'RendererRefusal';
    this.code = code;
  }
}

/** The only file types the renderer ships; anything else is never served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/**
 * One path segment: letters, digits, `_`, `-` and dots, not starting with a dot. This one
 * rule refuses `.` and `..`, dotfiles, empty segments (`//`, a trailing `/`, i.e. directory
 * listings), backslashes and every percent-escape (`%2e%2e`, `%2f`, `%5c`, `%00`): our file
 * names never need escaping, so an escaped name can only be an attempt to smuggle one.
 */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
/** build/renderer is flat today; a little depth is allowed for future asset folders. */
const MAX_DEPTH = 4;

export interface RendererFile {
  /** Path segments below the renderer directory, each matching SEGMENT. */
  segments: string[];
  contentType: string;
}

/** Maps a request URL to a file below the renderer directory, or throws a refusal. */
export function resolveRendererUrl(url: string): RendererFile {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RendererRefusal('APP_BAD_PATH', 'unparseable URL');
  }
  // Credentials or a port would make a different-looking origin that still reached us.
  if (
    parsed.protocol !== `${APP_SCHEME}:` ||
    parsed.hostname !== APP_HOST ||
    parsed.port !== '' ||
    parsed.username !== '' ||
    parsed.password !== ''
  ) {
    throw new RendererRefusal('APP_BAD_HOST', 'not the greeter host');
  }
  // The query is ignored: the page never uses one and no file is chosen by it.
  const segments = parsed.pathname.split('/').slice(1);
  if (
    !parsed.pathname.startsWith('/') ||
    segments.length > MAX_DEPTH ||
    !segments.every((segment) => SEGMENT.test(segment))
  ) {
    throw new RendererRefusal('APP_BAD_PATH', 'path outside the allowed names');
  }
  const contentType = CONTENT_TYPES[extname(segments.at(-1)!)];
  if (contentType === undefined) {
    throw new RendererRefusal('APP_TYPE_NOT_ALLOWED', 'file type not served');
  }
  return { segments, contentType };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

/**
 * Reads the file, following symlinks only when they stay inside the renderer directory and
 * land on an allowed name. Uses `fs.promises` realpath/stat/readFile because Electron makes
 * exactly those read app.asar, where build/renderer lives in a package (opening with
 * O_NOFOLLOW would not). build/renderer is installed read-only and root-owned, so the gap
 * between the checks and the read is not one the greeter account can use.
 */
export async function readRendererFile(rootDir: string, file: RendererFile): Promise<Buffer> {
  let root: string;
  let real: string;
  try {
    root = await fs.realpath(rootDir);
    real = await fs.realpath(join(root, ...file.segments));
  } catch (error) {
    if (isMissing(error)) throw new RendererRefusal('APP_NOT_FOUND', 'no such file');
    throw error;
  }
  const inside = relative(root, real);
  if (inside === '' || inside.startsWith('..') || !real.startsWith(root + sep)) {
    throw new RendererRefusal('APP_OUTSIDE_ROOT', 'resolves outside the renderer directory');
  }
  // A symlink inside the directory may not lead to a dotfile or an unlisted type either.
  const realSegments = inside.split(sep);
  if (
    !realSegments.every((segment) => SEGMENT.test(segment)) ||
    CONTENT_TYPES[extname(real)] !== file.contentType
  ) {
    throw new RendererRefusal('APP_BAD_PATH', 'resolves to a name that is not served');
  }
  const stats = await fs.stat(real);
  if (!stats.isFile()) throw new RendererRefusal('APP_NOT_A_FILE', 'not a regular file');
  return fs.readFile(real);
}

export interface RendererHandlerOptions {
  /** Absolute path of build/renderer (inside app.asar when packaged). */
  rootDir: string;
  /** CONTENT_SECURITY_POLICY of preload/api.ts, sent as a header on every response. */
  contentSecurityPolicy: string;
  /**
   * Turns index.html (as read, checks passed) into the document served: the greeter's first
   * paint (main/screens/first-paint.ts), as the Chromium fallback's bridge serves it. Unset:
   * served as is (the key manager's and tray's pages, background windows). Should it fail or
   * take longer than `renderIndexTimeoutMs`, the page is served as read: fail closed is the
   * plain page (which asks for the same data itself), never a blank greeter.
   */
  renderIndex?: (html: string) => Promise<string>;
  /** Default RENDER_INDEX_TIMEOUT_MS. */
  renderIndexTimeoutMs?: number;
}

/**
 * Longer than this for renderIndex, and the plain page is served. Above the first paint's
 * own bound on main's answers (FIRST_PAINT_TIMEOUT_MS, 500 ms) plus its render.
 */
export const RENDER_INDEX_TIMEOUT_MS = 1_500;

/** renderIndex's document, or the page as read when it fails or is late. */
async function renderedOrPlain(
  html: string,
  renderIndex: (html: string) => Promise<string>,
  timeoutMs: number,
): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(html), timeoutMs);
  });
  try {
    // Called inside the chain: a renderIndex that throws rather than rejects is caught too.
    const rendered = Promise.resolve(html).then(renderIndex);
    const served = await Promise.race([rendered, late]);
    return typeof served === 'string' ? served : html;
  } catch {
    return html;
  } finally {
    clearTimeout(timer);
  }
}

/** The page renderIndex applies to (GREETER_INDEX_URL, app://greeter/index.html). */
const INDEX = 'index.html';

/** Headers of every response, success or refusal. */
function baseHeaders(contentSecurityPolicy: string, contentType: string): Headers {
  return new Headers({
    'Content-Type': contentType,
    'Content-Security-Policy': contentSecurityPolicy,
    // The browser must use our Content-Type, never guess one from the bytes.
    'X-Content-Type-Options': 'nosniff',
    // Local files of a login screen: nothing to gain from an HTTP cache in the profile.
    'Cache-Control': 'no-store',
  });
}

function refusalResponse(code: RendererRefusalCode, contentSecurityPolicy: string): Response {
  return new Response(null, {
    status: REFUSAL_STATUS[code],
    headers: baseHeaders(contentSecurityPolicy, 'text/plain; charset=utf-8'),
  });
}

/** The handler for `protocol.handle('app', …)`. It never throws: it answers. */
export function createRendererHandler(
  options: RendererHandlerOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      // Chromium loads documents, scripts, styles, images and fonts with GET only.
      if (request.method !== 'GET') throw new RendererRefusal('APP_BAD_METHOD', 'GET only');
      const file = resolveRendererUrl(request.url);
      const body = await readRendererFile(options.rootDir, file);
      if (options.renderIndex && file.segments.length === 1 && file.segments[0] === INDEX) {
        const html = body.toString('utf8');
        const timeoutMs = options.renderIndexTimeoutMs ?? RENDER_INDEX_TIMEOUT_MS;
        return new Response(await renderedOrPlain(html, options.renderIndex, timeoutMs), {
          status: 200,
          headers: baseHeaders(options.contentSecurityPolicy, file.contentType),
        });
      }
      // A copy with its own ArrayBuffer (what BodyInit accepts); files are a few hundred KiB.
      return new Response(Uint8Array.from(body), {
        status: 200,
        headers: baseHeaders(options.contentSecurityPolicy, file.contentType),
      });
    } catch (error) {
      // Fail closed: an unexpected read error is answered like a missing file.
      const code = error instanceof RendererRefusal ? error.code : 'APP_NOT_FOUND';
      return refusalResponse(code, options.contentSecurityPolicy);
    }
  };
}
