// Typed errors of the FIDO2 stack. Every failure the caller can see is a Fido2Error with a
// code; callers branch on the code, people read the message. Auth paths fail closed on all.

export type Fido2ErrorCode =
  // transport
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_CHOICE_NEEDED'
  | 'DEVICE_GONE'
  | 'DEVICE_BUSY'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'PROTOCOL_ERROR'
  | 'HID_UNAVAILABLE'
  // CTAP status
  | 'PIN_INVALID'
  | 'PIN_BLOCKED'
  | 'PIN_AUTH_BLOCKED'
  | 'PIN_REQUIRED'
  | 'PIN_NOT_SET'
  | 'PIN_POLICY_VIOLATION'
  | 'NO_CREDENTIALS'
  | 'OPERATION_DENIED'
  | 'UNSUPPORTED_OPTION'
  | 'UNSUPPORTED_EXTENSION'
  | 'INVALID_PARAMETER'
  | 'INVALID_CBOR'
  | 'CTAP_ERROR'
  // host-side
  | 'BAD_TOKEN'
  | 'BAD_INPUT';

export class Fido2Error extends Error {
  readonly code: Fido2ErrorCode;
  /** CTAP2 status byte when the error came from the authenticator. */
  readonly ctapStatus: number | null;
  /** PIN retries left, when the authenticator told us (after PIN_INVALID). */
  retriesLeft: number | null = null;
  constructor(code: Fido2ErrorCode, message: string, ctapStatus: number | null = null) {
    super(message);
    this.name = 'Fido2Error';
    this.code = code;
    this.ctapStatus = ctapStatus;
  }
}

/** CTAP2 status codes (CTAP 2.1 §8.2) that we name. */
export const CtapStatus = {
  OK: 0x00,
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_LENGTH: 0x03,
  INVALID_SEQ: 0x04,
  TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  INVALID_CHANNEL: 0x0b,
  CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  UNSUPPORTED_EXTENSION: 0x16,
  CREDENTIAL_EXCLUDED: 0x19,
  PROCESSING: 0x21,
  INVALID_CREDENTIAL: 0x22,
  USER_ACTION_PENDING: 0x23,
  OPERATION_PENDING: 0x24,
  NO_OPERATIONS: 0x25,
  UNSUPPORTED_ALGORITHM: 0x26,
  OPERATION_DENIED: 0x27,
  KEY_STORE_FULL: 0x28,
  UNSUPPORTED_OPTION: 0x2b,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  USER_ACTION_TIMEOUT: 0x2f,
  NOT_ALLOWED: 0x30,
  INVALID_SUBCOMMAND: 0x3e,
  PIN_INVALID: 0x31,
  PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33,
  PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35,
  PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37,
  REQUEST_TOO_LARGE: 0x39,
  ACTION_TIMEOUT: 0x3a,
  UP_REQUIRED: 0x3b,
  UV_BLOCKED: 0x3c,
  OTHER: 0x7f,
} as const;

