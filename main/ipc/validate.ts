// Schema checks for every renderer call (preload/api.ts). Payloads arrive untrusted: the
// renderer may be compromised. A payload is accepted only with exactly the expected keys
// and types; anything else raises IpcValidationError and nothing runs.
import {
  MAX_ANSWER_BYTES,
  MAX_KEY_PIN_BYTES,
  MAX_USER_BYTES,
  MIN_KEY_PIN_CHARS,
  type AssistiveTool,
  type PowerAction,
  type SsoMethod,
} from '../../preload/api';
import { MAX_LAYOUTS } from '../screens/keyboard';
import type { BackendCall } from './backend';

export type IpcValidationErrorCode =
  | 'UNKNOWN_CALL'
  | 'UNEXPECTED_PAYLOAD' // a call without payload received one
  | 'NOT_AN_OBJECT'
  | 'MISSING_KEY'
  | 'EXTRA_KEY'
  | 'WRONG_TYPE'
  | 'USER_INVALID' // does not match the user name pattern
  | 'USER_TOO_LONG'
  | 'ANSWER_TOO_LONG'
  | 'ANSWER_HAS_NUL'
  | 'NOT_WELL_FORMED' // lone UTF-16 surrogates would be silently replaced when encoded
  | 'NOT_CURRENT_USER' // unlock screen: only the locked session's user
  | 'SESSION_INVALID' // not a plain session id (SESSION_ID_PATTERN)
  | 'SESSION_UNKNOWN' // a session main did not offer, or one named on the unlock screen
  | 'POWER_ACTION_INVALID' // not one of PowerAction
  | 'POWER_ACTION_NOT_OFFERED' // hidden by policy, not allowed by logind, or unlock screen
  | 'ASSISTIVE_TOOL_INVALID' // not one of AssistiveTool
  | 'ASSISTIVE_TOOL_NOT_OFFERED' // not installed here
  | 'KEYBOARD_LAYOUT_INVALID' // not an integer index below MAX_LAYOUTS
  | 'KEYBOARD_LAYOUT_NOT_OFFERED' // no switch here (Wayland, one layout) or not configured
  | 'KEYBOARD_SWITCH_BUSY' // one switch running and one waiting already
  | 'PIN_TOO_LONG' // over MAX_KEY_PIN_BYTES (CTAP2's limit)
  | 'PIN_TOO_SHORT' // under MIN_KEY_PIN_CHARS: no key has such a PIN, a retry would be lost
  | 'PIN_HAS_NUL'
  | 'KEY_NOT_ASKING' // the security key is not waiting for a PIN
  | 'SSO_METHOD_INVALID' // not one of SsoMethod
  | 'SSO_NOT_OFFERED' // the site offers no such SSO sign-in here (no sso.conf, unlock screen)
  | 'SSO_BUSY'; // an SSO sign-in or a PAM attempt is already running

export class IpcValidationError extends Error {
  readonly code: IpcValidationErrorCode;
  constructor(code: IpcValidationErrorCode, message: string) {
    super(message);
    this.name = 'IpcValidationError';
    this.code = code;
  }
}

/**
 * Portable user names plus what directory and SSO accounts use (SSSD/winbind `John.Doe`,
 * `jdoe@example.com`, numeric-leading names): ASCII letters, digits, `_ . @ -`, an optional
 * trailing `$`; never starting with `-` or `.` (option-like, path-like). Anything else is
 * refused before it reaches the helper.
 */
export const USER_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*[$]?$/;

/** Desktop session ids as main/screens/sessions.ts offers them (a .desktop basename). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$/;

export type ValidatedCall =
  | { call: 'getInfo' }
  | { call: 'getAuthSnapshot' }
  | { call: 'getScreenOptions' }
  | { call: 'startAuth'; user: string; session: string | null }
  | { call: 'answer'; text: string }
  | { call: 'cancelAuth' }
  | { call: 'powerAction'; action: PowerAction }
  | { call: 'startAssistiveTool'; tool: AssistiveTool }
  | { call: 'setKeyboardLayout'; index: number }
  | { call: 'getKeySnapshot' }
  | { call: 'answerKeyPin'; pin: string }
  | { call: 'cancelKey' }
  | { call: 'getSsoSnapshot' }
  | { call: 'startSso'; method: SsoMethod }
  | { call: 'cancelSso' };

const CALLS: ReadonlySet<string> = new Set<BackendCall>([
  'getInfo',
  'getAuthSnapshot',
  'getScreenOptions',
  'startAuth',
  'answer',
  'cancelAuth',
  'powerAction',
  'startAssistiveTool',
  'setKeyboardLayout',
  'getKeySnapshot',
  'answerKeyPin',
  'cancelKey',
  'getSsoSnapshot',
  'startSso',
  'cancelSso',
]);

const SSO_METHOD_NAMES: ReadonlySet<string> = new Set<SsoMethod>(['device', 'portal']);

const ASSISTIVE_TOOL_NAMES: ReadonlySet<string> = new Set<AssistiveTool>([
  'screen-reader',
  'on-screen-keyboard',
]);

const POWER_ACTION_NAMES: ReadonlySet<string> = new Set<PowerAction>([
  'suspend',
  'reboot',
  'power-off',
]);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function expectNoPayload(call: string, payload: unknown): void {
  if (payload !== undefined) {
    throw new IpcValidationError('UNEXPECTED_PAYLOAD', `${call} takes no payload`);
  }
}

/** Returns the value of the only key of a plain object payload, checked as a string. */
function expectSingleStringKey(call: string, payload: unknown, key: string): string {
  return expectStringKeys(call, payload, [key], [])[key]!;
}

