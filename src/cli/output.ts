import { writeFileSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../core/errors.js';
import { isSeverity, SEVERITIES, type Severity } from '../core/severity.js';
import { REPORT_FORMATS, type ReportFormat } from '../report/index.js';

/** Write `text` to `file`, or to stdout when no file is given; always ends with one newline. */
export function writeOutput(text: string, file: string | undefined): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (file === undefined) {
    process.stdout.write(body);
    return;
  }
  try {
    writeFileSync(file, body);
  } catch (error) {
    throw new AntidoteError('OUTPUT_UNWRITABLE', `${file}: cannot write (${errorMessage(error)})`, { cause: error });
  }
}

/** Colour only for a text report going to a terminal, and never under NO_COLOR. */
export function useColor(format: string, outputFile: string | undefined): boolean {
  return format === 'text' && outputFile === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** `--format` for commands that render a scan-style result. */
export function parseFormat(value: string | undefined): ReportFormat {
  if (value === undefined) return 'text';
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new AntidoteError('USAGE', `--format must be one of ${REPORT_FORMATS.join(', ')} (got '${value}')`);
}

/** `--fail-on`: the lowest severity that makes the exit code 1. */
export function parseFailOn(value: string | undefined, fallback: Severity = 'high'): Severity {
  if (value === undefined) return fallback;
  if (isSeverity(value)) return value;
  throw new AntidoteError('USAGE', `--fail-on must be one of ${SEVERITIES.join(', ')} (got '${value}')`);
}
