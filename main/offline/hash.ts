// Argon2id as the packaged reference build computes it (libsodium crypto_pwhash,
// ALG_ARGON2ID13): v=19, m=65536 KiB, t=3, p=1, 32-byte raw output, 16-byte salt.
import { argon2id, hash } from 'argon2';
import { timingSafeEqual } from 'node:crypto';
import { HASH_BYTES } from './format';

export const ARGON2_PARAMS = {
  type: argon2id,
  memoryCost: 65536,
  timeCost: 3,
  parallelism: 1,
  hashLength: HASH_BYTES,
  version: 0x13,
} as const;

export async function argon2idRaw(password: Buffer, salt: Buffer): Promise<Buffer> {
  return hash(password, { ...ARGON2_PARAMS, raw: true, salt });
}

/** Recomputes the hash of `password` and compares in constant time; wipes the computed hash. */
export async function passwordMatches(
  password: Buffer,
  salt: Buffer,
  expected: Buffer,
): Promise<boolean> {
  const computed = await argon2idRaw(password, salt);
  try {
    return computed.length === expected.length && timingSafeEqual(computed, expected);
  } finally {
    computed.fill(0);
  }
}
