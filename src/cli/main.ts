import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AntidoteError, errorMessage } from '../core/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import type { ScanResult } from '../core/result.js';
import { atLeast, isSeverity, SEVERITIES, type Severity } from '../core/severity.js';
import { parseResult } from '../report/json.js';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../report/index.js';
import { scan } from '../scan/scan.js';
import { VERSION } from '../version.js';
import { ProgressBar } from './progress.js';

/*
 * The `antidote` command: a thin shell that parses flags, calls the library, writes the report and sets the
 * exit code. Contract: 0 = nothing at or above --fail-on, 1 = findings at or above it, 2 = usage or tool error.
 */

const USAGE = `antidote ${VERSION}: defends the LLM supply chain against poisoned models and data

Usage:
  antidote scan PATH... [options]        scan model files and folders (never executes them)
  antidote report RESULT.json [options]  re-render a saved JSON result

Options:
  -f, --format text|json|sarif|html      report format (default: text)
  -o, --output FILE                      write the report to FILE instead of stdout
      --fail-on SEVERITY                 exit 1 when a finding is at or above SEVERITY
                                         (${SEVERITIES.join(', ')}; default: high)
      --strict                           unknown pickle imports count as high, not medium
      --hash                             record sha256 of every file
      --policy FILE                      extra pickle allow/deny policy (repeatable)
      --limit NAME=VALUE                 override a safety limit (repeatable), e.g. maxMemberBytes=1073741824
      --no-progress                      no progress bar on stderr
      --verbose                          text report: also list info findings (allow-listed imports...)
  -h, --help                             show this help
  -v, --version                          show the version

Exit codes: 0 clean at the threshold, 1 findings at or above it, 2 usage or tool error.`;

const OPTIONS = {
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'fail-on': { type: 'string' },
  strict: { type: 'boolean' },
  hash: { type: 'boolean' },
  policy: { type: 'string', multiple: true },
  limit: { type: 'string', multiple: true },
  'no-progress': { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} satisfies ParseArgsConfig['options'];

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new AntidoteError('USAGE', `${errorMessage(error)}\nRun 'antidote --help' for usage.`);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const format = parseFormat(values.format);
  const failOn = parseFailOn(values['fail-on']);

  let result: ScanResult;
  if (command === 'scan') {
    if (rest.length === 0) throw new AntidoteError('USAGE', "scan needs at least one PATH. Example: antidote scan ./model.pt");
    for (const path of rest) {
      if (!existsSync(path)) throw new AntidoteError('INPUT_NOT_FOUND', `${path}: no such file or directory`);
    }
    const showProgress = !values['no-progress'] && process.stderr.isTTY === true;
    const bar = showProgress ? new ProgressBar(process.stderr) : undefined;
    const options: Parameters<typeof scan>[0] = {
      paths: rest,
      hash: values.hash ?? false,
      strict: values.strict ?? false,
      policyFiles: values.policy ?? [],
      limits: parseLimits(values.limit ?? []),
    };
    if (bar) options.onProgress = (p) => bar.update(p);
    try {
      result = await scan(options);
    } finally {
      bar?.clear();
    }
  } else if (command === 'report') {
    if (rest.length !== 1) throw new AntidoteError('USAGE', 'report needs exactly one saved JSON result. Example: antidote report result.json --format html');
    const file = rest[0]!;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new AntidoteError('INPUT_NOT_FOUND', `${file}: cannot read (${errorMessage(error)})`, { cause: error });
    }
    result = parseResult(text, file);
  } else {
    throw new AntidoteError('USAGE', `unknown command '${command}'. Commands: scan, report. Run 'antidote --help'.`);
  }

  const color = format === 'text' && !values.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const rendered = renderReport(result, format, { color, verbose: values.verbose ?? false });
  if (values.output) {
    try {
      writeFileSync(values.output, rendered.endsWith('\n') ? rendered : `${rendered}\n`);
    } catch (error) {
      throw new AntidoteError('OUTPUT_UNWRITABLE', `${values.output}: cannot write report (${errorMessage(error)})`, { cause: error });
    }
  } else {
    process.stdout.write(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
  }
  return result.findings.some((f) => atLeast(f.severity, failOn)) ? 1 : 0;
}

function parseFormat(value: string | undefined): ReportFormat {
  if (value === undefined) return 'text';
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new AntidoteError('USAGE', `--format must be one of ${REPORT_FORMATS.join(', ')} (got '${value}')`);
}

function parseFailOn(value: string | undefined): Severity {
  if (value === undefined) return 'high';
  if (isSeverity(value)) return value;
  throw new AntidoteError('USAGE', `--fail-on must be one of ${SEVERITIES.join(', ')} (got '${value}')`);
}

function parseLimits(specs: string[]): Partial<Limits> {
  const limits: Partial<Limits> = {};
  for (const spec of specs) {
    const match = /^(\w+)=(\d+)$/.exec(spec);
    const name = match?.[1] as keyof Limits | undefined;
    if (!match || !name || !(name in DEFAULT_LIMITS)) {
      throw new AntidoteError('USAGE', `--limit expects NAME=INTEGER with NAME one of ${Object.keys(DEFAULT_LIMITS).join(', ')} (got '${spec}')`);
    }
    limits[name] = Number(match[2]);
  }
  return limits;
}

/** Entry point: never prints a stack trace for tool errors; exit 2 for every error. */
export async function run(): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    if (error instanceof AntidoteError) {
      process.stderr.write(`antidote: error: ${error.message}\n`);
    } else {
      process.stderr.write(`antidote: internal error: ${errorMessage(error)}\nThis is a bug in antidote; please report it with the command you ran.\n`);
      if (process.env.ANTIDOTE_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    }
    process.exitCode = 2;
  }
}
