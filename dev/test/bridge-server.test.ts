// The loopback bridge's own defences, over real HTTP, in front of the real backend of main/
// (its getInfo/validation paths need no helper; attempts are covered by e2e/).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../preload/api';
import { createGreeterBackend } from '../../main/ipc/greeter-backend';
import type { BastionGreeterBackend } from '../../main/ipc/greeter-backend';
import {
  injectBridgeScript,
  MAX_BODY_BYTES,
  startDevBridge,
  DevBridgeError,
} from '../bridge-server';
import type { DevBridge } from '../bridge-server';

const INDEX = `<!doctype html><html><head><script src="app.js" defer></script></head><body></body></html>`;

let dir = '';
let bridge: DevBridge;
let backend: BastionGreeterBackend;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-bridge-test-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), INDEX);
  writeFileSync(join(renderer, 'app.js'), 'console.log("app");');
  writeFileSync(join(renderer, '.secret.js'), 'no');
  writeFileSync(join(dir, 'outside.js'), 'outside');
  symlinkSync(join(dir, 'outside.js'), join(renderer, 'link.js'));
  writeFileSync(join(dir, 'bridge-client.js'), '/* client */');
  backend = createGreeterBackend({
    mode: 'login',
    locale: 'en',
    host: 'dev-chromium',
    currentUser: null,
    helperPath: '/nonexistent/bastion-pam-helper',
    stateDir: null,
    hostname: 'test-host',
    log: () => {},
  });
  bridge = await startDevBridge({
    backend,
    rendererDir: renderer,
    bridgeClientPath: join(dir, 'bridge-client.js'),
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
  });
});

