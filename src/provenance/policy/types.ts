import type { Severity } from '../../core/severity.js';

/*
 * The typed form of a project's antidote.yaml (schemas/antidote-policy.schema.json, docs/policy.md). Every
 * rule keeps where it was written, so a violation can name the policy line that demanded it.
 */

/** A place in the policy file: `antidote.yaml:12:5`. */
export interface PolicyPosition {
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
}

/** An allowed Hugging Face Hub organisation (or user). */
export interface AllowedHubOrg {
  org: string;
  at: PolicyPosition;
}

/** An allowed URL prefix. */
export interface AllowedUrlPrefix {
  prefix: string;
  at: PolicyPosition;
}

/** Where locked artifacts may come from. */
export interface SourcesPolicy {
  huggingface: AllowedHubOrg[];
  urls: AllowedUrlPrefix[];
  at: PolicyPosition;
}

/** A Sigstore signer: certificate identity and the OIDC issuer that vouched for it. */
export interface AllowedIdentity {
  identity: string;
  issuer: string;
  at: PolicyPosition;
}

/** A signing key, always known by the sha256 of its DER SubjectPublicKeyInfo. */
export interface AllowedKey {
  /** Lower-case hex. */
  sha256: string;
  /** Absolute path of the PEM file when the policy named one (the verifier can use it as the key). */
  path?: string;
  at: PolicyPosition;
}

/** A path (file or folder) a rule applies to, resolved against the policy file's directory. */
export interface PolicyPath {
  /** As written in the policy. */
  written: string;
  /** Absolute. */
  path: string;
  at: PolicyPosition;
}

/** Which models must be signed, and by whom. */
export interface SignaturesPolicy {
  require: PolicyPath[];
  identities: AllowedIdentity[];
  keys: AllowedKey[];
  at: PolicyPosition;
}

/** Which files must be in the lockfile. */
export interface LockCoveragePolicy {
  require: PolicyPath[];
  /** Globs relative to the policy file's directory, `/`-separated. */
  exclude: string[];
  at: PolicyPosition;
}

/** Thresholds of `antidote scan`; command-line flags win over them. */
export interface ScanPolicy {
  failOn?: Severity;
  strict?: boolean;
}

/** Thresholds of `antidote audit`; command-line flags win over them. */
export interface AuditPolicy {
  failOn?: Severity;
  /** Largest share (0..1) of flagged rows a dataset may have. */
  maxFlaggedRatio?: number;
}

/** A loaded, validated antidote.yaml. Absent sections impose nothing. */
export interface Policy {
  /** Absolute path of the policy file. */
  file: string;
  version: 1;
  sources?: SourcesPolicy;
  signatures?: SignaturesPolicy;
  lock?: LockCoveragePolicy;
  scan: ScanPolicy;
  audit: AuditPolicy;
}

/** One way the checked artifacts break the policy. */
export interface PolicyViolation {
  /** The policy section that is broken. */
  rule: 'sources' | 'lock-coverage' | 'signatures';
  /** The file, lock entry or signature the violation is about. */
  subject: string;
  /** What is wrong and what to do. */
  message: string;
  /** The policy line that demands what is missing. */
  policyAt: PolicyPosition;
}

/** The outcome of checking artifacts against a policy: `ok` exactly when there is no violation. */
export interface PolicyCheck {
  ok: boolean;
  violations: PolicyViolation[];
}

/** `file:line:col`, the form editors and CI annotations jump to. */
export function formatPosition(at: PolicyPosition): string {
  return `${at.file}:${at.line}:${at.col}`;
}
