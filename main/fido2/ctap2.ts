// CTAP2 authenticator API (CTAP 2.1 §6) over a CTAPHID transport: getInfo, makeCredential,
// getAssertion and clientPIN. Requests are canonical CBOR; every non-zero status becomes a
// typed Fido2Error, and a wrong PIN carries the retries left.
import { createHash, randomBytes } from 'node:crypto';
import type { CborMap, CborValue } from './cbor';
import {
  asMap,
  cborItemEnd,
  decodeCtap,
  encodeCanonical,
  getBytes,
  getInt,
  optBytes,
  optInt,
  optMap,
  optStringArray,
} from './cbor';
import { CtapHidCmd } from './ctaphid-frame';
import { CtapStatus, ctapStatusError, Fido2Error, pinInvalidError } from './errors';
import type { Encapsulation, PinProtocol, PinProtocolVersion } from './pin-protocol';
import { paddedPin, pinHash, pinProtocol } from './pin-protocol';
import type { CtapHidTransport, TransactionOptions } from './transport';

export const CtapCmd = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  GET_INFO: 0x04,
  CLIENT_PIN: 0x06,
  RESET: 0x07,
  SELECTION: 0x0b,
} as const;

export const ClientPinSub = {
  GET_RETRIES: 0x01,
  GET_KEY_AGREEMENT: 0x02,
  SET_PIN: 0x03,
  CHANGE_PIN: 0x04,
  GET_PIN_TOKEN: 0x05,
  GET_TOKEN_WITH_PERMISSIONS: 0x09,
} as const;

/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7). */
export const Permission = { MAKE_CREDENTIAL: 0x01, GET_ASSERTION: 0x02 } as const;

export interface AuthenticatorInfo {
  versions: string[];
  extensions: string[];
  aaguid: Uint8Array;
  options: Record<string, boolean>;
  maxMsgSize: number | null;
  pinUvAuthProtocols: number[];
}

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: { up: boolean; uv: boolean; at: boolean; ed: boolean };
  signCount: number;
  credentialId: Uint8Array | null;
  credentialPublicKey: CborMap | null;
  extensions: CborMap | null;
  raw: Uint8Array;
}

export interface PinAuth {
  protocol: PinProtocol;
  token: Buffer;
}

export interface MakeCredentialRequest {
  clientDataHash: Uint8Array;
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name: string; displayName?: string };
  extensions?: CborMap;
  residentKey?: boolean;
  pinAuth?: PinAuth;
}

export interface MakeCredentialResult {
  fmt: string;
  authData: AuthenticatorData;
  attStmt: CborMap;
}

export interface GetAssertionRequest {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList: Uint8Array[];
  extensions?: CborMap;
  /** false asks for no touch (pre-flight); undefined leaves the option out. */
  up?: boolean;
  pinAuth?: PinAuth;
}

export interface AssertionResult {
  credentialId: Uint8Array | null;
  authData: AuthenticatorData;
  signature: Uint8Array;
}

export function parseAuthenticatorData(raw: Uint8Array): AuthenticatorData {
  if (raw.length < 37) throw new Fido2Error('INVALID_CBOR', 'authenticator data is too short');
  const flagsByte = raw[32]!;
  const flags = {
    up: (flagsByte & 0x01) !== 0,
    uv: (flagsByte & 0x04) !== 0,
    at: (flagsByte & 0x40) !== 0,
    ed: (flagsByte & 0x80) !== 0,
  };
  const signCount = new DataView(raw.buffer, raw.byteOffset + 33, 4).getUint32(0);
  let pos = 37;
  let credentialId: Uint8Array | null = null;
  let credentialPublicKey: CborMap | null = null;
  if (flags.at) {
    if (raw.length < pos + 18)
      throw new Fido2Error('INVALID_CBOR', 'attested credential data is truncated');
    const idLength = (raw[pos + 16]! << 8) | raw[pos + 17]!;
    pos += 18;
    if (raw.length < pos + idLength)
      throw new Fido2Error('INVALID_CBOR', 'credential id is truncated');
    credentialId = raw.slice(pos, pos + idLength);
    pos += idLength;
    const end = cborItemEnd(raw, pos);
    credentialPublicKey = asMap(decodeCtap(raw.subarray(pos, end)), 'credential public key');
    pos = end;
  }
  let extensions: CborMap | null = null;
  if (flags.ed) {
    const end = cborItemEnd(raw, pos);
    extensions = asMap(decodeCtap(raw.subarray(pos, end)), 'authenticator extensions');
    pos = end;
  }
  if (pos !== raw.length)
    throw new Fido2Error('INVALID_CBOR', 'trailing bytes in authenticator data');
  return {
    rpIdHash: raw.subarray(0, 32),
    flags,
    signCount,
    credentialId,
    credentialPublicKey,
    extensions,
    raw,
  };
}