after(async () => {
  await bridge.close();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; host?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: bridge.port,
        method,
        path,
        headers: { Host: options.host ?? `127.0.0.1:${bridge.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may cut an oversized upload short; report it like a status.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE')
        resolve({ status: -1, headers: {}, body: '' });
      else reject(error);
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

const json = { 'Content-Type': 'application/json' };
const NO_ARGS = '{"args":[]}';
const withToken = () => ({ ...json, 'X-Bastion-Token': bridge.token });
/** `/<secret>/`: where the page and its files are, as pageUrl names it. */
const pagePath = () => new URL(bridge.pageUrl).pathname;

test('binds 127.0.0.1 on a random port with a 32-byte token kept in the URL fragment', () => {
  assert.match(bridge.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(bridge.port > 0);
  assert.match(bridge.token, /^[0-9a-f]{64}$/);
  assert.match(bridge.pageUrl, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/#token=[0-9a-f]{64}$/);
  assert.equal(bridge.pageUrl, `${bridge.origin}${pagePath()}#token=${bridge.token}`);
  // The path's secret is not the token (it stays in the address bar and history).
  assert.ok(!pagePath().includes(bridge.token.slice(0, 32)));
});

test('index.html gets the bridge script before app.js, with the CSP and hardening headers', async () => {
  const reply = await send('GET', pagePath());
  assert.equal(reply.status, 200);
  assert.ok(reply.body.indexOf('bridge-client.js') < reply.body.indexOf('app.js'));
  assert.equal(reply.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
  assert.equal(reply.headers['x-frame-options'], 'DENY');
  assert.equal((await send('GET', `${pagePath()}index.html`)).body, reply.body);
  assert.equal((await send('GET', `${pagePath()}bridge-client.js`)).body, '/* client */');
  assert.equal(
    (await send('GET', `${pagePath()}app.js`)).headers['content-security-policy'],
    CONTENT_SECURITY_POLICY,
  );
});

test('injectBridgeScript refuses a page without app.js', () => {
  assert.throws(() => injectBridgeScript('<html></html>'), DevBridgeError);
  assert.match(
    injectBridgeScript(INDEX),
    /<script src="bridge-client.js"><\/script>\s*<script src="app.js"/,
  );
});

test('static files: no traversal, no dotfiles, no symlinks out of the renderer dir', async () => {
  for (const path of [
    '/../outside.js',
    '/%2e%2e/outside.js',
    '/.secret.js',
    '/link.js',
    '/nope.js',
    '/app.exe',
    '/%E0%A4%A.js',
  ]) {
    assert.equal((await send('GET', path)).status, 404, path);
    assert.equal((await send('GET', pagePath() + path.slice(1))).status, 404, path);
  }
});

test('the page (first paint and all) only below its secret path; elsewhere 404, nothing rendered', async () => {
  let rendered = 0;
  const dataBridge = await startDevBridge({
    backend,
    rendererDir: join(dir, 'renderer'),
    bridgeClientPath: join(dir, 'bridge-client.js'),
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    renderPage: async (html) => {
      rendered += 1;
      const info = (await backend.handle('getInfo', undefined)) as { hostname: string };
      return html.replace('<body>', `<body><div id="data">${info.hostname}</div>`);
    },
  });
  try {
    const get = (path: string, host = `127.0.0.1:${dataBridge.port}`) =>
      new Promise<Reply>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: dataBridge.port, path, headers: { Host: host } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString(),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
    const secret = new URL(dataBridge.pageUrl).pathname;
    const wrong = `/${'0'.repeat(32)}/`;
    for (const path of [
      '/',
      '/index.html',
      '/app.js',
      '/bridge-client.js',
      wrong,
      `${wrong}index.html`,
      secret.slice(0, -1),
      secret.toUpperCase(),
      `/x${secret}`,
      pagePath(), // another bridge's secret
    ]) {
      const reply = await get(path);
      assert.equal(reply.status, 404, path);
      assert.doesNotMatch(reply.body, /test-host/, path);
    }
    assert.equal(rendered, 0, 'no request without the secret made the backend answer');
    const page = await get(secret);
    assert.equal(page.status, 200);
    assert.match(page.body, /<div id="data">test-host<\/div>/);
    assert.equal(rendered, 1);
  } finally {
    await dataBridge.close();
  }
});

test('a page render that fails serves the plain page', async () => {
  const failing = await startDevBridge({
    backend,
    rendererDir: join(dir, 'renderer'),
    bridgeClientPath: join(dir, 'bridge-client.js'),
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    renderPage: () => Promise.reject(new Error('render failed')),
  });
  try {
    const reply = await fetch(failing.pageUrl);
    assert.equal(reply.status, 200);
    assert.equal(await reply.text(), injectBridgeScript(INDEX));
  } finally {
    await failing.close();
  }
});

test('a call with the token reaches the real backend', async () => {
  const reply = await send('POST', '/api/getInfo', { headers: withToken(), body: NO_ARGS });
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.body), {
    ok: true,
    value: {
      mode: 'login',
      hostname: 'test-host',
      currentUser: null,
      locale: 'en',
      offline: false,
      host: 'dev-chromium',
    },
  });
});

test('missing, wrong, short or differently-cased token → 403, backend untouched', async () => {
  const tokens: (string | undefined)[] = [
    undefined,
    '',
    'x',
    bridge.token.slice(0, -1),
    bridge.token.toUpperCase(),
    `${bridge.token}0`,
  ];
  for (const token of tokens) {
    const headers: Record<string, string> =
      token === undefined ? json : { ...json, 'X-Bastion-Token': token };
    const reply = await send('POST', '/api/startAuth', {
      headers,
      body: '{"args":[{"user":"demo"}]}',
    });
    assert.equal(reply.status, 403, String(token));
  }
  const snapshot = (await backend.handle('getAuthSnapshot', undefined)) as { phase: string };
  assert.equal(snapshot.phase, 'idle');
});

test('DNS rebinding: any Host other than 127.0.0.1:<port> → 403, even for static files', async () => {
  for (const host of [
    'evil.example',
    `evil.example:${bridge.port}`,
    `localhost:${bridge.port}`,
    '127.0.0.1',
  ]) {
    assert.equal((await send('GET', pagePath(), { host })).status, 403, host);
    assert.equal(
      (await send('POST', '/api/getInfo', { host, headers: withToken(), body: NO_ARGS })).status,
      403,
      host,
    );
  }
});

