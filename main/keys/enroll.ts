// Enrolling a security key for pam_u2f with our own CTAP2 stack: inspect the key, make an ES256
// credential for rp = origin (as pamu2fcfg does: random 32-byte clientDataHash and user id,
// user name = display name = the login, rp name = appid = origin by default, no extension, no
// resident key), then a test assertion verified against the new public key with node:crypto
// — proof that the key answers for the credential we are about to write, and what pam_u2f
// will do at login (random 32-byte challenge as clientDataHash, allowList = [credential],
// up, and the PIN or UV the attributes demand).
//
// What login through pam_u2f needs from a key: CTAP2 and ES256 (we write es256, as pamu2fcfg
// does by default), plus a PIN when the site demands +pin, or built-in user verification for
// +verification. hmac-secret is NOT needed: pam_u2f only checks assertion signatures.
// hmac-secret matters only for the disk (systemd-fido2) tokens, so it is reported by
// inspectKey for the key manager, never required here.
//
// Step functions (inspectKey, setKeyPin, createCredential, testCredential) serve a wizard that
// shows each step; enrollKey chains them for the command line. Progress callbacks report a
// touch only when the key says it awaits one (CTAPHID keepalive UPNEEDED). Every call takes
// an AbortSignal; nothing here writes files (see keys/index.ts enrollIntoAuthfile).
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { CborMap, CborValue } from '../fido2/cbor';
import { getBytes, optMap } from '../fido2/cbor';
import type { Ctap2Client, PinAuth } from '../fido2/ctap2';
import { CtapCmd, parseAuthenticatorData, Permission } from '../fido2/ctap2';
import { probeCredential } from '../fido2/device-choice';
import { Fido2Error } from '../fido2/errors';
import type { KeepaliveEvent, TransactionOptions } from '../fido2/transport';
import { assertionMismatch, es256PublicKey } from './assertion';
import { asKeysError, KeysError } from './errors';
import type { CredentialFlags } from './u2f-mapping';
import { checkUserName, formatCredential } from './u2f-mapping';

/** What the site demands at login: pamu2fcfg's default, -N, or -V. */
export type Requirement = 'presence' | 'pin' | 'verification';

export function flagsFor(requirement: Requirement): CredentialFlags {
  return {
    presence: true,
    pin: requirement === 'pin',
    verification: requirement === 'verification',
  };
}

/** pamu2fcfg's default origin: pam:// and the host name. */
export function defaultOrigin(): string {
  return `pam://${hostname()}`;
}

export type EnrollProgress =
  | { step: 'inspect' }
  | { step: 'pin' }
  /** The key is waiting for a touch now (keepalive UPNEEDED), for `purpose`. */
  | { step: 'touch'; purpose: 'create' | 'test' }
  | { step: 'create' }
  | { step: 'test' }
  | { step: 'done' };

export interface StepOptions {
  signal?: AbortSignal;
  /** Per-call deadline, touch wait included (default 30 s). */
  timeoutMs?: number;
  onProgress?: (event: EnrollProgress) => void;
}

export interface KeyInspection {
  ctap2: boolean;
  es256: boolean;
  /** A PIN is set on the key. */
  pinSet: boolean;
  /** The key can hold a PIN at all. */
  pinSupported: boolean;
  /** PIN attempts left (null when no PIN is set or the key did not say). */
  pinRetries: number | null;
  /** Shortest PIN the key accepts (CTAP 2.1 minPINLength, else 4). */
  minPinLength: number;
  /** Built-in user verification (fingerprint…) configured. */
  uv: boolean;
  /** For disk tokens only; login does not need it. */
  hmacSecret: boolean;
}

function check(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new KeysError('CANCELLED', 'Enrollment was cancelled: nothing was saved.');
}

function callOptions(options: StepOptions, purpose: 'create' | 'test' | null): TransactionOptions {
  let announced = false;
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    onKeepalive: (event: KeepaliveEvent) => {
      if (event.kind !== 'touch-needed' || purpose === null || announced) return;
      announced = true;
      options.onProgress?.({ step: 'touch', purpose });
    },
  };
}

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw asKeysError(error);
  }
}

