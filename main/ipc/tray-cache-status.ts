// The tray's one question to the root-only offline cache: "until when is my cached login valid,
// and is it locked?" It goes through the PAM helper's `bastion-status` service
// (resources/pam/bastion-status: pam_exec runs `bastion-offline status`, which prints
// `OFFLINE_STATUS:<expires_at>:<locked_until>` in Unix seconds, or `OFFLINE_ERROR:-4` when
// there is no cached login, then pam_deny). In a session the helper answers only for the
// caller's own account, and replays an answer younger than 30 s (native-helper/PROTOCOL.md).
//
// Fails closed to `unknown`: a prompt (this service must never ask anything), a success (it
// must never authenticate), a helper-level refusal (busy, throttled, system), a broken
// transaction, or anything but exactly one line we recognise.
import type { PamOutcome } from '../pam/helper-client';
import { runPamTransaction } from '../pam/helper-client';

export const STATUS_SERVICE = 'bastion-status';

export type CacheStatusAnswer =
  /** Epoch ms; `lockedUntil` null when the cache holds no lock. */
  | { kind: 'known'; validUntil: number; lockedUntil: number | null }
  | { kind: 'none' }
  | { kind: 'unknown'; reason: string };

export type CacheStatusQuery = (user: string, signal: AbortSignal) => Promise<CacheStatusAnswer>;

const STATUS_LINE = /^OFFLINE_STATUS:(0|[1-9][0-9]{0,11}):(0|[1-9][0-9]{0,11})$/;
const NOT_FOUND_LINE = 'OFFLINE_ERROR:-4';

/** The answer the lines of one `bastion-status` run carry (PAM_TEXT_INFO texts, in order). */
export function parseCacheStatusLines(lines: readonly string[]): CacheStatusAnswer {
  const known = lines.filter((line) => STATUS_LINE.test(line) || line === NOT_FOUND_LINE);
  if (known.length !== 1 || lines.length !== 1)
    return { kind: 'unknown', reason: `expected one status line, got ${lines.length}` };
  const line = known[0]!;
  if (line === NOT_FOUND_LINE) return { kind: 'none' };
  const match = STATUS_LINE.exec(line)!;
  const expires = Number(match[1]);
  const locked = Number(match[2]);
  if (expires === 0) return { kind: 'unknown', reason: 'no expiry in the status line' };
  return {
    kind: 'known',
    validUntil: expires * 1000,
    lockedUntil: locked === 0 ? null : locked * 1000,
  };
}

/** Whether an outcome is the refusal a status run always ends with (pam_deny, in PAM). */
export function isStatusRefusal(outcome: PamOutcome): boolean {
  return !outcome.ok && outcome.kind === 'refused' && outcome.result.stage !== 'helper';
}

export interface HelperCacheStatusOptions {
  helperPath: string;
  /** The socket-activated helper, tried first; null: the setuid helper only. */
  socketPath: string | null;
  /** The spawned helper's environment (the demo's and tests' pam_wrapper); empty by default. */
  env?: Record<string, string>;
  deadlineMs?: number;
}

export function helperCacheStatus(options: HelperCacheStatusOptions): CacheStatusQuery {
  return async (user, signal) => {
    const transaction = runPamTransaction({
      helperPath: options.helperPath,
      socketPath: options.socketPath,
      service: STATUS_SERVICE,
      user,
      env: options.env ?? {},
      deadlineMs: options.deadlineMs ?? 20_000,
    });
    const onAbort = (): void => transaction.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    const lines: string[] = [];
    let prompted = false;
    try {
      for await (const event of transaction.events()) {
        if (event.type === 'info' || event.type === 'error') lines.push(event.text);
        else if (event.type === 'prompt') {
          prompted = true;
          transaction.cancel();
        } else {
          const outcome = event.outcome;
          if (prompted) return { kind: 'unknown', reason: 'the status service asked something' };
          if (outcome.ok) return { kind: 'unknown', reason: 'the status service authenticated' };
          if (outcome.kind === 'client-error')
            return { kind: 'unknown', reason: `helper: ${outcome.error.code}` };
          if (!isStatusRefusal(outcome))
            return { kind: 'unknown', reason: `helper: ${outcome.result.name}` };
          return parseCacheStatusLines(lines);
        }
      }
      return { kind: 'unknown', reason: 'no result' };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}
