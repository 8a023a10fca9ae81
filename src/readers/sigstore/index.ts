/**
 * Pure readers for Sigstore material: bundles, trusted roots, checkpoints, DSSE encoding, the model_signing
 * in-toto statement and the X.509 fields a verifier needs. They parse and check shape; they decide nothing
 * about trust (that is provenance/signing).
 */
export { parseBundle, BUNDLE_MEDIA_TYPES, MAX_BUNDLE_BYTES } from './bundle.js';
export type { SigstoreBundle, VerificationMaterial, TlogEntry, InclusionProof, DsseEnvelope, DsseSignature } from './bundle.js';
export { parseTrustedRoot } from './trusted-root.js';
export type { TrustedRoot, TrustedLog, TrustedCertificateAuthority, ValidityPeriod } from './trusted-root.js';
export { parseCheckpoint } from './checkpoint.js';
export type { Checkpoint, NoteSignature } from './checkpoint.js';
export { preAuthEncoding, IN_TOTO_PAYLOAD_TYPE } from './dsse.js';
export {
  parseModelSigningStatement,
  IN_TOTO_STATEMENT_V1,
  MODEL_SIGNING_PREDICATE_V1,
  MAX_RESOURCES,
} from './model-signing-statement.js';
export type { ModelSigningStatement, SerializationParameters, SignedResource } from './model-signing-statement.js';
export { parseCertificate, OID } from './x509.js';
export type { ParsedCertificate, GeneralName, KeyUsage, CertificateExtension } from './x509.js';
export type { FieldReadError, FieldReadResult } from './json-fields.js';
