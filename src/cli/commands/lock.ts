import { parseArgs } from 'node:util';
import { AntidoteError } from '../../core/errors.js';
import { DEFAULT_DATASET_LIMITS, type DatasetLimits } from '../../readers/dataset/index.js';
import { DEFAULT_LOCKFILE, lock, sidecarNameFor, writeLockfile } from '../../provenance/lock/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { printHelp } from './scan.js';

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  source: { type: 'string' },
  revision: { type: 'string' },
  limit: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `antidote lock`: record files and dataset rows in a lockfile. */
export const lockCommand: CliCommand = {
  name: 'lock',
  synopsis: 'lock PATH... [options]',
  summary: 'record files and dataset rows in a lockfile',
  help: `Usage: antidote lock PATH... [options]

Records every file under PATH (size, sha256) and, for datasets (JSONL, JSON, CSV, TSV, Parquet, Arrow), the
row count, bad rows, columns and a Merkle root over per-row digests, so 'antidote verify' can later say which
files and which rows changed. Paths are stored relative to the lockfile's folder, which must contain them.
Row digests of large datasets go to a binary file next to the lockfile (antidote.lock.rows): commit both.

Options:
  -o, --output FILE        lockfile to write (default: ${DEFAULT_LOCKFILE})
      --source URL         where the files came from (a repository or dataset URL), recorded in the lock
      --revision REV       the revision of --source (a commit, a tag)
      --limit NAME=VALUE   override a dataset reader limit (repeatable), e.g. maxRowBytes=134217728

Exit codes: 0 locked, 1 locked but some dataset rows could not be read (listed), 2 usage or tool error.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('lock', () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) return printHelp(this.help);
    if (positionals.length === 0) throw new AntidoteError('USAGE', "lock needs at least one PATH. Example: antidote lock data/ -o antidote.lock.json");
    if (values.revision !== undefined && values.source === undefined) throw new AntidoteError('USAGE', '--revision needs --source URL (the revision of what?)');
    const output = values.output ?? DEFAULT_LOCKFILE;
    const source = values.source === undefined ? undefined : values.revision === undefined ? { url: values.source } : { url: values.source, revision: values.revision };
    const outcome = await lock({ paths: positionals, output, ...(source ? { source } : {}), datasetLimits: parseDatasetLimits(values.limit ?? []) });
    writeLockfile(output, outcome.lockfile);
    const datasets = outcome.lockfile.files.filter((f) => f.dataset);
    const rows = datasets.reduce((n, f) => n + (f.dataset?.rows ?? 0), 0);
    const bad = datasets.reduce((n, f) => n + (f.dataset?.badRows ?? 0), 0);
    const sidecar = outcome.lockfile.rowDigests ? ` and ${sidecarNameFor(output)}` : '';
    const lines = [`antidote lock: wrote ${output}${sidecar}: ${outcome.lockfile.files.length} file(s), ${datasets.length} dataset(s), ${rows} row(s), ${bad} bad row(s).`];
    for (const problem of outcome.problems) lines.push(`  ${problem.path}: ${problem.message}`);
    if (outcome.problems.length > 0) lines.push('Some rows could not be read: they are locked by their raw bytes or the file sha256; check the files above.');
    process.stdout.write(`${lines.join('\n')}\n`);
    return outcome.problems.length > 0 ? 1 : 0;
  },
};

/** `--limit NAME=VALUE` flags as dataset reader limits (shared with verify). */
export function parseDatasetLimits(specs: string[]): Partial<DatasetLimits> {
  const limits: Partial<DatasetLimits> = {};
  for (const spec of specs) {
    const match = /^(\w+)=(\d+)$/.exec(spec);
    const name = match?.[1] as keyof DatasetLimits | undefined;
    if (!match || !name || !(name in DEFAULT_DATASET_LIMITS)) {
      throw new AntidoteError('USAGE', `--limit expects NAME=INTEGER with NAME one of ${Object.keys(DEFAULT_DATASET_LIMITS).join(', ')} (got '${spec}')`);
    }
    limits[name] = Number(match[2]);
  }
  return limits;
}
