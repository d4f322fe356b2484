// Result codes of the OBCRED01 cache, numerically identical to Open Bastion's
// OFFLINE_CACHE_* codes: they travel to the greeter as `OFFLINE_ERROR:<code>[:<secs>]`.

export const OfflineCode = {
  OK: 0,
  NOMEM: -1,
  IO: -2,
  CRYPTO: -3,
  NOTFOUND: -4,
  EXPIRED: -5,
  LOCKED: -6,
  INVALID: -7,
  PASSWORD: -8,
} as const;
export type OfflineCode = (typeof OfflineCode)[keyof typeof OfflineCode];
export type OfflineCodeName = keyof typeof OfflineCode;

const NAMES = new Map<number, OfflineCodeName>(
  Object.entries(OfflineCode).map(([name, code]) => [code, name as OfflineCodeName]),
);

export function offlineCodeName(code: OfflineCode): OfflineCodeName {
  return NAMES.get(code) ?? 'INVALID';
}

/**
 * Every failure of the engine. `reason` is one line for an administrator (never contains a
 * password or key material); `code` is what the PAM stack and the greeter see.
 */
export class OfflineCacheError extends Error {
  readonly code: Exclude<OfflineCode, 0>;
  readonly reason: string;
  /** Seconds left on a lockout, for LOCKED only. */
  readonly lockRemaining: number | null;
  constructor(code: Exclude<OfflineCode, 0>, reason: string, lockRemaining: number | null = null) {
    super(`${offlineCodeName(code)}: ${reason}`);
    this.name = 'OfflineCacheError';
    this.code = code;
    this.reason = reason;
    this.lockRemaining = lockRemaining;
  }
}

export function isOfflineCacheError(error: unknown): error is OfflineCacheError {
  return error instanceof OfflineCacheError;
}
