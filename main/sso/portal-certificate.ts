// The site's TLS policy for the portal's own page (app/portal-window.ts): the person types
// their password into that window, so it must trust exactly what main/sso's client trusts —
// the CA file instead of the system roots when one is set, and the SPKI pins on top. Chromium
// does the handshake; this decides on the certificate chain it hands over (Electron's
// `setCertificateVerifyProc`), with node:crypto only (main/ never imports electron).
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { resolveTransportSettings, type SsoTlsPolicy } from './config';
import { spkiSha256 } from './transport';

/** What Electron's certificate verify request carries, reduced to plain data. */
export interface PortalCertificateInput {
  /** The host name the connection is for (Chromium's, already lower-case). */
  hostname: string;
  /** PEM certificates: the leaf first, then the issuers the server sent, in order. */
  chainPem: readonly string[];
  /** Chromium's own verdict against the system roots: 0 is net::OK. */
  chromiumErrorCode: number;
}

export type PortalCertificateVerdict = { ok: true } | { ok: false; reason: string };

export type PortalCertificateVerifier = (input: PortalCertificateInput) => PortalCertificateVerdict;

const MAX_CHAIN = 8;

function parsePems(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((pem) => new X509Certificate(pem));
}

function currentlyValid(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** Walks leaf → … → a CA of the file, every link signed, every certificate in its dates. */
function chainsToCa(
  chain: X509Certificate[],
  anchors: X509Certificate[],
  now: number,
): string | null {
  let current = chain[0]!;
  const pool = chain.slice(1);
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (!currentlyValid(current, now)) return 'a certificate of the chain is out of its dates';
    const anchor = anchors.find((ca) => issuedBy(current, ca));
    if (anchor !== undefined) {
      return currentlyValid(anchor, now) ? null : 'the CA certificate is out of its dates';
    }
    const next = pool.find((cert) => cert.ca && issuedBy(current, cert));
    if (next === undefined) return 'the chain does not lead to a CA of the CA file';
    current = next;
  }
  return 'the chain is too long';
}

/**
 * The verifier of the site's policy (sso.conf `ca-file`, `pins`). Reads the CA file now; throws
 * SsoError SSO_CONFIG_INVALID when a setting cannot be used (fail closed: no portal window).
 */
export function createPortalCertificateVerifier(
  tls: SsoTlsPolicy = {},
  now: () => number = Date.now,
): PortalCertificateVerifier {
  const settings = resolveTransportSettings({ tls, log: () => undefined });
  const anchors = settings.ca === undefined ? null : parsePems(settings.ca);
  const pins = settings.pins;
  return (input) => {
    let chain: X509Certificate[];
    try {
      chain = input.chainPem.slice(0, MAX_CHAIN).map((pem) => new X509Certificate(pem));
    } catch {
      return { ok: false, reason: 'a certificate cannot be read' };
    }
    const leaf = chain[0];
    if (leaf === undefined) return { ok: false, reason: 'no certificate' };
    if (anchors === null) {
      // System roots: Chromium's own verdict (chain, dates, name, revocation it knows of).
      if (input.chromiumErrorCode !== 0) {
        return { ok: false, reason: `Chromium refused it (${input.chromiumErrorCode})` };
      }
    } else {
      // The CA file instead of the system roots: Chromium's verdict (system roots) is not
      // the question; the chain and the name are checked here.
      const host = input.hostname.replace(/^\[|\]$/g, '');
      const named =
        isIP(host) === 0 ? leaf.checkHost(host, { subject: 'never' }) : leaf.checkIP(host);
      if (named === undefined) return { ok: false, reason: 'the certificate names another host' };
      const refused = chainsToCa(chain, anchors, now());
      if (refused !== null) return { ok: false, reason: refused };
    }
    if (pins.length > 0) {
      const digest = spkiSha256(leaf.raw);
      if (!pins.some((pin) => pin.equals(digest))) {
        return { ok: false, reason: "the certificate's key matches no pin" };
      }
    }
    return { ok: true };
  };
}

/** Electron's `setSSLConfig` minimum for the site's `tls-min-version` (default TLS 1.3). */
export function portalMinTlsVersion(tls: SsoTlsPolicy = {}): 'tls1.2' | 'tls1.3' {
  return tls.minVersion === 'TLSv1.2' ? 'tls1.2' : 'tls1.3';
}