/** Reads what enrollment needs to know about the key; no touch, no PIN. */
export async function inspectKey(
  client: Ctap2Client,
  options: StepOptions = {},
): Promise<KeyInspection> {
  check(options.signal);
  options.onProgress?.({ step: 'inspect' });
  return guarded(async () => {
    const info = await client.getInfo();
    // Asked again, not from Ctap2Client's cache: the options change when a PIN is set
    // (setKeyPin), and algorithms (0x0a) / minPINLength (0x0d) are CTAP 2.1 fields the client
    // does not keep. No algorithms list means ES256 (CTAP 2.0 keys all have it).
    const raw = await client.call(CtapCmd.GET_INFO, null, callOptions(options, null));
    const algorithms = raw?.get(0x0a);
    const es256 =
      !Array.isArray(algorithms) ||
      algorithms.some(
        (a) => a instanceof Map && a.get('alg') === -7 && a.get('type') === 'public-key',
      );
    const minLength = raw?.get(0x0d);
    const fresh = raw ? optMap(raw, 4, 'getInfo options') : undefined;
    const option = (name: string): boolean | undefined => {
      const value = fresh ? fresh.get(name) : info.options[name];
      return typeof value === 'boolean' ? value : undefined;
    };
    const pinSupported = option('clientPin') !== undefined;
    const pinSet = option('clientPin') === true;
    const pinRetries = pinSet ? await client.getPinRetries().catch(() => null) : null;
    return {
      ctap2: info.versions.some((v) => v.startsWith('FIDO_2')),
      es256,
      pinSet,
      pinSupported,
      pinRetries,
      minPinLength: typeof minLength === 'number' && minLength >= 4 ? minLength : 4,
      uv: option('uv') === true,
      hmacSecret: info.extensions.includes('hmac-secret'),
    };
  });
}

/** Why this key cannot serve `requirement`, as a KeysError; null when it can. */
export function unsuitable(inspection: KeyInspection, requirement: Requirement): KeysError | null {
  if (!inspection.ctap2 || !inspection.es256)
    return new KeysError(
      'UNSUPPORTED',
      'This security key does not support FIDO2 with ES256 signatures, which login needs: use another key.',
    );
  if (requirement === 'verification' && !inspection.uv)
    return new KeysError(
      'UNSUPPORTED',
      'This site requires built-in user verification (such as a fingerprint), which this security key does not offer: use another key.',
    );
  if (requirement === 'pin' && !inspection.pinSupported)
    return new KeysError(
      'UNSUPPORTED',
      'This site requires a PIN, which this security key cannot hold: use another key.',
    );
  if (requirement === 'pin' && !inspection.pinSet)
    return new KeysError(
      'PIN_NOT_SET',
      'This site requires a PIN and this security key has none yet: set one first.',
    );
  return null;
}

/** CTAP 2.1 §6.5.5.1 PIN rules: at least `minLength` characters (≥ 4), at most 63 bytes. */
export function checkNewPin(pin: Buffer, minLength = 4): void {
  const text = pin.toString('utf8');
  if ([...text].length < Math.max(4, minLength) || pin.length > 63 || text.includes('\0'))
    throw new KeysError(
      'PIN_POLICY',
      `A PIN has at least ${Math.max(4, minLength)} characters and at most 63 bytes.`,
    );
}

/** Sets the first PIN of a key that has none. The caller keeps (and wipes) `pin`. */
export async function setKeyPin(
  client: Ctap2Client,
  pin: Buffer,
  options: StepOptions & { minLength?: number } = {},
): Promise<void> {
  checkNewPin(pin, options.minLength);
  check(options.signal);
  options.onProgress?.({ step: 'pin' });
  await guarded(() => client.setPin(pin.toString('utf8')));
}

export interface CreateRequest extends StepOptions {
  user: string;
  /** rp id, pam_u2f's `origin=` (default pam://<hostname>). */
  origin?: string;
  /** rp name, pam_u2f's `appid=` (default: the origin). */
  appId?: string;
  requirement?: Requirement;
  /** The key's PIN, when it has one. The caller keeps (and wipes) it. */
  pin?: Buffer;
  /** Credential ids already enrolled for this user and origin: the key refuses to repeat. */
  excludeCredentialIds?: Uint8Array[];
}

export interface CreatedCredential {
  user: string;
  origin: string;
  credentialId: Buffer;
  /** ES256 public key, 64 bytes x‖y (as pam_u2f stores it). */
  publicKey: Buffer;
  flags: CredentialFlags;
  /** The credential as pam_u2f's authfile holds it (`<kh>,<pk>,es256,<attributes>`). */
  mappingText: string;
}

async function pinToken(
  client: Ctap2Client,
  pin: Buffer,
  rpId: string,
  options: StepOptions,
): Promise<PinAuth> {
  options.onProgress?.({ step: 'pin' });
  return client.getPinToken(pin.toString('utf8'), {
    permissions: Permission.MAKE_CREDENTIAL | Permission.GET_ASSERTION,
    rpId,
  });
}