export class Ctap2Client {
  private cachedInfo: AuthenticatorInfo | null = null;

  constructor(
    readonly transport: CtapHidTransport,
    private readonly callOptions: TransactionOptions = {},
  ) {
    if (!transport.info.capabilities.cbor)
      throw new Fido2Error('UNSUPPORTED_OPTION', 'This security key does not speak CTAP2 (FIDO2).');
  }

  /** One CTAP2 command; returns the decoded response map (or null for an empty body). */
  async call(
    command: number,
    parameters: CborMap | null,
    options: TransactionOptions = {},
  ): Promise<CborMap | null> {
    const body = parameters === null ? Buffer.alloc(0) : encodeCanonical(parameters);
    const request = Buffer.concat([Buffer.from([command]), body]);
    const response = await this.transport.transaction(CtapHidCmd.CBOR, request, {
      ...this.callOptions,
      ...options,
    });
    if (response.length === 0)
      throw new Fido2Error('PROTOCOL_ERROR', 'The security key sent an empty CTAP2 response.');
    const status = response[0]!;
    if (status !== CtapStatus.OK) throw ctapStatusError(status);
    if (response.length === 1) return null;
    return asMap(decodeCtap(response.subarray(1)), 'CTAP2 response');
  }

  async getInfo(): Promise<AuthenticatorInfo> {
    if (this.cachedInfo) return this.cachedInfo;
    const map = await this.call(CtapCmd.GET_INFO, null);
    if (!map) throw new Fido2Error('INVALID_CBOR', 'getInfo returned nothing');
    const optionsMap = optMap(map, 4, 'getInfo options') ?? new Map();
    const options: Record<string, boolean> = {};
    for (const [k, v] of optionsMap)
      if (typeof k === 'string' && typeof v === 'boolean') options[k] = v;
    const protocols = map.get(6);
    this.cachedInfo = {
      versions: optStringArray(map, 1, 'getInfo versions') ?? [],
      extensions: optStringArray(map, 2, 'getInfo extensions') ?? [],
      aaguid: getBytes(map, 3, 'getInfo aaguid'),
      options,
      maxMsgSize: optInt(map, 5, 'getInfo maxMsgSize') ?? null,
      pinUvAuthProtocols: Array.isArray(protocols)
        ? protocols.filter((p): p is number => typeof p === 'number')
        : [],
    };
    return this.cachedInfo;
  }

  /** The best PIN protocol both sides speak (2 before 1); CTAP 2.0 keys often only have 1. */
  async preferredPinProtocol(): Promise<PinProtocolVersion> {
    const info = await this.getInfo();
    if (info.pinUvAuthProtocols.includes(2)) return 2;
    if (info.pinUvAuthProtocols.includes(1) || info.pinUvAuthProtocols.length === 0) return 1;
    throw new Fido2Error(
      'UNSUPPORTED_OPTION',
      'This security key offers no PIN protocol we speak.',
    );
  }

  private clientPin(
    protocol: PinProtocolVersion,
    sub: number,
    extra: [number, CborValue][] = [],
  ): Promise<CborMap | null> {
    return this.call(
      CtapCmd.CLIENT_PIN,
      new Map<number, CborValue>([[1, protocol], [2, sub], ...extra]),
    );
  }

  async getPinRetries(): Promise<number> {
    const map = await this.clientPin(await this.preferredPinProtocol(), ClientPinSub.GET_RETRIES);
    if (!map) throw new Fido2Error('INVALID_CBOR', 'getRetries returned nothing');
    return getInt(map, 3, 'pinRetries');
  }

