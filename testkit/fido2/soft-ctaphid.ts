// Test-only software FIDO2 authenticator, CTAPHID layer: channel allocation, reassembly,
// keepalives during touch waits, CANCEL, and the faults real keys and hosts produce
// (busy channel, foreign-channel frames, bad sequence numbers, keepalive floods, silence,
// disappearing). Reports go to every attached reader, as hidraw does.
import { randomBytes } from 'node:crypto';
import {
  CtapHidCmd,
  CtapHidError,
  fragment,
  isInitPacket,
  packetChannel,
  REPORT_SIZE,
  BROADCAST_CID,
} from '../../main/fido2/ctaphid-frame';
import { Reassembler } from '../../main/fido2/ctaphid-frame';
import { CtapStatus } from '../../main/fido2/errors';
import type { SoftAuthenticator, UserPresence } from './soft-ctap2';
import { CtapStatusError } from './soft-ctap2';

export interface HidFaults {
  /** Answer this many CBOR requests with ERROR CHANNEL_BUSY first. */
  busyCount: number;
  /** Before every response, send a whole message on another channel. */
  foreignFrames: boolean;
  /** Corrupt the sequence number of the first continuation packet of responses. */
  badSequence: boolean;
  /** Never answer CBOR requests; send KEEPALIVE(processing) every 10 ms, ignoring CANCEL. */
  keepaliveFlood: boolean;
  /** Never answer anything after INIT. */
  silent: boolean;
  /** Keep waiting for touch after CANCEL (a resync INIT still aborts). */
  ignoreCancel: boolean;
  /** Disappear (close every reader) on this CBOR request number (1-based), mid-call. */
  goneOnRequest: number | null;
}

export const noFaults: HidFaults = {
  busyCount: 0,
  foreignFrames: false,
  badSequence: false,
  keepaliveFlood: false,
  silent: false,
  ignoreCancel: false,
  goneOnRequest: null,
};

export interface HidReader {
  deliver(report: Uint8Array): void;
  /** The device went away: the reader must fail every later read. */
  gone(): void;
}

const KEEPALIVE_INTERVAL_MS = 50;

export class SoftCtapHid {
  readonly faults: HidFaults;
  private readers = new Set<HidReader>();
  private reassemblers = new Map<number, Reassembler>();
  private channels = new Set<number>();
  private busyChannel: number | null = null;
  private cancelRequested = false;
  /** Requests are numbered; a resync INIT aborts (and drops the answers of) all up to now. */
  private requestNumber = 0;
  private abortedUpTo = 0;
  private cborRequests = 0;
  private isGone = false;
  /** How many CTAPHID requests (complete messages) arrived, for benchmarks. */
  messagesReceived = 0;

  constructor(
    readonly authenticator: SoftAuthenticator,
    faults: Partial<HidFaults> = {},
  ) {
    this.faults = { ...noFaults, ...faults };
  }

  get gone(): boolean {
    return this.isGone;
  }

  /** How many host handles are attached (not yet closed), for tests that check cleanup. */
  get openHandles(): number {
    return this.readers.size;
  }

  attach(reader: HidReader): () => void {
    if (this.isGone) {
      reader.gone();
      return () => undefined;
    }
    this.readers.add(reader);
    return () => this.readers.delete(reader);
  }

  /** Unplugs the device: all readers fail, new ones fail at once. */
  unplug(): void {
    this.isGone = true;
    for (const reader of this.readers) reader.gone();
    this.readers.clear();
  }

  private send(cid: number, cmd: number, payload: Uint8Array): void {
    if (this.isGone) return;
    const packets = fragment({ cid, cmd, payload });
    if (this.faults.badSequence && packets.length > 1 && cmd !== CtapHidCmd.KEEPALIVE)
      packets[1]![4] = 5;
    for (const packet of packets) for (const reader of this.readers) reader.deliver(packet);
  }

  private sendError(cid: number, code: number): void {
    this.send(cid, CtapHidCmd.ERROR, Uint8Array.of(code));
  }

  /** One 64-byte output report from a host. */
  receive(report: Uint8Array): void {
    if (this.isGone || report.length !== REPORT_SIZE) return;
    const cid = packetChannel(report);
    if (cid !== BROADCAST_CID && !this.channels.has(cid)) {
      this.sendError(cid, CtapHidError.INVALID_CHANNEL);
      return;
    }
    if (isInitPacket(report) && (report[4]! & 0x7f) === CtapHidCmd.CANCEL) {
      if (cid === this.busyChannel && !this.faults.ignoreCancel) this.cancelRequested = true;
      return; // CANCEL has no response of its own
    }
    if (
      this.busyChannel !== null &&
      cid !== this.busyChannel &&
      isInitPacket(report) &&
      (report[4]! & 0x7f) !== CtapHidCmd.INIT
    ) {
      this.sendError(cid, CtapHidError.CHANNEL_BUSY);
      return;
    }
    let reassembler = this.reassemblers.get(cid);
    if (!reassembler) {
      reassembler = new Reassembler(cid);
      this.reassemblers.set(cid, reassembler);
    }
    let result;
    try {
      result = reassembler.push(report);
    } catch {
      this.sendError(cid, CtapHidError.INVALID_SEQ);
      return;
    }
    if (result.kind !== 'message') return;
    this.messagesReceived++;
    void this.dispatch(result.message.cid, result.message.cmd, result.message.payload);
  }

