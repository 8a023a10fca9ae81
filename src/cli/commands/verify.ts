import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AntidoteError } from '../../core/errors.js';
import { DEFAULT_LOCKFILE, DEFAULT_MAX_LISTED_ROWS, readLockfile, renderVerifyText, verifyLock } from '../../provenance/lock/index.js';
import { checkLockAgainstPolicy, checkSignatureAgainstPolicy, loadProjectPolicy, lockFactsOf, signatureFactsOf } from '../../provenance/policy/index.js';
import type { Policy, PolicyCheck, SignatureFacts } from '../../provenance/policy/index.js';
import { verifyModelSignature } from '../../provenance/signing/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { writeOutput } from '../output.js';
import { parseDatasetLimits } from './lock.js';
import { printHelp } from './scan.js';

const OPTIONS = {
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'max-rows': { type: 'string' },
  limit: { type: 'string', multiple: true },
  'policy-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `antidote verify`: check files and dataset rows against a lockfile. */
export const verifyCommand: CliCommand = {
  name: 'verify',
  synopsis: 'verify [LOCKFILE] [options]',
  summary: 'check files and dataset rows against a lockfile',
  help: `Usage: antidote verify [LOCKFILE] [options]

Checks the files a lockfile records (default: ./${DEFAULT_LOCKFILE}) and reports files added, removed or
modified; for a modified dataset, which rows were added, removed, modified or moved (0-based row indices,
with an excerpt of each new row). Unchanged files are hashed only, never parsed.

Options:
  -f, --format text|json   report format (default: text); json is the versioned shape in docs/lockfile.md
  -o, --output FILE        write the report to FILE instead of stdout
      --max-rows N         row changes listed per dataset (default: ${DEFAULT_MAX_LISTED_ROWS}; counts are always complete)
      --limit NAME=VALUE   override a dataset reader limit (repeatable)
      --policy-file FILE   project policy (default: ./antidote.yaml when present): allowed sources and
                           required lock coverage are checked too, and every model under
                           signatures.require is verified with the policy's key files (docs/policy.md)

Exit codes: 0 everything matches the lock, 1 something differs, 2 usage or tool error (e.g. a malformed lockfile).`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('verify', () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) return printHelp(this.help);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new AntidoteError('USAGE', `--format must be text or json (got '${format}')`);
    if (positionals.length > 1) throw new AntidoteError('USAGE', 'verify takes one LOCKFILE. Example: antidote verify antidote.lock.json');
    let maxListedRows = DEFAULT_MAX_LISTED_ROWS;
    if (values['max-rows'] !== undefined) {
      if (!/^\d+$/.test(values['max-rows'])) throw new AntidoteError('USAGE', `--max-rows expects a non-negative integer (got '${values['max-rows']}')`);
      maxListedRows = Number(values['max-rows']);
    }
    // The policy is read first: a broken antidote.yaml is a usage error (exit 2) before any hashing.
    const policy = loadProjectPolicy(values['policy-file']);
    const lockPath = positionals[0] ?? DEFAULT_LOCKFILE;
    const result = await verifyLock({ lockfile: lockPath, maxListedRows, datasetLimits: parseDatasetLimits(values.limit ?? []) });
    const check = policy ? mergeChecks(checkLockAgainstPolicy(lockFactsOf(readLockfile(lockPath), lockPath), policy), await checkRequiredSignatures(policy)) : undefined;
    if (format === 'json') {
      writeOutput(JSON.stringify(check ? { ...result, policy: { file: policy!.file, ...check } } : result, null, 2), values.output);
    } else {
      const lines = check ? [`policy ${policy!.file}: ${check.ok ? 'met' : `${check.violations.length} violation(s)`}`, ...check.violations.map((v) => `  ${v.rule}  ${v.subject}: ${v.message}`)] : [];
      writeOutput([renderVerifyText(result).trimEnd(), ...lines].join('\n'), values.output);
    }
    return result.status === 'passed' && (check?.ok ?? true) ? 0 : 1;
  },
};

function mergeChecks(a: PolicyCheck, b: PolicyCheck): PolicyCheck {
  return { ok: a.ok && b.ok, violations: [...a.violations, ...b.violations] };
}

/**
 * Every model the policy requires to be signed is verified against its model_signing signature (`model.sig`
 * inside a folder, `FILE.sig` beside a file) with each public key file the policy names; the first verified
 * result (or the last failure) is judged. Sigstore identities need a trusted root, which the policy does not
 * carry: such models are checked with `antidote verify-signature --trusted-root` instead.
 */
async function checkRequiredSignatures(policy: Policy): Promise<PolicyCheck> {
  const rules = policy.signatures;
  if (!rules || rules.require.length === 0) return { ok: true, violations: [] };
  const keyFiles = rules.keys.flatMap((k) => (k.path !== undefined ? [k.path] : []));
  const facts: SignatureFacts[] = [];
  for (const required of rules.require) {
    if (!existsSync(required.path)) continue; // reported by the check as not covered
    const signaturePath = statSync(required.path).isDirectory() ? join(required.path, 'model.sig') : `${required.path}.sig`;
    if (!existsSync(signaturePath)) continue;
    let judged: SignatureFacts | undefined;
    for (const publicKeyPath of keyFiles) {
      const verification = await verifyModelSignature({ modelPath: required.path, signaturePath, trust: { kind: 'public-key', publicKeyPath } });
      judged = signatureFactsOf(verification);
      if (verification.status === 'verified') break;
    }
    if (judged) facts.push(judged);
  }
  return checkSignatureAgainstPolicy(facts, policy);
}
