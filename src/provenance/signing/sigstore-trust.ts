import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import { parseTrustedRoot, type DsseEnvelope, type TlogEntry, type TrustedRoot } from '../../readers/sigstore/index.js';
import { certificatePem, describeCertificate, leafUsageProblem, loadCertificate, verifyChain, type Certificate, type ChainFailure } from './certificate-chain.js';
import { checkInclusionProof, checkSignedEntryTimestamp, findLog, logKey } from './transparency-log.js';
import type { SignerSummary } from './types.js';

/*
 * Keyless (Sigstore) signatures verified offline. The bundle carries a short-lived Fulcio certificate and a
 * Rekor entry; trust comes only from the trusted root file the user passes (never fetched). Order, failing
 * closed at the first problem:
 *   1. the log entry: a log of the trusted root, its signed entry timestamp (which authenticates the
 *      integrated time), its inclusion proof and checkpoint when present;
 *   2. the certificate at that time: valid then, issued through a CA of the trusted root valid then,
 *      usable for code signing;
 *   3. the identity: a subjectAltName equal to the expected identity, the OIDC issuer extension equal to
 *      the expected issuer;
 * the DSSE signature itself is then checked by the caller with the certificate's key, and finally
 *   4. the log entry is about this envelope: same payload hash, same signature, same certificate.
 * Not checked: SCTs embedded in the certificate, RFC 3161 timestamps, revocation (see docs/signing.md).
 */

/** Expected signer and the trust root to check it against. */
export interface SigstoreExpectation {
  identity: string;
  issuer: string;
  trustedRoot: TrustedRoot;
}

/** Load and parse a trusted_root.json, or fail with a tool error naming the field. */
export function loadTrustedRoot(path: string): TrustedRoot {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE';
    throw new AntidoteError(code, `${path}: cannot read the trusted root (${errorMessage(error)})`, { cause: error });
  }
  const parsed = parseTrustedRoot(bytes);
  if (!parsed.ok) {
    throw new AntidoteError('TRUST_ROOT_INVALID', `${path}: ${parsed.error.message}. Use the trusted_root.json of the Sigstore instance that signed (from its TUF repository).`);
  }
  if (parsed.value.tlogs.length === 0 || parsed.value.certificateAuthorities.length === 0) {
    throw new AntidoteError('TRUST_ROOT_INVALID', `${path}: a trusted root needs at least one transparency log (tlogs) and one certificate authority (certificateAuthorities)`);
  }
  return parsed.value;
}

/** Result of the Sigstore checks before the DSSE signature: the leaf to verify it with, and who signed. */
export type SigstoreCheck = { ok: true; leaf: Certificate; signer: SignerSummary; checks: string[]; entry: TlogEntry } | { ok: false; failure: ChainFailure; checks: string[] };

/** Steps 1-3: log entry, certificate chain at the log time, identity and issuer. */
export function checkSigstoreSigner(leafDer: Buffer, intermediatesDer: readonly Buffer[], entries: readonly TlogEntry[], expect: SigstoreExpectation): SigstoreCheck {
  const checks: string[] = [];
  const failed = (failure: ChainFailure): SigstoreCheck => ({ ok: false, failure, checks });
  const leaf = loadCertificate(leafDer);
  if (!leaf.ok) return failed({ code: 'certificate-malformed', message: `the signing certificate cannot be read: ${leaf.message}` });

  if (entries.length === 0) return failed({ code: 'tlog-missing', message: 'the bundle has no transparency-log entry: a keyless signature cannot be dated or trusted without one' });
  // One entry, as model_signing and sigstore-python write and require: with several, an entry about another
  // artifact could lend its earlier time to this signature and make an expired certificate look valid.
  if (entries.length > 1) return failed({ code: 'bundle-malformed', message: `the bundle has ${entries.length} transparency-log entries; a keyless signature has exactly one` });
  const entry = entries[0]!;
  const log = findLog(entry, expect.trustedRoot.tlogs);
  if (!log) return failed({ code: 'tlog-unknown-log', message: `log entry ${entry.logIndex} comes from log ${entry.logId.toString('base64')}, which the trusted root does not trust at that time` });
  const key = logKey(log);
  if (!key) return failed({ code: 'tlog-unknown-log', message: `the trusted root's key for ${log.baseUrl || 'the log'} cannot be loaded` });
  const set = checkSignedEntryTimestamp(entry, key);
  if (set) return failed(set);
  checks.push('tlog-signed-entry-timestamp');
  const proof = checkInclusionProof(entry, log, key);
  if (proof) return failed(proof);
  if (entry.inclusionProof) checks.push('tlog-inclusion-proof', 'tlog-checkpoint');
  const signedAt = new Date(Number(entry.integratedTime) * 1000);

  const intermediates: Certificate[] = [];
  for (const der of intermediatesDer) {
    const loaded = loadCertificate(der);
    if (!loaded.ok) return failed({ code: 'certificate-malformed', message: `a chain certificate cannot be read: ${loaded.message}` });
    intermediates.push(loaded.value);
  }
  const chain = chainToTrustedCa(leaf.value, intermediates, expect.trustedRoot, signedAt);
  if (chain) return failed(chain);
  checks.push('certificate-chain');
  const usage = leafUsageProblem(leaf.value);
  if (usage) return failed(usage);

  const names = leaf.value.parsed.subjectAltNames;
  const identity = names.find((n) => n.value === expect.identity);
  if (!identity) {
    const found = names.map((n) => n.value).join(', ') || 'none';
    return failed({ code: 'identity-mismatch', message: `the certificate was issued to ${found}, not to ${expect.identity}` });
  }
  checks.push('identity');
  const { fulcioIssuerV1: v1, fulcioIssuerV2: v2 } = leaf.value.parsed;
  const issuers = [v2, v1].filter((i): i is string => i !== undefined);
  if (issuers.length === 0) return failed({ code: 'issuer-mismatch', message: 'the certificate names no OIDC issuer (extension 1.3.6.1.4.1.57264.1.8 or .1.1)' });
  const wrong = issuers.find((i) => i !== expect.issuer);
  if (wrong !== undefined) return failed({ code: 'issuer-mismatch', message: `the identity was vouched for by ${wrong}, not by ${expect.issuer}` });
  checks.push('issuer');

  return {
    ok: true,
    leaf: leaf.value,
    entry,
    checks,
    signer: {
      identity: identity.value,
      issuer: expect.issuer,
      certificateSubject: describeCertificate(leaf.value),
      certificateFingerprint: leaf.value.x509.fingerprint256,
      tlog: { baseUrl: log.baseUrl, logIndex: entry.logIndex.toString() },
      signedAt: signedAt.toISOString(),
    },
  };
}

