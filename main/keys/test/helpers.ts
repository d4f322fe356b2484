// Test helpers of the key service.
import { generateKeyPairSync } from 'node:crypto';

/** A fresh P-256 public key as pam_u2f stores it: 64 bytes x‖y. */
export function es256Raw(): Buffer {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    format: 'jwk',
  });
  return Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}
