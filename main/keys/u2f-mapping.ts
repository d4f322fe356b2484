// pam_u2f's authfile ("native" format), read exactly as pam_u2f reads it and written exactly as
// pamu2fcfg writes it (Yubico/pam-u2f util.c parse_native_format, pamu2fcfg.c; Debian 12 ships
// 1.1.0, whose reader is the most limited):
//
//   user:<credential>[:<credential>…]          one line per user; pam_u2f keeps the LAST line
//   credential = <key handle>,<public key>,<type>,<attributes>
//
// * Fields are strtok(3) tokens: runs of ':' or ',' separate, empty fields vanish.
// * key handle: standard base64 with padding of the credential id, or "*" for a resident
//   credential (pamu2fcfg -r). public key: base64 of the raw key (es256: 64 bytes x‖y as
//   libfido2's fido_cred_pubkey_ptr gives it). type: es256 | rs256 | eddsa.
// * attributes: pam_u2f looks for the substrings +presence, +verification, +pin; pamu2fcfg
//   writes them in that order ("" with -P, "+presence+pin" with -N, "+presence+verification"
//   with -V). A missing 4th field is "" (no presence demanded by the file).
// * "Old" format (pam_u2f ≤ 1.0.x): only two fields, a websafe-base64 key handle without
//   padding and a hex uncompressed EC point; read as es256 +presence.
// * pam_u2f 1.1.0 reads lines with fgets into DEVSIZE*(max_devs-1) = 5888 bytes and keeps at
//   most max_devs = 24 credentials: longer lines are cut, later credentials ignored, so we
//   never write a line (or a count) it could not read whole.
//
// Other users' lines and lines we do not understand are kept byte for byte; only the target
// user's lines are parsed, strictly: one that pam_u2f could misread is an error, never "fixed".
import { createHash, createPublicKey, ECDH } from 'node:crypto';
import { KeysError } from './errors';

/** Whole file bound (a hostile or runaway file is refused before any parsing). */
export const MAX_AUTHFILE_BYTES = 1024 * 1024;
/** Any line, any user: refused above this (pam_u2f 1.1.0 cannot read a line that long anyway). */
export const MAX_LINE_BYTES = 8192;
export const MAX_LINES = 20_000;
/** pam_u2f 1.1.0: fgets(buf, DEVSIZE * (MAX_DEVS - 1)) reads at most 5887 bytes, '\n' included. */
export const PAM_U2F_MAX_LINE_BYTES = 256 * 23 - 1;
/** pam_u2f's default max_devices. */
export const PAM_U2F_MAX_CREDENTIALS = 24;

export type CoseType = 'es256' | 'rs256' | 'eddsa';

export interface CredentialFlags {
  presence: boolean;
  verification: boolean;
  pin: boolean;
}

/** One credential of a user line, parsed and checked. */
export interface U2fCredential {
  /** The key handle text as written (base64, websafe base64 in the old format, or "*"). */
  keyHandle: string;
  /** Decoded credential id; null for a resident credential ("*"). */
  credentialId: Buffer | null;
  /** Public key text as written (base64, hex in the old format). */
  publicKey: string;
  coseType: CoseType;
  attributes: string;
  flags: CredentialFlags;
  oldFormat: boolean;
  /** The credential's text exactly as in the file. */
  text: string;
}

export interface AuthfileLine {
  /** 1-based line number. */
  number: number;
  /** The line's bytes without its '\n'. */
  bytes: Buffer;
  /** Whether a '\n' ended it (the last line of a pamu2fcfg redirect has none). */
  terminated: boolean;
  /** The user pam_u2f sees on this line (its first ':'-token), or null. */
  user: string | null;
}

export interface AuthfileDocument {
  readonly lines: readonly AuthfileLine[];
}

/** User names we write: no ':' ',' whitespace or control character can reach the file. */
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,254}\$?$/;

export function checkUserName(user: string): void {
  if (!USER_NAME.test(user))
    throw new KeysError(
      'BAD_INPUT',
      `"${user.slice(0, 64)}" is not a user name this file can hold (letters, digits, . _ @ -).`,
    );
}

