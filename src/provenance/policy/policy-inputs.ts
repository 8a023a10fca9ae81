import type { Lockfile } from '../lock/index.js';
import type { SignatureVerification } from '../signing/index.js';
import type { LockFacts } from './check-lock.js';
import type { SignatureFacts } from './check-signature.js';

/*
 * The lock and signing modules' results in the shapes the policy checks take, so a command hands over what
 * it already has: `checkLockAgainstPolicy(lockFactsOf(lockfile, path), policy)`.
 */

/** A lockfile as the policy sees it: every locked file, and the source `antidote lock --source` recorded. */
export function lockFactsOf(lockfile: Lockfile, lockfilePath: string): LockFacts {
  const facts: LockFacts = { file: lockfilePath, entries: lockfile.files.map((f) => ({ path: f.path })) };
  if (lockfile.source) facts.source = lockfile.source.url;
  if (lockfile.rowDigests) facts.exempt = [lockfile.rowDigests.path];
  return facts;
}

/** A signature verification as the policy sees it: status, the model it covers and who signed. */
export function signatureFactsOf(verification: SignatureVerification): SignatureFacts {
  const facts: SignatureFacts = { signature: verification.signaturePath, model: verification.modelPath, status: verification.status };
  const signer = verification.signer;
  if (signer) {
    facts.signer = {};
    if (signer.identity !== undefined) facts.signer.identity = signer.identity;
    if (signer.issuer !== undefined) facts.signer.issuer = signer.issuer;
    if (signer.publicKeySha256 !== undefined) facts.signer.publicKeySha256 = signer.publicKeySha256;
  }
  return facts;
}
