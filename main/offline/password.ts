// What arrives on bastion-offline's stdin, and what may be recorded as a password.
import { OfflineCacheError, OfflineCode } from './codes';

/** PAM_MAX_RESP_SIZE: longer answers cannot come from a PAM conversation. */
export const MAX_PASSWORD_BYTES = 512;
export const OFFLINE_PREFIX = Buffer.from('OFFLINE:', 'ascii');

/**
 * pam_exec's expose_authtok writes the token followed by a NUL; a person testing by hand
 * types a newline. Takes the bytes up to the first NUL (else drops one trailing newline),
 * then strips the greeter's `OFFLINE:` prefix (verify only: store must see it to refuse it). Returns a fresh buffer; the caller wipes both.
 */
export function passwordFromStdin(raw: Buffer, stripOfflinePrefix = true): Buffer {
  let end = raw.indexOf(0);
  if (end === -1) {
    end = raw.length;
    if (end > 0 && raw[end - 1] === 0x0a) end--;
    if (end > 0 && raw[end - 1] === 0x0d) end--;
  }
  let start = 0;
  if (
    stripOfflinePrefix &&
    end >= OFFLINE_PREFIX.length &&
    raw.subarray(0, OFFLINE_PREFIX.length).equals(OFFLINE_PREFIX)
  ) {
    start = OFFLINE_PREFIX.length;
  }
  if (end - start > MAX_PASSWORD_BYTES) {
    throw new OfflineCacheError(
      OfflineCode.INVALID,
      `password longer than ${MAX_PASSWORD_BYTES} bytes`,
    );
  }
  return Buffer.from(raw.subarray(start, end));
}

/**
 * True when the answer to the password prompt looks like something other than a typed
 * password (DESIGN.md "What answers the PAM password prompt"): a JWT access token, a
 * LemonLDAP::NG opaque token (64 hex), or an offline-mode answer. Recording one of those as
 * an offline verifier would let a token work as a password, so `store` refuses them.
 */
export function looksLikeToken(answer: Buffer): boolean {
  const text = answer.toString('latin1');
  if (text.startsWith('OFFLINE:')) return true;
  if (/^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text)) return true; // JWS compact
  if (/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){4}$/.test(text) && text.startsWith('eyJ')) return true; // JWE compact
  if (/^[0-9a-f]{64}$/.test(text)) return true; // LemonLDAP::NG session / access token id
  return false;
}
