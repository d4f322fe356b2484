// Argon2id as the packaged reference build computes it (libsodium crypto_pwhash,
// ALG_ARGON2ID13): v=19, m=65536 KiB, t=3, p=1, 32-byte raw output, 16-byte salt.
//
// Backend: libsodium itself, through the `sodium-native` package (prebuilt N-API addon, bundled
// libsodium). libsodium picks its Argon2 block function at run time from CPUID (AVX-512F, AVX2,
// SSSE3 or portable C), so one binary runs at full speed here and never executes an instruction
// an older CPU lacks; the `argon2` package compiles one SSE2 path only (2.3× slower here).
// The prebuilt addon is loaded directly: the package's JS front (require-addon, which-runtime,
// assert wrappers) costs ~10 ms of start-up per `bastion-offline verify` and adds nothing we
// use. Same call signature either way; the package is pinned to an exact version.
import { dirname, isAbsolute, join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { HASH_BYTES, SALT_BYTES } from './format';

export const ARGON2_PARAMS = {
  memoryKiB: 65536,
  timeCost: 3,
  parallelism: 1,
  hashLength: HASH_BYTES,
  version: 0x13,
} as const;

/** The part of libsodium's binding we use (same signature in the raw addon and the package). */
interface SodiumPwhash {
  crypto_pwhash(
    out: Buffer,
    password: Buffer,
    salt: Buffer,
    opslimit: number,
    memlimit: number,
    alg: number,
  ): number | undefined;
  crypto_pwhash_ALG_ARGON2ID13: number;
}

function isSodium(value: unknown): value is SodiumPwhash {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { crypto_pwhash?: unknown }).crypto_pwhash === 'function' &&
    typeof (value as { crypto_pwhash_ALG_ARGON2ID13?: unknown }).crypto_pwhash_ALG_ARGON2ID13 ===
      'number'
  );
}

let sodium: SodiumPwhash | null = null;

/** Where this module was loaded from: the ESM bundle's URL, else (a CJS bundle) its file. */
function loaderBase(): string {
  const url: unknown = import.meta.url;
  if (typeof url === 'string' && url.startsWith('file:')) return url;
  if (typeof __filename === 'string' && isAbsolute(__filename)) return __filename;
  throw new Error('cannot tell where the Argon2id backend is installed');
}

function loadSodium(): SodiumPwhash {
  if (sodium !== null) return sodium;
  // node:module on first use: bastion-offline verify loads the addon while PBKDF2 runs, and
  // compiling node:module (~1.5 ms) would otherwise come before PBKDF2 starts.
  const { createRequire } = process.getBuiltinModule('node:module');
  const requireHere = createRequire(loaderBase());
  // A variable, not a literal: bundlers leave it alone, so the addon resolves from node_modules
  // next to the installed bundle at run time.
  const name = 'sodium-native';
  let loaded: unknown;
  try {
    const root = dirname(requireHere.resolve(`${name}/package.json`));
    loaded = requireHere(
      join(root, 'prebuilds', `${process.platform}-${process.arch}`, `${name}.node`),
    );
  } catch {
    loaded = requireHere(name); // no prebuild for this platform: the package's own loader
  }
  if (!isSodium(loaded)) throw new Error('sodium-native does not export crypto_pwhash');
  sodium = loaded;
  return sodium;
}

/**
 * Loads the backend now (dlopen and libsodium's CPU dispatch, ~2 ms), so that a verify can do it
 * while the key derivation runs in the thread pool. Never throws: a backend that cannot load
 * fails the first hash exactly as without this call.
 */
export function preloadArgon2Backend(): void {
  try {
    loadSodium();
  } catch {
    // reported by the hash that needs it
  }
}

export async function argon2idRaw(password: Buffer, salt: Buffer): Promise<Buffer> {
  return argon2idRawSync(password, salt);
}

export function argon2idRawSync(password: Buffer, salt: Buffer): Buffer {
  if (salt.length !== SALT_BYTES) throw new Error(`Argon2id salt must be ${SALT_BYTES} bytes`);
  const lib = loadSodium();
  const out = Buffer.alloc(ARGON2_PARAMS.hashLength);
  const status = lib.crypto_pwhash(
    out,
    password,
    salt,
    ARGON2_PARAMS.timeCost,
    ARGON2_PARAMS.memoryKiB * 1024,
    lib.crypto_pwhash_ALG_ARGON2ID13,
  );
  if (status !== undefined && status !== 0) {
    throw new Error(`crypto_pwhash failed (status ${status})`);
  }
  return out;
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

/**
 * The same work as a password check, against nothing: for a user without an entry, so that
 * "no entry" costs what "wrong password" costs (no user enumeration by timing).
 */
export async function dummyPasswordCheck(password: Buffer, salt: Buffer): Promise<void> {
  (await argon2idRaw(password, salt)).fill(0);
}
