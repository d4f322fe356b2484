// PIN/UV auth protocols 1 and 2 (CTAP 2.1 §6.5.6, §6.5.7): ECDH on P-256 with the
// authenticator's key-agreement key, then AES-256-CBC and HMAC-SHA256 with derived keys.
// The same code serves the host and the test authenticator (which is the other ECDH side).
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import type { CborMap } from './cbor';
import { getBytes, getInt } from './cbor';
import { Fido2Error } from './errors';

export type PinProtocolVersion = 1 | 2;

/** COSE_Key of a P-256 ECDH public key as CTAP sends it (alg -25, "ECDH-ES+HKDF-256"). */
export function coseKeyAgreement(publicKey: Buffer): CborMap {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04)
    throw new Fido2Error('BAD_INPUT', 'expected an uncompressed P-256 point');
  return new Map<number, Uint8Array | number>([
    [1, 2],
    [3, -25],
    [-1, 1],
    [-2, publicKey.subarray(1, 33)],
    [-3, publicKey.subarray(33, 65)],
  ]);
}

/** Uncompressed point (04 ‖ x ‖ y) of a COSE EC2 P-256 key. */
export function cosePublicPoint(key: CborMap): Buffer {
  if (getInt(key, 1, 'COSE kty') !== 2 || getInt(key, -1, 'COSE crv') !== 1) {
    throw new Fido2Error('INVALID_PARAMETER', 'key agreement is not an EC2 P-256 key');
  }
  const x = getBytes(key, -2, 'COSE x');
  const y = getBytes(key, -3, 'COSE y');
  if (x.length !== 32 || y.length !== 32)
    throw new Fido2Error('INVALID_PARAMETER', 'key agreement coordinates are not 32 bytes');
  return Buffer.concat([Buffer.from([4]), x, y]);
}

export interface Encapsulation {
  /** Our public key, to send as keyAgreement. */
  keyAgreement: CborMap;
  /** Shared secret (32 bytes for v1, 64 for v2). Wipe with `.fill(0)` after use. */
  sharedSecret: Buffer;
}

export interface PinProtocol {
  readonly version: PinProtocolVersion;
  /** ECDH with the peer's COSE key; `privateKey` is only for known-answer tests. */
  encapsulate(peerKey: CborMap, privateKey?: Buffer): Encapsulation;
  /** Shared secret from a raw ECDH x-coordinate (the authenticator side uses this too). */
  kdf(z: Buffer): Buffer;
  encrypt(key: Buffer, plaintext: Uint8Array): Buffer;
  decrypt(key: Buffer, ciphertext: Uint8Array): Buffer;
  authenticate(key: Buffer, message: Uint8Array): Buffer;
}

function ecdh(peerKey: CborMap, privateKey?: Buffer): { ours: Buffer; z: Buffer } {
  const ec = createECDH('prime256v1');
  if (privateKey) ec.setPrivateKey(privateKey);
  else ec.generateKeys();
  let z: Buffer;
  try {
    z = ec.computeSecret(cosePublicPoint(peerKey));
  } catch (err) {
    if (err instanceof Fido2Error) throw err;
    throw new Fido2Error('INVALID_PARAMETER', 'key agreement point is not on P-256');
  }
  return { ours: ec.getPublicKey(), z };
}

function aesCbc(decrypt: boolean, key: Buffer, iv: Buffer, data: Uint8Array): Buffer {
  if (data.length % 16 !== 0)
    throw new Fido2Error('INVALID_PARAMETER', 'encrypted data is not a whole number of AES blocks');
  const cipher = decrypt
    ? createDecipheriv('aes-256-cbc', key, iv)
    : createCipheriv('aes-256-cbc', key, iv);
  cipher.setAutoPadding(false);
  // The parts may hold a plaintext (a pinUvAuthToken, an hmac-secret output): wiped once joined.
  const parts = [cipher.update(data), cipher.final()];
  try {
    return Buffer.concat(parts);
  } finally {
    for (const part of parts) part.fill(0);
  }
}

/** ECDH then KDF; the raw ECDH output z is wiped whatever happens. */
function encapsulateWith(
  protocol: PinProtocol,
  peerKey: CborMap,
  privateKey: Buffer | undefined,
): Encapsulation {
  const { ours, z } = ecdh(peerKey, privateKey);
  try {
    return { keyAgreement: coseKeyAgreement(ours), sharedSecret: protocol.kdf(z) };
  } finally {
    z.fill(0);
  }
}

