export * from './types.js';
export { loadPolicy, parsePolicy, MAX_POLICY_BYTES, MAX_KEY_FILE_BYTES, MAX_POLICY_ALIASES, POLICY_SCHEMA_PATH } from './load-policy.js';
export { checkLockAgainstPolicy, MAX_COVERAGE_FILES, type LockFacts } from './check-lock.js';
export { checkSignatureAgainstPolicy, allowedSigner, SIGNATURE_VERIFIED, type SignatureFacts, type SignatureCheckOptions } from './check-signature.js';
export { hubOrganisation, urlHasPrefix, allowedBy } from './source-match.js';
export { POLICY_FILE_NAME, findPolicyFile, loadProjectPolicy, scanFailOn, scanStrict, auditThresholds } from './project-policy.js';
export { lockFactsOf, signatureFactsOf } from './policy-inputs.js';
