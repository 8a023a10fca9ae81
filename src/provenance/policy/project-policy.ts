import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Severity } from '../../core/severity.js';
import { loadPolicy } from './load-policy.js';
import type { AuditPolicy, Policy } from './types.js';

/*
 * How commands find and apply the project policy: `--policy-file FILE`, else `antidote.yaml` in the current
 * directory, else none. Command-line flags always win over the policy's thresholds, so a one-off run can be
 * stricter or looser without editing the file the team shares.
 */

/** The file name commands look for in the current directory. */
export const POLICY_FILE_NAME = 'antidote.yaml';

/** The policy file to use: the one given, else `antidote.yaml` in `cwd` when it exists, else undefined. */
export function findPolicyFile(explicit: string | undefined, cwd: string = process.cwd()): string | undefined {
  if (explicit !== undefined) return explicit;
  const candidate = join(cwd, POLICY_FILE_NAME);
  return existsSync(candidate) ? candidate : undefined;
}

/** Load the project policy (see {@link findPolicyFile}); undefined when there is none. Throws POLICY_INVALID. */
export function loadProjectPolicy(explicit: string | undefined, cwd: string = process.cwd()): Policy | undefined {
  const file = findPolicyFile(explicit, cwd);
  return file === undefined ? undefined : loadPolicy(file);
}

/** The policy's `scan.fail-on`, or undefined when it sets none. */
export function scanFailOn(policy: Policy | undefined): Severity | undefined {
  return policy?.scan.failOn;
}

/** The policy's `scan.strict`, or undefined when it sets none. */
export function scanStrict(policy: Policy | undefined): boolean | undefined {
  return policy?.scan.strict;
}

/** The policy's audit thresholds (`fail-on`, `max-flagged-ratio`); empty when it sets none. */
export function auditThresholds(policy: Policy | undefined): AuditPolicy {
  return { ...policy?.audit };
}
