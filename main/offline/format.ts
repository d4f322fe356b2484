// OBCRED01 on disk: "OBCRED01" (8) ‖ IV (12) ‖ AES-256-GCM ciphertext ‖ tag (16), no AAD,
// over a JSON object (REFERENCES.md). Parsing is strict about types so that a file the
// reference could not have written is INVALID, never half-understood.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { OfflineCacheError, OfflineCode } from './codes';

export const MAGIC = Buffer.from('OBCRED01', 'ascii');
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const HASH_BYTES = 32;
export const SALT_BYTES = 16;
export const FORMAT_VERSION = 1;
/** Usernames are bounded so a PAM_USER cannot make us hash or store megabytes. */
export const MAX_USER_BYTES = 256;

/** `<first 32 hex of SHA-256("cred:" + user)>.cred` */
export function cacheFileName(user: string): string {
  return `${createHash('sha256').update(`cred:${user}`, 'utf8').digest('hex').slice(0, 32)}.cred`;
}

export const CACHE_FILE_PATTERN = /^[0-9a-f]{32}\.cred$/;

export function validateUserName(user: string): void {
  const bytes = Buffer.byteLength(user, 'utf8');
  // Control characters would let a user name forge lines in our stdout protocol.
  const hasControl = [...user].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (bytes === 0 || bytes > MAX_USER_BYTES || hasControl) {
    throw new OfflineCacheError(
      OfflineCode.INVALID,
      'user name is empty, too long or contains control characters',
    );
  }
}

export interface CacheEntry {
  user: string;
  createdAt: number;
  expiresAt: number;
  lastSuccess: number;
  failedAttempts: number;
  /** 0 = not locked. */
  lockedUntil: number;
  /** Argon2id output, 32 bytes. Wipe after use. */
  passwordHash: Buffer;
  /** Argon2id salt, 16 bytes. */
  salt: Buffer;
  gecos?: string;
  shell?: string;
  home?: string;
  /** Fields this version does not know, kept verbatim on rewrite (forward compatibility). */
  unknown: Record<string, unknown>;
}

const KNOWN_FIELDS = new Set([
  'v',
  'user',
  'created_at',
  'expires_at',
  'last_success',
  'failed_attempts',
  'locked_until',
  'password_hash',
  'salt',
  'gecos',
  'shell',
  'home',
]);

const invalid = (why: string): OfflineCacheError => new OfflineCacheError(OfflineCode.INVALID, why);

function integerField(object: Record<string, unknown>, name: string): number {
  const value = object[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`field ${name} is not a non-negative integer`);
  }
  return value;
}

function optionalString(object: Record<string, unknown>, name: string): string | undefined {
  const value = object[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`field ${name} is not a string`);
  return value;
}

/** Strict padded base64 of exactly `bytes` bytes. */
function base64Field(object: Record<string, unknown>, name: string, bytes: number): Buffer {
  const value = object[name];
  const padded = Math.ceil(bytes / 3) * 4;
  if (
    typeof value !== 'string' ||
    value.length !== padded ||
    !/^[A-Za-z0-9+/]*={0,2}$/.test(value)
  ) {
    throw invalid(`field ${name} is not padded base64 of ${bytes} bytes`);
  }
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length !== bytes || decoded.toString('base64') !== value) {
    decoded.fill(0);
    throw invalid(`field ${name} is not padded base64 of ${bytes} bytes`);
  }
  return decoded;
}

export function parseEntry(plaintext: Buffer): CacheEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw invalid('plaintext is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid('plaintext is not a JSON object');
  const object = parsed as Record<string, unknown>;
  if (object.v !== FORMAT_VERSION) throw invalid('field v is not 1');
  if (typeof object.user !== 'string') throw invalid('field user is not a string');
  const unknown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object))
    if (!KNOWN_FIELDS.has(key)) unknown[key] = value;
  const passwordHash = base64Field(object, 'password_hash', HASH_BYTES);
  const entry: CacheEntry = {
    user: object.user,
    createdAt: integerField(object, 'created_at'),
    expiresAt: integerField(object, 'expires_at'),
    lastSuccess: integerField(object, 'last_success'),
    failedAttempts: integerField(object, 'failed_attempts'),
    lockedUntil: integerField(object, 'locked_until'),
    passwordHash,
    salt: base64Field(object, 'salt', SALT_BYTES),
    unknown,
  };
  const gecos = optionalString(object, 'gecos');
  const shell = optionalString(object, 'shell');
  const home = optionalString(object, 'home');
  if (gecos !== undefined) entry.gecos = gecos;
  if (shell !== undefined) entry.shell = shell;
  if (home !== undefined) entry.home = home;
  return entry;
}

/** JSON text as json-c writes it (`{ "k": v, … }`, `/` escaped as `\/`). */
function jsonValue(value: unknown): string {
  return JSON.stringify(value).replaceAll('/', '\\/');
}

export function serializeEntry(entry: CacheEntry): Buffer {
  const fields: [string, unknown][] = [
    ['v', FORMAT_VERSION],
    ['user', entry.user],
    ['created_at', entry.createdAt],
    ['expires_at', entry.expiresAt],
    ['last_success', entry.lastSuccess],
    ['failed_attempts', entry.failedAttempts],
    ['locked_until', entry.lockedUntil],
    ['password_hash', entry.passwordHash.toString('base64')],
    ['salt', entry.salt.toString('base64')],
  ];
  if (entry.gecos !== undefined) fields.push(['gecos', entry.gecos]);
  if (entry.shell !== undefined) fields.push(['shell', entry.shell]);
  if (entry.home !== undefined) fields.push(['home', entry.home]);
  for (const [key, value] of Object.entries(entry.unknown)) fields.push([key, value]);
  return Buffer.from(
    `{ ${fields.map(([k, v]) => `${jsonValue(k)}: ${jsonValue(v)}`).join(', ')} }`,
    'utf8',
  );
}

export function wipeEntry(entry: CacheEntry): void {
  entry.passwordHash.fill(0);
  entry.salt.fill(0);
}

export function sealFile(key: Buffer, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, iv, body, cipher.getAuthTag()]);
}

/** Magic wrong or file too short for one → INVALID; authentication fails → CRYPTO. */
export function openFile(key: Buffer, file: Buffer): Buffer {
  if (file.length <= MAGIC.length || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw invalid('not an OBCRED01 file (magic)');
  }
  const sealed = file.subarray(MAGIC.length);
  if (sealed.length < IV_BYTES + TAG_BYTES)
    throw new OfflineCacheError(OfflineCode.CRYPTO, 'file too short for IV and tag');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    throw new OfflineCacheError(
      OfflineCode.CRYPTO,
      'authentication tag mismatch (tampered, or another key)',
    );
  }
  return plaintext;
}
