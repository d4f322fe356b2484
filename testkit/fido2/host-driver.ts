// Test-only: runs our FIDO2 host stack over node-hid's real native path (in a child process
// that has the fake-hidraw shim preloaded) and prints one JSON object. The request is JSON in
// argv[2] (no secrets); a PIN, when used, is the first line of stdin.
import { createInterface } from 'node:readline';
import { Permission } from '../../main/fido2/ctap2';
import { openAuthenticator } from '../../main/fido2/device-choice';
import { Fido2Error } from '../../main/fido2/errors';
import { getHmacSecret, hmacSecretCreateExtension } from '../../main/fido2/hmac-secret';
import { listFidoDevices, openHidDevice } from '../../main/fido2/hid-device';
import type { PinProtocolVersion } from '../../main/fido2/pin-protocol';

export interface DriverRequest {
  op: 'list' | 'make' | 'hmac' | 'info' | 'cancel-during-touch';
  device?: string;
  rp?: string;
  cred?: string;
  salt1?: string;
  salt2?: string;
  protocol?: PinProtocolVersion;
  pinStdin?: boolean;
  up?: boolean;
  repeat?: number;
  timeoutMs?: number;
}

async function readPin(): Promise<string> {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  throw new Error('no PIN on stdin');
}

async function run(request: DriverRequest): Promise<Record<string, unknown>> {
  if (request.op === 'list') return { devices: await listFidoDevices() };
  const pin = request.pinStdin ? await readPin() : undefined;
  const started = Date.now();
  const keepalives: string[] = [];
  const opened = await openAuthenticator(openHidDevice, request.device!, {
    ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    onKeepalive: (e) => keepalives.push(e.kind),
  });
  try {
    const rp = request.rp ?? 'example.org';
    if (request.op === 'info') return { info: await opened.client.getInfo() };
    if (request.op === 'make') {
      const pinAuth =
        pin === undefined
          ? undefined
          : await opened.client.getPinToken(pin, {
              permissions: Permission.MAKE_CREDENTIAL,
              rpId: rp,
            });
      const made = await opened.client.makeCredential({
        clientDataHash: Buffer.alloc(32),
        rp: { id: rp, name: rp },
        user: { id: Buffer.from('user-id-1'), name: 'alice' },
        extensions: hmacSecretCreateExtension(),
        ...(pinAuth ? { pinAuth } : {}),
      });
      return { credentialId: Buffer.from(made.authData.credentialId!).toString('hex'), keepalives };
    }
    if (request.op === 'cancel-during-touch') {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      await opened.client.getAssertion(
        {
          rpId: rp,
          clientDataHash: Buffer.alloc(32),
          allowList: [Buffer.from(request.cred!, 'hex')],
        },
        { signal: controller.signal },
      );
      return { unexpected: 'assertion succeeded' };
    }
    const times: number[] = [];
    let result;
    const transactionsBefore = opened.transport.stats.transactions;
    for (let i = 0; i < (request.repeat ?? 1); i++) {
      const t0 = process.hrtime.bigint();
      result = await getHmacSecret(opened.client, {
        rpId: rp,
        credentialIds: [Buffer.from(request.cred!, 'hex')],
        salt1: Buffer.from(request.salt1!, 'hex'),
        ...(request.salt2 ? { salt2: Buffer.from(request.salt2, 'hex') } : {}),
        ...(request.protocol ? { pinProtocol: request.protocol } : {}),
        ...(pin !== undefined ? { pin } : {}),
        ...(request.up === false ? { up: false } : {}),
      });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const out = result!.output;
    return {
      output1: out.subarray(0, 32).toString('hex'),
      ...(out.length > 32 ? { output2: out.subarray(32).toString('hex') } : {}),
      uv: result!.userVerified,
      ms: times,
      transactions: opened.transport.stats.transactions - transactionsBefore,
      keepalives,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await opened.close();
  }
}

const request = JSON.parse(process.argv[2] ?? '{}') as DriverRequest;
const started = Date.now();
run(request).then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(0);
  },
  (err: unknown) => {
    const code = err instanceof Fido2Error ? err.code : 'UNTYPED';
    process.stdout.write(
      JSON.stringify({
        error: code,
        message: (err as Error).message,
        elapsedMs: Date.now() - started,
      }) + '\n',
    );
    process.exit(2);
  },
);