function chainToTrustedCa(leaf: Certificate, intermediates: Certificate[], root: TrustedRoot, time: Date): ChainFailure | undefined {
  let best: ChainFailure | undefined;
  const active = root.certificateAuthorities.filter((ca) => ca.validFor.start <= time && (ca.validFor.end === undefined || time <= ca.validFor.end));
  for (const ca of active) {
    const anchors: Certificate[] = [];
    for (const der of ca.certificates) {
      const loaded = loadCertificate(der);
      if (loaded.ok) anchors.push(loaded.value);
    }
    const result = verifyChain(leaf, intermediates, anchors, time);
    if (result.ok) return undefined;
    // A chain failure specific to this CA says more than "untrusted" from another CA.
    if (!best || best.code === 'chain-untrusted') best = result.failure;
  }
  return best ?? { code: 'chain-untrusted', message: `no certificate authority of the trusted root was valid at ${time.toISOString()}` };
}

/** Step 4: the log entry records this envelope (payload hash, signature and certificate). */
export function checkEntryMatchesEnvelope(entry: TlogEntry, envelope: DsseEnvelope, leafDer: Buffer): ChainFailure | undefined {
  const mismatch = (what: string): ChainFailure => ({ code: 'tlog-body-mismatch', message: `the log entry does not record this signature: ${what}` });
  if (entry.kind !== 'dsse' || entry.version !== '0.0.1') return mismatch(`entries of kind ${entry.kind} ${entry.version} are not read (only dsse 0.0.1)`);
  let body: unknown;
  try {
    body = JSON.parse(entry.canonicalizedBody.toString('utf8'));
  } catch {
    return mismatch('its body is not JSON');
  }
  const spec = (body as { spec?: { payloadHash?: { algorithm?: unknown; value?: unknown }; signatures?: unknown } } | null)?.spec;
  const payloadHash = createHash('sha256').update(envelope.payload).digest('hex');
  if (spec?.payloadHash?.algorithm !== 'sha256' || spec.payloadHash.value !== payloadHash) return mismatch('different payload hash');
  const signatures = spec.signatures;
  if (!Array.isArray(signatures) || signatures.length !== envelope.signatures.length) return mismatch('different number of signatures');
  const expected = envelope.signatures[0];
  const logged = signatures[0] as { signature?: unknown; verifier?: unknown } | undefined;
  if (!expected || typeof logged?.signature !== 'string' || typeof logged.verifier !== 'string') return mismatch('no signature recorded');
  if (!Buffer.from(logged.signature, 'base64').equals(expected.sig)) return mismatch('different signature bytes');
  const verifierPem = Buffer.from(logged.verifier, 'base64').toString('utf8');
  const verifierDer = verifierPem.includes('-----BEGIN CERTIFICATE-----') ? Buffer.from(verifierPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64') : Buffer.alloc(0);
  if (!verifierDer.equals(leafDer)) return mismatch('a different signing certificate');
  return undefined;
}

/** PEM of the signing certificate as Rekor records it in a dsse entry (base64 of the PEM text). */
export function rekorVerifierField(leafDer: Buffer): string {
  return Buffer.from(certificatePem(leafDer), 'utf8').toString('base64');
}