const STATUS_TO_ERROR: Record<number, [Fido2ErrorCode, string]> = {
  [CtapStatus.INVALID_PARAMETER]: [
    'INVALID_PARAMETER',
    'The security key rejected a request parameter.',
  ],
  [CtapStatus.INVALID_LENGTH]: ['PROTOCOL_ERROR', 'The security key rejected the message length.'],
  [CtapStatus.INVALID_SEQ]: [
    'PROTOCOL_ERROR',
    'The security key saw a broken message sequence. Try again.',
  ],
  [CtapStatus.TIMEOUT]: ['TIMEOUT', 'The security key timed out. Try again.'],
  [CtapStatus.CHANNEL_BUSY]: [
    'DEVICE_BUSY',
    'The security key is busy with another program. Try again.',
  ],
  [CtapStatus.CBOR_UNEXPECTED_TYPE]: [
    'INVALID_CBOR',
    'The security key did not understand the request.',
  ],
  [CtapStatus.INVALID_CBOR]: ['INVALID_CBOR', 'The security key did not understand the request.'],
  [CtapStatus.MISSING_PARAMETER]: [
    'INVALID_PARAMETER',
    'The security key says a request parameter is missing.',
  ],
  [CtapStatus.UNSUPPORTED_EXTENSION]: [
    'UNSUPPORTED_EXTENSION',
    'This security key does not support hmac-secret.',
  ],
  [CtapStatus.CREDENTIAL_EXCLUDED]: ['OPERATION_DENIED', 'This security key is already enrolled.'],
  [CtapStatus.INVALID_CREDENTIAL]: [
    'NO_CREDENTIALS',
    'This security key does not hold the enrolled credential.',
  ],
  [CtapStatus.UNSUPPORTED_ALGORITHM]: ['CTAP_ERROR', 'This security key does not support ES256.'],
  [CtapStatus.OPERATION_DENIED]: ['OPERATION_DENIED', 'The security key denied the operation.'],
  [CtapStatus.KEY_STORE_FULL]: [
    'CTAP_ERROR',
    'The security key has no room for another credential.',
  ],
  [CtapStatus.UNSUPPORTED_OPTION]: [
    'UNSUPPORTED_OPTION',
    'The security key does not support a requested option.',
  ],
  [CtapStatus.INVALID_OPTION]: [
    'UNSUPPORTED_OPTION',
    'The security key rejected a requested option.',
  ],
  [CtapStatus.KEEPALIVE_CANCEL]: ['CANCELLED', 'The operation was cancelled.'],
  [CtapStatus.NO_CREDENTIALS]: [
    'NO_CREDENTIALS',
    'This security key does not hold the enrolled credential.',
  ],
  [CtapStatus.USER_ACTION_TIMEOUT]: [
    'TIMEOUT',
    'The security key was not touched in time. Try again.',
  ],
  [CtapStatus.ACTION_TIMEOUT]: ['TIMEOUT', 'The security key was not touched in time. Try again.'],
  [CtapStatus.NOT_ALLOWED]: ['OPERATION_DENIED', 'The security key does not allow this operation.'],
  [CtapStatus.PIN_INVALID]: ['PIN_INVALID', 'Wrong PIN.'],
  [CtapStatus.PIN_BLOCKED]: ['PIN_BLOCKED', 'The PIN is blocked: the security key must be reset.'],
  [CtapStatus.PIN_AUTH_INVALID]: ['PIN_INVALID', 'The PIN check failed. Try again.'],
  [CtapStatus.PIN_AUTH_BLOCKED]: [
    'PIN_AUTH_BLOCKED',
    'Too many wrong PINs: remove and re-insert the security key, then try again.',
  ],
  [CtapStatus.PIN_NOT_SET]: ['PIN_NOT_SET', 'This security key has no PIN yet: set one first.'],
  [CtapStatus.PUAT_REQUIRED]: [
    'PIN_REQUIRED',
    'This security key needs its PIN for this operation.',
  ],
  [CtapStatus.PIN_POLICY_VIOLATION]: [
    'PIN_POLICY_VIOLATION',
    'The PIN does not meet the security key’s rules.',
  ],
  [CtapStatus.UP_REQUIRED]: [
    'OPERATION_DENIED',
    'The security key needs a touch for this operation.',
  ],
  [CtapStatus.UV_BLOCKED]: ['PIN_BLOCKED', 'User verification is blocked on this security key.'],
};

/** Maps a non-zero CTAP2 status byte to a typed error with a human message. */
export function ctapStatusError(status: number): Fido2Error {
  const known = STATUS_TO_ERROR[status];
  if (known) return new Fido2Error(known[0], known[1], status);
  return new Fido2Error(
    'CTAP_ERROR',
    `The security key reported error 0x${status.toString(16).padStart(2, '0')}.`,
    status,
  );
}

/** A wrong PIN, with the number of attempts left (people need to see it before the key blocks). */
export function pinInvalidError(retriesLeft: number | null): Fido2Error {
  const tail =
    retriesLeft === null
      ? ''
      : retriesLeft === 1
        ? ' 1 attempt left before the PIN blocks.'
        : ` ${retriesLeft} attempts left.`;
  const err = new Fido2Error('PIN_INVALID', `Wrong PIN.${tail}`, CtapStatus.PIN_INVALID);
  err.retriesLeft = retriesLeft;
  return err;
}
