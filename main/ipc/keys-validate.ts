// Schema checks for every call of the key manager's page (preload/keys-api.ts). The page may
// be compromised: a payload is accepted only with exactly the expected keys and types, within
// bounds; anything else raises KeysValidationError and nothing runs. The same rules as the
// greeter's contract (./validate.ts), for this contract's calls.
import type { KeysCall } from '../../preload/keys-api';
import { MAX_KEY_NAME_CHARS, MAX_PIN_BYTES } from '../../preload/keys-api';

export type KeysValidationErrorCode =
  | 'UNKNOWN_CALL'
  | 'UNEXPECTED_PAYLOAD'
  | 'NOT_AN_OBJECT'
  | 'MISSING_KEY'
  | 'EXTRA_KEY'
  | 'WRONG_TYPE'
  | 'NOT_WELL_FORMED'
  | 'TOO_LONG'
  | 'HAS_NUL';

export class KeysValidationError extends Error {
  readonly code: KeysValidationErrorCode;
  constructor(code: KeysValidationErrorCode, message: string) {
    super(message);
    this.name = 'KeysValidationError';
    this.code = code;
  }
}

export type ValidatedKeysCall =
  | { call: 'getInfo' | 'getSnapshot' | 'refreshDevices' | 'retry' }
  | { call: 'enrollAnother' | 'finish' | 'cancel' | 'restart' }
  | { call: 'submitPassword'; password: string }
  | { call: 'chooseDevice'; id: string }
  | { call: 'submitPin'; pin: string; confirm: string | null }
  | { call: 'submitName'; name: string };

const NO_PAYLOAD: ReadonlySet<string> = new Set<KeysCall>([
  'getInfo',
  'getSnapshot',
  'refreshDevices',
  'retry',
  'enrollAnother',
  'finish',
  'cancel',
  'restart',
]);

/** Largest password accepted, in UTF-8 bytes (PAM_MAX_RESP_SIZE, as the greeter's answers). */
const MAX_PASSWORD_BYTES = 512;
/** Device ids are main's own (`key-<n>`). */
const DEVICE_ID = /^key-[1-9][0-9]{0,8}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function strings(
  call: string,
  payload: unknown,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, string | undefined> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new KeysValidationError('NOT_AN_OBJECT', `${call} takes an object`);
  const prototype: unknown = Object.getPrototypeOf(payload);
  if (prototype !== Object.prototype && prototype !== null)
    throw new KeysValidationError('NOT_AN_OBJECT', `${call} takes a plain object`);
  for (const key of Reflect.ownKeys(payload))
    if (typeof key !== 'string' || (!required.includes(key) && !optional.includes(key)))
      throw new KeysValidationError('EXTRA_KEY', `${call} has an unexpected key`);
  const values: Record<string, string | undefined> = Object.create(null) as Record<
    string,
    string | undefined
  >;
  for (const key of [...required, ...optional]) {
    const descriptor = Object.getOwnPropertyDescriptor(payload, key);
    if (!descriptor) {
      if (required.includes(key))
        throw new KeysValidationError('MISSING_KEY', `${call} needs ${key}`);
      continue;
    }
    if (!('value' in descriptor) || typeof descriptor.value !== 'string')
      throw new KeysValidationError('WRONG_TYPE', `${call}.${key} must be a string`);
    const value = descriptor.value;
    if (LONE_SURROGATE.test(value))
      throw new KeysValidationError('NOT_WELL_FORMED', `${call}.${key} is not well-formed`);
    if (value.includes('\0'))
      throw new KeysValidationError('HAS_NUL', `${call}.${key} has a NUL character`);
    values[key] = value;
  }
  return values;
}

function bounded(call: string, value: string, maxBytes: number): string {
  if (Buffer.byteLength(value, 'utf8') > maxBytes)
    throw new KeysValidationError('TOO_LONG', `${call}: at most ${maxBytes} bytes`);
  return value;
}

export function validateKeysCall(call: string, payload: unknown): ValidatedKeysCall {
  if (NO_PAYLOAD.has(call)) {
    if (payload !== undefined)
      throw new KeysValidationError('UNEXPECTED_PAYLOAD', `${call} takes no payload`);
    return { call } as ValidatedKeysCall;
  }
  switch (call) {
    case 'submitPassword': {
      const { password } = strings(call, payload, ['password']);
      return { call, password: bounded(call, password!, MAX_PASSWORD_BYTES) };
    }
    case 'chooseDevice': {
      const { id } = strings(call, payload, ['id']);
      if (!DEVICE_ID.test(id!)) throw new KeysValidationError('WRONG_TYPE', 'not a device id');
      return { call, id: id! };
    }
    case 'submitPin': {
      const { pin, confirm } = strings(call, payload, ['pin'], ['confirm']);
      return {
        call,
        pin: bounded(call, pin!, MAX_PIN_BYTES),
        confirm: confirm === undefined ? null : bounded(call, confirm, MAX_PIN_BYTES),
      };
    }
    case 'submitName': {
      const { name } = strings(call, payload, ['name']);
      // Characters, then bytes: main/keys checkLabel has the final word (control characters).
      if ([...name!].length > MAX_KEY_NAME_CHARS)
        throw new KeysValidationError(
          'TOO_LONG',
          `${call}: at most ${MAX_KEY_NAME_CHARS} characters`,
        );
      return { call, name: bounded(call, name!, MAX_KEY_NAME_CHARS * 4) };
    }
    default:
      throw new KeysValidationError('UNKNOWN_CALL', 'no such call');
  }
}
