// What the login screen may learn about a plugged-in security key without touching it or
// spending anything (DESIGN.md: devices are touched only when the person asked): whether one
// is plugged in (a HID listing) and, while pam_u2f waits for the PIN, how many PIN retries the
// key has left (clientPIN getRetries: no PIN, no touch, no retry spent).
import type { DeviceOpener } from '../fido2/device-choice';
import { openAuthenticator } from '../fido2/device-choice';
import { Fido2Error } from '../fido2/errors';
import type { FidoDeviceDescriptor } from '../fido2/hid-device';

export interface KeyDeviceAccess {
  /** Lists FIDO HID devices (node-hid's enumeration: no device is opened). */
  list(): Promise<FidoDeviceDescriptor[]>;
  /** Opens one device (node-hid in the app; the tests' in-process authenticator). */
  open: DeviceOpener;
}

/** Whether to run the key transaction now: the site enables keys and a FIDO key is listed. */
export async function keyPluggedIn(access: KeyDeviceAccess): Promise<boolean> {
  return (await access.list()).length > 0;
}

/**
 * The PIN retries of the one plugged-in key, or null when it cannot be told without guessing
 * (no key, several keys: pam_u2f does not say which one asked, or the key would not answer).
 */
export async function readPinRetries(access: KeyDeviceAccess): Promise<number | null> {
  const devices = await access.list();
  if (devices.length !== 1) return null;
  let opened;
  try {
    opened = await openAuthenticator(access.open, devices[0]!.path, { timeoutMs: 2_000 });
  } catch (error) {
    if (error instanceof Fido2Error) return null;
    throw error;
  }
  try {
    return await opened.client.getPinRetries();
  } catch (error) {
    if (error instanceof Fido2Error) return null;
    throw error;
  } finally {
    await opened.close();
  }
}
