// Test-only: serves software authenticators behind the fake-hidraw LD_PRELOAD shim
// (native-helper/test/fake-hidraw). Each device N is a unix socket <dir>/hidrawN.sock that
// the shim connects to when a process opens <dir>/hidrawN; the sysfs-like files hidapi and
// libfido2 read are real files under <dir>/sys. Child processes get `env` to see the devices.
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileExists } from '../require';
import { HELPER_OUT } from '../paths';
import { SoftAuthenticator } from './soft-ctap2';
import type { SoftAuthenticatorConfig } from './soft-ctap2';
import type { HidFaults, HidReader } from './soft-ctaphid';
import { SoftCtapHid } from './soft-ctaphid';

export const FAKE_HIDRAW_SO = join(HELPER_OUT, 'fake_hidraw.so');

export function hasFakeHidraw(): boolean {
  return fileExists(FAKE_HIDRAW_SO);
}

const REPORT_DESCRIPTOR = Buffer.from(
  '06d0f10901a1010920150026ff00750895408102092115002 6ff0075089540910 2c0'.replace(/ /g, ''),
  'hex',
);

export interface RigDevice {
  index: number;
  path: string;
  hid: SoftCtapHid;
  authenticator: SoftAuthenticator;
  unplug(): void;
}

export interface DeviceSpec {
  config?: Partial<SoftAuthenticatorConfig>;
  faults?: Partial<HidFaults>;
}

class SocketReader implements HidReader {
  constructor(private readonly socket: Socket) {}
  deliver(report: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(report);
  }
  gone(): void {
    this.socket.destroy();
  }
}

export class FakeHidrawRig {
  readonly dir: string;
  readonly devices: RigDevice[] = [];
  private servers: Server[] = [];
  private sockets = new Set<Socket>();
  /** Ends a device that another took the place of (replaceDevice). */
  private detachers = new Map<RigDevice, () => void>();

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'bastion-hidraw-'));
  }

  /** Starts one software authenticator per spec, as <dir>/hidraw0, hidraw1, … */
  static async start(specs: DeviceSpec[] = [{}]): Promise<FakeHidrawRig> {
    const rig = new FakeHidrawRig();
    for (const spec of specs) await rig.addDevice(spec);
    return rig;
  }

  /** Environment for a child process that should see the devices (the shim preloaded). */
  get env(): Record<string, string> {
    return { LD_PRELOAD: FAKE_HIDRAW_SO, BASTION_FAKE_HIDRAW_DIR: this.dir };
  }

  async addDevice(spec: DeviceSpec): Promise<RigDevice> {
    const index = this.devices.length;
    const sys = join(this.dir, 'sys', `hidraw${index}`, 'device');
    mkdirSync(sys, { recursive: true, mode: 0o700 });
    writeFileSync(join(sys, 'report_descriptor'), REPORT_DESCRIPTOR);
    writeFileSync(
      join(sys, 'uevent'),
      `DRIVER=hid-generic\nHID_ID=0003:00001209:0000B457\nHID_NAME=Bastion Test Authenticator\nHID_UNIQ=BASTION${index}\n`,
    );
    const path = join(this.dir, `hidraw${index}`);
    writeFileSync(path, ''); // placeholder so the path exists; the shim answers for it
    const device = await this.serve(index, spec, `${path}.sock`);
    this.devices.push(device);
    return device;
  }

  /**
   * Another software key takes device `index`'s path in one step, as when a key is unplugged
   * and another plugged in between two polls and the kernel hands it the same /dev/hidrawN:
   * the path never disappears from a listing. The new socket is renamed over the old one, and
   * the node's placeholder is replaced by a new file (a new inode, as devtmpfs gives a new
   * device node); the old key sees itself unplugged. The shim answers the same vendor,
   * product and serial for both (it has them built in): the same model, the hardest case.
   */
  async replaceDevice(index: number, spec: DeviceSpec = {}): Promise<RigDevice> {
    const old = this.devices[index];
    if (!old) throw new Error(`no device ${index}`);
    const socketPath = `${old.path}.sock`;
    const staged = `${old.path}.next`;
    const device = await this.serve(index, spec, `${socketPath}.next`);
    writeFileSync(staged, '');
    renameSync(`${socketPath}.next`, socketPath);
    renameSync(staged, old.path);
    this.detachers.get(old)?.();
    this.devices[index] = device;
    return device;
  }

  private async serve(index: number, spec: DeviceSpec, listenPath: string): Promise<RigDevice> {
    const authenticator = new SoftAuthenticator(spec.config);
    const hid = new SoftCtapHid(authenticator, spec.faults);
    const path = join(this.dir, `hidraw${index}`);
    const socketPath = `${path}.sock`;
    const server = createServer((socket) => {
      this.sockets.add(socket);
      const detach = hid.attach(new SocketReader(socket));
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 64) {
          hid.receive(new Uint8Array(pending.subarray(0, 64)));
          pending = pending.subarray(64);
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        detach();
        this.sockets.delete(socket);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPath, resolve);
    });
    this.servers.push(server);
    let replaced = false;
    const device: RigDevice = {
      index,
      path,
      hid,
      authenticator,
      unplug: () => {
        hid.unplug();
        // Replaced: closing the server would unlink its path (libuv does on close), which is
        // the new key's socket now; stop() closes it.
        if (replaced) return;
        server.close();
        try {
          unlinkSync(socketPath);
        } catch {
          // already gone
        }
      },
    };
    // Replaced: gone for its open handles, its socket file already taken over.
    this.detachers.set(device, () => {
      replaced = true;
      hid.unplug();
    });
    return device;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
