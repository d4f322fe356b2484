// Test-only: one self-signed P-256 attestation certificate per process, made with openssl
// (Debian `openssl`), so the software authenticator can give full packed attestation (x5c).
// libfido2's fido_cred_verify (pamu2fcfg, pam_u2f) insists on x5c; it checks the signature
// with the certificate's key, not a chain.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AttestationCert {
  der: Buffer;
  privateKey: KeyObject;
}

let cached: AttestationCert | null = null;

export function attestationCert(): AttestationCert {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'bastion-attest-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '3650',
        '-subj',
        '/C=DE/O=Bastion Test/OU=Authenticator Attestation/CN=Bastion Test Authenticator',
      ],
      { stdio: 'ignore' },
    );
    cached = {
      der: new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw,
      privateKey: createPrivateKey(readFileSync(join(dir, 'key.pem'))),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
