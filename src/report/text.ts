import type { Finding } from '../core/finding.js';
import type { FileRecord, FileStatus, RunStatus, ScanResult } from '../core/result.js';
import { SEVERITIES, severityRank, type Severity } from '../core/severity.js';
import { displayText } from './display-text.js';

/** Options of the terminal reporter. */
export interface TextOptions {
  /** Emit ANSI colours; the CLI decides from the TTY, `NO_COLOR` and `--color`. */
  color: boolean;
  /**
   * Findings below this severity are counted but not listed (default `low`: allow-listed imports and other
   * info findings would bury what matters in a terminal). JSON, SARIF and HTML always carry everything.
   */
  minSeverity?: Severity;
}

/** Longest stretch of one attacker-controlled string shown; a terminal line is no place for a megabyte. */
const MAX_FIELD_CHARS = 400;

/** Widest rule-id column; longer ids still print whole, they just push their message right. */
const MAX_RULE_COLUMN = 40;

/** Widest path column in the files table, for the same reason. */
const MAX_PATH_COLUMN = 60;

/** "CRITICAL" is the longest label; every finding line aligns on it. */
const SEVERITY_COLUMN = Math.max(...SEVERITIES.map((s) => s.length));

/** Indent of the finding lines under their path. */
const FINDING_INDENT = '  ';

type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green' | 'cyan' | 'criticalBadge';

/** SGR open/close pairs; closing with the specific reset (not `0`) keeps nested styles intact. */
const SGR: Readonly<Record<Style, readonly [string, string]>> = {
  bold: ['1', '22'],
  dim: ['2', '22'],
  red: ['31', '39'],
  yellow: ['33', '39'],
  green: ['32', '39'],
  cyan: ['36', '39'],
  criticalBadge: ['1;97;41', '22;39;49'],
};

const SEVERITY_STYLE: Readonly<Record<Severity, Style[]>> = {
  critical: ['criticalBadge'],
  high: ['bold', 'red'],
  medium: ['yellow'],
  low: ['cyan'],
  info: ['dim'],
};

const FILE_STATUS_STYLE: Readonly<Record<FileStatus, Style[]>> = {
  scanned: ['green'],
  partial: ['yellow'],
  failed: ['bold', 'red'],
  skipped: ['dim'],
};

const RUN_STATUS_STYLE: Readonly<Record<RunStatus, Style[]>> = {
  succeeded: ['green'],
  partial: ['bold', 'yellow'],
  failed: ['bold', 'red'],
};

type Paint = (text: string, styles: readonly Style[]) => string;

/** Wraps already-neutralised text in SGR codes; the only place this reporter emits an escape. */
function painter(enabled: boolean): Paint {
  if (!enabled) return (text) => text;
  return (text, styles) =>
    styles.reduce((inner, style) => `\u001b[${SGR[style][0]}m${inner}\u001b[${SGR[style][1]}m`, text);
}

/** Untrusted string to terminal-safe text. */
function safe(value: string): string {
  return displayText(value, MAX_FIELD_CHARS);
}

/** Pad by code points so a padded column lines up for the usual single-width characters. */
function pad(text: string, width: number): string {
  const length = [...text].length;
  return length >= width ? text : text + ' '.repeat(width - length);
}

/**
 * Render a scan result for a person in a terminal: findings grouped by path, the files that could not be
 * read completely, and one summary line. Every string taken from the result is neutralised first, so a
 * hostile file cannot move the cursor, recolour or rewrite the lines around its own findings.
 */
export function renderText(result: ScanResult, options: TextOptions): string {
  const paint = painter(options.color);
  const threshold = severityRank(options.minSeverity ?? 'low');
  const shown = result.findings.filter((f) => (severityRank(f.severity) ?? 0) >= threshold);
  const hidden = result.findings.length - shown.length;
  const lines = [
    ...renderFindings({ ...result, findings: shown }, paint),
    ...(hidden > 0 ? ['', paint(`${hidden} ${hidden === 1 ? 'finding' : 'findings'} below ${options.minSeverity ?? 'low'} not shown (--verbose lists them).`, ['dim'])] : []),
    '',
    ...renderFiles(result.files, paint),
    '',
    renderSummary(result, paint),
  ];
  return `${lines.join('\n')}\n`;
}