/** pam_u2f's own tokenisation: strtok_r on `delimiter`, empty tokens dropped. */
function tokens(text: string, delimiter: string): string[] {
  return text.split(delimiter).filter((t) => t !== '');
}

function userOf(text: string): string | null {
  return tokens(text, ':')[0] ?? null;
}

/**
 * Splits the file into lines and checks the bounds every line must meet. Never fails on the
 * content of a line (other users' lines are not ours to judge), only on size, NUL bytes
 * (pam_u2f's C strings would silently stop there) and line length/count.
 */
export function parseAuthfile(data: Buffer): AuthfileDocument {
  if (data.length > MAX_AUTHFILE_BYTES)
    throw new KeysError(
      'MAPPING_TOO_LARGE',
      `The key mapping file is larger than ${MAX_AUTHFILE_BYTES} bytes: it was left as it is.`,
    );
  if (data.includes(0))
    throw new KeysError(
      'MAPPING_CORRUPT',
      'The key mapping file contains a NUL byte: it is not a pam_u2f file and was left as it is.',
    );
  const lines: AuthfileLine[] = [];
  let start = 0;
  while (start < data.length) {
    const end = data.indexOf(0x0a, start);
    const stop = end === -1 ? data.length : end;
    const bytes = data.subarray(start, stop);
    const number = lines.length + 1;
    if (bytes.length > MAX_LINE_BYTES)
      throw new KeysError(
        'MAPPING_TOO_LARGE',
        `Line ${number} of the key mapping file is longer than ${MAX_LINE_BYTES} bytes: the file was left as it is.`,
      );
    if (number > MAX_LINES)
      throw new KeysError(
        'MAPPING_TOO_LARGE',
        `The key mapping file has more than ${MAX_LINES} lines: it was left as it is.`,
      );
    lines.push({ number, bytes, terminated: end !== -1, user: userOf(bytes.toString('latin1')) });
    start = stop + 1;
  }
  return { lines };
}

export function serializeAuthfile(doc: AuthfileDocument): Buffer {
  const parts: Buffer[] = [];
  for (const line of doc.lines) {
    parts.push(line.bytes);
    if (line.terminated) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const ATTRIBUTES = /^(?:\+(?:presence|verification|pin))*$/;

/** Strict standard base64: canonical (re-encodes to the same text), as pamu2fcfg writes it. */
function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text) || text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

function decodeBase64Url(text: string): Buffer | null {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

/** A P-256 point as libfido2's es256_pk_from_ptr takes it (x‖y, or 0x04‖x‖y), on the curve. */
function validEs256Point(raw: Buffer): boolean {
  let uncompressed: Buffer;
  if (raw.length === 64) uncompressed = Buffer.concat([Buffer.of(4), raw]);
  else if (raw.length === 65 && raw[0] === 4) uncompressed = raw;
  else return false;
  try {
    createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: uncompressed.subarray(1, 33).toString('base64url'),
        y: uncompressed.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    });
    return true;
  } catch {
    return false;
  }
}

/** Credential ids: CTAP 2.1 allows up to 1023 bytes; nothing real is shorter than 16. */
const MIN_CREDENTIAL_ID = 16;
const MAX_CREDENTIAL_ID = 1023;

