import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import { atLeast, SEVERITIES } from '../../core/severity.js';
import { parseResult } from '../../report/json.js';
import { checkAuditResult, looksLikeAuditResult } from '../../report/audit-json.js';
import { auditReportFormats, renderAuditReport } from '../../audit/report.js';
import { renderReport } from '../../report/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { parseFailOn, parseFormat, useColor, writeOutput } from '../output.js';
import { printHelp } from './scan.js';

const OPTIONS = {
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'fail-on': { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `antidote report`: re-render a saved JSON result offline. */
export const reportCommand: CliCommand = {
  name: 'report',
  synopsis: 'report RESULT.json [options]',
  summary: 're-render a saved JSON result',
  help: `Usage: antidote report RESULT.json [options]

Re-renders a result saved with --format json (by scan or audit), offline, keeping the exit-code contract.

Options:
  -f, --format text|json|sarif|html      report format (default: text)
  -o, --output FILE                      write the report to FILE instead of stdout
      --fail-on SEVERITY                 exit 1 when a finding is at or above SEVERITY
                                         (${SEVERITIES.join(', ')}; default: high)
      --verbose                          text report: also list info findings`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('report', () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) return printHelp(this.help);
    const format = parseFormat(values.format);
    const failOn = parseFailOn(values['fail-on']);
    if (positionals.length !== 1) throw new AntidoteError('USAGE', 'report needs exactly one saved JSON result. Example: antidote report result.json --format html');
    const file = positionals[0]!;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new AntidoteError('INPUT_NOT_FOUND', `${file}: cannot read (${errorMessage(error)})`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined; // parseResult below names the syntax error
    }
    if (looksLikeAuditResult(parsed)) {
      const audit = checkAuditResult(parsed, file);
      const auditFormat = values.format ?? 'text';
      if (!auditReportFormats().includes(auditFormat)) throw new AntidoteError('USAGE', `--format must be one of ${auditReportFormats().join(', ')} (got '${auditFormat}')`);
      writeOutput(renderAuditReport(audit, auditFormat, { color: useColor(auditFormat, values.output) }), values.output);
      return audit.findings.some((f) => atLeast(f.severity, failOn)) ? 1 : 0;
    }
    const result = parseResult(text, file);
    writeOutput(renderReport(result, format, { color: useColor(format, values.output), verbose: values.verbose ?? false }), values.output);
    return result.findings.some((f) => atLeast(f.severity, failOn)) ? 1 : 0;
  },
};
