// Test-only software FIDO2 authenticator, CTAP2 layer: getInfo, makeCredential (ES256,
// packed self-attestation, hmac-secret, credProtect, excludeList, a full key store),
// getAssertion (hmac-secret with PIN protocols 1/2),
// clientPIN (getRetries, getKeyAgreement, setPIN, changePIN, getPinToken, getPinUvAuthToken…
// WithPermissions), reset. Quirks model real keys (a CTAP 2.0 key offering only protocol 1
// and rejecting key 4 of hmac-secret, keys rejecting up=false). Built from the CTAP 2.1 spec
// and checked against python-fido2 and libfido2 through the fake-hidraw shim.
import {
  createECDH,
  createHash,
  createHmac,
  generateKeyPairSync,
  randomBytes,
  sign,
  timingSafeEqual,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CborMap, CborValue } from '../../main/fido2/cbor';
import { decodeCtap, encodeCanonical } from '../../main/fido2/cbor';
import { CtapStatus, Fido2Error } from '../../main/fido2/errors';
import type { PinProtocol } from '../../main/fido2/pin-protocol';
import { coseKeyAgreement, cosePublicPoint, pinProtocol } from '../../main/fido2/pin-protocol';
import { attestationCert } from './attestation-cert';

export interface SoftAuthenticatorConfig {
  /** '2.0': versions [FIDO_2_0], PIN protocol 1 only, no permissions token, rejects hmac-secret key 4. */
  ctapVersion: '2.0' | '2.1';
  /** PIN already set at start (null: none). */
  pin: string | null;
  pinRetries: number;
  /** Reject getAssertion with up=false (some keys do). */
  rejectUpFalse: boolean;
  /** How long the simulated person takes to touch; null = never touches (until CANCEL). */
  touchDelayMs: number | null;
  /** Give up waiting for touch after this long (CTAP2_ERR_USER_ACTION_TIMEOUT). */
  touchTimeoutMs: number;
  /** Answer CBOR requests with garbage after a success status byte. */
  garbageCbor: boolean;
  /** 'x5c': packed attestation with a certificate (libfido2's fido_cred_verify needs it); 'self': signed by the credential key. */
  attestation: 'x5c' | 'self';
  /** Refuse makeCredential with KEY_STORE_FULL once this many credentials are stored (null: no limit). */
  maxCredentials: number | null;
}

export const defaultSoftConfig: SoftAuthenticatorConfig = {
  ctapVersion: '2.1',
  pin: null,
  pinRetries: 8,
  rejectUpFalse: false,
  touchDelayMs: 0,
  touchTimeoutMs: 30_000,
  garbageCbor: false,
  attestation: 'x5c',
  maxCredentials: null,
};

export const SOFT_AAGUID = Buffer.from('b4571e570a0b4e2e8f1d5eb1a57c0de1', 'hex');

interface StoredCredential {
  id: Buffer;
  rpId: string;
  rpIdHash: Buffer;
  userId: Uint8Array;
  privateKey: KeyObject;
  cosePublicKey: CborMap;
  credRandomWithUv: Buffer | null;
  credRandomWithoutUv: Buffer | null;
  signCount: number;
  resident: boolean;
  /** credProtect level (CTAP 2.1 §12.1): 1 optional, 2 optional with an allow list, 3 UV required. */
  credProtect: 1 | 2 | 3;
}

/** Touch and cancel plumbing, provided by the HID layer. */
export interface UserPresence {
  /** Resolves true on touch, false on timeout; rejects with KEEPALIVE_CANCEL on CANCEL. */
  waitForTouch(): Promise<boolean>;
}

export class CtapStatusError extends Error {
  constructor(readonly status: number) {
    super(`CTAP status 0x${status.toString(16)}`);
  }
}

function fail(status: number): never {
  throw new CtapStatusError(status);
}

