import { AntidoteError } from '../core/errors.js';
import type { ScanResult } from '../core/result.js';
import { displayText } from './display-text.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export { renderHtml } from './html.js';
export { parseResult, renderJson } from './json.js';
export { renderSarif } from './sarif.js';
export { renderText, type TextOptions } from './text.js';

/** Every output format, in the order `--format` lists them. */
export const REPORT_FORMATS = ['text', 'json', 'sarif', 'html'] as const;

/** One output format of `antidote scan` and `antidote report`. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Options shared by every format; only the terminal format reads `color`. */
export interface ReportOptions {
  color: boolean;
  /** Text only: list info findings too (they are always in JSON, SARIF and HTML). */
  verbose?: boolean;
}

/** Type guard for a user-supplied `--format` value. */
export function isReportFormat(value: unknown): value is ReportFormat {
  return typeof value === 'string' && (REPORT_FORMATS as readonly string[]).includes(value);
}

/** Render `result` in `format`; a pure function of its arguments, so a saved result re-renders offline. */
export function renderReport(result: ScanResult, format: ReportFormat, options: ReportOptions): string {
  switch (format) {
    case 'text':
      return renderText(result, { color: options.color, minSeverity: options.verbose ? 'info' : 'low' });
    case 'json':
      return renderJson(result);
    case 'sarif':
      return renderSarif(result);
    case 'html':
      return renderHtml(result);
    default: {
      // Reachable only from untyped callers (JavaScript, a cast); the CLI validates --format before calling.
      const unknown: never = format;
      throw new AntidoteError(
        'USAGE',
        `unknown report format "${displayText(String(unknown), 40)}"; use one of ${REPORT_FORMATS.join(', ')}`,
      );
    }
  }
}
