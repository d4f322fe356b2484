// Test certificates made at run time with the openssl CLI: a private CA, a server certificate
// it signs for auth.example.com / localhost / 127.0.0.1, and the SPKI pins (`sha256//…`) of
// that certificate and of an unrelated key. Nothing here is ever trusted outside a test.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFixtures {
  dir: string;
  /** PEM file of the test CA (the SsoTlsPolicy.caFile a test passes). */
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** `sha256//<base64>` of the server certificate's SPKI. */
  pin: string;
  /** A well-formed pin of another key. */
  otherPin: string;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function spkiPin(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(spki).digest('base64')}`;
}

/** Makes a fresh CA and server certificate in a temporary directory (about 50 ms). */
export function createTlsFixtures(
  names: string[] = ['auth.example.com', 'localhost'],
  ips: string[] = ['127.0.0.1'],
): TlsFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'sso-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Bastion Test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(
    ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${names[0]}`],
    dir,
  );
  const san = [...names.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
  writeFileSync(
    join(dir, 'ext.cnf'),
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'other.key',
      '-out',
      'other.pem',
      '-days',
      '2',
      '-subj',
      '/CN=other',
    ],
    dir,
  );
  const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const certPem = readFileSync(join(dir, 'server.pem'), 'utf8');
  const keyPem = readFileSync(join(dir, 'server.key'), 'utf8');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caPem,
    certPem,
    keyPem,
    pin: spkiPin(certPem),
    otherPin: spkiPin(readFileSync(join(dir, 'other.pem'), 'utf8')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
