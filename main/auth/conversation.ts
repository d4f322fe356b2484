// Interpretation of the text messages of a PAM conversation (DESIGN.md "PAM text conventions").
//
// The grammar is strict on purpose: a line is only given a meaning when it matches the exact
// form the producing module prints. Anything else (extra spaces, `+5`, lowercase, trailing
// junk, numbers out of range) is shown verbatim as plain text. Nothing parsed here can ever
// make an attempt succeed: success comes only from the helper's RESULT frame.
import type { AuthMessage, OfflineErrorName } from '../../preload/api';
import { OfflineCode, type OfflineCodeName } from '../offline/codes';

/** pam_u2f's default `cue` text (its DEFAULT_CUE); sites can set another with `cue_prompt=`. */
export const PAM_U2F_DEFAULT_CUE = 'Please touch the device.';
/** Himmelblau-style prefix marking a "touch your key" cue. */
export const FIDO_TOUCH_PREFIX = '[FIDO_TOUCH]';

export type PamTextKind = 'info' | 'error';

export interface ConversationOptions {
  /** Exact cue texts that mean "touch your key" (defaults to pam_u2f's default cue). */
  touchCues?: readonly string[];
}

/** OBCRED01 result codes (REFERENCES.md), code → name, from the engine's own table. */
const OFFLINE_CODE_NAMES: ReadonlyMap<number, OfflineCodeName> = new Map(
  Object.entries(OfflineCode).map(([name, code]) => [code, name as OfflineCodeName]),
);

export const OFFLINE_LOCKED_CODE = OfflineCode.LOCKED;

// Code: 0 or an optionally negative integer of at most 3 digits without a leading zero.
// Seconds: only after the LOCKED code (the only one the reference prints them with), 0 or a
// positive integer of at most 9 digits (about 31 years) without a leading zero.
const OFFLINE_ERROR_PATTERN = /^OFFLINE_ERROR:(0|-?[1-9][0-9]{0,2})(?::(0|[1-9][0-9]{0,8}))?$/;
// Unix seconds, at most 11 digits (year 5138): anything longer is not a real expiry.
const OFFLINE_OK_PATTERN = /^OFFLINE_OK:(0|[1-9][0-9]{0,10})$/;

export function offlineErrorName(code: number): OfflineErrorName {
  return OFFLINE_CODE_NAMES.get(code) ?? 'UNKNOWN';
}

/** Interprets one PAM_TEXT_INFO (`info`) or PAM_ERROR_MSG (`error`) text. */
export function parsePamText(
  kind: PamTextKind,
  text: string,
  options: ConversationOptions = {},
): AuthMessage {
  const offlineError = OFFLINE_ERROR_PATTERN.exec(text);
  if (offlineError) {
    const code = Number(offlineError[1]);
    const seconds = offlineError[2];
    if (seconds !== undefined && code !== OFFLINE_LOCKED_CODE) return { kind, text };
    return {
      kind: 'offline-error',
      code,
      name: offlineErrorName(code),
      lockSeconds: seconds === undefined ? null : Number(seconds),
    };
  }
  const offlineOk = OFFLINE_OK_PATTERN.exec(text);
  if (offlineOk) return { kind: 'offline-ok', expiresAt: Number(offlineOk[1]) };

  if (text.startsWith(FIDO_TOUCH_PREFIX)) {
    const rest = text.slice(FIDO_TOUCH_PREFIX.length).trim();
    return { kind: 'touch', text: rest.length > 0 ? rest : PAM_U2F_DEFAULT_CUE };
  }
  const cues = options.touchCues ?? [PAM_U2F_DEFAULT_CUE];
  if (cues.includes(text)) return { kind: 'touch', text };
  return { kind, text };
}

export interface OfflineErrorDescription {
  code: number | null;
  name: OfflineErrorName;
  /** What happened, in English, for logs and the command line. */
  happened: string;
  /** What the person should do next. */
  action: string;
}

/**
 * English descriptions for logs and CLIs. The renderer keeps its own en/fr texts keyed by
 * `name`, so this table is never shown on the greeter screen.
 */
export const OFFLINE_ERROR_DESCRIPTIONS: Readonly<
  Record<OfflineErrorName, OfflineErrorDescription>
> = {
  OK: {
    code: 0,
    name: 'OK',
    happened: 'The cached credentials were accepted.',
    action: 'Nothing to do.',
  },
  NOMEM: {
    code: -1,
    name: 'NOMEM',
    happened: 'The offline login check ran out of memory.',
    action: 'Try again; if it keeps happening, restart the computer or call support.',
  },
  IO: {
    code: -2,
    name: 'IO',
    happened: 'The offline credential cache could not be read or written.',
    action: 'Connect to the network and sign in online, or call support.',
  },
  CRYPTO: {
    code: -3,
    name: 'CRYPTO',
    happened: 'The cached credentials could not be decrypted (damaged cache or changed key).',
    action: 'Connect to the network and sign in online to rebuild the cache.',
  },
  NOTFOUND: {
    code: -4,
    name: 'NOTFOUND',
    happened: 'No cached credentials exist for this user on this computer.',
    action: 'Connect to the network and sign in online once before working offline.',
  },
  EXPIRED: {
    code: -5,
    name: 'EXPIRED',
    happened: 'The cached credentials for this user have expired.',
    action: 'Connect to the network and sign in online to renew them.',
  },
  LOCKED: {
    code: -6,
    name: 'LOCKED',
    happened: 'Offline login is locked after too many wrong passwords.',
    action: 'Wait until the lock ends, or connect to the network and sign in online.',
  },
  INVALID: {
    code: -7,
    name: 'INVALID',
    happened: 'The cached credentials are invalid or the request was malformed.',
    action: 'Connect to the network and sign in online, or call support.',
  },
  PASSWORD: {
    code: -8,
    name: 'PASSWORD',
    happened: 'The password does not match the cached credentials.',
    action: 'Type the password that last worked online; check Caps Lock.',
  },
  UNKNOWN: {
    code: null,
    name: 'UNKNOWN',
    happened: 'The offline login check failed with an unknown error code.',
    action: 'Connect to the network and sign in online, or call support.',
  },
};

export function describeOfflineError(code: number): OfflineErrorDescription {
  const name = offlineErrorName(code);
  const description = OFFLINE_ERROR_DESCRIPTIONS[name];
  return name === 'UNKNOWN' ? { ...description, code } : description;
}
