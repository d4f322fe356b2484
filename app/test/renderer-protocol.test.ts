// The app://greeter/ handler against real files in a temp directory and the real fetch-API
// Request/Response of Node (the classes Electron's protocol.handle passes and expects).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../preload/api';
import {
  CONTENT_TYPES,
  createRendererHandler,
  readRendererFile,
  RendererRefusal,
  resolveRendererUrl,
} from '../renderer-protocol';

let base = '';
let rendererDir = '';
let handler: (request: Request) => Promise<Response>;

const FILES: Record<string, string> = {
  'index.html': '<!doctype html><title>greeter</title>',
  'app.js': 'console.log("app")',
  'styles.css': 'body{color:red}',
  'logo.png': '\x89PNG\r\n',
  'icon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'font.woff2': 'wOF2',
  'assets/deep.css': 'p{}',
  '.hidden.js': 'secret dotfile',
  'notes.txt': 'not a served type',
};

before(() => {
  base = mkdtempSync(join(tmpdir(), 'bastion-scheme-'));
  rendererDir = join(base, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(rendererDir, name), text);
  // Next to the renderer directory: what a traversal would be after.
  writeFileSync(join(base, 'outside.js'), 'outside secret');
  writeFileSync(join(base, 'secret.txt'), 'outside secret');
  // Symlinks: one escaping the directory, one to a device, one staying inside to a served
  // file, one inside to a dotfile, one inside to an unlisted type.
  symlinkSync('../outside.js', join(rendererDir, 'escape.js'));
  symlinkSync('/dev/null', join(rendererDir, 'null.js'));
  symlinkSync('app.js', join(rendererDir, 'alias.js'));
  symlinkSync('.hidden.js', join(rendererDir, 'to-hidden.js'));
  symlinkSync('notes.txt', join(rendererDir, 'to-notes.js'));
  symlinkSync('..', join(rendererDir, 'up'));
  // Not regular files, with served names.
  mkdirSync(join(rendererDir, 'folder.css'));
  const fifo = spawnSync('mkfifo', [join(rendererDir, 'pipe.js')]);
  assert.equal(fifo.status, 0, 'mkfifo works');
  handler = createRendererHandler({
    rootDir: rendererDir,
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  });
});

after(() => rmSync(base, { recursive: true, force: true }));

async function get(url: string, init?: RequestInit): Promise<Response> {
  const response = await handler(new Request(url, init));
  // The headers every response carries, served or refused.
  assert.equal(response.headers.get('Content-Security-Policy'), CONTENT_SECURITY_POLICY, url);
  assert.equal(response.headers.get('X-Content-Type-Options'), 'nosniff', url);
  assert.equal(response.headers.get('Cache-Control'), 'no-store', url);
  return response;
}

async function assertRefused(url: string, status: number, init?: RequestInit): Promise<void> {
  const response = await get(url, init);
  assert.equal(response.status, status, url);
  assert.equal(response.headers.get('Content-Type'), 'text/plain; charset=utf-8', url);
  assert.equal(await response.text(), '', `${url}: a refusal has no body`);
}

test('index.html, app.js and styles.css are served with their types and exact bytes', async () => {
  for (const [name, type] of [
    ['index.html', 'text/html; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['styles.css', 'text/css; charset=utf-8'],
    ['logo.png', 'image/png'],
    ['icon.svg', 'image/svg+xml'],
    ['font.woff2', 'font/woff2'],
    ['assets/deep.css', 'text/css; charset=utf-8'],
  ] as const) {
    const response = await get(`app://greeter/${name}`);
    assert.equal(response.status, 200, name);
    assert.equal(response.headers.get('Content-Type'), type, name);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), Buffer.from(FILES[name]!), name);
  }
  // A query does not choose anything: the same file.
  const withQuery = await get('app://greeter/app.js?v=2');
  assert.equal(await withQuery.text(), FILES['app.js']);
  assert.deepEqual(Object.keys(CONTENT_TYPES).sort(), [
    '.css',
    '.html',
    '.js',
    '.png',
    '.svg',
    '.woff2',
  ]);
});

test('traversal is refused, whether the URL parser resolved it or not', async () => {
  // The URL parser resolves plain and %2e-encoded dot segments first: what is left names a
  // file inside the directory, which does not exist there.
  for (const url of [
    'app://greeter/../outside.js',
    'app://greeter/%2e%2e/outside.js',
    'app://greeter/assets/../../outside.js',
    'app://greeter/.%2E/outside.js',
  ]) {
    assert.equal(new Request(url).url, 'app://greeter/outside.js', 'parser resolved it');
    await assertRefused(url, 404);
  }
  // What the parser leaves alone is refused by name: encoded separators, backslashes, NUL,
  // any other escape.
  for (const url of [
    'app://greeter/..%2foutside.js',
    'app://greeter/..%2Foutside.js',
    'app://greeter/%2e%2e%2foutside.js',
    'app://greeter/assets%2fdeep.css',
    'app://greeter/..\\outside.js',
    'app://greeter/..%5coutside.js',
    'app://greeter/index.html%00.js',
    'app://greeter/%69ndex.html',
    'app://greeter//etc/passwd.js',
  ]) {
    await assertRefused(url, 403);
  }
  // And below the URL layer, the resolved path must stay inside the directory even when the
  // segments would lead out (defence in depth behind the name check).
  await assert.rejects(
    () =>
      readRendererFile(rendererDir, {
        segments: ['..', 'outside.js'],
        contentType: CONTENT_TYPES['.js']!,
      }),
    (error: unknown) => error instanceof RendererRefusal && error.code === 'APP_OUTSIDE_ROOT',
  );
});