function renderFindings(result: ScanResult, paint: Paint): string[] {
  if (result.findings.length === 0) {
    return [
      result.status === 'succeeded'
        ? 'No findings.'
        : paint('No findings in what could be read; the files below were not read completely.', ['yellow']),
    ];
  }
  const groups = new Map<string, Finding[]>();
  for (const finding of result.findings) {
    const group = groups.get(finding.location.path);
    if (group) group.push(finding);
    else groups.set(finding.location.path, [finding]);
  }
  const ruleWidth = Math.min(
    MAX_RULE_COLUMN,
    Math.max(...result.findings.map((f) => [...safe(f.ruleId)].length)),
  );
  const detailIndent = ' '.repeat(FINDING_INDENT.length + SEVERITY_COLUMN + 2);
  const lines: string[] = [];
  // Plain code-unit order, not localeCompare: the same result renders the same on every machine.
  const paths = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const path of paths) {
    if (lines.length > 0) lines.push('');
    lines.push(paint(safe(path), ['bold']));
    const findings = [...(groups.get(path) ?? [])].sort(
      (a, b) =>
        severityRank(b.severity) - severityRank(a.severity) ||
        (a.location.offset ?? -1) - (b.location.offset ?? -1),
    );
    for (const finding of findings) {
      const label = paint(pad(safe(finding.severity.toUpperCase()), SEVERITY_COLUMN), severityStyle(finding.severity));
      lines.push(`${FINDING_INDENT}${label}  ${pad(safe(finding.ruleId), ruleWidth)}  ${safe(finding.message)}`);
      const details = findingDetails(finding, paint);
      if (details.length > 0) lines.push(`${detailIndent}${details.join('  ')}`);
    }
  }
  return lines;
}

/** A saved result edited by hand may carry an unknown severity; print it plain rather than crash. */
function severityStyle(severity: Severity): Style[] {
  return SEVERITY_STYLE[severity] ?? [];
}

function findingDetails(finding: Finding, paint: Paint): string[] {
  const { location, evidence } = finding;
  const parts: string[] = [];
  const add = (label: string, value: string): void => {
    parts.push(`${paint(label, ['dim'])} ${value}`);
  };
  if (evidence.opcode !== undefined) add('opcode', safe(evidence.opcode));
  if (location.offset !== undefined) add('offset', `${location.offset} (0x${location.offset.toString(16)})`);
  if (location.pickleIndex !== undefined) add('pickle', `#${location.pickleIndex}`);
  if (location.row !== undefined) add('row', String(location.row));
  if (location.jsonPath !== undefined) add('at', safe(location.jsonPath));
  if (evidence.rule !== undefined) add('rule', safe(evidence.rule));
  if (evidence.match !== undefined) add('match', safe(evidence.match));
  if (evidence.score !== undefined) add('score', evidence.score.toFixed(2));
  if (evidence.excerpt !== undefined) add('excerpt', `"${safe(evidence.excerpt)}"`);
  for (const [key, value] of Object.entries(evidence.details ?? {})) add(safe(key), safe(String(value)));
  return parts;
}

function renderFiles(files: FileRecord[], paint: Paint): string[] {
  const counts: Record<FileStatus, number> = { scanned: 0, partial: 0, failed: 0, skipped: 0 };
  for (const file of files) counts[file.status] = (counts[file.status] ?? 0) + 1;
  const tally = (['scanned', 'partial', 'failed', 'skipped'] as const)
    .map((status) => {
      const text = `${counts[status]} ${status}`;
      return counts[status] > 0 && status !== 'scanned' ? paint(text, FILE_STATUS_STYLE[status]) : text;
    })
    .join(', ');
  const lines = [`Files: ${files.length} (${tally})`];
  const unread = files.filter((f) => f.status === 'partial' || f.status === 'failed');
  if (unread.length === 0) return lines;
  const statusWidth = 'partial'.length;
  const pathWidth = Math.min(MAX_PATH_COLUMN, Math.max(...unread.map((f) => [...safe(f.path)].length)));
  const formatWidth = Math.max(...unread.map((f) => [...safe(f.format)].length));
  for (const file of unread) {
    const status = paint(pad(safe(file.status), statusWidth), FILE_STATUS_STYLE[file.status] ?? []);
    const reason = file.reason === undefined ? paint('no reason given', ['dim']) : safe(file.reason);
    lines.push(
      `${FINDING_INDENT}${status}  ${pad(safe(file.path), pathWidth)}  ${pad(safe(file.format), formatWidth)}  ${reason}`,
    );
  }
  return lines;
}

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '? ms';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function renderSummary(result: ScanResult, paint: Paint): string {
  const bySeverity = [...SEVERITIES]
    .reverse()
    .map((severity) => {
      const count = result.summary[severity] ?? 0;
      const text = `${count} ${severity}`;
      return count > 0 ? paint(text, severityStyle(severity)) : text;
    })
    .join(', ');
  const total = SEVERITIES.reduce((sum, s) => sum + (result.summary[s] ?? 0), 0);
  const status = paint(safe(result.status), RUN_STATUS_STYLE[result.status] ?? []);
  const tool = `${safe(result.tool.name)} ${safe(result.tool.version)}`;
  return (
    `${total} ${total === 1 ? 'finding' : 'findings'} (${bySeverity}) · run ${status} · ` +
    `${tool}, ${result.files.length} ${result.files.length === 1 ? 'file' : 'files'} in ${formatDuration(result.durationMs)}`
  );
}
