import { AntidoteError } from '../core/errors.js';
import type { FileRecord, ScanResult } from '../core/result.js';
import { SEVERITIES, severityRank, type Severity } from '../core/severity.js';
import { renderAuditHtml } from '../report/audit-html.js';
import { displayText } from '../report/display-text.js';
import { renderSarif } from '../report/sarif.js';
import type { AuditResult } from './result.js';

/*
 * Reporters of an audit result: pure functions of the result. JSON is the contract
 * (docs/audit-result.schema.json); SARIF reuses the scan reporter on a scan-shaped view of the findings
 * (every flagged row belongs to a finding, so code scanning shows each trigger once with its rows in the
 * evidence); text is for a terminal. Every string from the result came from the dataset, so the text
 * reporter neutralises it before printing (ANSI escapes, bidi overrides: see report/display-text.ts).
 *
 * Formats are a table so another reporter (HTML) is one more entry: add it to AUDIT_RENDERERS.
 */

/** A reporter: the result in, the document out. */
export type AuditRenderer = (result: AuditResult, options: { color: boolean }) => string;

/** Longest stretch of one dataset string printed in the text report. */
const MAX_FIELD_CHARS = 160;
/** Flagged rows listed one by one in the text report (all are in JSON and in --quarantine). */
const MAX_ROWS_LISTED = 20;
/** Row numbers listed per trigger in the text report. */
const MAX_TRIGGER_ROWS_LISTED = 12;

/** Every audit report format, by `--format` name. */
export const AUDIT_RENDERERS: Record<string, AuditRenderer> = {
  text: (result, options) => renderAuditText(result, options),
  json: (result) => renderAuditJson(result),
  sarif: (result) => renderAuditSarif(result),
  html: (result) => renderAuditHtml(result),
};

/** `--format` names of the audit, in the order help lists them. */
export function auditReportFormats(): string[] {
  return Object.keys(AUDIT_RENDERERS);
}

/** Render `result` in `format`. */
export function renderAuditReport(result: AuditResult, format: string, options: { color: boolean }): string {
  const renderer = AUDIT_RENDERERS[format];
  if (!renderer) throw new AntidoteError('USAGE', `--format must be one of ${auditReportFormats().join(', ')} (got '${displayText(format, 40)}')`);
  return renderer(result, options);
}

