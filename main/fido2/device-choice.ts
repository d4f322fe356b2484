// Which security key to use. Devices are never enumerated or opened unless a person asked:
// BASTION_FIDO2_DEVICE=none (default) disables FIDO2, `auto` enumerates on demand, anything
// else is one hidraw path. With several candidates, a pre-flight getAssertion with up=false
// (no touch) finds the one holding the credential, as systemd-cryptsetup does; a key is never
// touched or PIN-checked to find out, so when the pre-flight cannot decide between several
// keys the person picks one (DEVICE_CHOICE_NEEDED).
import { randomBytes } from 'node:crypto';
import { Ctap2Client, type AssertionResult } from './ctap2';
import { Fido2Error } from './errors';
import type { HidReportDevice, TransactionOptions } from './transport';
import { CtapHidTransport } from './transport';

export type DeviceChoice = { kind: 'none' } | { kind: 'auto' } | { kind: 'path'; path: string };

export function parseDeviceChoice(value: string | undefined): DeviceChoice {
  const v = (value ?? '').trim();
  if (v === '' || v === 'none') return { kind: 'none' };
  if (v === 'auto') return { kind: 'auto' };
  if (!v.startsWith('/'))
    throw new Fido2Error(
      'BAD_INPUT',
      `BASTION_FIDO2_DEVICE must be none, auto or an absolute path, not "${v}"`,
    );
  return { kind: 'path', path: v };
}

export interface OpenedAuthenticator {
  client: Ctap2Client;
  transport: CtapHidTransport;
  close(): Promise<void>;
}

export type DeviceOpener = (path: string) => Promise<HidReportDevice>;

export async function openAuthenticator(
  open: DeviceOpener,
  path: string,
  callOptions: TransactionOptions = {},
): Promise<OpenedAuthenticator> {
  const device = await open(path);
  try {
    const transport = await CtapHidTransport.open(device);
    const client = new Ctap2Client(transport, callOptions);
    return { client, transport, close: () => transport.close() };
  } catch (err) {
    await device.close();
    throw err;
  }
}

/**
 * What a touch-free pre-flight learned about one key: it holds the credential, it does not,
 * or it cannot tell without something we will not do behind the person's back — a touch
 * (keys rejecting up=false) or user verification (the credential may be credProtect
 * "userVerificationRequired", which a key hides without UV, CTAP 2.1 §12.1; or the key wants
 * a PIN for every assertion).
 */
export type CredentialProbe =
  | {
      kind: 'held';
      /**
       * What the key signed, over `clientDataHash`: a key only CLAIMS to hold the credential
       * until the signature is checked against the enrolled public key (main/keys/assertion).
       */
      assertion: AssertionResult;
      clientDataHash: Buffer;
    }
  | { kind: 'absent' }
  | { kind: 'unknown'; needs: 'touch' | 'verification' };

export interface PreflightOptions {
  /**
   * The credential may have been made with credProtect = userVerificationRequired (a
   * systemd-fido2 token with fido2-uv-required, as systemd-cryptenroll asks for it): a key's
   * NO_CREDENTIALS without UV is then no proof that the key lacks it.
   */
  credentialMayRequireUv?: boolean;
}

/**
 * Asks a key with getAssertion(up=false) whether it holds one of `credentialIds` for `rpId`.
 * `held` is the key's word, with the signed assertion to check it by. Never asks for a touch
 * or a PIN: a PIN sent to a key that is not the right one would spend
 * one of that key's PIN retries (and may block it), so verification is not used to find keys.
 */
