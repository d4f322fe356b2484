// A greetd stand-in for tests only: an AF_UNIX server speaking greetd's framing, whose replies
// the test scripts — well-behaved ones (a small PAM conversation) and hostile ones (bad JSON,
// unknown types, huge lengths, wrong field types, a slow drip, silence, a close).
// Real greetd is tested in ../greetd-client.greetd.test.ts; this one says what no real
// daemon can be made to say.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { endianness } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LE = endianness() === 'LE';

export function lengthPrefix(n: number): Buffer {
  const b = Buffer.alloc(4);
  if (LE) b.writeUInt32LE(n >>> 0, 0);
  else b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function frameJson(value: unknown): Buffer {
  const body = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
  return Buffer.concat([lengthPrefix(body.length), body]);
}

/** What a script can do on one connection. */
export interface StandinPeer {
  reply(value: unknown): void;
  raw(bytes: Buffer): void;
  /** Sends `bytes` one byte every `intervalMs`. */
  drip(bytes: Buffer, intervalMs: number): void;
  close(): void;
  /** Requests received on this connection so far (parsed JSON). */
  readonly requests: Record<string, unknown>[];
}

/** Called for each request; `index` counts requests over the whole server. */
export type StandinScript = (
  request: Record<string, unknown>,
  peer: StandinPeer,
  index: number,
) => void;

export interface GreetdStandin {
  path: string;
  /** Every request received, on every connection, in order. */
  requests: Record<string, unknown>[];
  connections(): number;
  stop(): Promise<void>;
}

export async function startGreetdStandin(script: StandinScript): Promise<GreetdStandin> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-greetd-standin-'));
  const path = join(dir, 'greetd.sock');
  const requests: Record<string, unknown>[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    const peer: StandinPeer = {
      requests: [],
      reply: (value) => {
        if (!socket.destroyed) socket.write(frameJson(value));
      },
      raw: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      drip: (bytes, intervalMs) => {
        let i = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || i >= bytes.length) {
            clearInterval(timer);
            timers.delete(timer);
            return;
          }
          socket.write(bytes.subarray(i, i + 1));
          i += 1;
        }, intervalMs);
        timers.add(timer);
      },
      close: () => socket.destroy(),
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const n = LE ? buffered.readUInt32LE(0) : buffered.readUInt32BE(0);
        if (buffered.length < 4 + n) break;
        const request = JSON.parse(buffered.subarray(4, 4 + n).toString('utf8')) as Record<
          string,
          unknown
        >;
        buffered = buffered.subarray(4 + n);
        peer.requests.push(request);
        requests.push(request);
        script(request, peer, requests.length - 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    requests,
    connections: () => connections,
    stop: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A well-behaved greetd for one user: `prompts` in order (info/error acknowledged with null),
 * `password` expected for the last secret prompt; wrong → auth_error, and like greetd 0.9 a
 * new create_session before cancel_session gets "a session is already being configured".
 */
export function politeGreetd(options: {
  prompts: { kind: 'visible' | 'secret' | 'info' | 'error'; text: string }[];
  password: string;
}): StandinScript {
  let step = -1;
  let configuring = false;
  let failed = false;
  const next = (peer: StandinPeer) => {
    step += 1;
    const prompt = options.prompts[step];
    if (prompt) {
      peer.reply({
        type: 'auth_message',
        auth_message_type: prompt.kind,
        auth_message: prompt.text,
      });
    } else if (failed) {
      peer.reply({
        type: 'error',
        error_type: 'auth_error',
        description: 'pam_authenticate: AUTH_ERR',
      });
    } else peer.reply({ type: 'success' });
  };
  return (request, peer) => {
    switch (request.type) {
      case 'create_session':
        if (configuring) {
          peer.reply({
            type: 'error',
            error_type: 'error',
            description: 'a session is already being configured',
          });
          return;
        }
        configuring = true;
        failed = false;
        step = -1;
        next(peer);
        return;
      case 'post_auth_message_response': {
        const prompt = options.prompts[step];
        if (prompt?.kind === 'secret' && request.response !== options.password) failed = true;
        next(peer);
        return;
      }
      case 'cancel_session':
        configuring = false;
        peer.reply({ type: 'success' });
        return;
      case 'start_session':
        peer.reply(
          configuring && !failed
            ? { type: 'success' }
            : { type: 'error', error_type: 'error', description: 'no session active' },
        );
        return;
      default:
        peer.close();
    }
  };
}
