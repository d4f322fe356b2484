// CTAPHID framing (CTAP 2.1 §11.2.4): a message is split into one initialization packet
// (channel ‖ 0x80|cmd ‖ length BE16 ‖ 57 bytes) and continuation packets (channel ‖ seq ‖
// 59 bytes), each exactly 64 bytes. Pure functions, shared by the host and the test device.
import { Fido2Error } from './errors';

export const REPORT_SIZE = 64;
export const INIT_DATA = REPORT_SIZE - 7;
export const CONT_DATA = REPORT_SIZE - 5;
/** Largest payload: one init packet plus 128 continuations. */
export const MAX_MESSAGE = INIT_DATA + 128 * CONT_DATA;
export const BROADCAST_CID = 0xffffffff;

export const CtapHidCmd = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
} as const;

export const CtapHidError = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  OTHER: 0x7f,
} as const;

export interface CtapHidMessage {
  cid: number;
  cmd: number;
  payload: Uint8Array;
}

/** Splits a message into 64-byte packets. */
export function fragment(message: CtapHidMessage): Uint8Array[] {
  const { cid, cmd, payload } = message;
  if (payload.length > MAX_MESSAGE)
    throw new Fido2Error('BAD_INPUT', `CTAPHID payload of ${payload.length} bytes is too large`);
  if (cmd < 0 || cmd > 0x7f)
    throw new Fido2Error('BAD_INPUT', `CTAPHID command ${cmd} out of range`);
  const packets: Uint8Array[] = [];
  const first = new Uint8Array(REPORT_SIZE);
  const view = new DataView(first.buffer);
  view.setUint32(0, cid >>> 0);
  first[4] = 0x80 | cmd;
  view.setUint16(5, payload.length);
  first.set(payload.subarray(0, INIT_DATA), 7);
  packets.push(first);
  let offset = INIT_DATA;
  for (let seq = 0; offset < payload.length; seq++) {
    const packet = new Uint8Array(REPORT_SIZE);
    new DataView(packet.buffer).setUint32(0, cid >>> 0);
    packet[4] = seq;
    packet.set(payload.subarray(offset, offset + CONT_DATA), 5);
    packets.push(packet);
    offset += CONT_DATA;
  }
  return packets;
}

export function packetChannel(packet: Uint8Array): number {
  return new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(0);
}

export function isInitPacket(packet: Uint8Array): boolean {
  return (packet[4]! & 0x80) !== 0;
}

export type ReassemblyResult =
  | { kind: 'need-more' }
  | { kind: 'message'; message: CtapHidMessage }
  | { kind: 'ignored'; reason: 'foreign-channel' | 'stray-continuation' };

/**
 * Rebuilds one message of one channel from packets. Packets of other channels are ignored
 * (CTAP: a host must skip them); a wrong sequence number or an unexpected init packet in the
 * middle of a message is a PROTOCOL_ERROR.
 */
export class Reassembler {
  private cmd = 0;
  private buffer: Uint8Array | null = null;
  private filled = 0;
  private nextSeq = 0;

  constructor(private readonly cid: number) {}

  push(packet: Uint8Array): ReassemblyResult {
    if (packet.length < REPORT_SIZE)
      throw new Fido2Error('PROTOCOL_ERROR', `short HID report (${packet.length} bytes)`);
    if (packetChannel(packet) !== this.cid) return { kind: 'ignored', reason: 'foreign-channel' };
    if (isInitPacket(packet)) {
      if (this.buffer !== null)
        throw new Fido2Error('PROTOCOL_ERROR', 'new message started before the previous one ended');
      const length = (packet[5]! << 8) | packet[6]!;
      if (length > MAX_MESSAGE)
        throw new Fido2Error('PROTOCOL_ERROR', `declared message length ${length} too large`);
      this.cmd = packet[4]! & 0x7f;
      this.buffer = new Uint8Array(length);
      const take = Math.min(length, INIT_DATA);
      this.buffer.set(packet.subarray(7, 7 + take));
      this.filled = take;
      this.nextSeq = 0;
    } else {
      if (this.buffer === null) return { kind: 'ignored', reason: 'stray-continuation' };
      const seq = packet[4]!;
      if (seq !== this.nextSeq) {
        this.reset();
        throw new Fido2Error(
          'PROTOCOL_ERROR',
          `bad CTAPHID sequence number ${seq}, expected ${this.nextSeq}`,
        );
      }
      this.nextSeq++;
      const take = Math.min(this.buffer.length - this.filled, CONT_DATA);
      this.buffer.set(packet.subarray(5, 5 + take), this.filled);
      this.filled += take;
    }
    if (this.filled < this.buffer.length) return { kind: 'need-more' };
    const message = { cid: this.cid, cmd: this.cmd, payload: this.buffer };
    this.reset();
    return { kind: 'message', message };
  }

  reset(): void {
    this.buffer = null;
    this.filled = 0;
    this.nextSeq = 0;
  }
}
