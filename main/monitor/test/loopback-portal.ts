// A real HTTP server on 127.0.0.1 standing in for the SSO portal's discovery document, for
// the monitor's tests and the e2e banner test. What it answers is switched at run time;
// it can be stopped (the port then refuses connections) and started again on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PortalBehaviour =
  | { kind: 'status'; status: number }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  | { kind: 'redirect'; status: 301 | 302 | 307 | 308; location: string }
  /** 200 with a body that never ends. */
  | { kind: 'endless-body' };

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const PAM_USERINFO_PATH = '/pam/userinfo';

/**
 * TEST DOUBLE of Open Bastion's `POST /pam/userinfo {user}` (a portal plugin Debian's
 * LemonLDAP::NG lacks): `{found, user, groups}` from `users` (name → enabled). It checks the
 * Bearer server token is present, not its value; request signing is not checked here.
 */
function answerPamUserinfo(
  request: IncomingMessage,
  response: ServerResponse,
  users: Map<string, boolean>,
): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (!/^Bearer \S+$/.test(request.headers.authorization ?? '')) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end('{"error":"unauthorized"}');
      return;
    }
    let user: unknown;
    try {
      user = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { user?: unknown }).user;
    } catch {
      user = undefined;
    }
    if (typeof user !== 'string') {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"error":"bad request"}');
      return;
    }
    const found = users.get(user) === true;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(found ? { found, user, groups: ['staff'] } : { found }));
  });
}

export interface LoopbackPortal {
  /** The discovery document's URL (the one to configure). */
  readonly url: URL;
  /** Path and query of every request received, in order. */
  readonly requests: string[];
  /** The `/pam/userinfo` test double's users: name → enabled (absent: not found). */
  readonly pamUsers: Map<string, boolean>;
  behaviour: PortalBehaviour;
  /** Resolves once every endless body was torn down by the client. */
  endlessBodiesClosed(): Promise<void>;
  /** Stops listening and drops open connections: probes then get ECONNREFUSED. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const DISCOVERY_BODY = JSON.stringify({
  issuer: 'http://127.0.0.1',
  jwks_uri: 'http://127.0.0.1/jwks',
});

export async function startLoopbackPortal(
  behaviour: PortalBehaviour = { kind: 'status', status: 200 },
): Promise<LoopbackPortal> {
  const requests: string[] = [];
  const pamUsers = new Map<string, boolean>();
  const openBodies = new Set<Promise<void>>();
  let listening = false;
  const state = { behaviour };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    requests.push(request.url ?? '');
    if (request.method === 'POST' && request.url === PAM_USERINFO_PATH) {
      answerPamUserinfo(request, response, pamUsers);
      return;
    }
    const now = state.behaviour;
    switch (now.kind) {
      case 'status':
        response.writeHead(now.status, { 'content-type': 'application/json' });
        response.end(DISCOVERY_BODY);
        return;
      case 'hang':
        return;
      case 'redirect':
        response.writeHead(now.status, { location: now.location });
        response.end();
        return;
      case 'endless-body': {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let closed = false;
        openBodies.add(
          new Promise<void>((resolve) =>
            response.once('close', () => {
              closed = true;
              resolve();
            }),
          ),
        );
        const pump = (): void => {
          while (!closed && response.write(chunk));
          if (!closed) response.once('drain', pump);
        };
        pump();
        return;
      }
    }
  };

  const server: Server = createServer(handle);
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        listening = true;
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const url = new URL(`http://127.0.0.1:${port}${DISCOVERY_PATH}`);
  return {
    url,
    requests,
    pamUsers,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(next: PortalBehaviour) {
      state.behaviour = next;
    },
    endlessBodiesClosed: async () => {
      await Promise.all(openBodies);
    },
    stop,
    restart: () => listen(port),
    close: stop,
  };
}
