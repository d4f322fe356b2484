// Every member of the contract's unions, for tests that must cover them all.
import type { AuthFailureReason, OfflineErrorName } from '../../preload/api';

// Exhaustive lists: the type checks below fail to compile if the contract grows a member.
export const OFFLINE_ERROR_NAMES = [
  'OK',
  'NOMEM',
  'IO',
  'CRYPTO',
  'NOTFOUND',
  'EXPIRED',
  'LOCKED',
  'INVALID',
  'PASSWORD',
  'UNKNOWN',
] as const satisfies readonly OfflineErrorName[];
export const FAILURE_REASONS = [
  'credentials',
  'account',
  'new-password-required',
  'new-password-rejected',
  'session-failed',
  'locked',
  'throttled',
  'offline-cache',
  'cancelled',
  'timeout',
  'unavailable',
  'refused',
  'internal',
] as const satisfies readonly AuthFailureReason[];
const allNames: [Exclude<OfflineErrorName, (typeof OFFLINE_ERROR_NAMES)[number]>] extends [never]
  ? true
  : false = true;
const allReasons: [Exclude<AuthFailureReason, (typeof FAILURE_REASONS)[number]>] extends [never]
  ? true
  : false = true;

/** Both lists are complete (checked at compile time above). */
export const ALL_LISTED = allNames && allReasons;