/** The ES256 COSE key (kty 2, alg -7, crv 1) as pam_u2f's 64 raw bytes x‖y. */
function es256Raw(cose: CborMap): Buffer {
  const x = cose.get(-2);
  const y = cose.get(-3);
  if (
    cose.get(1) !== 2 ||
    cose.get(3) !== -7 ||
    cose.get(-1) !== 1 ||
    !(x instanceof Uint8Array) ||
    !(y instanceof Uint8Array) ||
    x.length !== 32 ||
    y.length !== 32
  )
    throw new KeysError(
      'UNSUPPORTED',
      'The security key did not make an ES256 credential: use another key.',
    );
  return Buffer.concat([x, y]);
}

/**
 * makeCredential for pam_u2f. Ctap2Client.makeCredential has no excludeList, so the request
 * is built here (same fields, plus excludeList and the uv option for built-in verification).
 * An id in `excludeCredentialIds` already on this key is found first by a touch-free pre-flight
 * (getAssertion up=false) so the person is not asked to touch for nothing; the excludeList
 * stays the authoritative check (keys that refuse up=false).
 */
export async function createCredential(
  client: Ctap2Client,
  request: CreateRequest,
  token?: PinAuth,
): Promise<CreatedCredential> {
  checkUserName(request.user);
  const origin = request.origin ?? defaultOrigin();
  const requirement = request.requirement ?? 'presence';
  const exclude = request.excludeCredentialIds ?? [];
  check(request.signal);
  return guarded(async () => {
    if (exclude.length > 0) {
      const probe = await probeCredential(
        client,
        origin,
        exclude,
        {},
        {
          ...(request.signal ? { signal: request.signal } : {}),
        },
      );
      if (probe.kind === 'held')
        throw new KeysError(
          'ALREADY_ENROLLED',
          'This security key is already enrolled for this account: use another key.',
        );
    }
    let auth = token;
    if (!auth && request.pin) auth = await pinToken(client, request.pin, origin, request);
    else if (!auth) {
      const info = await client.getInfo();
      if (info.options.clientPin === true && info.options.makeCredUvNotRqd !== true)
        throw new KeysError('PIN_REQUIRED', 'This security key has a PIN: enter it to continue.');
    }
    check(request.signal);
    request.onProgress?.({ step: 'create' });
    const clientDataHash = randomBytes(32);
    const params: CborMap = new Map<number, CborValue>([
      [1, clientDataHash],
      [
        2,
        new Map<string, CborValue>([
          ['id', origin],
          ['name', request.appId ?? origin],
        ]),
      ],
      [
        3,
        new Map<string, CborValue>([
          ['id', randomBytes(32)],
          ['name', request.user],
          ['displayName', request.user],
        ]),
      ],
      [
        4,
        [
          new Map<string, CborValue>([
            ['alg', -7],
            ['type', 'public-key'],
          ]),
        ],
      ],
    ]);
    if (exclude.length > 0)
      params.set(
        5,
        exclude.map(
          (id) =>
            new Map<string, CborValue>([
              ['id', id],
              ['type', 'public-key'],
            ]),
        ),
      );
    if (requirement === 'verification' && !auth) params.set(7, new Map([['uv', true]]));
    if (auth) {
      params.set(8, auth.protocol.authenticate(auth.token, clientDataHash));
      params.set(9, auth.protocol.version);
    }
    const map = await client.call(CtapCmd.MAKE_CREDENTIAL, params, callOptions(request, 'create'));
    if (!map) throw new Fido2Error('INVALID_CBOR', 'makeCredential returned nothing');
    const authData = parseAuthenticatorData(getBytes(map, 2, 'authData'));
    optMap(map, 3, 'attStmt');
    if (!createHash('sha256').update(origin).digest().equals(authData.rpIdHash))
      throw new Fido2Error(
        'PROTOCOL_ERROR',
        'The security key answered for another relying party.',
      );
    if (!authData.credentialId || !authData.credentialPublicKey)
      throw new Fido2Error('INVALID_CBOR', 'makeCredential returned no credential');
    if (authData.credentialId.length < 16 || authData.credentialId.length > 1023)
      throw new KeysError(
        'UNSUPPORTED',
        'The security key made a credential id of an unusable length.',
      );
    const publicKey = es256Raw(authData.credentialPublicKey);
    es256PublicKey(publicKey); // a point off the curve throws here, not at login
    const flags = flagsFor(requirement);
    const credentialId = Buffer.from(authData.credentialId);
    return {
      user: request.user,
      origin,
      credentialId,
      publicKey,
      flags,
      mappingText: formatCredential({ credentialId, publicKey, flags }),
    };
  });
}

