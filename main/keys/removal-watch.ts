// Lock on removal (issue #9 item 5): in the person's session, when the site or the person
// turned it on, unplugging the key that unlocked the session locks it — the smart-card
// behaviour (pam_pkcs11's card_eventmgr) that GDM, SDDM and Windows do not offer for FIDO2.
//
// Which key: pam_u2f ran as root inside the helper and does not say which device answered, so
// right after the unlock the watcher asks every plugged-in FIDO key, WITHOUT a touch, whether
// it holds one of the person's enrolled credentials (CTAP2 getAssertion up=false with the
// credentials as allowList and a fresh random clientDataHash: a key holding one signs without
// user presence, the others answer NO_CREDENTIALS). A key's "yes" counts only when its
// signature verifies against the enrolled PUBLIC KEY of the credential it named (the same
// check as pam_u2f's, main/keys/assertion): a device that only knows a credential id — a
// clone, or a hostile gadget replaying ids it saw — cannot become the watched key. A key that
// cannot be asked without a touch or a PIN (U2F-only, credProtect=3) is not watched (never
// touch a device behind the person's back): the watch is then NOT armed, and the unlock
// screen says so (SecurityKeySnapshot.removalWatch).
//
// What is watched is the DEVICE, not its node name: /dev/hidrawN numbers are reused at once
// (the kernel takes the lowest free one), so another key plugged in within one poll would get
// the same path. The identity kept at probe time is node-hid's vendor/product id, serial and
// release, plus the node itself: its inode (devtmpfs makes a new one for each new device) and
// the kernel's name of the HID device behind it (`0003:VVVV:PPPP.NNNN`, NNNN counting every HID
// device ever added). The identity is read before the probe and again after it, so a swap
// during the probe is not watched either. Any change at the watched path reads as a removal.
//
// How removal is seen: node-hid's device list, polled every `intervalMs` (1 s by default: a
// libudev enumeration of the hidraw subsystem, a few hundred microseconds of CPU; plus one
// stat and one readlink per watched key; one timer, no device opened). inotify on /dev would be
// cheaper, but the poll also sees devices a container's /dev lacks; the cost is bounded either
// way. A watched key gone or changed → one LockSession call to logind (the in-session locker,
// main/lock, reacts to logind's Lock signal), then the watcher stops.
import { realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { probeCredential, openAuthenticator, type DeviceOpener } from '../fido2/device-choice';
import { Fido2Error } from '../fido2/errors';
import type { FidoDeviceDescriptor } from '../fido2/hid-device';
import { busctlCall, type BusctlOptions } from '../power/busctl';
import { assertionMismatch, mappingVerifyingKey, type VerifyingKey } from './assertion';
import { readAuthfile } from './authfile';
import { checkUserName, userMapping } from './u2f-mapping';

export interface RemovalWatchDevices {
  /** Lists FIDO HID devices without opening any (node-hid's enumeration). */
  list(): Promise<FidoDeviceDescriptor[]>;
  open: DeviceOpener;
  /**
   * What identifies the device node at `path` beyond node-hid's fields (default
   * `deviceNodeIdentity`); null when the node cannot be read.
   */
  identify?: (path: string) => Promise<string | null>;
}

/** One credential of the person's mapping: its id and the key that verifies its signatures. */
export interface WatchedCredential {
  credentialId: Uint8Array;
  key: VerifyingKey;
}

/**
 * `user`'s credentials in pam_u2f's mapping, with the keys that verify them ([] when the file
 * is absent). Resident credentials ("*") have no id to ask a key about without a touch and
 * are left out, as are keys that cannot verify (u2f-mapping refuses such lines anyway).
 */
export function enrolledWatchCredentials(authfile: string, user: string): WatchedCredential[] {
  checkUserName(user);
  const doc = readAuthfile(authfile);
  if (!doc) return [];
  const credentials: WatchedCredential[] = [];
  for (const credential of userMapping(doc, user).credentials) {
    const key = mappingVerifyingKey(credential);
    if (credential.credentialId !== null && key !== null)
      credentials.push({ credentialId: credential.credentialId, key });
  }
  return credentials;
}

export interface RemovalWatchOptions {
  devices: RemovalWatchDevices;
  /** pam_u2f's origin (rp id) the credentials were made for, e.g. `pam://host`. */
  rpId: string;
  /** The person's enrolled credentials (ids with public keys, from pam_u2f's mapping). */
  credentials: readonly WatchedCredential[];
  /** Asks for the session lock (logindLockSession below). */
  lock: () => Promise<void>;
  /** Poll interval of the device list, in ms (default 1000, at least 200). */
  intervalMs?: number;
  log?: (line: string) => void;
}

/** What identified a watched key when it was probed; any difference later means removal. */
export interface DeviceIdentity {
  path: string;
  vendorId: number;
  productId: number;
  serialNumber: string | null;
  release: number | null;
  /** deviceNodeIdentity's answer (inode, kernel device name). */
  node: string | null;
}

/**
 * The node's inode and, for a character device, the kernel's name of the HID device behind it
 * (readlink of /sys/dev/char/MAJ:MIN/device, e.g. `0003:1050:0407.000A`; the last number grows
 * with every HID device the kernel adds, so a device plugged in later never repeats it).
 */
export async function deviceNodeIdentity(path: string): Promise<string | null> {
  let st;
  try {
    st = await stat(path, { bigint: true });
  } catch {
    return null;
  }
  let kernel = '';
  if (st.isCharacterDevice()) {
    // glibc's major()/minor() of a 64-bit dev_t.
    const major = ((st.rdev >> 8n) & 0xfffn) | ((st.rdev >> 32n) & ~0xfffn);
    const minor = (st.rdev & 0xffn) | ((st.rdev >> 12n) & ~0xffn);
    kernel = await realpath(`/sys/dev/char/${major}:${minor}/device`).then(
      (resolved) => basename(resolved),
      () => '?',
    );
  }
  return `${st.dev}:${st.ino}:${st.rdev}:${kernel}`;
}

async function identityOf(
  devices: RemovalWatchDevices,
  descriptor: FidoDeviceDescriptor,
): Promise<DeviceIdentity> {
  return {
    path: descriptor.path,
    vendorId: descriptor.vendorId,
    productId: descriptor.productId,
    serialNumber: descriptor.serialNumber ?? null,
    release: descriptor.release ?? null,
    node: await (devices.identify ?? deviceNodeIdentity)(descriptor.path),
  };
}

function sameIdentity(a: DeviceIdentity, b: DeviceIdentity): boolean {
  return (
    a.path === b.path &&
    a.vendorId === b.vendorId &&
    a.productId === b.productId &&
    a.serialNumber === b.serialNumber &&
    a.release === b.release &&
    a.node === b.node
  );
}

/** Why no key is watched, for the log: what the plugged-in keys answered. */
export interface ProbeOutcome {
  /** Keys whose signature proved one of the credentials, as identified when probed. */
  held: DeviceIdentity[];
  /** Keys that could not be asked without a touch or a PIN (or failed to answer). */
  undecided: number;
  /** Keys that claimed a credential but whose signature did not verify. */
  refuted: number;
}

/**
 * The plugged-in keys that prove, without a touch, that they hold one of the credentials.
 * Keys that cannot tell without a touch or a PIN, that fail to answer, whose signature does not
 * verify against the enrolled public key, or that changed while being asked are left out.
 */
export async function keysHoldingCredential(
  devices: RemovalWatchDevices,
  rpId: string,
  credentials: readonly WatchedCredential[],
  log: (line: string) => void = () => undefined,
): Promise<ProbeOutcome> {
  const outcome: ProbeOutcome = { held: [], undecided: 0, refuted: 0 };
  if (credentials.length === 0) return outcome;
  const allowList = credentials.map((c) => c.credentialId);
  for (const descriptor of await devices.list()) {
    const before = await identityOf(devices, descriptor);
    let opened;
    try {
      opened = await openAuthenticator(devices.open, descriptor.path, { timeoutMs: 3_000 });
    } catch (error) {
      if (error instanceof Fido2Error) {
        outcome.undecided++;
        continue;
      }
      throw error;
    }
    try {
      const probe = await probeCredential(opened.client, rpId, allowList);
      if (probe.kind === 'unknown') outcome.undecided++;
      if (probe.kind !== 'held') continue;
      const named = probe.assertion.credentialId;
      const expected = named
        ? credentials.find((c) => Buffer.from(c.credentialId).equals(named))
        : undefined;
      const mismatch = expected
        ? assertionMismatch({ rpId, ...expected }, probe.clientDataHash, {
            authData: probe.assertion.authData.raw,
            signature: probe.assertion.signature,
            credentialId: named,
          })
        : 'credential';
      if (mismatch !== null) {
        outcome.refuted++;
        log(
          `the key at ${descriptor.path} claims the credential but fails its check (${mismatch})`,
        );
        continue;
      }
      outcome.held.push(before);
    } catch (error) {
      if (!(error instanceof Fido2Error)) throw error;
      outcome.undecided++;
    } finally {
      await opened.close();
    }
  }
  if (outcome.held.length === 0) return outcome;
  // The same devices still there: one that was swapped while being asked is not the one that
  // answered, or the one that answered is gone already.
  const now = new Map((await devices.list()).map((d) => [d.path, d]));
  const confirmed: DeviceIdentity[] = [];
  for (const identity of outcome.held) {
    const descriptor = now.get(identity.path);
    if (descriptor && sameIdentity(identity, await identityOf(devices, descriptor)))
      confirmed.push(identity);
  }
  return { ...outcome, held: confirmed };
}

export class RemovalWatch {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private polling = false;
  private readonly log: (line: string) => void;
  /** The keys that unlocked (hold the credential), by hidraw path. */
  readonly watched: readonly string[];

  private constructor(
    private readonly options: RemovalWatchOptions,
    /** The identities of the watched keys, as probed. */
    readonly identities: readonly DeviceIdentity[],
  ) {
    this.log = options.log ?? (() => undefined);
    this.watched = identities.map((i) => i.path);
  }

  /**
   * Finds the unlocking key(s) and starts watching them. Null when none of the plugged-in keys
   * proves it holds the credential without a touch (the session was unlocked by password, the
   * key is already gone, or it cannot be asked without a touch or a PIN): not armed.
   */
  static async start(options: RemovalWatchOptions): Promise<RemovalWatch | null> {
    const log = options.log ?? (() => undefined);
    const outcome = await keysHoldingCredential(
      options.devices,
      options.rpId,
      options.credentials,
      log,
    );
    if (outcome.held.length === 0) {
      log(
        `not armed: no plugged-in key proved the credential without a touch ` +
          `(${outcome.undecided} could not be asked, ${outcome.refuted} failed the signature check)`,
      );
      return null;
    }
    const watch = new RemovalWatch(options, outcome.held);
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

  /** Why a watched key no longer counts as present, or null when all are as probed. */
  private async change(): Promise<string | null> {
    const present = new Map((await this.options.devices.list()).map((d) => [d.path, d] as const));
    for (const identity of this.identities) {
      const descriptor = present.get(identity.path);
      if (!descriptor) return 'the key that unlocked the session was removed';
      if (!sameIdentity(identity, await identityOf(this.options.devices, descriptor)))
        return 'another device took the place of the key that unlocked the session';
    }
    return null;
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    try {
      let why: string | null;
      try {
        why = await this.change();
      } catch (error) {
        // No verdict from a failed listing: never lock on a guess, try again next tick.
        this.log(`key listing failed: ${(error as Error).message}`);
        return;
      }
      if (why !== null && !this.stopped) {
        this.stop();
        this.log(`${why}: locking`);
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
