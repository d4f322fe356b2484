// Whether an assertion proves possession of an enrolled credential, checked the way pam_u2f
// has libfido2 check it (fido_assert_verify): the relying party's hash, the credential that
// answered, and the signature over authenticatorData ‖ clientDataHash with the public key of
// the mapping. One implementation for the enrollment test (enroll.ts) and the removal
// watcher's touch-free probe (removal-watch.ts): a key that merely knows a credential id
// (a clone, a hostile device replaying ids it saw) cannot sign for it.
import { createHash, createPublicKey, ECDH, verify, type KeyObject } from 'node:crypto';
import type { CoseType } from './u2f-mapping';

/** A public key ready to verify with, and the digest its signatures use (null: Ed25519). */
export interface VerifyingKey {
  key: KeyObject;
  digest: 'sha256' | null;
}

/** An ES256 key as pam_u2f stores it: 64 bytes x‖y, or 65 bytes 0x04‖x‖y. Throws off the curve. */
export function es256PublicKey(raw: Buffer): KeyObject {
  const point = raw.length === 65 && raw[0] === 4 ? raw.subarray(1) : raw;
  if (point.length !== 64) throw new RangeError('an ES256 public key is 64 bytes x‖y');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(0, 32).toString('base64url'),
      y: point.subarray(32).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** The fields of a mapping credential (u2f-mapping's U2fCredential) that name its public key. */
export interface MappingPublicKey {
  publicKey: string;
  coseType: CoseType;
  oldFormat: boolean;
}

/**
 * The verifying key of a pam_u2f mapping credential, in every form pam_u2f reads: es256
 * (base64 x‖y or 0x04‖x‖y; the old format's hex point, uncompressed or compressed), rs256
 * (base64 of n[256] ‖ e[3], as libfido2's rs256_pk_from_ptr), eddsa (base64 of 32 bytes).
 * Null when the text is not a usable key (u2f-mapping refuses such lines anyway).
 */
export function mappingVerifyingKey(credential: MappingPublicKey): VerifyingKey | null {
  try {
    if (credential.oldFormat) {
      let raw: Buffer = Buffer.from(credential.publicKey, 'hex');
      if (raw.length === 33)
        raw = ECDH.convertKey(raw, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
      return { key: es256PublicKey(raw), digest: 'sha256' };
    }
    const raw = Buffer.from(credential.publicKey, 'base64');
    switch (credential.coseType) {
      case 'es256':
        return { key: es256PublicKey(raw), digest: 'sha256' };
      case 'rs256':
        if (raw.length !== 259) return null;
        return {
          key: createPublicKey({
            key: {
              kty: 'RSA',
              n: raw.subarray(0, 256).toString('base64url'),
              e: raw.subarray(256).toString('base64url'),
            },
            format: 'jwk',
          }),
          digest: 'sha256',
        };
      case 'eddsa':
        if (raw.length !== 32) return null;
        return {
          key: createPublicKey({
            key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
            format: 'jwk',
          }),
          digest: null,
        };
    }
  } catch {
    return null;
  }
}

export interface ExpectedCredential {
  rpId: string;
  credentialId: Uint8Array;
  key: VerifyingKey;
}

export interface AssertionToCheck {
  /** authenticatorData exactly as the key sent it. */
  authData: Uint8Array;
  signature: Uint8Array;
  /** The credential id the key named; null when it named none (allowed with one allowList entry). */
  credentialId: Uint8Array | null;
}

export type AssertionMismatch = 'relying-party' | 'credential' | 'signature';

/** What does not match `expected` in `assertion` over `clientDataHash`; null when it proves it. */
export function assertionMismatch(
  expected: ExpectedCredential,
  clientDataHash: Uint8Array,
  assertion: AssertionToCheck,
): AssertionMismatch | null {
  const rpIdHash = createHash('sha256').update(expected.rpId).digest();
  if (assertion.authData.length < 37 || !rpIdHash.equals(assertion.authData.subarray(0, 32)))
    return 'relying-party';
  if (
    assertion.credentialId !== null &&
    !Buffer.from(expected.credentialId).equals(assertion.credentialId)
  )
    return 'credential';
  let ok: boolean;
  try {
    ok = verify(
      expected.key.digest,
      Buffer.concat([assertion.authData, clientDataHash]),
      expected.key.key,
      assertion.signature,
    );
  } catch {
    ok = false; // a malformed signature is a failed one
  }
  return ok ? null : 'signature';
}