  private async dispatch(cid: number, cmd: number, payload: Uint8Array): Promise<void> {
    if (cmd === CtapHidCmd.INIT) {
      if (payload.length !== 8) return this.sendError(cid, CtapHidError.INVALID_LEN);
      let newCid = cid;
      if (cid === this.busyChannel) this.abortedUpTo = this.requestNumber; // resync: abandon the pending request
      if (cid === BROADCAST_CID) {
        do newCid = randomBytes(4).readUInt32BE(0);
        while (newCid === 0 || newCid === BROADCAST_CID || this.channels.has(newCid));
        this.channels.add(newCid);
      }
      const response = Buffer.alloc(17);
      Buffer.from(payload).copy(response, 0);
      response.writeUInt32BE(newCid, 8);
      response[12] = 2; // CTAPHID protocol version
      response.set([1, 0, 0], 13);
      response[16] = 0x01 | 0x04 | 0x08; // WINK | CBOR | NMSG (no U2F)
      this.send(cid, CtapHidCmd.INIT, response);
      return;
    }
    if (this.faults.silent) return;
    if (this.faults.foreignFrames) this.send(cid ^ 0x5a5a5a5a, CtapHidCmd.CBOR, randomBytes(100));
    switch (cmd) {
      case CtapHidCmd.PING:
        this.send(cid, CtapHidCmd.PING, payload);
        return;
      case CtapHidCmd.WINK:
        this.send(cid, CtapHidCmd.WINK, new Uint8Array(0));
        return;
      case CtapHidCmd.CBOR:
        await this.cbor(cid, payload);
        return;
      default:
        this.sendError(cid, CtapHidError.INVALID_CMD);
    }
  }

  private async cbor(cid: number, payload: Uint8Array): Promise<void> {
    this.cborRequests++;
    if (this.faults.busyCount > 0) {
      this.faults.busyCount--;
      this.sendError(cid, CtapHidError.CHANNEL_BUSY);
      return;
    }
    if (this.faults.goneOnRequest === this.cborRequests) {
      this.send(cid, CtapHidCmd.KEEPALIVE, Uint8Array.of(1));
      setTimeout(() => this.unplug(), 20);
      return;
    }
    if (this.faults.keepaliveFlood) {
      const flood = setInterval(() => {
        if (this.isGone || this.readers.size === 0 || !this.faults.keepaliveFlood)
          clearInterval(flood);
        else this.send(cid, CtapHidCmd.KEEPALIVE, Uint8Array.of(1));
      }, 10);
      return;
    }
    const number = ++this.requestNumber;
    this.busyChannel = cid;
    this.cancelRequested = false;
    try {
      const response = await this.authenticator.handle(payload, this.presence(cid, number));
      if (number > this.abortedUpTo) this.send(cid, CtapHidCmd.CBOR, response);
    } finally {
      if (number === this.requestNumber) this.busyChannel = null;
    }
  }

  private presence(cid: number, number: number): UserPresence {
    return {
      waitForTouch: () =>
        new Promise<boolean>((resolve, reject) => {
          const { touchDelayMs, touchTimeoutMs } = this.authenticator.config;
          const started = Date.now();
          const tick = (): void => {
            if (this.isGone) return reject(new CtapStatusError(CtapStatus.OTHER));
            if (this.cancelRequested || number <= this.abortedUpTo)
              return reject(new CtapStatusError(CtapStatus.KEEPALIVE_CANCEL));
            const waited = Date.now() - started;
            if (touchDelayMs !== null && waited >= touchDelayMs) return resolve(true);
            if (waited >= touchTimeoutMs) return resolve(false);
            this.send(cid, CtapHidCmd.KEEPALIVE, Uint8Array.of(2));
            setTimeout(
              tick,
              Math.min(
                KEEPALIVE_INTERVAL_MS,
                touchDelayMs === null ? KEEPALIVE_INTERVAL_MS : Math.max(1, touchDelayMs - waited),
              ),
            );
          };
          if (touchDelayMs === 0) resolve(true);
          else tick();
        }),
    };
  }
}
