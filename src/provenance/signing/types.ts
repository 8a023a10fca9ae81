/*
 * The contract of model signature verification: a typed result with a closed set of reason codes, so that
 * callers (the CLI, `antidote bom`, tests) branch on codes and never on message text.
 */

/**
 * `verified`: the signature is authentic under the given trust and every signed file matches.
 * `failed`: the signature does not prove this model (bad signature, untrusted signer, changed, missing or extra
 * files, a signature file that is not a valid bundle).
 * `unverifiable`: antidote could not reach a verdict (a hash or format it does not implement); not a pass.
 */
export type SignatureVerificationStatus = 'verified' | 'failed' | 'unverifiable';

/** Why verification did not succeed; one code per distinct check. */
export type SignatureReasonCode =
  // The signature file
  | 'bundle-malformed'
  | 'bundle-unsupported'
  // Key and DSSE signature
  | 'key-mismatch'
  | 'signature-invalid'
  | 'material-mismatch'
  // X.509 chains (certificate and Sigstore modes)
  | 'certificate-malformed'
  | 'chain-untrusted'
  | 'certificate-not-ca'
  | 'certificate-expired'
  | 'certificate-usage'
  | 'certificate-critical-extension'
  // Sigstore identity and transparency log
  | 'identity-mismatch'
  | 'issuer-mismatch'
  | 'tlog-missing'
  | 'tlog-unknown-log'
  | 'tlog-set-invalid'
  | 'tlog-inclusion-proof-invalid'
  | 'tlog-checkpoint-invalid'
  | 'tlog-body-mismatch'
  // The in-toto statement
  | 'payload-type'
  | 'payload-malformed'
  | 'payload-unsupported'
  | 'root-digest-mismatch'
  | 'hash-unsupported'
  // The files
  | 'file-missing'
  | 'file-extra'
  | 'digest-mismatch'
  | 'symlink-not-allowed'
  | 'special-file'
  // No trust material was given (CLI only: the signature was inspected, not verified)
  | 'trust-missing';

/** The reason a verification stopped. */
export interface SignatureReason {
  code: SignatureReasonCode;
  /** One sentence for a person: what failed and, where it helps, what to do. */
  message: string;
  /** The model file, or the bundle/statement field (`dsseEnvelope.signatures[0].sig`) the reason is about. */
  path?: string;
}

/** One difference between the signed manifest and the files on disk. */
export interface FileMismatch {
  /** Resource name: a model-relative POSIX path, or `path:start:end` for a shard. */
  name: string;
  problem: 'missing' | 'extra' | 'digest';
  /** Signed digest (hex), for `missing` and `digest`. */
  expected?: string;
  /** Digest found on disk (hex), for `extra` and `digest`. */
  actual?: string;
}

/** How trust was established. */
export type SignatureMode = 'public-key' | 'certificate' | 'sigstore';

/** What the signature says about the model (read from the verified statement). */
export interface SignedModelSummary {
  name: string;
  /** subject digest: sha256 over every resource digest in order. */
  rootDigest: string;
  method: 'files' | 'shards';
  hashType: string;
  allowSymlinks: boolean;
  /** Paths the signer left out (model_signing 1.1+). */
  ignorePaths: string[];
  resources: number;
}

/** Who signed, as far as the mode can tell. */
export interface SignerSummary {
  /** sha256 of the PEM public key (model_signing's key hint). */
  keyHint?: string;
  /** sha256 of the signing key's DER SubjectPublicKeyInfo (how policies name keys), in every mode. */
  publicKeySha256?: string;
  /** Curve of the signing key: P-256, P-384, P-521. */
  curve?: string;
  /** Subject of the signing certificate (certificate and Sigstore modes). */
  certificateSubject?: string;
  /** SHA-256 fingerprint of the signing certificate. */
  certificateFingerprint?: string;
  /** Sigstore: the matched subjectAltName. */
  identity?: string;
  /** Sigstore: the OIDC issuer from the certificate. */
  issuer?: string;
  /** Sigstore: the transparency log and index of the entry. */
  tlog?: { baseUrl: string; logIndex: string };
  /** Time the signature is proven to have existed: the log's integrated time (Sigstore), ISO 8601. */
  signedAt?: string;
}

/** The full outcome of `verifyModelSignature`. */
export interface SignatureVerification {
  status: SignatureVerificationStatus;
  /** Present unless `verified`. */
  reason?: SignatureReason;
  mode: SignatureMode;
  modelPath: string;
  signaturePath: string;
  /** Bundle media type, when the file parsed. */
  bundleMediaType?: string;
  /** Checks that passed, in the order they ran (fail-closed: the first failure stops the run). */
  checks: string[];
  model?: SignedModelSummary;
  signer?: SignerSummary;
  /** Files left out by ignore paths (relative to the model), so that what was not checked is visible. */
  ignored: string[];
  /** Every manifest difference found (capped at `MAX_REPORTED_MISMATCHES`). */
  mismatches: FileMismatch[];
  /** Notes that do not change the verdict (e.g. RFC 3161 timestamps present but not checked). */
  notes: string[];
}

/** Differences listed in one result; the verdict does not depend on the cap. */
export const MAX_REPORTED_MISMATCHES = 200;
