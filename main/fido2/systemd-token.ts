// systemd-fido2 LUKS2 tokens (systemd-cryptenroll --fido2-device): the passphrase of the
// keyslot is base64(hmac-secret(credential, fido2-salt)) with clientDataHash = 32 zero bytes,
// the token's rp id, and the token's up/uv/PIN requirements (the output depends on uv).
import { Fido2Error } from './errors';

export interface SystemdFido2Token {
  keyslots: string[];
  credentialId: Buffer;
  salt: Buffer;
  rpId: string;
  clientPinRequired: boolean;
  upRequired: boolean;
  uvRequired: boolean;
}

const DEFAULT_RP = 'io.systemd.cryptsetup';

function strictBase64(value: unknown, what: string): Buffer {
  if (
    typeof value !== 'string' ||
    !/^[A-Za-z0-9+/]+={0,2}$/.test(value) ||
    value.length % 4 !== 0
  ) {
    throw new Fido2Error('BAD_TOKEN', `systemd-fido2 token: ${what} is not base64`);
  }
  return Buffer.from(value, 'base64');
}

function optionalBool(obj: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean')
    throw new Fido2Error('BAD_TOKEN', `systemd-fido2 token: ${key} is not a boolean`);
  return v;
}

/** Parses a token as `cryptsetup token export` prints it. */
export function parseSystemdFido2Token(json: string): SystemdFido2Token {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    throw new Fido2Error('BAD_TOKEN', 'systemd-fido2 token is not JSON');
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new Fido2Error('BAD_TOKEN', 'systemd-fido2 token is not an object');
  const token = obj as Record<string, unknown>;
  if (token.type !== 'systemd-fido2')
    throw new Fido2Error('BAD_TOKEN', `token type is ${String(token.type)}, not systemd-fido2`);
  const keyslots = token.keyslots;
  if (!Array.isArray(keyslots) || !keyslots.every((k) => typeof k === 'string')) {
    throw new Fido2Error('BAD_TOKEN', 'systemd-fido2 token: keyslots is not a list of strings');
  }
  const rp = token['fido2-rp'];
  if (rp !== undefined && typeof rp !== 'string')
    throw new Fido2Error('BAD_TOKEN', 'systemd-fido2 token: fido2-rp is not text');
  const salt = strictBase64(token['fido2-salt'], 'fido2-salt');
  if (salt.length !== 32)
    throw new Fido2Error('BAD_TOKEN', 'systemd-fido2 token: fido2-salt is not 32 bytes');
  const credentialId = strictBase64(token['fido2-credential'], 'fido2-credential');
  if (credentialId.length === 0)
    throw new Fido2Error('BAD_TOKEN', 'systemd-fido2 token: empty credential');
  return {
    keyslots: keyslots as string[],
    credentialId,
    salt,
    rpId: rp ?? DEFAULT_RP,
    // systemd's defaults for tokens written before these fields existed.
    clientPinRequired: optionalBool(token, 'fido2-clientPin-required', true),
    upRequired: optionalBool(token, 'fido2-up-required', true),
    uvRequired: optionalBool(token, 'fido2-uv-required', false),
  };
}

/** The LUKS passphrase systemd derives from an hmac-secret output. */
export function systemdPassphrase(hmacOutput: Uint8Array): string {
  // A view, not Buffer.from(hmacOutput): a copy would be one more unwiped copy of the secret.
  return Buffer.from(hmacOutput.buffer, hmacOutput.byteOffset, hmacOutput.byteLength).toString(
    'base64',
  );
}
