import { X509Certificate } from 'node:crypto';
import { parseCertificate, OID, type ParsedCertificate } from '../../readers/sigstore/index.js';
import type { SignatureReasonCode } from './types.js';

/*
 * X.509 path validation for model signatures, small on purpose: build a path from the signing certificate
 * through the bundle's certificates to a certificate the user trusts, and check along it what RFC 5280 path
 * validation checks that matters here: each signature, each validity period at the signing time, CA basic
 * constraints and keyCertSign on every issuer, path length limits, no critical extension we do not understand,
 * and that the leaf may sign code. Any certificate the user passes is a trust anchor (a pinned intermediate
 * works, like OpenSSL's partial-chain mode). Revocation (CRL, OCSP) needs the network: not checked.
 */

/** Certificates tried on one path; real chains are 2-4 long. */
export const MAX_CHAIN_DEPTH = 8;

/** Extensions whose criticality we honour; a critical extension outside this set makes the certificate unusable. */
const UNDERSTOOD_EXTENSIONS = new Set<string>([OID.keyUsage, OID.basicConstraints, OID.subjectAltName, OID.extendedKeyUsage, OID.subjectKeyIdentifier, OID.authorityKeyIdentifier]);

/** A certificate parsed twice: our reader for the fields, node:crypto for signatures and keys. */
export interface Certificate {
  parsed: ParsedCertificate;
  x509: X509Certificate;
}

/** A chain check failure with its reason code. */
export interface ChainFailure {
  code: SignatureReasonCode;
  message: string;
}

/** Parse DER into a Certificate, or a failure message. */
export function loadCertificate(der: Buffer): { ok: true; value: Certificate } | { ok: false; message: string } {
  const parsed = parseCertificate(der);
  if (!parsed.ok) return { ok: false, message: parsed.error.message };
  try {
    return { ok: true, value: { parsed: parsed.value, x509: new X509Certificate(der) } };
  } catch (error) {
    return { ok: false, message: `certificate: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Split a PEM bundle into DER certificates (ignoring text between blocks). */
export function pemCertificates(text: string): Buffer[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => Buffer.from(block.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64'));
}

/** PEM of one DER certificate, as Python's cryptography and Go write it (64-column lines, trailing newline). */
export function certificatePem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** A short name for messages: the subject, or the SAN when the subject is empty (Fulcio leaves). */
export function describeCertificate(certificate: Certificate): string {
  const subject = (certificate.x509.subject ?? '').replace(/\n/g, ', ');
  if (subject) return subject;
  const san = certificate.parsed.subjectAltNames[0];
  return san ? `${san.type}:${san.value}` : `serial ${certificate.parsed.serialHex}`;
}

function validAt(certificate: Certificate, time: Date): boolean {
  return certificate.parsed.notBefore.getTime() <= time.getTime() && time.getTime() <= certificate.parsed.notAfter.getTime();
}

function unknownCritical(certificate: Certificate): string | undefined {
  return certificate.parsed.extensions.find((e) => e.critical && !UNDERSTOOD_EXTENSIONS.has(e.oid))?.oid;
}

/**
 * `issuer` signed `subject`: the names link (exact encoded bytes) and the signature verifies. CA flags are
 * checked separately (issuerProblem) so that a non-CA issuer gets its own reason instead of "untrusted".
 */
function issued(issuer: Certificate, subject: Certificate): boolean {
  if (!subject.parsed.issuerDer.equals(issuer.parsed.subjectDer)) return false;
  try {
    return subject.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/** Checks on a certificate used as an issuer at `below` intermediate CAs above the leaf. */
function issuerProblem(issuer: Certificate, below: number, time: Date): ChainFailure | undefined {
  const name = describeCertificate(issuer);
  if (!issuer.parsed.basicConstraints?.ca) return { code: 'certificate-not-ca', message: `${name} issued a certificate but is not a CA (basicConstraints cA is not true)` };
  if (issuer.parsed.keyUsage && !issuer.parsed.keyUsage.keyCertSign) return { code: 'certificate-not-ca', message: `${name} issued a certificate but its key usage lacks keyCertSign` };
  const limit = issuer.parsed.basicConstraints.pathLength;
  if (limit !== undefined && below > limit) return { code: 'certificate-not-ca', message: `${name} allows ${limit} CA certificates below it, the chain has ${below}` };
  if (!validAt(issuer, time)) return { code: 'certificate-expired', message: `${name} is not valid at ${time.toISOString()} (valid ${issuer.parsed.notBefore.toISOString()} to ${issuer.parsed.notAfter.toISOString()})` };
  const critical = unknownCritical(issuer);
  if (critical) return { code: 'certificate-critical-extension', message: `${name} has critical extension ${critical}, which this verifier does not implement` };
  return undefined;
}

/** The leaf may sign code: key usage digitalSignature and extended key usage codeSigning, where present. */
export function leafUsageProblem(leaf: Certificate): ChainFailure | undefined {
  const name = describeCertificate(leaf);
  if (leaf.parsed.keyUsage && !leaf.parsed.keyUsage.digitalSignature) return { code: 'certificate-usage', message: `${name} may not make digital signatures (key usage lacks digitalSignature)` };
  const eku = leaf.parsed.extendedKeyUsage;
  if (eku && !eku.includes(OID.codeSigning) && !eku.includes(OID.anyExtendedKeyUsage)) {
    return { code: 'certificate-usage', message: `${name} is not for code signing (extended key usage lacks codeSigning)` };
  }
  const critical = unknownCritical(leaf);
  if (critical) return { code: 'certificate-critical-extension', message: `${name} has critical extension ${critical}, which this verifier does not implement` };
  return undefined;
}

/**
 * Find a valid path from `leaf` to one of `anchors`, through `intermediates`, with every certificate valid at
 * `time`. Returns the path (leaf first) or the most specific failure met while searching.
 */
export function verifyChain(leaf: Certificate, intermediates: readonly Certificate[], anchors: readonly Certificate[], time: Date): { ok: true; path: Certificate[] } | { ok: false; failure: ChainFailure } {
  if (!validAt(leaf, time)) {
    return { ok: false, failure: { code: 'certificate-expired', message: `the signing certificate ${describeCertificate(leaf)} is not valid at ${time.toISOString()} (valid ${leaf.parsed.notBefore.toISOString()} to ${leaf.parsed.notAfter.toISOString()})` } };
  }
  let best: ChainFailure | undefined;
  const search = (current: Certificate, used: Set<Certificate>, depth: number): Certificate[] | undefined => {
    if (anchors.some((anchor) => anchor.parsed.der.equals(current.parsed.der))) return [current];
    if (depth >= MAX_CHAIN_DEPTH) return undefined;
    for (const anchor of anchors) {
      if (!issued(anchor, current)) continue;
      const problem = issuerProblem(anchor, depth, time);
      if (!problem) return [current, anchor];
      best = problem;
    }
    for (const next of intermediates) {
      if (used.has(next) || !issued(next, current)) continue;
      const problem = issuerProblem(next, depth, time);
      if (problem) {
        best = problem;
        continue;
      }
      const rest = search(next, new Set([...used, next]), depth + 1);
      if (rest) return [current, ...rest];
    }
    return undefined;
  };
  const path = search(leaf, new Set([leaf]), 0);
  if (path) return { ok: true, path };
  return {
    ok: false,
    failure: best ?? { code: 'chain-untrusted', message: `no chain from the signing certificate ${describeCertificate(leaf)} to a trusted certificate` },
  };
}
