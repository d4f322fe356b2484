// Shared set-up of the main/sso tests: the OIDC provider TEST DOUBLE on HTTPS with a fresh
// test CA, reached as auth.example.com through the client's test-only resolve override.
import { createTlsFixtures, type TlsFixtures } from '../../../testkit/sso/tls-fixtures';
import {
  OidcProviderDouble,
  type OidcDoubleOptions,
} from '../../../testkit/sso/oidc-provider-double';
import type { SsoConfig } from '../config';

export interface SsoRig {
  tls: TlsFixtures;
  double: OidcProviderDouble;
  /** Log lines the module wrote through `config.log`. */
  logs: string[];
  config(extra?: Partial<SsoConfig>): SsoConfig;
  close(): Promise<void>;
}

export async function startRig(
  options: Omit<OidcDoubleOptions, 'tls' | 'hostname'> & {
    tlsVersions?: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3' };
  } = {},
): Promise<SsoRig> {
  const tls = createTlsFixtures();
  const double = await OidcProviderDouble.start({
    ...options,
    hostname: 'auth.example.com',
    tls: { cert: tls.certPem, key: tls.keyPem, ...options.tlsVersions },
  });
  const logs: string[] = [];
  return {
    tls,
    double,
    logs,
    config: (extra = {}) => ({
      issuer: double.issuer,
      clientId: double.clientId,
      redirectUri: 'http://127.0.0.1/bastion-callback',
      resolve: { 'auth.example.com': '127.0.0.1' },
      log: (line) => logs.push(line),
      ...extra,
      tls: { caFile: tls.caFile, ...extra.tls },
    }),
    close: async () => {
      await double.close();
      tls.cleanup();
    },
  };
}
