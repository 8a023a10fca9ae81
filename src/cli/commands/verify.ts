import { parseArgs } from 'node:util';
import { AntidoteError } from '../../core/errors.js';
import { DEFAULT_LOCKFILE, DEFAULT_MAX_LISTED_ROWS, readLockfile, renderVerifyText, verifyLock } from '../../provenance/lock/index.js';
import { checkLockAgainstPolicy, loadProjectPolicy, lockFactsOf } from '../../provenance/policy/index.js';
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
                           required lock coverage are checked too (docs/policy.md)

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
    const check = policy ? checkLockAgainstPolicy(lockFactsOf(readLockfile(lockPath), lockPath), policy) : undefined;
    if (format === 'json') {
      writeOutput(JSON.stringify(check ? { ...result, policy: { file: policy!.file, ...check } } : result, null, 2), values.output);
    } else {
      const lines = check ? [`policy ${policy!.file}: ${check.ok ? 'met' : `${check.violations.length} violation(s)`}`, ...check.violations.map((v) => `  ${v.rule}  ${v.subject}: ${v.message}`)] : [];
      writeOutput([renderVerifyText(result).trimEnd(), ...lines].join('\n'), values.output);
    }
    return result.status === 'passed' && (check?.ok ?? true) ? 0 : 1;
  },
};
