import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  MAX_BUNDLE_BYTES,
  parseBundle,
  parseModelSigningStatement,
  preAuthEncoding,
  type ModelSigningStatement,
  type SigstoreBundle,
  type TrustedRoot,
} from '../../readers/sigstore/index.js';
import { describeCertificate, leafUsageProblem, loadCertificate, pemCertificates, verifyChain, type Certificate } from './certificate-chain.js';
import type { ManifestHash } from './file-digest.js';
import { ecKeyInfo, loadPublicKey, publicKeyHint, publicKeySha256, readKeyFile, samePublicKey, verifyWithKey, type EcPublicKey } from './keys.js';
import { checkModelAgainstStatement, manifestHashFor } from './manifest-check.js';
import { checkEntryMatchesEnvelope, checkSigstoreSigner, loadTrustedRoot } from './sigstore-trust.js';
import { rootDigestOf } from './statement.js';
import {
  type SignatureMode,
  type SignatureReason,
  type SignatureReasonCode,
  type SignatureVerification,
  type SignerSummary,
} from './types.js';

/*
 * Verification of an OpenSSF model_signing signature (a Sigstore bundle around a DSSE-signed in-toto
 * statement), failing closed at the first problem, in this order:
 *   the signature file -> the signer (key, X.509 chain, or Sigstore certificate + log entry) -> the DSSE
 *   signature -> the statement (type, shape, root digest) -> the files (names first, then digests).
 * A file is hashed only after the signature over its expected digest has been verified. Caller mistakes
 * (missing files, unreadable keys, a broken trusted root) throw AntidoteError (exit 2); everything about the
 * artifact is a result with a reason code.
 */

/** Where trust comes from; exactly one. */
export type SignatureTrust =
  | { kind: 'public-key'; publicKeyPath: string }
  | { kind: 'certificate'; certificateChainPaths: string[] }
  | { kind: 'sigstore'; identity: string; issuer: string; trustedRootPath: string };

/** Options of `verifyModelSignature`. */
export interface VerifyModelSignatureOptions {
  /** The model: a directory, or a single file. */
  modelPath: string;
  /** The signature bundle (model_signing's `model.sig`). */
  signaturePath: string;
  trust: SignatureTrust;
  /** More paths to leave out (relative to the working directory, like model_signing's --ignore-paths). */
  ignorePaths?: string[];
  /** Leave out .git, .gitattributes, .github, .gitignore when the signature does not list its ignore paths (default true). */
  ignoreGitPaths?: boolean;
}

/** Loaded trust material: keys and files are read before the signature, so caller mistakes come first. */
type LoadedTrust =
  | { kind: 'public-key'; key: EcPublicKey }
  | { kind: 'certificate'; anchors: Certificate[] }
  | { kind: 'sigstore'; identity: string; issuer: string; trustedRoot: TrustedRoot };

/** Verify a model against its model_signing signature. */
export async function verifyModelSignature(options: VerifyModelSignatureOptions): Promise<SignatureVerification> {
  const mode: SignatureMode = options.trust.kind;
  const modelPath = options.modelPath;
  const signaturePath = options.signaturePath;
  requireExists(modelPath, 'model');
  requireExists(signaturePath, 'signature');
  const trust = loadTrust(options.trust);

  const result: SignatureVerification = { status: 'failed', mode, modelPath, signaturePath, checks: [], ignored: [], mismatches: [], notes: [] };
  const stop = (code: SignatureReasonCode, message: string, path?: string): SignatureVerification => {
    const reason: SignatureReason = { code, message };
    if (path !== undefined) reason.path = path;
    result.reason = reason;
    result.status = code === 'hash-unsupported' || code === 'payload-unsupported' || code === 'bundle-unsupported' ? 'unverifiable' : 'failed';
    return result;
  };

  // 1. The signature file.
  const size = statSync(signaturePath).size;
  if (size > MAX_BUNDLE_BYTES) return stop('bundle-malformed', `the signature file is ${size} bytes, over the ${MAX_BUNDLE_BYTES} byte limit (MAX_BUNDLE_BYTES)`);
  const parsed = parseBundle(readInput(signaturePath, 'signature'));
  if (!parsed.ok) {
    const code = parsed.error.kind === 'unsupported' ? 'bundle-unsupported' : 'bundle-malformed';
    return stop(code, `${signaturePath} is not a valid Sigstore bundle: ${parsed.error.message}`, parsed.error.field || undefined);
  }
  const bundle = parsed.value;
  result.bundleMediaType = bundle.mediaType;
  if (bundle.dsseEnvelope.signatures.length !== 1) {
    return stop('bundle-malformed', `the envelope holds ${bundle.dsseEnvelope.signatures.length} signatures; model_signing writes exactly one`, 'dsseEnvelope.signatures');
  }
  if (bundle.rfc3161Timestamps > 0) result.notes.push(`${bundle.rfc3161Timestamps} RFC 3161 timestamp(s) in the bundle were not checked`);
  result.checks.push('bundle');

  // 2-3. The signer and the DSSE signature.
  const signer = verifySigner(bundle, trust, result.checks);
  if (!signer.ok) return stop(signer.code, signer.message, signer.path);
  result.signer = signer.summary;

  // 4. The statement.
  const envelope = bundle.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return stop('payload-type', `the signed payload is '${envelope.payloadType}', not an in-toto statement (${IN_TOTO_PAYLOAD_TYPE})`, 'dsseEnvelope.payloadType');
  const statement = parseModelSigningStatement(envelope.payload);
  if (!statement.ok) {
    const code = statement.error.kind === 'unsupported' ? 'payload-unsupported' : 'payload-malformed';
    return stop(code, `the signed statement is not a model_signing v1 statement: ${statement.error.message}`, statement.error.field || undefined);
  }
  const signed = statement.value;
  result.model = {
    name: signed.modelName,
    rootDigest: signed.rootDigest,
    method: signed.serialization.method,
    hashType: signed.serialization.hashType,
    allowSymlinks: signed.serialization.allowSymlinks,
    ignorePaths: signed.serialization.ignorePaths ?? [],
    resources: signed.resources.length,
  };
  const computedRoot = rootDigestOf(signed.resources);
  if (computedRoot !== signed.rootDigest) {
    return stop('root-digest-mismatch', `the statement is inconsistent: its subject digest is ${signed.rootDigest} but its resources hash to ${computedRoot}`, 'subject[0].digest.sha256');
  }
  result.checks.push('statement');
  const hash = manifestHashFor(signed);
  if (!hash.ok) return stop('hash-unsupported', hash.message, 'predicate.serialization.hash_type');

  // 5. The files.
  return checkFiles(result, options, signed, hash.value, stop);
}