/**
 * The string values of a plain object payload with exactly the `required` keys and any of
 * the `optional` ones (an optional key whose value is `undefined` counts as absent).
 */
function expectStringKeys(
  call: string,
  payload: unknown,
  required: readonly string[],
  optional: readonly string[],
): Record<string, string | undefined> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new IpcValidationError('NOT_AN_OBJECT', `${call} takes an object`);
  }
  const prototype: unknown = Object.getPrototypeOf(payload);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new IpcValidationError('NOT_AN_OBJECT', `${call} takes a plain object`);
  }
  const keys = Reflect.ownKeys(payload);
  const extra = keys.find(
    (k) => typeof k !== 'string' || (!required.includes(k) && !optional.includes(k)),
  );
  if (extra !== undefined) {
    throw new IpcValidationError('EXTRA_KEY', `${call} has an unexpected key ${String(extra)}`);
  }
  const values: Record<string, string | undefined> = Object.create(null) as Record<
    string,
    string | undefined
  >;
  for (const key of [...required, ...optional]) {
    const descriptor = Object.getOwnPropertyDescriptor(payload, key);
    if (!descriptor) {
      if (required.includes(key)) {
        throw new IpcValidationError('MISSING_KEY', `${call} needs ${key}`);
      }
      continue;
    }
    if (optional.includes(key) && 'value' in descriptor && descriptor.value === undefined) {
      continue;
    }
    values[key] = stringValue(call, key, descriptor);
  }
  return values;
}

function stringValue(call: string, key: string, descriptor: PropertyDescriptor): string {
  if (!('value' in descriptor) || typeof descriptor.value !== 'string') {
    throw new IpcValidationError('WRONG_TYPE', `${call}.${key} must be a string`);
  }
  const value = descriptor.value;
  if (LONE_SURROGATE.test(value)) {
    throw new IpcValidationError('NOT_WELL_FORMED', `${call}.${key} is not well-formed Unicode`);
  }
  return value;
}

/**
 * `{ index }` with exactly that key, an integer in [0, MAX_LAYOUTS): the renderer names a
 * layout by its place in main's own list, never by a string that could reach an argv.
 */
function expectLayoutIndex(call: string, payload: unknown): number {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new IpcValidationError('NOT_AN_OBJECT', `${call} takes an object`);
  }
  const prototype: unknown = Object.getPrototypeOf(payload);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new IpcValidationError('NOT_AN_OBJECT', `${call} takes a plain object`);
  }
  const extra = Reflect.ownKeys(payload).find((k) => k !== 'index');
  if (extra !== undefined) {
    throw new IpcValidationError('EXTRA_KEY', `${call} has an unexpected key ${String(extra)}`);
  }
  const descriptor = Object.getOwnPropertyDescriptor(payload, 'index');
  if (!descriptor) throw new IpcValidationError('MISSING_KEY', `${call} needs index`);
  if (!('value' in descriptor) || typeof descriptor.value !== 'number') {
    throw new IpcValidationError('WRONG_TYPE', `${call}.index must be a number`);
  }
  const index = descriptor.value;
  if (!Number.isInteger(index) || index < 0 || index >= MAX_LAYOUTS) {
    throw new IpcValidationError('KEYBOARD_LAYOUT_INVALID', 'not a keyboard layout index');
  }
  return index;
}

/** A session id's shape; whether main offers it is the backend's check (SESSION_UNKNOWN). */
export function validateSessionId(session: string): string {
  if (!SESSION_ID_PATTERN.test(session)) {
    throw new IpcValidationError('SESSION_INVALID', 'not a valid session id');
  }
  return session;
}