function mapOf(value: CborValue | undefined, status: number = CtapStatus.INVALID_CBOR): CborMap {
  if (value instanceof Map) return value;
  return fail(status);
}
function bytesOf(value: CborValue | undefined): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return fail(CtapStatus.CBOR_UNEXPECTED_TYPE);
}

function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class SoftAuthenticator {
  readonly config: SoftAuthenticatorConfig;
  readonly credentials: StoredCredential[] = [];
  private pinHash: Buffer | null = null;
  pinRetries: number;
  private consecutivePinFailures = 0;
  private keyAgreement = createECDH('prime256v1');
  private pinToken = randomBytes(32);
  private tokenPermissions = 0;
  private tokenRpId: string | null = null;
  /** Requests seen, by CTAP command, for tests that check what the host sent. */
  readonly requestLog: { command: number; params: CborMap | null }[] = [];

  constructor(config: Partial<SoftAuthenticatorConfig> = {}) {
    this.config = { ...defaultSoftConfig, ...config };
    this.pinRetries = this.config.pinRetries;
    this.keyAgreement.generateKeys();
    if (this.config.pin !== null)
      this.pinHash = createHash('sha256').update(this.config.pin, 'utf8').digest().subarray(0, 16);
  }

  private protocols(): number[] {
    return this.config.ctapVersion === '2.0' ? [1] : [2, 1];
  }

  /** Handles one CTAP2 request (command byte + CBOR); returns status byte + CBOR. */
  async handle(request: Uint8Array, presence: UserPresence): Promise<Uint8Array> {
    try {
      const command = request[0];
      if (command === undefined) fail(CtapStatus.INVALID_LENGTH);
      let params: CborMap | null = null;
      if (request.length > 1) {
        try {
          params = mapOf(decodeCtap(request.subarray(1)));
        } catch (err) {
          if (err instanceof CtapStatusError) throw err;
          fail(err instanceof Fido2Error ? CtapStatus.INVALID_CBOR : CtapStatus.OTHER);
        }
      }
      this.requestLog.push({ command, params });
      const response = await this.dispatch(command, params ?? new Map(), presence);
      if (this.config.garbageCbor) return Buffer.from([0x00, 0xa5, 0x01, 0xff, 0x1f, 0x5b, 0xff]);
      return response === null
        ? Buffer.from([0])
        : Buffer.concat([Buffer.from([0]), encodeCanonical(response)]);
    } catch (err) {
      if (err instanceof CtapStatusError) return Buffer.from([err.status]);
      throw err;
    }
  }

  private dispatch(
    command: number,
    params: CborMap,
    presence: UserPresence,
  ): Promise<CborMap | null> | CborMap | null {
    switch (command) {
      case 0x04:
        return this.getInfo();
      case 0x01:
        return this.makeCredential(params, presence);
      case 0x02:
        return this.getAssertion(params, presence);
      case 0x06:
        return this.clientPin(params);
      case 0x07:
        this.credentials.length = 0;
        this.pinHash = null;
        this.pinRetries = this.config.pinRetries;
        return null;
      default:
        return fail(CtapStatus.INVALID_COMMAND);
    }
  }

  getInfo(): CborMap {
    const v21 = this.config.ctapVersion === '2.1';
    const options = new Map<string, boolean>([
      ['rk', true],
      ['up', true],
      ['plat', false],
      ['clientPin', this.pinHash !== null],
    ]);
    if (v21) options.set('pinUvAuthToken', true);
    return new Map<number, CborValue>([
      [1, v21 ? ['FIDO_2_0', 'FIDO_2_1'] : ['FIDO_2_0']],
      [2, ['credProtect', 'hmac-secret']],
      [3, SOFT_AAGUID],
      [4, options],
      [5, 1200],
      [6, this.protocols()],
    ]);
  }

  private checkPinAuth(
    params: CborMap,
    keyParam: number,
    keyProtocol: number,
    clientDataHash: Uint8Array,
    permission: number,
    rpId: string,
  ): boolean {
    const auth = params.get(keyParam);
    if (auth === undefined) {
      if (this.pinHash !== null && keyParam === 8) fail(CtapStatus.PUAT_REQUIRED);
      return false;
    }
    const authBytes = bytesOf(auth);
    if (authBytes.length === 0)
      fail(this.pinHash === null ? CtapStatus.PIN_NOT_SET : CtapStatus.PIN_INVALID);
    const version = params.get(keyProtocol);
    if (typeof version !== 'number') fail(CtapStatus.MISSING_PARAMETER);
    if (!this.protocols().includes(version)) fail(CtapStatus.INVALID_PARAMETER);
    if (this.pinHash === null) fail(CtapStatus.PIN_NOT_SET);
    const protocol = pinProtocol(version);
    if (!ctEqual(protocol.authenticate(this.pinToken, clientDataHash), authBytes))
      fail(CtapStatus.PIN_AUTH_INVALID);
    if (this.config.ctapVersion === '2.1' && this.tokenPermissions !== 0) {
      if ((this.tokenPermissions & permission) === 0) fail(CtapStatus.PIN_AUTH_INVALID);
      if (this.tokenRpId !== null && this.tokenRpId !== rpId) fail(CtapStatus.PIN_AUTH_INVALID);
    }
    return true;
  }

  private async touch(presence: UserPresence): Promise<void> {
    if (!(await presence.waitForTouch())) fail(CtapStatus.USER_ACTION_TIMEOUT);
  }

  private async makeCredential(params: CborMap, presence: UserPresence): Promise<CborMap> {
    const clientDataHash = bytesOf(params.get(1));
    const rp = mapOf(params.get(2), CtapStatus.MISSING_PARAMETER);
    const user = mapOf(params.get(3), CtapStatus.MISSING_PARAMETER);
    const algs = params.get(4);
    if (!Array.isArray(algs)) fail(CtapStatus.MISSING_PARAMETER);
    if (!algs.some((a) => a instanceof Map && a.get('alg') === -7))
      fail(CtapStatus.UNSUPPORTED_ALGORITHM);
    const rpId = rp.get('id');
    if (typeof rpId !== 'string') fail(CtapStatus.MISSING_PARAMETER);
    const extensions = params.get(6) instanceof Map ? (params.get(6) as CborMap) : new Map();
    const options = params.get(7) instanceof Map ? (params.get(7) as CborMap) : new Map();
    if (options.get('up') === false || options.get('uv') === true)
      fail(CtapStatus.UNSUPPORTED_OPTION);
    const uv = this.checkPinAuth(params, 8, 9, clientDataHash, 0x01, rpId);
    // excludeList (CTAP 2.1 §6.1.2 step 3): a listed credential of this rp already here →
    // wait for a touch, then CREDENTIAL_EXCLUDED.
    const excludeList = params.get(5);
    if (Array.isArray(excludeList) && excludeList.length > 0) {
      const rpHash = createHash('sha256').update(rpId).digest();
      const ids = excludeList.map((d) => bytesOf(mapOf(d).get('id')));
      if (
        this.credentials.some(
          (c) => c.rpIdHash.equals(rpHash) && ids.some((id) => ctEqual(id, c.id)),
        )
      ) {
        await this.touch(presence);
        fail(CtapStatus.CREDENTIAL_EXCLUDED);
      }
    }
    if (
      this.config.maxCredentials !== null &&
      this.credentials.length >= this.config.maxCredentials
    )
      fail(CtapStatus.KEY_STORE_FULL);
    await this.touch(presence);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cosePublicKey = new Map<number, CborValue>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]);
    const wantsHmac = extensions.get('hmac-secret') === true;
    const protectRequest = extensions.get('credProtect');
    if (
      protectRequest !== undefined &&
      protectRequest !== 1 &&
      protectRequest !== 2 &&
      protectRequest !== 3
    )
      fail(CtapStatus.INVALID_PARAMETER);
    const credProtect = protectRequest ?? 1;
    const credential: StoredCredential = {
      id: randomBytes(48),
      rpId,
      rpIdHash: createHash('sha256').update(rpId).digest(),
      userId: bytesOf(user.get('id')),
      privateKey,
      cosePublicKey,
      credRandomWithUv: wantsHmac ? randomBytes(32) : null,
      credRandomWithoutUv: wantsHmac ? randomBytes(32) : null,
      signCount: 0,
      resident: options.get('rk') === true,
      credProtect,
    };
    this.credentials.push(credential);
    const extMap = new Map<string, CborValue>();
    if (protectRequest !== undefined) extMap.set('credProtect', credProtect);
    if (wantsHmac) extMap.set('hmac-secret', true);
    const extOut = extMap.size > 0 ? encodeCanonical(extMap) : Buffer.alloc(0);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      this.authDataHeader(credential, true, uv, extMap.size > 0, true),
      SOFT_AAGUID,
      idLength,
      credential.id,
      encodeCanonical(cosePublicKey),
      extOut,
    ]);
    // Packed attestation: by the attestation certificate's key, or self-attestation.
    const signed = Buffer.concat([authData, clientDataHash]);
    const attStmt = new Map<string, CborValue>([['alg', -7]]);
    if (this.config.attestation === 'x5c') {
      const cert = attestationCert();
      attStmt.set('sig', sign('sha256', signed, cert.privateKey));
      attStmt.set('x5c', [cert.der]);
    } else {
      attStmt.set('sig', sign('sha256', signed, privateKey));
    }
    return new Map<number, CborValue>([
      [1, 'packed'],
      [2, authData],
      [3, attStmt],
    ]);
  }

  private authDataHeader(
    credential: StoredCredential,
    up: boolean,
    uv: boolean,
    ed: boolean,
    at: boolean,
  ): Buffer {
    const header = Buffer.alloc(37);
    credential.rpIdHash.copy(header, 0);
    header[32] = (up ? 0x01 : 0) | (uv ? 0x04 : 0) | (at ? 0x40 : 0) | (ed ? 0x80 : 0);
    header.writeUInt32BE(credential.signCount, 33);
    return header;
  }

  private async getAssertion(params: CborMap, presence: UserPresence): Promise<CborMap> {
    const rpId = params.get(1);
    if (typeof rpId !== 'string') fail(CtapStatus.MISSING_PARAMETER);
    const clientDataHash = bytesOf(params.get(2));
    const allowList = params.get(3);
    const extensions = params.get(4) instanceof Map ? (params.get(4) as CborMap) : new Map();
    const options = params.get(5) instanceof Map ? (params.get(5) as CborMap) : new Map();
    const up = options.get('up') !== false;
    if (!up && this.config.rejectUpFalse) fail(CtapStatus.UNSUPPORTED_OPTION);
    if (options.get('uv') === true) fail(CtapStatus.UNSUPPORTED_OPTION);
    const uv = this.checkPinAuth(params, 6, 7, clientDataHash, 0x02, rpId);
    const rpIdHash = createHash('sha256').update(rpId).digest();
    let candidates: StoredCredential[];
    // credProtect: without UV a level-3 credential does not exist, nor a level-2 one unless named.
    if (Array.isArray(allowList) && allowList.length > 0) {
      const ids = allowList.map((d) => bytesOf(mapOf(d).get('id')));
      candidates = this.credentials.filter(
        (c) =>
          c.rpIdHash.equals(rpIdHash) &&
          ids.some((id) => ctEqual(id, c.id)) &&
          (uv || c.credProtect < 3),
      );
    } else {
      candidates = this.credentials.filter(
        (c) => c.rpIdHash.equals(rpIdHash) && c.resident && (uv || c.credProtect === 1),
      );
    }
    const credential = candidates[0];
    if (!credential) fail(CtapStatus.NO_CREDENTIALS);
    const hmacInput = extensions.get('hmac-secret');
    const hmacOutput =
      hmacInput === undefined
        ? null
        : this.hmacSecret(mapOf(hmacInput, CtapStatus.INVALID_PARAMETER), credential, uv);
    if (up) await this.touch(presence);
    credential.signCount++;
    const extOut = hmacOutput
      ? encodeCanonical(new Map([['hmac-secret', hmacOutput]]))
      : Buffer.alloc(0);
    const authData = Buffer.concat([
      this.authDataHeader(credential, up, uv, hmacOutput !== null, false),
      extOut,
    ]);
    const signature = sign(
      'sha256',
      Buffer.concat([authData, clientDataHash]),
      credential.privateKey,
    );
    const response = new Map<number, CborValue>([
      [
        1,
        new Map<string, CborValue>([
          ['id', credential.id],
          ['type', 'public-key'],
        ]),
      ],
      [2, authData],
      [3, signature],
    ]);
    if (!Array.isArray(allowList) || allowList.length === 0)
      response.set(4, new Map([['id', credential.userId]]));
    return response;
  }

  private hmacSecret(input: CborMap, credential: StoredCredential, uv: boolean): Buffer {
    if (!credential.credRandomWithUv || !credential.credRandomWithoutUv)
      fail(CtapStatus.UNSUPPORTED_EXTENSION);
    if (input.has(4) && this.config.ctapVersion === '2.0') fail(CtapStatus.INVALID_PARAMETER); // CTAP 2.0 keys know no key 4
    const version = input.get(4) ?? 1;
    if (typeof version !== 'number' || !this.protocols().includes(version))
      fail(CtapStatus.INVALID_PARAMETER);
    const protocol = pinProtocol(version);
    const shared = this.sharedSecret(protocol, mapOf(input.get(1), CtapStatus.MISSING_PARAMETER));
    const saltEnc = bytesOf(input.get(2));
    const saltAuth = bytesOf(input.get(3));
    if (!ctEqual(protocol.authenticate(shared, saltEnc), saltAuth))
      fail(CtapStatus.PIN_AUTH_INVALID); // 2.1: "extension error"
    const salts = protocol.decrypt(shared, saltEnc);
    if (salts.length !== 32 && salts.length !== 64) fail(CtapStatus.INVALID_LENGTH);
    const credRandom = uv ? credential.credRandomWithUv : credential.credRandomWithoutUv;
    const outputs = [createHmac('sha256', credRandom).update(salts.subarray(0, 32)).digest()];
    if (salts.length === 64)
      outputs.push(createHmac('sha256', credRandom).update(salts.subarray(32)).digest());
    return protocol.encrypt(shared, Buffer.concat(outputs));
  }

  private sharedSecret(protocol: PinProtocol, platformKey: CborMap): Buffer {
    try {
      return protocol.kdf(this.keyAgreement.computeSecret(cosePublicPoint(platformKey)));
    } catch {
      return fail(CtapStatus.INVALID_PARAMETER);
    }
  }

  private clientPin(params: CborMap): CborMap | null {
    const version = params.get(1);
    const sub = params.get(2);
    if (typeof sub !== 'number') fail(CtapStatus.MISSING_PARAMETER);
    if (sub === 0x01) return new Map([[3, this.pinRetries]]);
    if (typeof version !== 'number' || !this.protocols().includes(version))
      fail(CtapStatus.INVALID_PARAMETER);
    const protocol = pinProtocol(version);
    switch (sub) {
      case 0x02:
        return new Map([[1, coseKeyAgreement(this.keyAgreement.getPublicKey())]]);
      case 0x03: {
        if (this.pinHash !== null) fail(CtapStatus.NOT_ALLOWED);
        const shared = this.sharedSecret(
          protocol,
          mapOf(params.get(3), CtapStatus.MISSING_PARAMETER),
        );
        const newPinEnc = bytesOf(params.get(5));
        if (!ctEqual(protocol.authenticate(shared, newPinEnc), bytesOf(params.get(4))))
          fail(CtapStatus.PIN_AUTH_INVALID);
        this.pinHash = this.newPinHash(protocol, shared, newPinEnc);
        this.pinRetries = this.config.pinRetries;
        return null;
      }
      case 0x04: {
        if (this.pinHash === null) fail(CtapStatus.PIN_NOT_SET);
        const shared = this.sharedSecret(
          protocol,
          mapOf(params.get(3), CtapStatus.MISSING_PARAMETER),
        );
        const newPinEnc = bytesOf(params.get(5));
        const pinHashEnc = bytesOf(params.get(6));
        if (
          !ctEqual(
            protocol.authenticate(shared, Buffer.concat([newPinEnc, pinHashEnc])),
            bytesOf(params.get(4)),
          )
        ) {
          fail(CtapStatus.PIN_AUTH_INVALID);
        }
        this.verifyPinHash(protocol, shared, pinHashEnc);
        this.pinHash = this.newPinHash(protocol, shared, newPinEnc);
        return null;
      }
      case 0x05:
      case 0x09: {
        if (sub === 0x09 && this.config.ctapVersion === '2.0') fail(CtapStatus.INVALID_SUBCOMMAND);
        if (this.pinHash === null) fail(CtapStatus.PIN_NOT_SET);
        const shared = this.sharedSecret(
          protocol,
          mapOf(params.get(3), CtapStatus.MISSING_PARAMETER),
        );
        this.verifyPinHash(protocol, shared, bytesOf(params.get(6)));
        this.pinToken = randomBytes(32);
        this.tokenPermissions =
          sub === 0x09
            ? typeof params.get(9) === 'number'
              ? (params.get(9) as number)
              : fail(CtapStatus.MISSING_PARAMETER)
            : 0;
        this.tokenRpId =
          sub === 0x09 && typeof params.get(10) === 'string' ? (params.get(10) as string) : null;
        return new Map([[2, protocol.encrypt(shared, this.pinToken)]]);
      }
      default:
        return fail(CtapStatus.INVALID_SUBCOMMAND);
    }
  }

  private newPinHash(protocol: PinProtocol, shared: Buffer, newPinEnc: Uint8Array): Buffer {
    const padded = protocol.decrypt(shared, newPinEnc);
    if (padded.length < 64) fail(CtapStatus.PIN_POLICY_VIOLATION);
    const end = padded.indexOf(0);
    const pin = padded.subarray(0, end === -1 ? padded.length : end);
    if ([...pin.toString('utf8')].length < 4 || pin.length > 63)
      fail(CtapStatus.PIN_POLICY_VIOLATION);
    return createHash('sha256').update(pin).digest().subarray(0, 16);
  }

  private verifyPinHash(protocol: PinProtocol, shared: Buffer, pinHashEnc: Uint8Array): void {
    if (this.pinRetries === 0) fail(CtapStatus.PIN_BLOCKED);
    if (this.consecutivePinFailures >= 3) fail(CtapStatus.PIN_AUTH_BLOCKED);
    this.pinRetries--;
    const candidate = protocol.decrypt(shared, pinHashEnc);
    if (!ctEqual(candidate.subarray(0, 16), this.pinHash!)) {
      this.consecutivePinFailures++;
      this.keyAgreement = createECDH('prime256v1');
      this.keyAgreement.generateKeys();
      if (this.pinRetries === 0) fail(CtapStatus.PIN_BLOCKED);
      if (this.consecutivePinFailures >= 3) fail(CtapStatus.PIN_AUTH_BLOCKED);
      fail(CtapStatus.PIN_INVALID);
    }
    this.pinRetries = this.config.pinRetries;
    this.consecutivePinFailures = 0;
  }

  /** The simulated replug: PIN_AUTH_BLOCKED clears and a new key agreement key is made. */
  powerCycle(): void {
    this.consecutivePinFailures = 0;
    this.keyAgreement = createECDH('prime256v1');
    this.keyAgreement.generateKeys();
    this.pinToken = randomBytes(32);
  }
}
