// Test helpers: enroll a credential on a rig device in-process (the same authenticator the
// shim serves), so peer and fault tests start from a known credential.
import { randomBytes } from 'node:crypto';
import type { RigDevice } from '../../../testkit/fido2/fake-hidraw-rig';
import { SoftHidDevice } from '../../../testkit/fido2/soft-hid-device';
import { Ctap2Client, Permission } from '../ctap2';
import { hmacSecretCreateExtension } from '../hmac-secret';
import { CtapHidTransport } from '../transport';

export async function enrollInProcess(
  device: RigDevice,
  rpId: string,
  pin?: string,
): Promise<string> {
  const transport = await CtapHidTransport.open(new SoftHidDevice(device.hid));
  try {
    const client = new Ctap2Client(transport);
    const pinAuth =
      pin === undefined
        ? undefined
        : await client.getPinToken(pin, { permissions: Permission.MAKE_CREDENTIAL, rpId });
    const made = await client.makeCredential({
      clientDataHash: randomBytes(32),
      rp: { id: rpId },
      user: { id: randomBytes(16), name: 'alice' },
      extensions: hmacSecretCreateExtension(),
      ...(pinAuth ? { pinAuth } : {}),
    });
    return Buffer.from(made.authData.credentialId!).toString('hex');
  } finally {
    await transport.close();
  }
}
