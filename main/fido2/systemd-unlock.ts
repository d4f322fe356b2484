// Derives the passphrase of a systemd-fido2 LUKS2 token, exactly as systemd-cryptsetup does:
// getAssertion(rp, clientDataHash = 0³², allowList = [credential], hmac-secret(salt), up and
// PIN as the token demands) → base64(output).
import type { OpenedAuthenticator } from './device-choice';
import { Fido2Error } from './errors';
import { getHmacSecret } from './hmac-secret';
import type { SystemdFido2Token } from './systemd-token';
import { systemdPassphrase } from './systemd-token';
import type { TransactionOptions } from './transport';

export interface UnlockOptions extends TransactionOptions {
  pin?: string;
}

export async function deriveSystemdPassphrase(
  opened: OpenedAuthenticator,
  token: SystemdFido2Token,
  options: UnlockOptions = {},
): Promise<string> {
  if (token.clientPinRequired && options.pin === undefined) {
    throw new Fido2Error('PIN_REQUIRED', 'This disk token needs the security key’s PIN.');
  }
  if (token.uvRequired && !token.clientPinRequired) {
    throw new Fido2Error(
      'UNSUPPORTED_OPTION',
      'This disk token needs built-in user verification, which is not supported here.',
    );
  }
  const { pin, ...callOptions } = options;
  const result = await getHmacSecret(
    opened.client,
    {
      rpId: token.rpId,
      credentialIds: [token.credentialId],
      salt1: token.salt,
      up: token.upRequired,
      ...(token.clientPinRequired && pin !== undefined ? { pin } : {}),
    },
    callOptions,
  );
  try {
    return systemdPassphrase(result.output);
  } finally {
    result.output.fill(0);
  }
}
