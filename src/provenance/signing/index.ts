/**
 * Signing and verifying models and datasets in the OpenSSF model-signing format (sigstore/model-transparency,
 * model_signing 1.x): a Sigstore bundle around a DSSE-signed in-toto statement of every file's digest.
 */
export { signModel, SIGNING_BUNDLE_MEDIA_TYPE } from './sign.js';
export type { SignModelOptions, SignModelResult } from './sign.js';
export { verifyModelSignature } from './verify.js';
export type { VerifyModelSignatureOptions, SignatureTrust } from './verify.js';
export { inspectModelSignature } from './inspect.js';
export type { SignatureInspection } from './inspect.js';
export { GIT_IGNORE_PATHS } from './ignore-paths.js';
export { MAX_REPORTED_MISMATCHES } from './types.js';
export type {
  SignatureVerification,
  SignatureVerificationStatus,
  SignatureReason,
  SignatureReasonCode,
  SignatureMode,
  SignedModelSummary,
  SignerSummary,
  FileMismatch,
} from './types.js';