export interface TestRequest extends StepOptions {
  pin?: Buffer;
}

/**
 * The test the wizard shows: one assertion as pam_u2f will ask for it at login, its signature
 * verified against the new public key (TEST_FAILED when it does not verify, or when the key
 * did not report the presence or verification the attributes demand).
 */
export async function testCredential(
  client: Ctap2Client,
  credential: CreatedCredential,
  request: TestRequest = {},
  token?: PinAuth,
): Promise<void> {
  check(request.signal);
  await guarded(async () => {
    // As pam_u2f: the PIN only for +pin credentials (a PIN'd key still asserts on a touch).
    let auth = credential.flags.pin ? token : undefined;
    if (!auth && credential.flags.pin && request.pin)
      auth = await pinToken(client, request.pin, credential.origin, request);
    if (credential.flags.pin && !auth)
      throw new KeysError('PIN_REQUIRED', 'This security key has a PIN: enter it to continue.');
    request.onProgress?.({ step: 'test' });
    const clientDataHash = randomBytes(32);
    const params: CborMap = new Map<number, CborValue>([
      [1, credential.origin],
      [2, clientDataHash],
      [
        3,
        [
          new Map<string, CborValue>([
            ['id', credential.credentialId],
            ['type', 'public-key'],
          ]),
        ],
      ],
    ]);
    if (credential.flags.verification && !auth) params.set(5, new Map([['uv', true]]));
    if (auth) {
      params.set(6, auth.protocol.authenticate(auth.token, clientDataHash));
      params.set(7, auth.protocol.version);
    }
    const map = await client.call(CtapCmd.GET_ASSERTION, params, callOptions(request, 'test'));
    if (!map) throw new Fido2Error('INVALID_CBOR', 'getAssertion returned nothing');
    const authDataRaw = getBytes(map, 2, 'authData');
    const authData = parseAuthenticatorData(authDataRaw);
    const signature = getBytes(map, 3, 'signature');
    const returnedId = optMap(map, 1, 'credential')?.get('id');
    const failed = (why: string): never => {
      throw new KeysError(
        'TEST_FAILED',
        `The test with the new key failed (${why}): nothing was saved; try again.`,
      );
    };
    const mismatch = assertionMismatch(
      {
        rpId: credential.origin,
        credentialId: credential.credentialId,
        key: { key: es256PublicKey(credential.publicKey), digest: 'sha256' },
      },
      clientDataHash,
      {
        authData: authDataRaw,
        signature,
        credentialId: returnedId instanceof Uint8Array ? returnedId : null,
      },
    );
    if (mismatch === 'relying-party') failed('another relying party answered');
    if (mismatch === 'credential') failed('another credential answered');
    if (!authData.flags.up) failed('the key did not check presence');
    if ((credential.flags.pin || credential.flags.verification) && !authData.flags.uv)
      failed('the key did not verify the user');
    if (mismatch === 'signature') failed('the signature does not match the new public key');
  });
}

export interface EnrollRequest extends CreateRequest {
  /** Skip the test assertion (benchmarks of the bare creation only). Default false. */
  skipTest?: boolean;
}

/**
 * inspect → create → test, with one PIN token for both touches. `pin` is wiped before this
 * returns or throws (the command line's path; the wizard calls the steps itself).
 */
export async function enrollKey(
  client: Ctap2Client,
  request: EnrollRequest,
): Promise<CreatedCredential> {
  let token: PinAuth | undefined;
  try {
    const requirement = request.requirement ?? 'presence';
    const inspection = await inspectKey(client, request);
    const problem = unsuitable(inspection, requirement);
    if (problem) throw problem;
    if (inspection.pinSet && !request.pin)
      throw new KeysError('PIN_REQUIRED', 'This security key has a PIN: enter it to continue.');
    if (request.pin) {
      if (!inspection.pinSet)
        throw new KeysError('PIN_NOT_SET', 'This security key has no PIN yet: set one first.');
      const pin = request.pin;
      token = await guarded(() =>
        pinToken(client, pin, request.origin ?? defaultOrigin(), request),
      );
    }
    const created = await createCredential(client, request, token);
    if (!request.skipTest) await testCredential(client, created, request, token);
    request.onProgress?.({ step: 'done' });
    return created;
  } finally {
    token?.token.fill(0);
    request.pin?.fill(0);
  }
}
