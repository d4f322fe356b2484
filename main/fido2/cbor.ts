// CTAP2 canonical CBOR (CTAP 2.1 §8 "Message encoding") on top of cbor-x.
// cbor-x's defaults are not canonical (it tags Uint8Arrays and may use fixed 16-bit map
// headers), and its decoder understands tags that build objects (RegExp, Set, shared refs).
// So: encode with a safe Encoder after putting every Map in canonical key order, and before
// decoding, walk the bytes once with a strict structural check that only admits the CTAP2
// subset (no tags, no indefinite lengths, no floats, bounded depth, no trailing bytes).
import { Decoder, Encoder } from 'cbor-x';
import { Fido2Error } from './errors';

export type CborValue =
  number | bigint | string | boolean | null | undefined | Uint8Array | CborValue[] | CborMap;
export type CborMap = Map<number | string, CborValue>;

const encoder = new Encoder({
  mapsAsObjects: false,
  useRecords: false,
  tagUint8Array: false,
  variableMapSize: true,
  useFloat32: 0,
});
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

/** Largest CBOR message we accept (CTAPHID's maximum message payload). */
export const MAX_CBOR_BYTES = 7609;
const MAX_DEPTH = 16;

/** CTAP2 key order: integers before text, integers by encoded bytes, text by length then bytes. */
export function compareCanonicalKeys(a: number | string, b: number | string): number {
  const ea = Buffer.from(encoder.encode(a));
  const eb = Buffer.from(encoder.encode(b));
  if (ea.length !== eb.length) return ea.length - eb.length;
  return Buffer.compare(ea, eb);
}

function canonicalize(value: CborValue): CborValue {
  if (value instanceof Map) {
    const keys = [...value.keys()].sort(compareCanonicalKeys);
    return new Map(keys.map((k) => [k, canonicalize(value.get(k))]));
  }
  if (Array.isArray(value)) return value.map(canonicalize);
  if (typeof value === 'number' && !Number.isInteger(value)) {
    throw new Fido2Error('BAD_INPUT', 'CTAP2 CBOR has no floating-point numbers');
  }
  if (value instanceof Uint8Array && !(value instanceof Buffer)) return Buffer.from(value);
  return value;
}

/** Canonical CTAP2 encoding of a value (Maps may be built in any order). */
export function encodeCanonical(value: CborValue): Buffer {
  const out = encoder.encode(canonicalize(value));
  return Buffer.from(out);
}

/**
 * Structural check of one CBOR data item spanning exactly `bytes`, restricted to CTAP2's
 * subset. Throws INVALID_CBOR; never allocates per declared length.
 */
export function checkCtapCbor(bytes: Uint8Array): void {
  if (bytes.length === 0) throw new Fido2Error('INVALID_CBOR', 'empty CBOR message');
  if (bytes.length > MAX_CBOR_BYTES) throw new Fido2Error('INVALID_CBOR', 'CBOR message too large');
  const end = skipItem(bytes, 0, 0);
  if (end !== bytes.length) throw new Fido2Error('INVALID_CBOR', 'trailing bytes after CBOR item');
}

function bad(message: string): never {
  throw new Fido2Error('INVALID_CBOR', `malformed CBOR: ${message}`);
}

function readArgument(bytes: Uint8Array, pos: number, info: number): [number, number] {
  if (info < 24) return [info, pos];
  const widths: Record<number, number> = { 24: 1, 25: 2, 26: 4, 27: 8 };
  const width = widths[info];
  if (width === undefined) bad(info === 31 ? 'indefinite length' : 'reserved additional info');
  if (pos + width > bytes.length) bad('truncated argument');
  let n = 0;
  for (let i = 0; i < width; i++) n = n * 256 + bytes[pos + i]!;
  return [n, pos + width];
}

function skipItem(bytes: Uint8Array, start: number, depth: number): number {
  if (depth > MAX_DEPTH) bad('nested too deep');
  if (start >= bytes.length) bad('truncated');
  const initial = bytes[start]!;
  const major = initial >> 5;
  const [arg, pos] = readArgument(bytes, start + 1, initial & 0x1f);
  switch (major) {
    case 0:
    case 1:
      return pos;
    case 2:
    case 3:
      if (arg > bytes.length - pos) bad('string longer than message');
      if (major === 3) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos, pos + arg));
        } catch {
          bad('text is not UTF-8');
        }
      }
      return pos + arg;
    case 4: {
      if (arg > bytes.length - pos) bad('array longer than message');
      let p = pos;
      for (let i = 0; i < arg; i++) p = skipItem(bytes, p, depth + 1);
      return p;
    }
    case 5: {
      if (arg * 2 > bytes.length - pos) bad('map longer than message');
      let p = pos;
      for (let i = 0; i < arg; i++) {
        const keyMajor = (bytes[p] ?? 0xff) >> 5;
        if (keyMajor !== 0 && keyMajor !== 1 && keyMajor !== 3)
          bad('map key is not an integer or text');
        p = skipItem(bytes, p, depth + 1);
        p = skipItem(bytes, p, depth + 1);
      }
      return p;
    }
    case 6:
      return bad('tags are not allowed');
    default: {
      const info = initial & 0x1f;
      if (info === 20 || info === 21 || info === 22 || info === 23) return pos;
      return bad('floats and simple values are not allowed');
    }
  }
}

/** Offset just past the CBOR item starting at `start` (for items embedded in authenticator data). */
export function cborItemEnd(bytes: Uint8Array, start: number): number {
  return skipItem(bytes, start, 0);
}

/** Decodes one CTAP2 CBOR item after the structural check; typed error on anything else. */
export function decodeCtap(bytes: Uint8Array): CborValue {
  checkCtapCbor(bytes);
  try {
    return decoder.decode(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ) as CborValue;
  } catch (err) {
    throw new Fido2Error('INVALID_CBOR', `malformed CBOR: ${(err as Error).message}`);
  }
}

// Accessors for decoded maps: each checks the type and raises INVALID_CBOR otherwise.
export function asMap(value: CborValue, what: string): CborMap {
  if (value instanceof Map) return value;
  throw new Fido2Error('INVALID_CBOR', `${what} is not a CBOR map`);
}
export function getBytes(map: CborMap, key: number | string, what: string): Uint8Array {
  const v = map.get(key);
  if (v instanceof Uint8Array) return v;
  throw new Fido2Error('INVALID_CBOR', `${what} is missing or not bytes`);
}
export function optBytes(map: CborMap, key: number | string, what: string): Uint8Array | undefined {
  return map.has(key) ? getBytes(map, key, what) : undefined;
}
export function getInt(map: CborMap, key: number | string, what: string): number {
  const v = map.get(key);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new Fido2Error('INVALID_CBOR', `${what} is missing or not an integer`);
}
export function optInt(map: CborMap, key: number | string, what: string): number | undefined {
  return map.has(key) ? getInt(map, key, what) : undefined;
}
export function optMap(map: CborMap, key: number | string, what: string): CborMap | undefined {
  return map.has(key) ? asMap(map.get(key), what) : undefined;
}
export function optBool(map: CborMap, key: number | string, what: string): boolean | undefined {
  if (!map.has(key)) return undefined;
  const v = map.get(key);
  if (typeof v === 'boolean') return v;
  throw new Fido2Error('INVALID_CBOR', `${what} is not a boolean`);
}
export function optStringArray(
  map: CborMap,
  key: number | string,
  what: string,
): string[] | undefined {
  if (!map.has(key)) return undefined;
  const v = map.get(key);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new Fido2Error('INVALID_CBOR', `${what} is not a list of text`);
}