/** The versioned JSON document, two-space indented, keys in the order of the `AuditResult` type. */
export function renderAuditJson(result: AuditResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** SARIF 2.1.0 through the scan reporter: files become artifacts, findings results (rows in their properties). */
export function renderAuditSarif(result: AuditResult): string {
  const files: FileRecord[] = result.files.map((f) => ({
    path: f.path,
    format: f.format,
    status: f.status,
    // SARIF reads -1 as "length unknown".
    size: f.bytes ?? -1,
    sha256: null,
    ...(f.reason !== undefined ? { reason: f.reason } : {}),
  }));
  const view: ScanResult = {
    version: result.version,
    tool: result.tool,
    status: result.status,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    inputs: result.inputs,
    findings: result.findings,
    files,
    rules: result.rules,
    summary: result.summary,
  };
  return renderSarif(view);
}

const SGR: Readonly<Record<string, readonly [string, string]>> = {
  bold: ['1', '22'],
  dim: ['2', '22'],
  red: ['31', '39'],
  yellow: ['33', '39'],
  green: ['32', '39'],
  cyan: ['36', '39'],
};

const SEVERITY_STYLE: Readonly<Record<Severity, string[]>> = { critical: ['bold', 'red'], high: ['bold', 'red'], medium: ['yellow'], low: ['cyan'], info: ['dim'] };

/** The result for a person: per file, its findings, triggers and first flagged rows; then a summary line. */
export function renderAuditText(result: AuditResult, options: { color: boolean }): string {
  const paint = (text: string, styles: readonly string[]): string =>
    options.color ? styles.reduce((inner, s) => `\u001b[${SGR[s]![0]}m${inner}\u001b[${SGR[s]![1]}m`, text) : text;
  const safe = (text: string): string => displayText(text, MAX_FIELD_CHARS);
  const lines: string[] = [];
  for (const file of result.files) {
    if (lines.length > 0) lines.push('');
    const status = file.status === 'scanned' ? paint(file.status, ['green']) : paint(file.status, ['bold', 'yellow']);
    lines.push(`${paint(safe(file.path), ['bold'])}  ${safe(file.format)}, ${safe(file.shape)}, ${file.rows} rows, ${file.badRows} unreadable, ${file.flaggedRows} flagged, ${status}`);
    if (file.reason !== undefined) lines.push(`  ${paint(safe(file.reason), ['yellow'])}`);
    const findings = result.findings
      .filter((f) => f.location.path === file.path && f.severity !== 'info')
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.location.row ?? 0) - (b.location.row ?? 0));
    for (const f of findings) {
      lines.push(`  ${paint(f.severity.toUpperCase().padEnd(8), SEVERITY_STYLE[f.severity] ?? [])}  ${safe(f.ruleId)}  ${safe(f.message)}`);
      const details = f.evidence.details ?? {};
      const facts = ['purity', 'pValue', 'qValue', 'lift', 'contentZ', 'line'].filter((k) => details[k] !== undefined).map((k) => `${k} ${safe(String(details[k]))}`);
      if (f.location.row !== undefined) facts.unshift(`row ${f.location.row}`);
      if (facts.length > 0) lines.push(`            ${paint(facts.join('  '), ['dim'])}`);
    }
    const info = result.findings.filter((f) => f.location.path === file.path && f.severity === 'info').length;
    if (info > 0) lines.push(paint(`  ${info} info findings (repeated answers no trigger explains...) are in the JSON report`, ['dim']));
    const triggers = result.triggers.filter((t) => t.path === file.path);
    if (triggers.length > 0) {
      lines.push('  Triggers:');
      for (const t of triggers) {
        const rows = t.rows.slice(0, MAX_TRIGGER_ROWS_LISTED).join(' ') + (t.rows.length > MAX_TRIGGER_ROWS_LISTED ? ` … (${t.rows.length} rows)` : '');
        lines.push(`    "${paint(safe(t.text), ['bold'])}"  score ${t.score.toFixed(2)}  ${safe(t.behaviour)}  rows ${rows}`);
      }
    }
    const flagged = result.rows.filter((r) => r.path === file.path && r.flagged);
    if (flagged.length > 0) {
      lines.push(`  Flagged rows${flagged.length > MAX_ROWS_LISTED ? ` (first ${MAX_ROWS_LISTED} of ${flagged.length})` : ''}:`);
      for (const r of flagged.slice(0, MAX_ROWS_LISTED)) {
        const where = r.line !== undefined ? `row ${r.row} (line ${r.line})` : `row ${r.row}`;
        lines.push(`    ${where.padEnd(22)} ${r.score.toFixed(2)}  ${safe(r.reasons[0]?.message ?? '')}`);
      }
    }
  }
  const totalRows = result.files.reduce((sum, f) => sum + f.rows, 0);
  const flaggedRows = result.files.reduce((sum, f) => sum + f.flaggedRows, 0);
  const bySeverity = [...SEVERITIES].reverse().map((s) => `${result.summary[s] ?? 0} ${s}`).join(', ');
  const seconds = result.durationMs < 1000 ? `${Math.round(result.durationMs)} ms` : `${(result.durationMs / 1000).toFixed(1)} s`;
  lines.push('');
  lines.push(
    `${flaggedRows} of ${totalRows} rows flagged (threshold ${result.threshold}) · ${result.triggers.length} ${result.triggers.length === 1 ? 'trigger' : 'triggers'} · findings: ${bySeverity} · run ${result.status} · ${seconds}`,
  );
  return `${lines.join('\n')}\n`;
}