  /** ECDH with the authenticator's key-agreement key; the result keys PIN and hmac-secret messages. */
  async keyAgreement(
    version: PinProtocolVersion,
  ): Promise<{ protocol: PinProtocol; encapsulation: Encapsulation }> {
    const protocol = pinProtocol(version);
    const map = await this.clientPin(version, ClientPinSub.GET_KEY_AGREEMENT);
    if (!map) throw new Fido2Error('INVALID_CBOR', 'getKeyAgreement returned nothing');
    const peer = asMap(map.get(1), 'keyAgreement');
    return { protocol, encapsulation: protocol.encapsulate(peer) };
  }

  async setPin(pin: string): Promise<void> {
    const version = await this.preferredPinProtocol();
    const { protocol, encapsulation } = await this.keyAgreement(version);
    const key = encapsulation.sharedSecret;
    let padded: Buffer | null = null;
    try {
      padded = paddedPin(pin);
      const newPinEnc = protocol.encrypt(key, padded);
      const pinUvAuthParam = protocol.authenticate(key, newPinEnc);
      await this.clientPin(version, ClientPinSub.SET_PIN, [
        [3, encapsulation.keyAgreement],
        [4, pinUvAuthParam],
        [5, newPinEnc],
      ]);
    } finally {
      key.fill(0);
      padded?.fill(0);
    }
  }

  async changePin(currentPin: string, newPin: string): Promise<void> {
    const version = await this.preferredPinProtocol();
    const { protocol, encapsulation } = await this.keyAgreement(version);
    const key = encapsulation.sharedSecret;
    let currentHash: Buffer | null = null;
    let padded: Buffer | null = null;
    try {
      currentHash = pinHash(currentPin);
      padded = paddedPin(newPin);
      const pinHashEnc = protocol.encrypt(key, currentHash);
      const newPinEnc = protocol.encrypt(key, padded);
      const pinUvAuthParam = protocol.authenticate(key, Buffer.concat([newPinEnc, pinHashEnc]));
      await this.withPinRetries(() =>
        this.clientPin(version, ClientPinSub.CHANGE_PIN, [
          [3, encapsulation.keyAgreement],
          [4, pinUvAuthParam],
          [5, newPinEnc],
          [6, pinHashEnc],
        ]),
      );
    } finally {
      key.fill(0);
      currentHash?.fill(0);
      padded?.fill(0);
    }
  }

  /**
   * A pinUvAuthToken: getPinUvAuthTokenUsingPinWithPermissions (0x09) when the key says
   * `pinUvAuthToken`, else the legacy getPinToken (0x05). Reuses `agreement` when given (its
   * shared secret then stays the caller's to wipe); otherwise the shared secret made here is
   * wiped on every path. The caller wipes the returned token.
   */
  async getPinToken(
    pin: string,
    scope: { permissions: number; rpId?: string },
    agreement?: { protocol: PinProtocol; encapsulation: Encapsulation },
  ): Promise<PinAuth> {
    const info = await this.getInfo();
    const ka = agreement ?? (await this.keyAgreement(await this.preferredPinProtocol()));
    const { protocol, encapsulation } = ka;
    let hash: Buffer | null = null;
    try {
      hash = pinHash(pin);
      const pinHashEnc = protocol.encrypt(encapsulation.sharedSecret, hash);
      const withPermissions = info.options.pinUvAuthToken === true;
      const extra: [number, CborValue][] = [
        [3, encapsulation.keyAgreement],
        [6, pinHashEnc],
      ];
      if (withPermissions) {
        extra.push([9, scope.permissions]);
        if (scope.rpId !== undefined) extra.push([10, scope.rpId]);
      }
      const map = await this.withPinRetries(() =>
        this.clientPin(
          protocol.version,
          withPermissions ? ClientPinSub.GET_TOKEN_WITH_PERMISSIONS : ClientPinSub.GET_PIN_TOKEN,
          extra,
        ),
      );
      if (!map) throw new Fido2Error('INVALID_CBOR', 'getPinToken returned nothing');
      const token = protocol.decrypt(
        encapsulation.sharedSecret,
        getBytes(map, 2, 'pinUvAuthToken'),
      );
      // Protocol 2 tokens are 32 bytes (CTAP 2.1 §6.5.7); CTAP 2.0 keys send 16 or 32 (v1).
      if (token.length === 0 || (protocol.version === 2 && token.length !== 32)) {
        token.fill(0);
        throw new Fido2Error('PROTOCOL_ERROR', 'The security key sent a malformed PIN token.');
      }
      return { protocol, token };
    } finally {
      hash?.fill(0);
      if (!agreement) encapsulation.sharedSecret.fill(0);
    }
  }

