import type { SignatureVerification } from '../signing/index.js';
import type { BomSignature } from './types.js';

/** A signature verification as the BOM records it: status, who signed (in words) and why it failed. */
export function bomSignatureFrom(verification: SignatureVerification): BomSignature {
  const signature: BomSignature = { signature: verification.signaturePath, model: verification.modelPath, status: verification.status };
  const signer = verification.signer;
  if (signer?.identity !== undefined) signature.signer = `${signer.identity} (issuer ${signer.issuer ?? 'unknown'})`;
  else if (signer?.certificateSubject !== undefined) signature.signer = `certificate ${signer.certificateSubject}`;
  else if (signer?.publicKeySha256 !== undefined) signature.signer = `public key with SPKI sha256 ${signer.publicKeySha256}`;
  else if (signer?.keyHint !== undefined) signature.signer = `public key with hint ${signer.keyHint}`;
  if (verification.reason) signature.reason = `${verification.reason.code}: ${verification.reason.message}`;
  return signature;
}