test('symlinks are followed only inside the directory and onto served names', async () => {
  const alias = await get('app://greeter/alias.js');
  assert.equal(alias.status, 200);
  assert.equal(await alias.text(), FILES['app.js']);
  await assertRefused('app://greeter/escape.js', 403);
  await assertRefused('app://greeter/null.js', 403);
  await assertRefused('app://greeter/to-hidden.js', 403);
  await assertRefused('app://greeter/to-notes.js', 403);
  await assertRefused('app://greeter/up/outside.js', 403);
});

test('other hosts, ports, credentials and schemes are refused', async () => {
  for (const url of [
    'app://other/index.html',
    'app://greeter.evil/index.html',
    'app://GREETER/index.html',
    'app://greeter:8080/index.html',
    'https://greeter/index.html',
    'file:///index.html',
  ]) {
    await assertRefused(url, 404);
  }
  // Node's Request refuses URLs with credentials outright; the handler's own check is proved
  // on the URL resolver it uses.
  for (const url of ['app://user@greeter/index.html', 'app://user:pw@greeter/index.html']) {
    assert.throws(() => new Request(url), TypeError);
    assert.throws(
      () => resolveRendererUrl(url),
      (error: unknown) => error instanceof RendererRefusal && error.code === 'APP_BAD_HOST',
    );
  }
  assert.deepEqual(resolveRendererUrl('app://greeter/index.html').segments, ['index.html']);
});

test('dotfiles, unlisted types, directories, pipes and missing files are refused', async () => {
  await assertRefused('app://greeter/.hidden.js', 403);
  await assertRefused('app://greeter/notes.txt', 403);
  await assertRefused('app://greeter/', 403);
  await assertRefused('app://greeter', 403);
  await assertRefused('app://greeter/assets/', 403);
  await assertRefused('app://greeter/assets', 403);
  await assertRefused('app://greeter/folder.css', 403);
  await assertRefused('app://greeter/pipe.js', 403);
  await assertRefused('app://greeter/missing.js', 404);
  await assertRefused('app://greeter/assets/missing.css', 404);
  await assertRefused('app://greeter/app.js/x.js', 404);
});

test('only GET is answered', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']) {
    await assertRefused('app://greeter/index.html', 405, { method });
  }
});

test('a renderer directory that does not exist serves nothing', async () => {
  const missing = createRendererHandler({
    rootDir: join(base, 'no-such-dir'),
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  });
  const response = await missing(new Request('app://greeter/index.html'));
  assert.equal(response.status, 404);
  assert.equal(response.headers.get('Content-Security-Policy'), CONTENT_SECURITY_POLICY);
});

test('renderIndex: only index.html goes through it, with the same headers; nothing else does', async () => {
  const seen: string[] = [];
  const firstPaint = createRendererHandler({
    rootDir: rendererDir,
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    renderIndex: async (html) => {
      seen.push(html);
      return html.replace('<title>', '<title>served ');
    },
  });
  const page = await firstPaint(new Request('app://greeter/index.html'));
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('Content-Type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('Content-Security-Policy'), CONTENT_SECURITY_POLICY);
  assert.equal(page.headers.get('X-Content-Type-Options'), 'nosniff');
  assert.equal(page.headers.get('Cache-Control'), 'no-store');
  assert.equal(await page.text(), '<!doctype html><title>served greeter</title>');
  assert.deepEqual(seen, [FILES['index.html']]);
  // Other files, and the refusals, are as without it.
  const script = await firstPaint(new Request('app://greeter/app.js'));
  assert.equal(await script.text(), FILES['app.js']);
  for (const url of [
    'app://other/index.html',
    'app://greeter/index.html/',
    'app://greeter/x/index.html',
  ]) {
    const refused = await firstPaint(new Request(url));
    assert.notEqual(refused.status, 200, url);
  }
  const posted = await firstPaint(new Request('app://greeter/index.html', { method: 'POST' }));
  assert.equal(posted.status, 405);
  assert.equal(seen.length, 1, 'renderIndex ran for the one page request only');
});

test('renderIndex that rejects, throws or hangs: the plain page, never a refusal (a blank greeter)', async () => {
  const started = Date.now();
  for (const renderIndex of [
    () => Promise.reject(new Error('boom')),
    () => {
      throw new Error('thrown, not rejected');
    },
    () => new Promise<string>(() => undefined),
    () => Promise.resolve(undefined as unknown as string),
  ]) {
    const failing = createRendererHandler({
      rootDir: rendererDir,
      contentSecurityPolicy: CONTENT_SECURITY_POLICY,
      renderIndex,
      renderIndexTimeoutMs: 50,
    });
    const response = await failing(new Request('app://greeter/index.html'));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('Content-Type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('Content-Security-Policy'), CONTENT_SECURITY_POLICY);
    assert.equal(await response.text(), FILES['index.html']);
  }
  // The hanging one was cut at its bound, not waited for.
  assert.ok(Date.now() - started < 2_000);
});
