import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_THRESHOLD, DEFAULT_FALSE_DISCOVERY_RATE, assembleResult, auditDataset, type FileAudit } from '../../audit/audit.js';
import { parseFieldSpecs, parseShape, SHAPES } from '../../audit/fields.js';
import { auditReportFormats, renderAuditReport } from '../../audit/report.js';
import { writeSplit } from '../../audit/split-output.js';
import { readClassProbabilities } from '../../audit/class-probabilities.js';
import { DEFAULT_ENDPOINT_MODEL, embeddingProviderFor } from '../../audit/embeddings/embedding-spec.js';
import { AntidoteError } from '../../core/errors.js';
import { atLeast, SEVERITIES } from '../../core/severity.js';
import { openDataset } from '../../readers/dataset/open-dataset.js';
import type { DatasetFormat } from '../../readers/dataset/types.js';
import { auditThresholds, loadProjectPolicy } from '../../provenance/policy/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { parseFailOn, useColor, writeOutput } from '../output.js';
import { printHelp } from './scan.js';

const OPTIONS = {
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'fail-on': { type: 'string' },
  threshold: { type: 'string' },
  fdr: { type: 'string' },
  quarantine: { type: 'string' },
  clean: { type: 'string' },
  fields: { type: 'string', multiple: true },
  shape: { type: 'string' },
  'dataset-format': { type: 'string' },
  probabilities: { type: 'string' },
  'label-issues': { type: 'boolean' },
  'policy-file': { type: 'string' },
  embeddings: { type: 'string' },
  'embeddings-model': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const DATASET_FORMATS: readonly DatasetFormat[] = ['jsonl', 'json', 'csv', 'tsv', 'parquet', 'arrow'];

/** `antidote audit`: poisoned rows and backdoor triggers in fine-tuning and RAG datasets. */
export const auditCommand: CliCommand = {
  name: 'audit',
  synopsis: 'audit FILE... [options]',
  summary: 'find poisoned rows and backdoor triggers in a dataset',
  help: `Usage: antidote audit FILE... [options]

Reads fine-tuning or RAG datasets (JSONL, JSON, CSV, TSV, Parquet, Arrow) and reports the rows that look
poisoned and the trigger that activates them: fixed answers taught to unrelated prompts, prompt n-grams that
predict a behaviour (vulnerable code, refusals, hostility, one domain) or a label. Nothing is executed;
nothing leaves the machine. Rows are 0-based indices in file order.

Options:
  -f, --format ${auditReportFormats().join('|').padEnd(25)} report format (default: text)
  -o, --output FILE                      write the report to FILE instead of stdout
      --quarantine FILE                  write the flagged and unreadable rows, with their reasons, to FILE
      --clean FILE                       write every other row to FILE (both together hold every input row)
      --fail-on SEVERITY                 exit 1 when a finding is at or above SEVERITY
                                         (${SEVERITIES.join(', ')}; default: medium)
      --threshold SCORE                  row score in [0, 1] at which a row is flagged (default: ${DEFAULT_THRESHOLD})
      --fdr RATE                         false discovery rate of the trigger statistics (default: ${DEFAULT_FALSE_DISCOVERY_RATE})
      --shape SHAPE                      row shape: ${SHAPES.join(', ')}
                                         (default: detected from the columns)
      --fields ROLE=COLUMN[,ROLE=COLUMN] which column plays which part, e.g. prompt=question,response=answer
                                         (roles: prompt, input, response, text, label, messages, chosen, rejected)
      --dataset-format FORMAT            read every FILE as ${DATASET_FORMATS.join('|')} (default: detected)
      --policy-file FILE                 project policy (default: ./antidote.yaml when present): audit.fail-on
                                         and audit.max-flagged-ratio (a file flagging a larger share fails)
      --label-issues                     also look for mislabelled rows (confident learning, dataset/label-issues):
                                         label noise, not poisoning, so it is off by default
      --probabilities FILE               class probabilities per row from your own model (CSV or JSONL, one row
                                         per dataset row, out of fold) for dataset/label-issues (one FILE only)
      --embeddings bow|hashed|URL|DIR    row embeddings for dataset/embedding-outliers: the built-in bag of words
                                         (default), hashed, an OpenAI-compatible endpoint (key from
                                         ANTIDOTE_EMBEDDINGS_API_KEY), or your own local ONNX model folder
      --embeddings-model NAME            model name sent to the endpoint (default: ${DEFAULT_ENDPOINT_MODEL})

Exit codes: 0 nothing at or above the threshold, 1 findings at or above it (every flagged row belongs to
one), 2 usage or tool error.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('audit', () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) return printHelp(this.help);
    const format = values.format ?? 'text';
    if (!auditReportFormats().includes(format)) throw new AntidoteError('USAGE', `--format must be one of ${auditReportFormats().join(', ')} (got '${format}')`);
    const policy = auditThresholds(loadProjectPolicy(values['policy-file']));
    const failOn = parseFailOn(values['fail-on'], policy.failOn ?? 'medium');
    const threshold = parseUnitInterval('--threshold', values.threshold, DEFAULT_THRESHOLD);
    const falseDiscoveryRate = parseUnitInterval('--fdr', values.fdr, DEFAULT_FALSE_DISCOVERY_RATE);
    const shape = parseShape(values.shape);
    const fields = parseFieldSpecs(values.fields ?? []);
    const datasetFormat = values['dataset-format'];
    if (datasetFormat !== undefined && !(DATASET_FORMATS as readonly string[]).includes(datasetFormat)) {
      throw new AntidoteError('USAGE', `--dataset-format must be one of ${DATASET_FORMATS.join(', ')} (got '${datasetFormat}')`);
    }
    if (positionals.length === 0) throw new AntidoteError('USAGE', 'audit needs at least one FILE. Example: antidote audit train.jsonl');
    const outputs = [values.output, values.quarantine, values.clean].filter((p): p is string => p !== undefined);
    for (const path of positionals) {
      if (!existsSync(path)) throw new AntidoteError('INPUT_NOT_FOUND', `${path}: no such file`);
      if (!statSync(path).isFile()) throw new AntidoteError('INPUT_UNREADABLE', `${path}: not a file (give the dataset files themselves)`);
      if (outputs.includes(path)) throw new AntidoteError('USAGE', `${path} is both an input and an output`);
    }

    if (values.probabilities !== undefined && positionals.length > 1) throw new AntidoteError('USAGE', '--probabilities describes one dataset: give exactly one FILE');
    const probabilities = values.probabilities !== undefined ? await readClassProbabilities(values.probabilities) : undefined;
    const embeddings = values.embeddings !== undefined ? embeddingProviderFor(values.embeddings, values['embeddings-model'] !== undefined ? { model: values['embeddings-model'] } : {}) : undefined;
    await embeddings?.check();

    const startedAt = new Date();
    const started = performance.now();
    const audits: FileAudit[] = [];
    const read: { path: string; format: DatasetFormat }[] = [];
    for (const path of positionals) {
      const opened = await openDataset(path, datasetFormat !== undefined ? { format: datasetFormat as DatasetFormat } : {});
      if (!opened.ok) throw new AntidoteError('INPUT_UNREADABLE', `${path}: ${opened.error.message}`);
      const dataset = opened.value;
      read.push({ path, format: dataset.format });
      const issues = dataset.issues;
      const audit = await auditDataset(
        {
          path,
          format: dataset.format,
          bytes: statSync(path).size,
          events: dataset.events(),
          columns: () => dataset.columns(),
          ...(issues ? { issues: () => issues.call(dataset) } : {}),
        },
        {
          threshold,
          falseDiscoveryRate,
          ...(shape ? { shape } : {}),
          ...(Object.keys(fields).length > 0 ? { fields } : {}),
          ...(probabilities ? { probabilities } : {}),
          ...(values['label-issues'] ? { labelIssues: true } : {}),
          ...(embeddings ? { embeddings } : {}),
        },
      );
      audits.push(audit);
    }
    const result = assembleResult(audits, positionals, threshold, startedAt, performance.now() - started);

    if (values.quarantine !== undefined || values.clean !== undefined) {
      const counts = await writeSplit(result, read, values.quarantine, values.clean);
      const total = result.files.reduce((sum, f) => sum + f.rows, 0);
      if (counts.quarantined + counts.clean !== total || counts.inputRows !== total) {
        throw new AntidoteError('INTERNAL', `rows do not add up: ${counts.quarantined} quarantined + ${counts.clean} clean != ${total} read`);
      }
      process.stderr.write(
        `antidote: ${counts.quarantined} rows quarantined${values.quarantine ? ` to ${values.quarantine}` : ' (not written)'}, ` +
          `${counts.clean} clean${values.clean ? ` to ${values.clean}` : ' (not written)'}: ${total} rows in all\n`,
      );
    }
    writeOutput(renderAuditReport(result, format, { color: useColor(format, values.output) }), values.output);
    const maxRatio = policy.maxFlaggedRatio;
    const overRatio = maxRatio === undefined ? [] : result.files.filter((f) => f.rows > 0 && f.flaggedRows / f.rows > maxRatio);
    for (const f of overRatio) {
      process.stderr.write(`antidote: ${f.path}: ${f.flaggedRows} of ${f.rows} rows flagged, more than the policy's audit.max-flagged-ratio ${maxRatio}\n`);
    }
    return overRatio.length > 0 || result.findings.some((f) => atLeast(f.severity, failOn)) ? 1 : 0;
  },
};

function parseUnitInterval(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0 || number > 1) {
    throw new AntidoteError('USAGE', `${flag} expects a number in (0, 1] (got '${value}')`);
  }
  return number;
}
