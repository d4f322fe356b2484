// CTAPHID transactions over any 64-byte report device: channel allocation (INIT with a nonce),
// request/response with keepalive events, channel-busy retry, CANCEL, per-call deadlines and a
// typed DEVICE_GONE when the device disappears. The device is an interface so the same code
// runs over node-hid (hid-device.ts) and, in tests, over the in-process software authenticator.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  BROADCAST_CID,
  CtapHidCmd,
  CtapHidError,
  fragment,
  packetChannel,
  Reassembler,
} from './ctaphid-frame';
import { Fido2Error } from './errors';

/** One HID report device: 64-byte reports in both directions (the report id is the device's business). */
export interface HidReportDevice {
  readonly path: string;
  write(report: Uint8Array): Promise<void>;
  /** Next report, or null when `timeoutMs` passed. Throws Fido2Error DEVICE_GONE when unplugged. */
  read(timeoutMs: number): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

export type KeepaliveEvent = { kind: 'processing' } | { kind: 'touch-needed' };

export interface TransactionOptions {
  /** Whole-call deadline in milliseconds (covers busy retries and touch waits). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called once per change of keepalive status (not for every keepalive packet). */
  onKeepalive?: (event: KeepaliveEvent) => void;
}

export interface CtapHidDeviceInfo {
  cid: number;
  protocolVersion: number;
  deviceVersion: [number, number, number];
  capabilities: { wink: boolean; cbor: boolean; nmsg: boolean };
}

/** Counters for benchmarks and tests: how many transactions and reports went over the wire. */
export interface TransportStats {
  transactions: number;
  reportsWritten: number;
  reportsRead: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const INIT_TIMEOUT_MS = 3_000;
const BUSY_RETRY_MS = 100;
/** How long to wait for the device's answer after we sent CANCEL. */
const CANCEL_GRACE_MS = 1_000;
/** Longest single read; keeps abort and deadline checks responsive. */
const READ_SLICE_MS = 100;

const KEEPALIVE_PROCESSING = 1;
const KEEPALIVE_UPNEEDED = 2;

export class CtapHidTransport {
  readonly stats: TransportStats = { transactions: 0, reportsWritten: 0, reportsRead: 0 };
  private busy = false;
  /** Set when a transaction ended without its answer: the next one first resyncs the channel. */
  private needsResync = false;

  private constructor(
    private readonly device: HidReportDevice,
    readonly info: CtapHidDeviceInfo,
  ) {}

  get path(): string {
    return this.device.path;
  }

  /** Allocates a channel on `device` (INIT on the broadcast channel with a fresh nonce). */
  static async open(
    device: HidReportDevice,
    options: { timeoutMs?: number } = {},
  ): Promise<CtapHidTransport> {
    const nonce = randomBytes(8);
    const stats: TransportStats = { transactions: 1, reportsWritten: 0, reportsRead: 0 };
    const deadline = Date.now() + (options.timeoutMs ?? INIT_TIMEOUT_MS);
    for (const packet of fragment({ cid: BROADCAST_CID, cmd: CtapHidCmd.INIT, payload: nonce })) {
      await device.write(packet);
      stats.reportsWritten++;
    }
    const reassembler = new Reassembler(BROADCAST_CID);
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new Fido2Error(
          'TIMEOUT',
          'The security key did not answer. Re-insert it and try again.',
        );
      const packet = await device.read(Math.min(remaining, READ_SLICE_MS));
      if (packet === null) continue;
      stats.reportsRead++;
      let result;
      try {
        result = reassembler.push(packet);
      } catch {
        reassembler.reset();
        continue; // another host's broadcast traffic: not ours
      }
      if (result.kind !== 'message') continue;
      const { cmd, payload } = result.message;
      if (cmd !== CtapHidCmd.INIT || payload.length < 17) continue;
      // Another program's INIT answer also arrives on the broadcast channel: match our nonce.
      if (!timingSafeEqual(payload.subarray(0, 8), nonce)) continue;
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      const caps = payload[16]!;
      const transport = new CtapHidTransport(device, {
        cid: view.getUint32(8),
        protocolVersion: payload[12]!,
        deviceVersion: [payload[13]!, payload[14]!, payload[15]!],
        capabilities: {
          wink: (caps & 0x01) !== 0,
          cbor: (caps & 0x04) !== 0,
          nmsg: (caps & 0x08) !== 0,
        },
      });
      Object.assign(transport.stats, stats);
      return transport;
    }
  }

  /** One request/response on our channel. Returns the response payload of the same command. */
  async transaction(
    cmd: number,
    payload: Uint8Array,
    options: TransactionOptions = {},
  ): Promise<Uint8Array> {
    if (this.busy)
      throw new Fido2Error('DEVICE_BUSY', 'A security-key operation is already running.');
    this.busy = true;
    try {
      if (this.needsResync) await this.resync();
      return await this.runTransaction(cmd, payload, options);
    } catch (err) {
      // A late answer to this request could otherwise be taken for the next one's.
      if (err instanceof Fido2Error && err.code !== 'DEVICE_GONE') this.needsResync = true;
      throw err;
    } finally {
      this.busy = false;
    }
  }

