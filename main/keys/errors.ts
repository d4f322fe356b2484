// Typed errors of the key service (enrollment and pam_u2f mappings). One class, one code per
// thing a person or a script must react to differently; the message is one English sentence
// saying what to do (the wizard shows its own translation, chosen by `code`).
import { CtapStatus, Fido2Error } from '../fido2/errors';

export type KeysErrorCode =
  // the security key
  | 'KEY_NOT_FOUND'
  | 'KEY_REMOVED'
  | 'KEY_BUSY'
  | 'PIN_REQUIRED'
  | 'PIN_NOT_SET'
  | 'PIN_INVALID'
  | 'PIN_BLOCKED'
  | 'PIN_AUTH_BLOCKED'
  | 'PIN_POLICY'
  | 'KEY_FULL'
  | 'ALREADY_ENROLLED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'UNSUPPORTED'
  | 'TEST_FAILED'
  | 'KEY_ERROR'
  // the mapping file
  | 'MAPPING_CORRUPT'
  | 'MAPPING_UNSAFE'
  | 'MAPPING_TOO_LARGE'
  | 'MAPPING_FULL'
  | 'MAPPING_LOCKED'
  | 'MAPPING_IO'
  | 'LABELS_CORRUPT'
  // the caller
  | 'BAD_INPUT';

export class KeysError extends Error {
  readonly code: KeysErrorCode;
  /** PIN attempts left, when the key said (PIN_INVALID). */
  readonly retriesLeft: number | null;
  constructor(
    code: KeysErrorCode,
    message: string,
    options: { retriesLeft?: number | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeysError';
    this.code = code;
    this.retriesLeft = options.retriesLeft ?? null;
  }
}

export function isKeysError(error: unknown): error is KeysError {
  return error instanceof KeysError;
}

/**
 * The key service's view of a FIDO2 stack failure: the few outcomes a person must tell apart
 * (removed, wrong PIN with retries left, blocked, full, already enrolled, timeout, unsupported).
 */
export function keysErrorFromFido2(error: Fido2Error): KeysError {
  const cause = { cause: error };
  switch (error.ctapStatus) {
    case CtapStatus.CREDENTIAL_EXCLUDED:
      return new KeysError(
        'ALREADY_ENROLLED',
        'This security key is already enrolled for this account: use another key.',
        cause,
      );
    case CtapStatus.KEY_STORE_FULL:
      return new KeysError(
        'KEY_FULL',
        'This security key has no room for another credential: remove one with its vendor’s tool or use another key.',
        cause,
      );
    case CtapStatus.UNSUPPORTED_ALGORITHM:
      return new KeysError(
        'UNSUPPORTED',
        'This security key does not support ES256 signatures, which login needs: use another key.',
        cause,
      );
    default:
      break;
  }
  switch (error.code) {
    case 'DEVICE_GONE':
      return new KeysError(
        'KEY_REMOVED',
        'The security key was removed: plug it in again and start over.',
        cause,
      );
    case 'DEVICE_NOT_FOUND':
    case 'HID_UNAVAILABLE':
      return new KeysError(
        'KEY_NOT_FOUND',
        'No security key was found at that place: plug it in and try again.',
        cause,
      );
    case 'DEVICE_BUSY':
      return new KeysError(
        'KEY_BUSY',
        'The security key is busy with another program: close it and try again.',
        cause,
      );
    case 'TIMEOUT':
      return new KeysError(
        'TIMEOUT',
        'The security key was not touched in time: try again and touch it when it blinks.',
        cause,
      );
    case 'CANCELLED':
      return new KeysError('CANCELLED', 'Enrollment was cancelled: nothing was saved.', cause);
    case 'PIN_INVALID':
      return new KeysError(
        'PIN_INVALID',
        error.retriesLeft === null
          ? 'Wrong PIN: try again.'
          : error.retriesLeft === 1
            ? 'Wrong PIN: 1 attempt left before the key’s PIN blocks.'
            : `Wrong PIN: ${error.retriesLeft} attempts left.`,
        { ...cause, retriesLeft: error.retriesLeft },
      );
    case 'PIN_BLOCKED':
      return new KeysError(
        'PIN_BLOCKED',
        'The security key’s PIN is blocked: it can only be reset (which erases it), so use another key.',
        cause,
      );
    case 'PIN_AUTH_BLOCKED':
      return new KeysError(
        'PIN_AUTH_BLOCKED',
        'Too many wrong PINs in a row: unplug the security key, plug it in again and retry.',
        cause,
      );
    case 'PIN_REQUIRED':
      return new KeysError(
        'PIN_REQUIRED',
        'This security key has a PIN: enter it to continue.',
        cause,
      );
    case 'PIN_NOT_SET':
      return new KeysError(
        'PIN_NOT_SET',
        'This security key has no PIN yet: set one first.',
        cause,
      );
    case 'PIN_POLICY_VIOLATION':
      return new KeysError(
        'PIN_POLICY',
        'The security key refused this PIN: choose a longer one (at least 4 characters, at most 63 bytes).',
        cause,
      );
    case 'UNSUPPORTED_OPTION':
    case 'UNSUPPORTED_EXTENSION':
      return new KeysError(
        'UNSUPPORTED',
        'This security key does not support what this site requires: use another key.',
        cause,
      );
    default:
      return new KeysError('KEY_ERROR', `The security key failed: ${error.message}`, cause);
  }
}

/** Any error as a KeysError (FIDO2 errors mapped, others wrapped as KEY_ERROR). */
export function asKeysError(error: unknown): KeysError {
  if (error instanceof KeysError) return error;
  if (error instanceof Fido2Error) return keysErrorFromFido2(error);
  return new KeysError(
    'KEY_ERROR',
    `Enrollment failed: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}