function requireExists(path: string, what: string): void {
  try {
    statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE';
    throw new AntidoteError(code, `${path}: cannot read the ${what} (${errorMessage(error)})`, { cause: error });
  }
}

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new AntidoteError('INPUT_UNREADABLE', `${path}: cannot read the ${what} (${errorMessage(error)})`, { cause: error });
  }
}

function loadTrust(trust: SignatureTrust): LoadedTrust {
  switch (trust.kind) {
    case 'public-key':
      return { kind: 'public-key', key: loadPublicKey(trust.publicKeyPath) };
    case 'certificate': {
      if (trust.certificateChainPaths.length === 0) throw new AntidoteError('USAGE', 'certificate verification needs at least one trusted certificate (--certificate-chain FILE)');
      const anchors: Certificate[] = [];
      for (const path of trust.certificateChainPaths) {
        const ders = pemCertificates(readKeyFile(path, 'certificate chain').toString('utf8'));
        if (ders.length === 0) throw new AntidoteError('KEY_INVALID', `${path}: no PEM certificate (-----BEGIN CERTIFICATE-----) found`);
        for (const der of ders) {
          const loaded = loadCertificate(der);
          if (!loaded.ok) throw new AntidoteError('KEY_INVALID', `${path}: ${loaded.message}`);
          anchors.push(loaded.value);
        }
      }
      return { kind: 'certificate', anchors };
    }
    case 'sigstore':
      if (!trust.identity || !trust.issuer) throw new AntidoteError('USAGE', 'Sigstore verification needs the expected identity and OIDC issuer');
      return { kind: 'sigstore', identity: trust.identity, issuer: trust.issuer, trustedRoot: loadTrustedRoot(trust.trustedRootPath) };
  }
}

type SignerOutcome = { ok: true; summary: SignerSummary } | { ok: false; code: SignatureReasonCode; message: string; path?: string };

