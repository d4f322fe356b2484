// node-hid as a HidReportDevice. node-hid is imported lazily: pure code and unit tests never
// load the native module, and nothing touches /dev/hidraw* until a caller asks for a device.
import { Fido2Error } from './errors';
import type { HidReportDevice } from './transport';

/** FIDO usage page and usage (CTAP 2.1 §11.2.8.1). */
export const FIDO_USAGE_PAGE = 0xf1d0;
export const FIDO_USAGE = 0x01;

interface NodeHidDeviceInfo {
  path?: string | undefined;
  vendorId: number;
  productId: number;
  product?: string | undefined;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  release?: number | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
}
interface NodeHidAsync {
  write(values: number[] | Buffer): Promise<number>;
  read(timeoutMs?: number): Promise<Buffer | undefined>;
  close(): Promise<void>;
}
interface NodeHidModule {
  HIDAsync: { open(path: string): Promise<NodeHidAsync> };
  devicesAsync(): Promise<NodeHidDeviceInfo[]>;
}

let nodeHid: Promise<NodeHidModule> | null = null;
async function loadNodeHid(): Promise<NodeHidModule> {
  nodeHid ??= import('node-hid').then(
    (mod) => ((mod as { default?: NodeHidModule }).default ?? mod) as NodeHidModule,
    (err: unknown) => {
      nodeHid = null;
      throw new Fido2Error(
        'HID_UNAVAILABLE',
        `USB HID access is unavailable: ${(err as Error).message}`,
      );
    },
  );
  return nodeHid;
}

export interface FidoDeviceDescriptor {
  path: string;
  vendorId: number;
  productId: number;
  product: string;
  manufacturer: string;
  /** The device's serial (HID_UNIQ) and release (bcdDevice), when node-hid has them. */
  serialNumber?: string;
  release?: number;
}

/** Lists FIDO HID devices. Only called when a person asked for it (`fido2 list`, BASTION_FIDO2_DEVICE=auto). */
export async function listFidoDevices(): Promise<FidoDeviceDescriptor[]> {
  const hid = await loadNodeHid();
  const all = await hid.devicesAsync();
  return all
    .filter(
      (d) =>
        d.usagePage === FIDO_USAGE_PAGE && d.usage === FIDO_USAGE && typeof d.path === 'string',
    )
    .map((d) => ({
      path: d.path!,
      vendorId: d.vendorId,
      productId: d.productId,
      product: d.product ?? '',
      manufacturer: d.manufacturer ?? '',
      ...(typeof d.serialNumber === 'string' ? { serialNumber: d.serialNumber } : {}),
      ...(typeof d.release === 'number' ? { release: d.release } : {}),
    }));
}

function gone(path: string, err: unknown): Fido2Error {
  return new Fido2Error(
    'DEVICE_GONE',
    `The security key at ${path} was removed (${(err as Error).message ?? String(err)}).`,
  );
}

class NodeHidReportDevice implements HidReportDevice {
  private closed = false;
  constructor(
    readonly path: string,
    private readonly handle: NodeHidAsync,
  ) {}

  async write(report: Uint8Array): Promise<void> {
    if (this.closed) throw new Fido2Error('DEVICE_GONE', 'The security key was closed.');
    // hidraw wants the report id first; FIDO keys use none, so 0 (65 bytes in all).
    const out = Buffer.alloc(report.length + 1);
    out.set(report, 1);
    try {
      const written = await this.handle.write(out);
      if (written < 0) throw new Error('short write');
    } catch (err) {
      throw gone(this.path, err);
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array | null> {
    if (this.closed) throw new Fido2Error('DEVICE_GONE', 'The security key was closed.');
    let data: Buffer | undefined;
    try {
      data = await this.handle.read(Math.max(1, Math.floor(timeoutMs)));
    } catch (err) {
      throw gone(this.path, err);
    }
    if (data === undefined || data.length === 0) return null;
    if (data.length < 64) {
      const padded = new Uint8Array(64);
      padded.set(data);
      return padded;
    }
    return new Uint8Array(data.buffer, data.byteOffset, 64);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
  }
}

/** Opens one hidraw path with node-hid. */
export async function openHidDevice(path: string): Promise<HidReportDevice> {
  const hid = await loadNodeHid();
  try {
    return new NodeHidReportDevice(path, await hid.HIDAsync.open(path));
  } catch (err) {
    throw new Fido2Error(
      'DEVICE_NOT_FOUND',
      `Cannot open the security key at ${path}: ${(err as Error).message}`,
    );
  }
}