function parseCredential(text: string): U2fCredential | string {
  const fields = tokens(text, ',');
  if (fields.length < 2) return 'a credential needs at least a key handle and a public key';
  if (fields.length > 4) return 'a credential has more than four fields';
  const [keyHandle, publicKey, type, attributes = ''] = fields as [
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  const oldFormat = type === undefined;
  let credentialId: Buffer | null = null;
  if (keyHandle !== '*') {
    credentialId = oldFormat ? decodeBase64Url(keyHandle) : decodeBase64(keyHandle);
    if (credentialId === null) return 'the key handle is not valid base64';
    if (credentialId.length < MIN_CREDENTIAL_ID || credentialId.length > MAX_CREDENTIAL_ID)
      return `the key handle is ${credentialId.length} bytes long`;
  } else if (oldFormat) return 'a resident credential ("*") needs the current format';
  if (oldFormat) {
    if (!HEX.test(publicKey)) return 'the public key is not valid hex';
    const raw = Buffer.from(publicKey, 'hex');
    let valid = raw.length === 65 && validEs256Point(raw);
    if (!valid && raw.length === 33 && (raw[0] === 2 || raw[0] === 3)) {
      try {
        valid = validEs256Point(
          ECDH.convertKey(raw, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer,
        );
      } catch {
        valid = false;
      }
    }
    if (!valid) return 'the public key is not a P-256 point';
  } else {
    if (type !== 'es256' && type !== 'rs256' && type !== 'eddsa')
      return `unknown key type "${type.slice(0, 16)}"`;
    const raw = decodeBase64(publicKey);
    if (raw === null) return 'the public key is not valid base64';
    const ok =
      type === 'es256'
        ? validEs256Point(raw)
        : type === 'rs256'
          ? raw.length === 259
          : raw.length === 32;
    if (!ok) return `the ${type} public key has the wrong length or is not a valid point`;
    if (!ATTRIBUTES.test(attributes)) return `unknown attributes "${attributes.slice(0, 32)}"`;
  }
  const effective = oldFormat ? '+presence' : attributes;
  return {
    keyHandle,
    credentialId,
    publicKey,
    coseType: (type ?? 'es256') as CoseType,
    attributes: effective,
    flags: {
      presence: effective.includes('+presence'),
      verification: effective.includes('+verification'),
      pin: effective.includes('+pin'),
    },
    oldFormat,
    text,
  };
}

/** The credentials of one line, strictly; throws MAPPING_CORRUPT naming the line. */
export function parseUserLine(line: AuthfileLine): U2fCredential[] {
  const text = line.bytes.toString('latin1');
  const corrupt = (why: string): never => {
    throw new KeysError(
      'MAPPING_CORRUPT',
      `Line ${line.number} of the key mapping file (user ${line.user ?? '?'}) is damaged: ${why}. Fix or remove that line; nothing was changed.`,
    );
  };
  if (!/^[\x20-\x7e]*$/.test(text)) corrupt('it holds control or non-ASCII characters');
  const credentials: U2fCredential[] = [];
  for (const field of tokens(text, ':').slice(1)) {
    const parsed = parseCredential(field);
    if (typeof parsed === 'string') corrupt(parsed);
    else credentials.push(parsed);
  }
  if (credentials.length > PAM_U2F_MAX_CREDENTIALS)
    corrupt(`it has more than ${PAM_U2F_MAX_CREDENTIALS} credentials, which pam_u2f ignores`);
  return credentials;
}

export interface UserMapping {
  user: string;
  /** The line pam_u2f uses (the last one for the user), or null when the user has none. */
  line: AuthfileLine | null;
  credentials: U2fCredential[];
  /** Earlier lines of the same user, which pam_u2f ignores. */
  ignoredLines: number[];
}

/** What pam_u2f would use for `user`; every line of that user must parse (else MAPPING_CORRUPT). */
export function userMapping(doc: AuthfileDocument, user: string): UserMapping {
  const mine = doc.lines.filter((l) => l.user === user);
  for (const line of mine) parseUserLine(line);
  const last = mine.at(-1) ?? null;
  return {
    user,
    line: last,
    credentials: last ? parseUserLine(last) : [],
    ignoredLines: mine.slice(0, -1).map((l) => l.number),
  };
}

export interface MappingProblem {
  line: number;
  user: string | null;
  message: string;
}

/** Every user's effective mapping, for listings; damaged lines are reported, not thrown. */
export function listMappings(doc: AuthfileDocument): {
  mappings: UserMapping[];
  problems: MappingProblem[];
} {
  const users = [...new Set(doc.lines.map((l) => l.user).filter((u): u is string => u !== null))];
  const mappings: UserMapping[] = [];
  const problems: MappingProblem[] = [];
  for (const user of users) {
    try {
      mappings.push(userMapping(doc, user));
    } catch (error) {
      if (!(error instanceof KeysError)) throw error;
      const line = /^Line (\d+)/.exec(error.message)?.[1];
      problems.push({ line: Number(line ?? 0), user, message: error.message });
    }
  }
  return { mappings, problems };
}

export interface NewCredential {
  credentialId: Uint8Array;
  /** ES256 public key, 64 bytes x‖y (what pamu2fcfg writes). */
  publicKey: Uint8Array;
  flags: CredentialFlags;
}

/** The credential text pamu2fcfg would print for it (attributes in pamu2fcfg's order). */
export function formatCredential(credential: NewCredential): string {
  if (credential.publicKey.length !== 64)
    throw new KeysError('BAD_INPUT', 'An ES256 public key is 64 bytes (x‖y).');
  const attributes =
    (credential.flags.presence ? '+presence' : '') +
    (credential.flags.verification ? '+verification' : '') +
    (credential.flags.pin ? '+pin' : '');
  return [
    Buffer.from(credential.credentialId).toString('base64'),
    Buffer.from(credential.publicKey).toString('base64'),
    'es256',
    attributes,
  ].join(',');
}

/**
 * A copy of `doc` with `credential` added for `user`: appended to the user's effective (last)
 * line, or as a new line at the end. Other lines keep their bytes. Refuses a duplicate
 * (ALREADY_ENROLLED) and a line pam_u2f could not read whole (MAPPING_FULL).
 */
export function addCredential(
  doc: AuthfileDocument,
  user: string,
  credential: NewCredential,
): AuthfileDocument {
  checkUserName(user);
  const mapping = userMapping(doc, user);
  const id = Buffer.from(credential.credentialId);
  if (mapping.credentials.some((c) => c.credentialId?.equals(id)))
    throw new KeysError(
      'ALREADY_ENROLLED',
      'This security key is already enrolled for this account.',
    );
  if (mapping.credentials.length >= PAM_U2F_MAX_CREDENTIALS)
    throw new KeysError(
      'MAPPING_FULL',
      `${user} already has ${PAM_U2F_MAX_CREDENTIALS} security keys, the most pam_u2f reads: remove one first.`,
    );
  const text = formatCredential(credential);
  const lines = [...doc.lines];
  let changed: AuthfileLine;
  if (mapping.line) {
    const old = mapping.line.bytes.toString('latin1');
    const joined = old.endsWith(':') ? `${old}${text}` : `${old}:${text}`;
    changed = {
      ...mapping.line,
      bytes: Buffer.from(joined, 'latin1'),
      terminated: mapping.line.terminated,
    };
    lines[mapping.line.number - 1] = changed;
  } else {
    const last = lines.at(-1);
    if (last && !last.terminated) lines[lines.length - 1] = { ...last, terminated: true };
    changed = {
      number: lines.length + 1,
      bytes: Buffer.from(`${user}:${text}`, 'latin1'),
      terminated: true,
      user,
    };
    lines.push(changed);
  }
  if (changed.bytes.length + 1 > PAM_U2F_MAX_LINE_BYTES)
    throw new KeysError(
      'MAPPING_FULL',
      `${user}'s line would be longer than pam_u2f reads (${PAM_U2F_MAX_LINE_BYTES} bytes): remove a key first.`,
    );
  return { lines };
}

/**
 * A copy of `doc` without the credential whose key handle text is `keyHandle` on `user`'s
 * effective line (a line left with no credential is removed). Null when there is none.
 */
export function removeCredential(
  doc: AuthfileDocument,
  user: string,
  keyHandle: string,
): AuthfileDocument | null {
  const mapping = userMapping(doc, user);
  if (!mapping.line || !mapping.credentials.some((c) => c.keyHandle === keyHandle)) return null;
  const kept = mapping.credentials.filter((c) => c.keyHandle !== keyHandle);
  const lines = [...doc.lines];
  const index = mapping.line.number - 1;
  if (kept.length === 0) lines.splice(index, 1);
  else
    lines[index] = {
      ...mapping.line,
      bytes: Buffer.from([user, ...kept.map((c) => c.text)].join(':'), 'latin1'),
    };
  return { lines: lines.map((l, i) => ({ ...l, number: i + 1 })) };
}

/** A short, stable id for a credential in listings and label files (no secret: ids are public). */
export function credentialFingerprint(keyHandle: string): string {
  return createHash('sha256').update(keyHandle).digest('hex').slice(0, 16);
}
