// Which security key to use. Devices are never enumerated or opened unless a person asked:
// BASTION_FIDO2_DEVICE=none (default) disables FIDO2, `auto` enumerates on demand, anything
// else is one hidraw path. With several candidates, a pre-flight getAssertion with up=false
// (no touch) finds the one holding the credential, as systemd-cryptsetup does.
import { Ctap2Client } from './ctap2';
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

/** Does this key hold one of `credentialIds` for `rpId`? Asks without touch (up=false). */
export async function holdsCredential(
  client: Ctap2Client,
  rpId: string,
  credentialIds: Uint8Array[],
  options: TransactionOptions = {},
): Promise<boolean> {
  const request = { rpId, clientDataHash: Buffer.alloc(32), allowList: credentialIds };
  try {
    await client.getAssertion({ ...request, up: false }, { timeoutMs: 5_000, ...options });
    return true;
  } catch (err) {
    if (!(err instanceof Fido2Error)) throw err;
    if (err.code === 'NO_CREDENTIALS') return false;
    if (err.code !== 'UNSUPPORTED_OPTION') throw err;
  }
  // Keys that reject up=false: ask with up left out (the key may then want a touch).
  try {
    await client.getAssertion(request, options);
    return true;
  } catch (err) {
    if (err instanceof Fido2Error && err.code === 'NO_CREDENTIALS') return false;
    throw err;
  }
}

/**
 * Opens each candidate in turn and returns the first that holds the credential (the others
 * are closed). Throws NO_CREDENTIALS when none does, DEVICE_NOT_FOUND when there are none.
 */
export async function findAuthenticatorWithCredential(
  open: DeviceOpener,
  paths: string[],
  rpId: string,
  credentialIds: Uint8Array[],
  callOptions: TransactionOptions = {},
): Promise<OpenedAuthenticator> {
  if (paths.length === 0)
    throw new Fido2Error('DEVICE_NOT_FOUND', 'No security key is plugged in.');
  let lastError: Fido2Error | null = null;
  for (const path of paths) {
    let opened: OpenedAuthenticator;
    try {
      opened = await openAuthenticator(open, path, callOptions);
    } catch (err) {
      if (err instanceof Fido2Error) {
        lastError = err;
        continue;
      }
      throw err;
    }
    try {
      if (await holdsCredential(opened.client, rpId, credentialIds)) return opened;
    } catch (err) {
      if (!(err instanceof Fido2Error)) {
        await opened.close();
        throw err;
      }
      lastError = err;
    }
    await opened.close();
  }
  if (lastError && lastError.code !== 'NO_CREDENTIALS') throw lastError;
  throw new Fido2Error(
    'NO_CREDENTIALS',
    'None of the plugged-in security keys holds the enrolled credential.',
  );
}