export const pinProtocolV1: PinProtocol = {
  version: 1,
  encapsulate(peerKey, privateKey) {
    return encapsulateWith(this, peerKey, privateKey);
  },
  kdf: (z) => createHash('sha256').update(z).digest(),
  encrypt: (key, plaintext) => aesCbc(false, key.subarray(0, 32), Buffer.alloc(16), plaintext),
  decrypt: (key, ciphertext) => aesCbc(true, key.subarray(0, 32), Buffer.alloc(16), ciphertext),
  authenticate: (key, message) =>
    createHmac('sha256', key).update(message).digest().subarray(0, 16),
};

const HKDF_SALT = Buffer.alloc(32);

export const pinProtocolV2: PinProtocol = {
  version: 2,
  encapsulate(peerKey, privateKey) {
    return encapsulateWith(this, peerKey, privateKey);
  },
  kdf(z) {
    // Buffer.from(ArrayBuffer) is a view: wiping the halves wipes hkdfSync's own results.
    const hmacKey = Buffer.from(hkdfSync('sha256', z, HKDF_SALT, 'CTAP2 HMAC key', 32));
    const aesKey = Buffer.from(hkdfSync('sha256', z, HKDF_SALT, 'CTAP2 AES key', 32));
    try {
      return Buffer.concat([hmacKey, aesKey]);
    } finally {
      hmacKey.fill(0);
      aesKey.fill(0);
    }
  },
  encrypt(key, plaintext) {
    const iv = randomBytes(16);
    return Buffer.concat([iv, aesCbc(false, aesKey(key), iv, plaintext)]);
  },
  decrypt(key, ciphertext) {
    if (ciphertext.length < 16)
      throw new Fido2Error('INVALID_PARAMETER', 'encrypted data has no IV');
    const iv = Buffer.from(ciphertext.subarray(0, 16));
    return aesCbc(true, aesKey(key), iv, ciphertext.subarray(16));
  },
  // A 64-byte shared secret authenticates with its HMAC half; a 32-byte pinUvAuthToken as is.
  authenticate: (key, message) =>
    createHmac('sha256', key.subarray(0, 32)).update(message).digest(),
};

function aesKey(key: Buffer): Buffer {
  return key.length === 64 ? key.subarray(32, 64) : key;
}

export function pinProtocol(version: number): PinProtocol {
  if (version === 1) return pinProtocolV1;
  if (version === 2) return pinProtocolV2;
  throw new Fido2Error('UNSUPPORTED_OPTION', `PIN protocol ${version} is not supported`);
}

/**
 * LEFT(SHA-256(PIN), 16), after checking the PIN rules of CTAP (4..63 bytes UTF-8, ≥4 code
 * points). The caller wipes it.
 */
export function pinHash(pin: string): Buffer {
  const bytes = pinBytes(pin);
  const digest = createHash('sha256').update(bytes).digest();
  // A copy in its own allocation: a subarray would keep the digest's other half alive behind it.
  const hash = Buffer.alloc(16);
  digest.copy(hash, 0, 0, 16);
  digest.fill(0);
  bytes.fill(0);
  return hash;
}

/** The PIN's UTF-8 bytes (NFC), in a buffer of their own that the caller wipes. */
export function pinBytes(pin: string): Buffer {
  const normalized = pin.normalize('NFC');
  if ([...normalized].length < 4)
    throw new Fido2Error('PIN_POLICY_VIOLATION', 'A PIN needs at least 4 characters.');
  const length = Buffer.byteLength(normalized, 'utf8');
  if (length > 63)
    throw new Fido2Error('PIN_POLICY_VIOLATION', 'A PIN can be at most 63 bytes long.');
  // Buffer.alloc, not Buffer.from: a small Buffer.from lands in the shared pool, never wiped.
  const bytes = Buffer.alloc(length);
  bytes.write(normalized, 'utf8');
  return bytes;
}

/** The PIN padded with zeros to 64 bytes, as setPIN/changePIN encrypt it. The caller wipes it. */
export function paddedPin(pin: string): Buffer {
  const bytes = pinBytes(pin);
  const padded = Buffer.alloc(64);
  bytes.copy(padded);
  bytes.fill(0);
  return padded;
}
