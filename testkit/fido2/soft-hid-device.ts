// Test-only: the software authenticator as an in-process HidReportDevice, so the host stack
// can be driven without the shim (unit and fault tests).
import { Fido2Error } from '../../main/fido2/errors';
import type { HidReportDevice } from '../../main/fido2/transport';
import type { HidReader, SoftCtapHid } from './soft-ctaphid';

export class SoftHidDevice implements HidReportDevice, HidReader {
  private queue: Uint8Array[] = [];
  private waiter: (() => void) | null = null;
  private isGone = false;
  private closed = false;
  private readonly detach: () => void;

  constructor(
    private readonly hid: SoftCtapHid,
    readonly path = '/dev/soft-fido2',
  ) {
    this.detach = hid.attach(this);
  }

  deliver(report: Uint8Array): void {
    this.queue.push(Uint8Array.from(report));
    this.waiter?.();
  }

  gone(): void {
    this.isGone = true;
    this.waiter?.();
  }

  async write(report: Uint8Array): Promise<void> {
    if (this.isGone || this.closed)
      throw new Fido2Error('DEVICE_GONE', 'The security key was removed.');
    queueMicrotask(() => this.hid.receive(Uint8Array.from(report)));
  }

  async read(timeoutMs: number): Promise<Uint8Array | null> {
    if (this.queue.length === 0 && !this.isGone) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiter = null;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        this.waiter = done;
      });
    }
    const next = this.queue.shift();
    if (next) return next;
    if (this.isGone) throw new Fido2Error('DEVICE_GONE', 'The security key was removed.');
    return null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.detach();
  }
}