export async function probeCredential(
  client: Ctap2Client,
  rpId: string,
  credentialIds: Uint8Array[],
  preflight: PreflightOptions = {},
  options: TransactionOptions = {},
): Promise<CredentialProbe> {
  // A fresh challenge each time: a fixed one would let a device replay a signature it saw once.
  const clientDataHash = randomBytes(32);
  try {
    const assertion = await client.getAssertion(
      { rpId, clientDataHash, allowList: credentialIds, up: false },
      { timeoutMs: 5_000, ...options },
    );
    return { kind: 'held', assertion, clientDataHash };
  } catch (err) {
    if (!(err instanceof Fido2Error)) throw err;
    if (err.code === 'NO_CREDENTIALS')
      return preflight.credentialMayRequireUv
        ? { kind: 'unknown', needs: 'verification' }
        : { kind: 'absent' };
    if (err.code === 'UNSUPPORTED_OPTION') return { kind: 'unknown', needs: 'touch' };
    if (err.code === 'PIN_REQUIRED') return { kind: 'unknown', needs: 'verification' };
    throw err;
  }
}

/** Several keys could hold the credential and finding out would touch or PIN-check them. */
export class DeviceChoiceNeededError extends Fido2Error {
  constructor(
    readonly paths: string[],
    needs: 'touch' | 'verification',
  ) {
    super(
      'DEVICE_CHOICE_NEEDED',
      (needs === 'touch'
        ? 'Several security keys are plugged in and one cannot be checked without a touch'
        : 'Several security keys are plugged in and the credential cannot be looked for without the PIN') +
        `: unplug the others or pass --device PATH (one of ${paths.join(', ')}).`,
    );
    this.name = 'DeviceChoiceNeededError';
  }
}

/**
 * Finds the key holding the credential among `paths` without touching any of them: the first
 * key whose touch-free pre-flight finds it is returned (the others are closed). Keys that
 * cannot be checked without a touch or a PIN are not asked to: when exactly one plugged-in key
 * is left that the pre-flight could not rule out, it is returned unprobed — the operation
 * that follows asks for the touch or PIN the person gives to that key anyway, and a probe would
 * only double it. When more than one is left (a key that failed to answer counts), the person
 * chooses: DeviceChoiceNeededError (DEVICE_CHOICE_NEEDED). NO_CREDENTIALS when every key was
 * ruled out, DEVICE_NOT_FOUND when there is none.
 */
export async function findAuthenticatorWithCredential(
  open: DeviceOpener,
  paths: string[],
  rpId: string,
  credentialIds: Uint8Array[],
  callOptions: TransactionOptions = {},
  preflight: PreflightOptions = {},
): Promise<OpenedAuthenticator> {
  if (paths.length === 0)
    throw new Fido2Error('DEVICE_NOT_FOUND', 'No security key is plugged in.');
  const undecided: OpenedAuthenticator[] = [];
  let needs: 'touch' | 'verification' = 'touch';
  const failedPaths: string[] = [];
  let lastError: Fido2Error | null = null;
  let chosen: OpenedAuthenticator | null = null;
  try {
    for (const path of paths) {
      let opened: OpenedAuthenticator;
      try {
        opened = await openAuthenticator(open, path, callOptions);
      } catch (err) {
        if (!(err instanceof Fido2Error)) throw err;
        lastError = err;
        failedPaths.push(path);
        continue;
      }
      let probe: CredentialProbe;
      try {
        probe = await probeCredential(opened.client, rpId, credentialIds, preflight);
      } catch (err) {
        await opened.close();
        if (!(err instanceof Fido2Error)) throw err;
        lastError = err;
        failedPaths.push(path);
        continue;
      }
      if (probe.kind === 'held') {
        chosen = opened;
        return opened;
      }
      if (probe.kind === 'absent') {
        await opened.close();
        continue;
      }
      if (probe.needs === 'verification') needs = 'verification';
      undecided.push(opened);
    }
    if (undecided.length === 1 && failedPaths.length === 0) {
      chosen = undecided[0]!;
      return chosen;
    }
    if (undecided.length > 0)
      throw new DeviceChoiceNeededError(
        [...undecided.map((o) => o.transport.path), ...failedPaths],
        needs,
      );
    if (lastError) throw lastError;
    throw new Fido2Error(
      'NO_CREDENTIALS',
      'None of the plugged-in security keys holds the enrolled credential.',
    );
  } finally {
    for (const opened of undecided) if (opened !== chosen) await opened.close();
  }
}