export function validateUserName(user: string): string {
  if (Buffer.byteLength(user, 'utf8') > MAX_USER_BYTES) {
    throw new IpcValidationError(
      'USER_TOO_LONG',
      `user names are limited to ${MAX_USER_BYTES} bytes`,
    );
  }
  if (!USER_NAME_PATTERN.test(user)) {
    throw new IpcValidationError('USER_INVALID', 'not a valid user name');
  }
  return user;
}

export function validateAnswerText(text: string): string {
  if (Buffer.byteLength(text, 'utf8') > MAX_ANSWER_BYTES) {
    throw new IpcValidationError(
      'ANSWER_TOO_LONG',
      `answers are limited to ${MAX_ANSWER_BYTES} bytes`,
    );
  }
  if (text.includes('\0'))
    throw new IpcValidationError('ANSWER_HAS_NUL', 'answers may not contain NUL');
  return text;
}

/**
 * A security key PIN as CTAP2 takes one: 4 to 63 bytes of UTF-8 without NUL. Checked before
 * anything reaches pam_u2f, because every PIN the key sees and refuses costs a retry. The
 * messages never contain the PIN.
 */
export function validateKeyPin(pin: string): string {
  if (Buffer.byteLength(pin, 'utf8') > MAX_KEY_PIN_BYTES) {
    throw new IpcValidationError('PIN_TOO_LONG', `PINs are limited to ${MAX_KEY_PIN_BYTES} bytes`);
  }
  if (pin.includes('\0')) throw new IpcValidationError('PIN_HAS_NUL', 'PINs may not contain NUL');
  if ([...pin].length < MIN_KEY_PIN_CHARS) {
    throw new IpcValidationError(
      'PIN_TOO_SHORT',
      `PINs have at least ${MIN_KEY_PIN_CHARS} characters`,
    );
  }
  return pin;
}

/** Checks `payload` against the schema of `call`. Throws IpcValidationError. */
export function validateCall(call: string, payload: unknown): ValidatedCall {
  if (typeof call !== 'string' || !CALLS.has(call)) {
    throw new IpcValidationError('UNKNOWN_CALL', 'unknown call');
  }
  switch (call as BackendCall) {
    case 'getInfo':
      expectNoPayload(call, payload);
      return { call: 'getInfo' };
    case 'getAuthSnapshot':
      expectNoPayload(call, payload);
      return { call: 'getAuthSnapshot' };
    case 'getScreenOptions':
      expectNoPayload(call, payload);
      return { call: 'getScreenOptions' };
    case 'cancelAuth':
      expectNoPayload(call, payload);
      return { call: 'cancelAuth' };
    case 'getKeySnapshot':
      expectNoPayload(call, payload);
      return { call: 'getKeySnapshot' };
    case 'cancelKey':
      expectNoPayload(call, payload);
      return { call: 'cancelKey' };
    case 'getSsoSnapshot':
      expectNoPayload(call, payload);
      return { call: 'getSsoSnapshot' };
    case 'cancelSso':
      expectNoPayload(call, payload);
      return { call: 'cancelSso' };
    case 'startSso': {
      const method = expectSingleStringKey(call, payload, 'method');
      if (!SSO_METHOD_NAMES.has(method)) {
        throw new IpcValidationError('SSO_METHOD_INVALID', 'not an SSO sign-in method');
      }
      return { call: 'startSso', method: method as SsoMethod };
    }
    case 'answerKeyPin':
      return {
        call: 'answerKeyPin',
        pin: validateKeyPin(expectSingleStringKey(call, payload, 'pin')),
      };
    case 'startAuth': {
      const values = expectStringKeys(call, payload, ['user'], ['session']);
      return {
        call: 'startAuth',
        user: validateUserName(values.user!),
        session: values.session === undefined ? null : validateSessionId(values.session),
      };
    }
    case 'powerAction': {
      const action = expectSingleStringKey(call, payload, 'action');
      if (!POWER_ACTION_NAMES.has(action)) {
        throw new IpcValidationError('POWER_ACTION_INVALID', 'not a power action');
      }
      return { call: 'powerAction', action: action as PowerAction };
    }
    case 'startAssistiveTool': {
      const tool = expectSingleStringKey(call, payload, 'tool');
      if (!ASSISTIVE_TOOL_NAMES.has(tool)) {
        throw new IpcValidationError('ASSISTIVE_TOOL_INVALID', 'not an assistive tool');
      }
      return { call: 'startAssistiveTool', tool: tool as AssistiveTool };
    }
    case 'setKeyboardLayout':
      return { call: 'setKeyboardLayout', index: expectLayoutIndex(call, payload) };
    case 'answer':
      return {
        call: 'answer',
        text: validateAnswerText(expectSingleStringKey(call, payload, 'text')),
      };
  }
}
