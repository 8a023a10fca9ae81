import { isAbsolute, relative, resolve, sep } from 'node:path';
import { formatPosition, type AllowedIdentity, type AllowedKey, type Policy, type PolicyCheck, type PolicyViolation, type SignaturesPolicy } from './types.js';

/*
 * Signatures against the policy. The signing module verifies the cryptography; this module decides whether
 * a verified signature is enough: made by a signer the policy names, and covering every model the policy
 * says must be signed. Fails closed: a signature that is not `verified` never satisfies anything.
 */

/** What the policy needs to know of one checked signature (the signing module's result maps onto this). */
export interface SignatureFacts {
  /** The signature file. */
  signature: string;
  /** The model file or folder the signature covers. */
  model: string;
  /** `verified` when the signature checked out; any other status fails the policy. */
  status: string;
  /** Who signed, as the verifier established it (certificate identity and issuer, or the key's SPKI sha256). */
  signer?: { identity?: string; issuer?: string; publicKeySha256?: string };
}

/** The verified status, the only one that satisfies a policy. */
export const SIGNATURE_VERIFIED = 'verified';

function sameIssuer(a: string, b: string): boolean {
  // `https://accounts.google.com` and `https://accounts.google.com/` are the same issuer to OIDC.
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** The policy entry that names this signer, or undefined. Identities compare exactly: they are security principals. */
export function allowedSigner(signer: SignatureFacts['signer'], policy: SignaturesPolicy): AllowedIdentity | AllowedKey | undefined {
  if (!signer) return undefined;
  const key = signer.publicKeySha256?.toLowerCase();
  if (key !== undefined) {
    const hit = policy.keys.find((k) => k.sha256 === key);
    if (hit) return hit;
  }
  if (signer.identity !== undefined && signer.issuer !== undefined) {
    return policy.identities.find((id) => id.identity === signer.identity && sameIssuer(id.issuer, signer.issuer!));
  }
  return undefined;
}

function describeSigner(signer: SignatureFacts['signer']): string {
  if (!signer) return 'an unknown signer';
  if (signer.identity !== undefined) return `${signer.identity} (issuer ${signer.issuer ?? 'unknown'})`;
  if (signer.publicKeySha256 !== undefined) return `the key with SPKI sha256 ${signer.publicKeySha256}`;
  return 'an unknown signer';
}

/** True when `inner` is `outer` or lies inside the folder `outer`. */
function covers(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (rel.split(sep)[0] !== '..' && !isAbsolute(rel));
}

/** How much of the policy one check covers. */
export interface SignatureCheckOptions {
  /**
   * `all` (default): every path in `signatures.require` must be covered by one of the signatures given (a
   * project-wide check). `given`: only the signatures given are judged (one `verify-signature` run checking one
   * model says nothing about the others).
   */
  required?: 'all' | 'given';
}

/**
 * Check verified signatures against the policy's signers and required models. Model paths are resolved
 * against the current directory; the policy's own paths against the policy file's directory.
 */
export function checkSignatureAgainstPolicy(signatures: readonly SignatureFacts[], policy: Policy, options: SignatureCheckOptions = {}): PolicyCheck {
  const rules = policy.signatures;
  if (!rules) return { ok: true, violations: [] };
  const violations: PolicyViolation[] = [];
  const accepted: string[] = [];
  const where = formatPosition(rules.at);
  for (const sig of signatures) {
    if (sig.status !== SIGNATURE_VERIFIED) {
      violations.push({ rule: 'signatures', subject: sig.signature, message: `${sig.signature}: signature of ${sig.model} is ${sig.status}, not verified; the policy (${where}) accepts only verified signatures`, policyAt: rules.at });
      continue;
    }
    if (!allowedSigner(sig.signer, rules)) {
      violations.push({
        rule: 'signatures',
        subject: sig.signature,
        message: `${sig.signature}: ${sig.model} is signed by ${describeSigner(sig.signer)}, who is not among the signers the policy (${where}) accepts`,
        policyAt: rules.at,
      });
      continue;
    }
    accepted.push(resolve(sig.model));
  }
  for (const required of options.required === 'given' ? [] : rules.require) {
    if (accepted.some((model) => covers(model, required.path))) continue;
    violations.push({
      rule: 'signatures',
      subject: required.written,
      message: `${required.written} must carry a verified signature from an accepted signer (policy ${formatPosition(required.at)}), and none was checked for it; pass its signature with --signature`,
      policyAt: required.at,
    });
  }
  return { ok: violations.length === 0, violations };
}