test('a cross-origin Origin header → 403', async () => {
  const headers = { ...withToken(), Origin: 'http://evil.example' };
  assert.equal((await send('POST', '/api/getInfo', { headers, body: NO_ARGS })).status, 403);
});

test('only JSON bodies of at most 16 KiB, in the {args} envelope', async () => {
  const big = JSON.stringify({ args: [{ text: 'x'.repeat(MAX_BODY_BYTES) }] });
  const tooBig = await send('POST', '/api/answer', { headers: withToken(), body: big });
  assert.ok(tooBig.status === 413 || tooBig.status === -1, `status ${tooBig.status}`);
  const form = await send('POST', '/api/getInfo', {
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Bastion-Token': bridge.token,
    },
    body: 'a=b',
  });
  assert.equal(form.status, 415);
  assert.equal(
    (await send('POST', '/api/getInfo', { headers: withToken(), body: '{' })).status,
    400,
  );
  assert.equal(
    (await send('POST', '/api/getInfo', { headers: withToken(), body: '[]' })).status,
    400,
  );
  for (const body of ['{"args":[],"x":2}', '{}', '{"args":{"0":1}}', '{"payload":1}']) {
    assert.equal(
      (await send('POST', '/api/getInfo', { headers: withToken(), body })).status,
      400,
      body,
    );
  }
});

test('more than one argument is refused before the backend, as Electron IPC refuses it', async () => {
  const reply = await send('POST', '/api/startAuth', {
    headers: withToken(),
    body: '{"args":[{"user":"demo"},"extra"]}',
  });
  assert.equal(reply.status, 400);
  assert.deepEqual(JSON.parse(reply.body), {
    ok: false,
    error: {
      name: 'IpcRefusedError',
      code: 'IPC_TOO_MANY_ARGUMENTS',
      message: 'at most one payload',
    },
  });
  const snapshot = (await backend.handle('getAuthSnapshot', undefined)) as { phase: string };
  assert.equal(snapshot.phase, 'idle');
});

test('unknown calls → 404, wrong methods → 405', async () => {
  assert.equal(
    (await send('POST', '/api/invoke', { headers: withToken(), body: NO_ARGS })).status,
    404,
  );
  assert.equal(
    (await send('POST', '/api/constructor', { headers: withToken(), body: NO_ARGS })).status,
    404,
  );
  assert.equal((await send('GET', '/api/getInfo', { headers: withToken() })).status, 405);
  assert.equal((await send('PUT', pagePath())).status, 405);
});

test('backend validation errors come back as 400 with their code', async () => {
  const reply = await send('POST', '/api/startAuth', {
    headers: withToken(),
    body: '{"args":[{"user":5}]}',
  });
  assert.equal(reply.status, 400);
  const body = JSON.parse(reply.body) as { ok: boolean; error: { name: string; code: string } };
  assert.equal(body.ok, false);
  assert.equal(body.error.name, 'IpcValidationError');
  assert.equal(body.error.code, 'WRONG_TYPE');
});

test('events need the token; with it, snapshots stream as Server-Sent Events', async () => {
  assert.equal((await send('GET', '/events')).status, 403);
  assert.equal((await send('GET', `/events?token=${'0'.repeat(64)}`)).status, 403);
  const received = await new Promise<string>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: bridge.port,
        path: `/events?token=${bridge.token}`,
        headers: { Host: `127.0.0.1:${bridge.port}` },
      },
      (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('event: snapshot')) {
            req.destroy();
            resolve(text);
          }
        });
        // A state change makes the backend publish a snapshot: an attempt for a user
        // whose helper does not exist fails at once.
        void backend.handle('startAuth', { user: 'demo' }).catch(reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    req.end();
  });
  const data = /data: (.*)\n/.exec(received);
  assert.ok(data);
  const snapshot = JSON.parse(data[1]!) as { user: string };
  assert.equal(snapshot.user, 'demo');
});