  /**
   * INIT on our own channel (CTAPHID "resync"): the key aborts whatever it still does for
   * us and answers with our nonce; everything before that answer is discarded.
   */
  private async resync(): Promise<void> {
    const nonce = randomBytes(8);
    await this.send(CtapHidCmd.INIT, nonce);
    const reassembler = new Reassembler(this.info.cid);
    const deadline = Date.now() + INIT_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const packet = await this.device.read(
        Math.max(1, Math.min(deadline - Date.now(), READ_SLICE_MS)),
      );
      if (packet === null) continue;
      this.stats.reportsRead++;
      let result;
      try {
        result = reassembler.push(packet);
      } catch {
        reassembler.reset();
        continue;
      }
      if (result.kind !== 'message' || result.message.cmd !== CtapHidCmd.INIT) continue;
      const answer = result.message.payload;
      if (answer.length >= 17 && timingSafeEqual(answer.subarray(0, 8), nonce)) {
        this.needsResync = false;
        return;
      }
    }
    throw new Fido2Error(
      'TIMEOUT',
      'The security key does not answer. Re-insert it and try again.',
    );
  }

  private async send(cmd: number, payload: Uint8Array): Promise<void> {
    for (const packet of fragment({ cid: this.info.cid, cmd, payload })) {
      await this.device.write(packet);
      this.stats.reportsWritten++;
    }
  }

  private async runTransaction(
    cmd: number,
    payload: Uint8Array,
    options: TransactionOptions,
  ): Promise<Uint8Array> {
    const signal = options.signal;
    if (signal?.aborted) throw new Fido2Error('CANCELLED', 'The operation was cancelled.');
    let deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.stats.transactions++;
    await this.send(cmd, payload);
    const reassembler = new Reassembler(this.info.cid);
    let lastKeepalive = 0;
    let cancelSent: 'abort' | 'timeout' | null = null;
    for (;;) {
      if (cancelSent === null && (signal?.aborted || Date.now() >= deadline)) {
        // CANCEL makes the device stop waiting for touch and answer KEEPALIVE_CANCEL.
        cancelSent = signal?.aborted ? 'abort' : 'timeout';
        await this.send(CtapHidCmd.CANCEL, new Uint8Array(0));
        deadline = Date.now() + CANCEL_GRACE_MS;
      } else if (cancelSent !== null && Date.now() >= deadline) {
        throw cancelError(cancelSent);
      }
      const packet = await this.device.read(
        Math.max(1, Math.min(deadline - Date.now(), READ_SLICE_MS)),
      );
      if (packet === null) continue;
      this.stats.reportsRead++;
      if (packetChannel(packet) !== this.info.cid) continue; // other programs' channels
      const result = reassembler.push(packet);
      if (result.kind !== 'message') continue;
      const message = result.message;
      if (message.cmd === CtapHidCmd.KEEPALIVE) {
        const status = message.payload[0] ?? 0;
        if (status !== lastKeepalive) {
          lastKeepalive = status;
          if (status === KEEPALIVE_PROCESSING) options.onKeepalive?.({ kind: 'processing' });
          if (status === KEEPALIVE_UPNEEDED) options.onKeepalive?.({ kind: 'touch-needed' });
        }
        continue;
      }
      if (message.cmd === CtapHidCmd.ERROR) {
        const code = message.payload[0] ?? CtapHidError.OTHER;
        if (code === CtapHidError.CHANNEL_BUSY && cancelSent === null) {
          // Another program holds the key: retry the whole request a little later.
          if (Date.now() + BUSY_RETRY_MS >= deadline) {
            throw new Fido2Error(
              'DEVICE_BUSY',
              'The security key is busy with another program. Try again.',
            );
          }
          await sleep(BUSY_RETRY_MS, signal);
          this.stats.transactions++;
          await this.send(cmd, payload);
          continue;
        }
        if (cancelSent !== null) throw cancelError(cancelSent);
        throw hidError(code);
      }
      if (message.cmd !== cmd) {
        throw new Fido2Error(
          'PROTOCOL_ERROR',
          `The security key answered command 0x${message.cmd.toString(16)} to 0x${cmd.toString(16)}.`,
        );
      }
      if (cancelSent !== null && cmd === CtapHidCmd.CBOR && message.payload[0] === 0x2d)
        throw cancelError(cancelSent);
      return message.payload;
    }
  }

  async close(): Promise<void> {
    await this.device.close();
  }
}

function cancelError(reason: 'abort' | 'timeout'): Fido2Error {
  return reason === 'abort'
    ? new Fido2Error('CANCELLED', 'The operation was cancelled.')
    : new Fido2Error('TIMEOUT', 'The security key was not touched in time. Try again.');
}

function hidError(code: number): Fido2Error {
  switch (code) {
    case CtapHidError.INVALID_SEQ:
      return new Fido2Error(
        'PROTOCOL_ERROR',
        'The security key saw a broken message sequence. Try again.',
      );
    case CtapHidError.MSG_TIMEOUT:
      return new Fido2Error('TIMEOUT', 'The security key timed out waiting for the message.');
    case CtapHidError.CHANNEL_BUSY:
      return new Fido2Error(
        'DEVICE_BUSY',
        'The security key is busy with another program. Try again.',
      );
    case CtapHidError.INVALID_CHANNEL:
      return new Fido2Error(
        'PROTOCOL_ERROR',
        'The security key forgot our channel. Re-insert it and try again.',
      );
    default:
      return new Fido2Error(
        'PROTOCOL_ERROR',
        `The security key reported CTAPHID error 0x${code.toString(16)}.`,
      );
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