  /** Runs a PIN-checking call; a PIN_INVALID is re-thrown with the retries left. */
  private async withPinRetries<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof Fido2Error && err.ctapStatus === CtapStatus.PIN_INVALID) {
        const retries = await this.getPinRetries().catch(() => null);
        throw pinInvalidError(retries);
      }
      throw err;
    }
  }

  async makeCredential(
    request: MakeCredentialRequest,
    options: TransactionOptions = {},
  ): Promise<MakeCredentialResult> {
    const params: CborMap = new Map<number, CborValue>([
      [1, request.clientDataHash],
      [
        2,
        new Map<string, CborValue>(
          Object.entries(request.rp).filter(([, v]) => v !== undefined) as [string, string][],
        ),
      ],
      [
        3,
        new Map<string, CborValue>([
          ['id', request.user.id],
          ['name', request.user.name],
          ['displayName', request.user.displayName ?? request.user.name],
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
    if (request.extensions) params.set(6, request.extensions);
    if (request.residentKey) params.set(7, new Map([['rk', true]]));
    if (request.pinAuth) {
      params.set(
        8,
        request.pinAuth.protocol.authenticate(request.pinAuth.token, request.clientDataHash),
      );
      params.set(9, request.pinAuth.protocol.version);
    }
    const map = await this.call(CtapCmd.MAKE_CREDENTIAL, params, options);
    if (!map) throw new Fido2Error('INVALID_CBOR', 'makeCredential returned nothing');
    const fmt = map.get(1);
    const authData = parseAuthenticatorData(getBytes(map, 2, 'authData'));
    if (!authData.credentialId || !authData.credentialPublicKey)
      throw new Fido2Error('INVALID_CBOR', 'makeCredential returned no credential');
    const expectedRpHash = createHash('sha256').update(request.rp.id).digest();
    if (!expectedRpHash.equals(authData.rpIdHash))
      throw new Fido2Error(
        'PROTOCOL_ERROR',
        'The security key answered for another relying party.',
      );
    return {
      fmt: typeof fmt === 'string' ? fmt : 'none',
      authData,
      attStmt: optMap(map, 3, 'attStmt') ?? new Map(),
    };
  }

  async getAssertion(
    request: GetAssertionRequest,
    options: TransactionOptions = {},
  ): Promise<AssertionResult> {
    const params: CborMap = new Map<number, CborValue>([
      [1, request.rpId],
      [2, request.clientDataHash],
    ]);
    if (request.allowList.length > 0) {
      params.set(
        3,
        request.allowList.map(
          (id) =>
            new Map<string, CborValue>([
              ['id', id],
              ['type', 'public-key'],
            ]),
        ),
      );
    }
    if (request.extensions) params.set(4, request.extensions);
    if (request.up !== undefined) params.set(5, new Map([['up', request.up]]));
    if (request.pinAuth) {
      params.set(
        6,
        request.pinAuth.protocol.authenticate(request.pinAuth.token, request.clientDataHash),
      );
      params.set(7, request.pinAuth.protocol.version);
    }
    const map = await this.call(CtapCmd.GET_ASSERTION, params, options);
    if (!map) throw new Fido2Error('INVALID_CBOR', 'getAssertion returned nothing');
    const credential = optMap(map, 1, 'credential');
    const authData = parseAuthenticatorData(getBytes(map, 2, 'authData'));
    const expectedRpHash = createHash('sha256').update(request.rpId).digest();
    if (!expectedRpHash.equals(authData.rpIdHash))
      throw new Fido2Error(
        'PROTOCOL_ERROR',
        'The security key answered for another relying party.',
      );
    return {
      credentialId: credential
        ? (optBytes(credential, 'id', 'credential id') ?? null)
        : request.allowList.length === 1
          ? request.allowList[0]!
          : null,
      authData,
      signature: getBytes(map, 3, 'signature'),
    };
  }

  async wink(): Promise<void> {
    await this.transport.transaction(CtapHidCmd.WINK, new Uint8Array(0), this.callOptions);
  }
}

export function randomClientDataHash(): Buffer {
  return randomBytes(32);
}
