// Lock on removal (issue #9 item 5): in the person's session, when the site or the person
// turned it on, unplugging the key that unlocked the session locks it — the smart-card
// behaviour (pam_pkcs11's card_eventmgr) that GDM, SDDM and Windows do not offer for FIDO2.
//
// Which key: pam_u2f ran as root inside the helper and does not say which device answered, so
// right after the unlock the watcher asks every plugged-in FIDO key, WITHOUT a touch, whether
// it holds one of the person's enrolled credentials (CTAP2 getAssertion up=false with the
// credentials as allowList: a key holding one signs without user presence, the others answer
// NO_CREDENTIALS). Only those keys are watched; a key that cannot be asked without a touch or
// a PIN is not watched (never touch a device behind the person's back).
//
// How removal is seen: node-hid's device list, polled every `intervalMs` (1 s by default: a
// libudev enumeration of the hidraw subsystem, a few hundred microseconds of CPU; one timer, no
// device opened). inotify on /dev would be cheaper, but /dev/hidraw* names are reused at once
// and the poll also sees devices a container's /dev lacks; the cost is bounded either way.
// A watched path missing from the list → one LockSession call to logind (the in-session locker,
// main/lock, reacts to logind's Lock signal), then the watcher stops.
import { probeCredential, openAuthenticator, type DeviceOpener } from '../fido2/device-choice';
import { Fido2Error } from '../fido2/errors';
import type { FidoDeviceDescriptor } from '../fido2/hid-device';
import { busctlCall, type BusctlOptions } from '../power/busctl';

export interface RemovalWatchDevices {
  /** Lists FIDO HID devices without opening any (node-hid's enumeration). */
  list(): Promise<FidoDeviceDescriptor[]>;
  open: DeviceOpener;
}

export interface RemovalWatchOptions {
  devices: RemovalWatchDevices;
  /** pam_u2f's origin (rp id) the credentials were made for, e.g. `pam://host`. */
  rpId: string;
  /** The person's enrolled credential ids (main/keys enrolledCredentialIds). */
  credentialIds: readonly Uint8Array[];
  /** Asks for the session lock (logindLockSession below). */
  lock: () => Promise<void>;
  /** Poll interval of the device list, in ms (default 1000, at least 200). */
  intervalMs?: number;
  log?: (line: string) => void;
}

/**
 * The plugged-in keys that hold one of the credentials, asked without a touch. Keys that
 * cannot tell without a touch or a PIN, or that fail to answer, are left out.
 */
export async function keysHoldingCredential(
  devices: RemovalWatchDevices,
  rpId: string,
  credentialIds: readonly Uint8Array[],
): Promise<string[]> {
  if (credentialIds.length === 0) return [];
  const held: string[] = [];
  for (const device of await devices.list()) {
    let opened;
    try {
      opened = await openAuthenticator(devices.open, device.path, { timeoutMs: 3_000 });
    } catch (error) {
      if (error instanceof Fido2Error) continue;
      throw error;
    }
    try {
      const probe = await probeCredential(opened.client, rpId, [...credentialIds]);
      if (probe.kind === 'held') held.push(device.path);
    } catch (error) {
      if (!(error instanceof Fido2Error)) throw error;
    } finally {
      await opened.close();
    }
  }
  return held;
}

export class RemovalWatch {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private polling = false;
  private readonly log: (line: string) => void;

  private constructor(
    private readonly options: RemovalWatchOptions,
    /** The keys that unlocked (hold the credential), by hidraw path. */
    readonly watched: readonly string[],
  ) {
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Finds the unlocking key(s) and starts watching them. Null when none of the plugged-in keys
   * holds the credential (the session was unlocked by password, or the key is already gone).
   */
  static async start(options: RemovalWatchOptions): Promise<RemovalWatch | null> {
    const watched = await keysHoldingCredential(
      options.devices,
      options.rpId,
      options.credentialIds,
    );
    if (watched.length === 0) return null;
    const watch = new RemovalWatch(options, watched);
    watch.schedule();
    return watch;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    const interval = Math.max(200, this.options.intervalMs ?? 1_000);
    this.timer = setTimeout(() => void this.poll(), interval);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    try {
      let present: Set<string>;
      try {
        present = new Set((await this.options.devices.list()).map((d) => d.path));
      } catch (error) {
        // No verdict from a failed listing: never lock on a guess, try again next tick.
        this.log(`key listing failed: ${(error as Error).message}`);
        return;
      }
      if (this.watched.some((path) => !present.has(path))) {
        this.stop();
        this.log('the key that unlocked the session was removed: locking');
        try {
          await this.options.lock();
        } catch (error) {
          this.log(`lock request failed: ${(error as Error).message}`);
        }
      }
    } finally {
      this.polling = false;
      this.schedule();
    }
  }
}

/**
 * logind's `LockSession(id)` (what `loginctl lock-session` calls), over busctl like
 * main/power. `sessionId`: $XDG_SESSION_ID of the session; logind answers with its Lock
 * signal to that session, which the session's locker follows.
 */
export function logindLockSession(
  options: BusctlOptions & { sessionId: string },
): () => Promise<void> {
  return async () => {
    await busctlCall(options, 'LockSession', ['s', options.sessionId]);
  };
}
