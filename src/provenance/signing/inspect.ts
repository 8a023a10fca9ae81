import { readFileSync, statSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import { MAX_BUNDLE_BYTES, parseBundle, parseModelSigningStatement, IN_TOTO_PAYLOAD_TYPE } from '../../readers/sigstore/index.js';
import { describeCertificate, loadCertificate } from './certificate-chain.js';
import { checkModelAgainstStatement, manifestHashFor, type ModelCheckOptions } from './manifest-check.js';
import { rootDigestOf } from './statement.js';
import type { FileMismatch, SignatureReason, SignedModelSummary } from './types.js';

/*
 * What can be learned from a signature without any trust: its structure, what it claims about the signer,
 * and whether the files match the statement it carries. None of this is authenticated (anyone can write
 * such a file), so an inspection never counts as a verification: it exists to tell the user which trust
 * material a verification needs, and to show what the signature covers while they fetch it.
 */

/** Unauthenticated facts about a signature and how the model compares with its (unverified) statement. */
export interface SignatureInspection {
  modelPath: string;
  signaturePath: string;
  bundleMediaType?: string;
  /** What the bundle uses to identify the signer. */
  material?: 'public-key' | 'certificate-chain' | 'sigstore-certificate';
  /** The first structural problem (bundle, statement, root digest), if any. */
  problem?: SignatureReason;
  /** Signer as the bundle claims it: not verified. */
  claimed: {
    keyHint?: string;
    certificateSubject?: string;
    identities?: string[];
    issuer?: string;
    tlog?: { logId: string; logIndex: string; integratedTime: string };
  };
  model?: SignedModelSummary;
  /** Files compared with the unverified statement; absent when the statement could not be read. */
  files?: { matches: boolean; mismatches: FileMismatch[]; ignored: string[]; failure?: SignatureReason };
  /** The verification options this bundle needs, in CLI form. */
  verifyWith: string;
}

/** Inspect a signature without trust material. Never a verdict: see `verifyModelSignature`. */
export async function inspectModelSignature(options: ModelCheckOptions): Promise<SignatureInspection> {
  for (const [path, what] of [[options.modelPath, 'model'], [options.signaturePath, 'signature']] as const) {
    try {
      statSync(path);
    } catch (error) {
      throw new AntidoteError('INPUT_NOT_FOUND', `${path}: cannot read the ${what} (${errorMessage(error)})`, { cause: error });
    }
  }
  const inspection: SignatureInspection = { modelPath: options.modelPath, signaturePath: options.signaturePath, claimed: {}, verifyWith: '--public-key KEY.pem | --certificate-chain CA.pem | --sigstore-identity ID --sigstore-issuer URL --trusted-root FILE' };
  if (statSync(options.signaturePath).size > MAX_BUNDLE_BYTES) {
    inspection.problem = { code: 'bundle-malformed', message: `the signature file is over ${MAX_BUNDLE_BYTES} bytes (MAX_BUNDLE_BYTES)` };
    return inspection;
  }
  const parsed = parseBundle(readFileSync(options.signaturePath));
  if (!parsed.ok) {
    inspection.problem = { code: parsed.error.kind === 'unsupported' ? 'bundle-unsupported' : 'bundle-malformed', message: parsed.error.message, path: parsed.error.field };
    return inspection;
  }
  const bundle = parsed.value;
  inspection.bundleMediaType = bundle.mediaType;
  const material = bundle.verificationMaterial;
  if (material.kind === 'publicKey') {
    inspection.material = 'public-key';
    if (material.hint) inspection.claimed.keyHint = material.hint;
    inspection.verifyWith = '--public-key KEY.pem (the signer\'s public key)';
  } else {
    const der = material.kind === 'certificate' ? material.certificate : material.certificates[0]!;
    const leaf = loadCertificate(der);
    const sigstore = bundle.tlogEntries.length > 0 || (leaf.ok && (leaf.value.parsed.fulcioIssuerV1 !== undefined || leaf.value.parsed.fulcioIssuerV2 !== undefined));
    inspection.material = sigstore ? 'sigstore-certificate' : 'certificate-chain';
    if (leaf.ok) {
      inspection.claimed.certificateSubject = describeCertificate(leaf.value);
      const identities = leaf.value.parsed.subjectAltNames.map((n) => n.value).filter(Boolean);
      if (identities.length) inspection.claimed.identities = identities;
      const issuer = leaf.value.parsed.fulcioIssuerV2 ?? leaf.value.parsed.fulcioIssuerV1;
      if (issuer) inspection.claimed.issuer = issuer;
    }
    const entry = bundle.tlogEntries[0];
    if (entry) {
      inspection.claimed.tlog = { logId: entry.logId.toString('base64'), logIndex: entry.logIndex.toString(), integratedTime: new Date(Number(entry.integratedTime) * 1000).toISOString() };
    }
    inspection.verifyWith = sigstore
      ? `--sigstore-identity ${inspection.claimed.identities?.[0] ?? 'ID'} --sigstore-issuer ${inspection.claimed.issuer ?? 'URL'} --trusted-root FILE (the trusted_root.json of the Sigstore instance that issued the certificate)`
      : '--certificate-chain CA.pem (the root or intermediate certificate you trust)';
  }

  if (bundle.dsseEnvelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    inspection.problem = { code: 'payload-type', message: `the payload is '${bundle.dsseEnvelope.payloadType}', not an in-toto statement`, path: 'dsseEnvelope.payloadType' };
    return inspection;
  }
  const statement = parseModelSigningStatement(bundle.dsseEnvelope.payload);
  if (!statement.ok) {
    inspection.problem = { code: statement.error.kind === 'unsupported' ? 'payload-unsupported' : 'payload-malformed', message: statement.error.message, path: statement.error.field };
    return inspection;
  }
  const signed = statement.value;
  inspection.model = {
    name: signed.modelName,
    rootDigest: signed.rootDigest,
    method: signed.serialization.method,
    hashType: signed.serialization.hashType,
    allowSymlinks: signed.serialization.allowSymlinks,
    ignorePaths: signed.serialization.ignorePaths ?? [],
    resources: signed.resources.length,
  };
  if (rootDigestOf(signed.resources) !== signed.rootDigest) {
    inspection.problem = { code: 'root-digest-mismatch', message: 'the subject digest does not match the resources', path: 'subject[0].digest.sha256' };
    return inspection;
  }
  const hash = manifestHashFor(signed);
  if (!hash.ok) {
    inspection.problem = { code: 'hash-unsupported', message: hash.message, path: 'predicate.serialization.hash_type' };
    return inspection;
  }
  const check = await checkModelAgainstStatement(options, signed, hash.value);
  inspection.files = { matches: check.failure === undefined, mismatches: check.mismatches, ignored: check.ignored };
  if (check.failure) inspection.files.failure = check.failure;
  return inspection;
}
