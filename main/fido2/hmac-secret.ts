// hmac-secret (CTAP 2.1 §12.5): the key computes HMAC-SHA256(CredRandom, salt) where
// CredRandom depends on the credential and on whether user verification happened. The salts
// travel encrypted under the PIN protocol's shared secret, so a key agreement is needed even
// without a PIN. Protocol 1 requests omit key 4 (CTAP 2.0 keys reject it).
import type { CborMap, CborValue } from './cbor';
import { getBytes } from './cbor';
import type { AssertionResult, Ctap2Client, PinAuth } from './ctap2';
import { Permission } from './ctap2';
import { Fido2Error } from './errors';
import type { PinProtocolVersion } from './pin-protocol';
import type { TransactionOptions } from './transport';

export const HMAC_SECRET = 'hmac-secret';

export interface HmacSecretRequest {
  rpId: string;
  credentialIds: Uint8Array[];
  /** 32 bytes. */
  salt1: Uint8Array;
  /** Optional second 32-byte salt (output is then 64 bytes). */
  salt2?: Uint8Array;
  clientDataHash?: Uint8Array;
  /** Touch required (default true). The output does not depend on it. */
  up?: boolean;
  /** PIN to verify the user with; the output differs with and without it. */
  pin?: string;
  /** Force a PIN protocol (default: the best the key offers). */
  pinProtocol?: PinProtocolVersion;
}

export interface HmacSecretResult {
  /** 32 or 64 bytes. The caller wipes it after use. */
  output: Buffer;
  credentialId: Uint8Array | null;
  userVerified: boolean;
  assertion: AssertionResult;
}

/** One getAssertion with the hmac-secret extension; returns the decrypted output. */
export async function getHmacSecret(
  client: Ctap2Client,
  request: HmacSecretRequest,
  options: TransactionOptions = {},
): Promise<HmacSecretResult> {
  if (request.salt1.length !== 32 || (request.salt2 !== undefined && request.salt2.length !== 32)) {
    throw new Fido2Error('BAD_INPUT', 'hmac-secret salts are 32 bytes each');
  }
  const info = await client.getInfo();
  if (!info.extensions.includes(HMAC_SECRET)) {
    throw new Fido2Error(
      'UNSUPPORTED_EXTENSION',
      'This security key does not support hmac-secret.',
    );
  }
  const version = request.pinProtocol ?? (await client.preferredPinProtocol());
  // One key agreement serves both the PIN token and the salt encryption.
  const agreement = await client.keyAgreement(version);
  const { protocol, encapsulation } = agreement;
  const shared = encapsulation.sharedSecret;
  let salts: Buffer | null = null;
  let pinAuth: PinAuth | undefined;
  let output: Buffer | null = null;
  try {
    salts = Buffer.concat(request.salt2 ? [request.salt1, request.salt2] : [request.salt1]);
    if (request.pin !== undefined)
      pinAuth = await client.getPinToken(
        request.pin,
        { permissions: Permission.GET_ASSERTION, rpId: request.rpId },
        agreement,
      );
    const saltEnc = protocol.encrypt(shared, salts);
    const extension = new Map<number, CborValue>([
      [1, encapsulation.keyAgreement],
      [2, saltEnc],
      [3, protocol.authenticate(shared, saltEnc)],
    ]);
    if (version !== 1) extension.set(4, version);
    const assertion = await client.getAssertion(
      {
        rpId: request.rpId,
        clientDataHash: request.clientDataHash ?? Buffer.alloc(32),
        allowList: request.credentialIds,
        extensions: new Map([[HMAC_SECRET, extension]]) as CborMap,
        ...(request.up === false ? { up: false } : {}),
        ...(pinAuth ? { pinAuth } : {}),
      },
      options,
    );
    const outputEnc = assertion.authData.extensions
      ? getBytes(assertion.authData.extensions, HMAC_SECRET, 'hmac-secret output')
      : null;
    if (!outputEnc)
      throw new Fido2Error(
        'UNSUPPORTED_EXTENSION',
        'The security key returned no hmac-secret output.',
      );
    output = protocol.decrypt(shared, outputEnc);
    if (output.length !== salts.length)
      throw new Fido2Error('PROTOCOL_ERROR', 'hmac-secret output has the wrong length.');
    if (request.pin !== undefined && !assertion.authData.flags.uv)
      throw new Fido2Error(
        'PROTOCOL_ERROR',
        'The security key did not verify the PIN it was given.',
      );
    const result: HmacSecretResult = {
      output,
      credentialId: assertion.credentialId,
      userVerified: assertion.authData.flags.uv,
      assertion,
    };
    output = null; // handed to the caller, who wipes it
    return result;
  } finally {
    output?.fill(0);
    pinAuth?.token.fill(0);
    shared.fill(0);
    salts?.fill(0);
  }
}

/** makeCredential extension input that turns hmac-secret on. */
export function hmacSecretCreateExtension(): CborMap {
  return new Map([[HMAC_SECRET, true]]);
}
