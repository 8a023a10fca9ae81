import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { AntidoteError } from '../../core/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.js';
import { atLeast, SEVERITIES } from '../../core/severity.js';
import { loadProjectPolicy, scanFailOn, scanStrict } from '../../provenance/policy/index.js';
import { renderReport } from '../../report/index.js';
import { scan } from '../../scan/scan.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { parseFailOn, parseFormat, useColor, writeOutput } from '../output.js';
import { ProgressBar } from '../progress.js';

const OPTIONS = {
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'fail-on': { type: 'string' },
  strict: { type: 'boolean' },
  hash: { type: 'boolean' },
  policy: { type: 'string', multiple: true },
  'policy-file': { type: 'string' },
  limit: { type: 'string', multiple: true },
  'no-progress': { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `antidote scan`: model files and folders, never executed. */
export const scanCommand: CliCommand = {
  name: 'scan',
  synopsis: 'scan PATH... [options]',
  summary: 'scan model files and folders (never executes them)',
  help: `Usage: antidote scan PATH... [options]

Scans model files, archives and model folders by content and reports code that would run when they load.

Options:
  -f, --format text|json|sarif|html      report format (default: text)
  -o, --output FILE                      write the report to FILE instead of stdout
      --fail-on SEVERITY                 exit 1 when a finding is at or above SEVERITY
                                         (${SEVERITIES.join(', ')}; default: the policy's
                                         scan.fail-on, else high)
      --strict                           unknown pickle imports count as high, not medium
      --hash                             record sha256 of every file
      --policy FILE                      extra pickle allow/deny policy (repeatable)
      --policy-file FILE                 project policy (default: ./antidote.yaml if present;
                                         see docs/policy.md)
      --limit NAME=VALUE                 override a safety limit (repeatable), e.g. maxMemberBytes=1073741824
      --no-progress                      no progress bar on stderr
      --verbose                          text report: also list info findings (allow-listed imports...)

Exit codes: 0 clean at the threshold, 1 findings at or above it, 2 usage or tool error.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('scan', () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) return printHelp(this.help);
    const format = parseFormat(values.format);
    // Flags win over the project policy, which wins over the defaults.
    const policy = loadProjectPolicy(values['policy-file']);
    const failOn = parseFailOn(values['fail-on'], scanFailOn(policy) ?? 'high');
    if (positionals.length === 0) throw new AntidoteError('USAGE', 'scan needs at least one PATH. Example: antidote scan ./model.pt');
    for (const path of positionals) {
      if (!existsSync(path)) throw new AntidoteError('INPUT_NOT_FOUND', `${path}: no such file or directory`);
    }
    const showProgress = !values['no-progress'] && process.stderr.isTTY === true;
    const bar = showProgress ? new ProgressBar(process.stderr) : undefined;
    const options: Parameters<typeof scan>[0] = {
      paths: positionals,
      hash: values.hash ?? false,
      strict: values.strict ?? scanStrict(policy) ?? false,
      policyFiles: values.policy ?? [],
      limits: parseLimits(values.limit ?? []),
    };
    if (bar) options.onProgress = (p) => bar.update(p);
    let result;
    try {
      result = await scan(options);
    } finally {
      bar?.clear();
    }
    writeOutput(renderReport(result, format, { color: useColor(format, values.output), verbose: values.verbose ?? false }), values.output);
    return result.findings.some((f) => atLeast(f.severity, failOn)) ? 1 : 0;
  },
};

/** Print a command's help on stdout; exit code 0. */
export function printHelp(help: string): number {
  process.stdout.write(`${help}\n`);
  return 0;
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