function verifySigner(bundle: SigstoreBundle, trust: LoadedTrust, checks: string[]): SignerOutcome {
  const envelope = bundle.dsseEnvelope;
  const signature = envelope.signatures[0]!;
  const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
  const material = bundle.verificationMaterial;
  const badSignature = (who: string): SignerOutcome => ({
    ok: false,
    code: 'signature-invalid',
    message: `the DSSE signature does not verify with ${who}: the statement or the signature was changed, or another key signed`,
    path: 'dsseEnvelope.signatures[0].sig',
  });

  if (trust.kind === 'public-key') {
    const hint = publicKeyHint(trust.key.key);
    // An empty hint is no hint (protobuf's default string), as model_signing treats it.
    if (material.kind === 'publicKey' && material.hint && material.hint !== hint) {
      return { ok: false, code: 'key-mismatch', message: `the bundle was made with the key whose hint is ${material.hint}, not with the given key (hint ${hint})`, path: 'verificationMaterial.publicKey.hint' };
    }
    if (material.kind === 'publicKey' && material.rawBytes) {
      const embedded = embeddedKey(material.rawBytes);
      if (!embedded || !samePublicKey(embedded, trust.key.key)) {
        return { ok: false, code: 'key-mismatch', message: 'the public key embedded in the bundle is not the given key', path: 'verificationMaterial.publicKey.rawBytes' };
      }
    }
    checks.push('key');
    if (!verifyWithKey(trust.key, pae, signature.sig)) return badSignature(`the given ${trust.key.curve} key`);
    checks.push('dsse-signature');
    return { ok: true, summary: { keyHint: hint, publicKeySha256: publicKeySha256(trust.key.key), curve: trust.key.curve } };
  }

  if (material.kind === 'publicKey') {
    return { ok: false, code: 'material-mismatch', message: 'the bundle was signed with a bare key, not a certificate: verify it with --public-key', path: 'verificationMaterial.publicKey' };
  }
  const ders = material.kind === 'certificate' ? [material.certificate] : material.certificates;
  const [leafDer, ...intermediateDers] = ders as [Buffer, ...Buffer[]];

  if (trust.kind === 'certificate') {
    const certificates: Certificate[] = [];
    for (const [i, der] of ders.entries()) {
      const loaded = loadCertificate(der);
      if (!loaded.ok) return { ok: false, code: 'certificate-malformed', message: `certificate ${i} of the bundle cannot be read: ${loaded.message}`, path: `verificationMaterial.x509CertificateChain.certificates[${i}]` };
      certificates.push(loaded.value);
    }
    const [leaf, ...intermediates] = certificates as [Certificate, ...Certificate[]];
    // No trusted time exists in this mode, so the chain is checked as of the leaf's notBefore, as model_signing does.
    const chain = verifyChain(leaf, intermediates, trust.anchors, leaf.parsed.notBefore);
    if (!chain.ok) return { ok: false, ...chain.failure };
    checks.push('certificate-chain');
    const usage = leafUsageProblem(leaf);
    if (usage) return { ok: false, ...usage };
    const key = leafKey(leaf);
    if (!key) return { ok: false, code: 'certificate-usage', message: `${describeCertificate(leaf)} holds a key model_signing does not sign with (EC P-256/P-384/P-521 only)` };
    if (!verifyWithKey(key, pae, signature.sig)) return badSignature(`the key of ${describeCertificate(leaf)}`);
    checks.push('dsse-signature');
    return { ok: true, summary: { certificateSubject: describeCertificate(leaf), certificateFingerprint: leaf.x509.fingerprint256, curve: key.curve, keyHint: publicKeyHint(key.key), publicKeySha256: publicKeySha256(key.key) } };
  }

  const check = checkSigstoreSigner(leafDer, intermediateDers, bundle.tlogEntries, trust);
  checks.push(...check.checks);
  if (!check.ok) return { ok: false, ...check.failure };
  const key = leafKey(check.leaf);
  if (!key) return { ok: false, code: 'certificate-usage', message: `${describeCertificate(check.leaf)} holds a key model_signing does not sign with (EC P-256/P-384/P-521 only)` };
  if (!verifyWithKey(key, pae, signature.sig)) return badSignature(`the key of the certificate issued to ${check.signer.identity ?? 'the signer'}`);
  checks.push('dsse-signature');
  const binding = checkEntryMatchesEnvelope(check.entry, envelope, leafDer);
  if (binding) return { ok: false, ...binding };
  checks.push('tlog-body');
  return { ok: true, summary: { ...check.signer, curve: key.curve, publicKeySha256: publicKeySha256(key.key) } };
}

function embeddedKey(rawBytes: Buffer): KeyObject | undefined {
  try {
    // model_signing 1.0 wrote the PEM text here; other writers put DER.
    return rawBytes.includes('-----BEGIN') ? createPublicKey(rawBytes) : createPublicKey({ key: rawBytes, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

function leafKey(leaf: Certificate): EcPublicKey | undefined {
  const key = leaf.x509.publicKey;
  const info = ecKeyInfo(key);
  return info ? { key, ...info } : undefined;
}

async function checkFiles(
  result: SignatureVerification,
  options: VerifyModelSignatureOptions,
  signed: ModelSigningStatement,
  hash: ManifestHash,
  stop: (code: SignatureReasonCode, message: string, path?: string) => SignatureVerification,
): Promise<SignatureVerification> {
  const outcome = await checkModelAgainstStatement(options, signed, hash);
  result.ignored = outcome.ignored;
  result.mismatches = outcome.mismatches;
  if (outcome.failure) return stop(outcome.failure.code, outcome.failure.message, outcome.failure.path);
  result.checks.push('files');
  result.status = 'verified';
  return result;
}
