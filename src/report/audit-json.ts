import { AUDIT_RESULT_VERSION, type AuditFile, type AuditResult, type AuditRow, type AuditTrigger, type RowReason } from '../core/audit-result.js';
import { AntidoteError } from '../core/errors.js';
import type { Evidence, Finding, Location } from '../core/finding.js';
import type { FileStatus, RuleInfo, RunStatus } from '../core/result.js';
import { isSeverity, SEVERITIES, type Severity } from '../core/severity.js';
import { displayText } from './display-text.js';

/*
 * Reading a saved audit result back (`antidote report audit.json --format html`). The file may have been
 * edited by anyone, so every field the reporters touch is checked for its type before a reporter sees it;
 * a wrong one is a RESULT_INVALID error naming the JSON path (exit 2), never a crash or a page built from
 * a number where a list was expected. Unknown fields are ignored (a newer minor version may add some).
 */

const RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'partial', 'failed'];
const FILE_STATUSES: readonly FileStatus[] = ['scanned', 'partial', 'failed', 'skipped'];
const SUPPORTED_MAJOR = AUDIT_RESULT_VERSION.split('.')[0] ?? '1';
/** How much of an offending value or source name an error message quotes. */
const MAX_QUOTED = 60;

/** True when a parsed JSON document is shaped like an audit result rather than a scan result. */
export function looksLikeAuditResult(value: unknown): boolean {
  return isObject(value) && Array.isArray(value.triggers) && Array.isArray(value.rows) && typeof value.threshold === 'number';
}

/** Parse and check a saved audit result; throws AntidoteError('RESULT_INVALID') naming the first bad field. */
export function parseAuditResult(text: string, source: string): AuditResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AntidoteError('RESULT_INVALID', `${displayText(source, 300)}: not JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  return checkAuditResult(value, source);
}

/** Check an already parsed document (see {@link parseAuditResult}). */
export function checkAuditResult(value: unknown, source: string): AuditResult {
  const c = new Checker(source);
  const root = c.object(value, '$');
  const version = c.string(root.version, '$.version');
  if (version.split('.')[0] !== SUPPORTED_MAJOR || !/^\d+\.\d+\.\d+$/.test(version)) {
    c.fail('$.version', `an audit result version ${SUPPORTED_MAJOR}.x.y`, version);
  }
  const tool = c.object(root.tool, '$.tool');
  return {
    version,
    tool: { name: c.oneOf(tool.name, ['antidote'] as const, '$.tool.name'), version: c.string(tool.version, '$.tool.version') },
    status: c.oneOf(root.status, RUN_STATUSES, '$.status'),
    startedAt: c.string(root.startedAt, '$.startedAt'),
    durationMs: c.number(root.durationMs, '$.durationMs', 0),
    inputs: c.array(root.inputs, '$.inputs').map((v, i) => c.string(v, `$.inputs[${i}]`)),
    threshold: c.number(root.threshold, '$.threshold', 0, 1),
    files: c.array(root.files, '$.files').map((v, i) => checkFile(c, v, `$.files[${i}]`)),
    findings: c.array(root.findings, '$.findings').map((v, i) => checkFinding(c, v, `$.findings[${i}]`)),
    rows: c.array(root.rows, '$.rows').map((v, i) => checkRow(c, v, `$.rows[${i}]`)),
    triggers: c.array(root.triggers, '$.triggers').map((v, i) => checkTrigger(c, v, `$.triggers[${i}]`)),
    rules: c.array(root.rules, '$.rules').map((v, i) => checkRule(c, v, `$.rules[${i}]`)),
    summary: checkSummary(c, root.summary, '$.summary'),
  };
}

function checkFile(c: Checker, value: unknown, at: string): AuditFile {
  const o = c.object(value, at);
  const file: AuditFile = {
    path: c.string(o.path, `${at}.path`),
    format: c.string(o.format, `${at}.format`),
    shape: c.string(o.shape, `${at}.shape`),
    status: c.oneOf(o.status, FILE_STATUSES, `${at}.status`),
    rows: c.integer(o.rows, `${at}.rows`),
    badRows: c.integer(o.badRows, `${at}.badRows`),
    flaggedRows: c.integer(o.flaggedRows, `${at}.flaggedRows`),
  };
  if (o.bytes !== undefined) file.bytes = c.integer(o.bytes, `${at}.bytes`);
  if (o.reason !== undefined) file.reason = c.string(o.reason, `${at}.reason`);
  return file;
}

function checkFinding(c: Checker, value: unknown, at: string): Finding {
  const o = c.object(value, at);
  const l = c.object(o.location, `${at}.location`);
  const location: Location = { path: c.string(l.path, `${at}.location.path`) };
  if (l.offset !== undefined) location.offset = c.integer(l.offset, `${at}.location.offset`);
  if (l.pickleIndex !== undefined) location.pickleIndex = c.integer(l.pickleIndex, `${at}.location.pickleIndex`);
  if (l.row !== undefined) location.row = c.integer(l.row, `${at}.location.row`);
  if (l.jsonPath !== undefined) location.jsonPath = c.string(l.jsonPath, `${at}.location.jsonPath`);
  const e = c.object(o.evidence, `${at}.evidence`);
  const evidence: Evidence = {};
  for (const key of ['match', 'opcode', 'rule', 'excerpt'] as const) if (e[key] !== undefined) evidence[key] = c.string(e[key], `${at}.evidence.${key}`);
  if (e.score !== undefined) evidence.score = c.number(e.score, `${at}.evidence.score`);
  if (e.details !== undefined) evidence.details = c.scalars(e.details, `${at}.evidence.details`);
  return {
    ruleId: c.string(o.ruleId, `${at}.ruleId`),
    severity: c.severity(o.severity, `${at}.severity`),
    messageId: c.string(o.messageId, `${at}.messageId`),
    message: c.string(o.message, `${at}.message`),
    location,
    evidence,
  };
}

function checkRow(c: Checker, value: unknown, at: string): AuditRow {
  const o = c.object(value, at);
  const row: AuditRow = {
    path: c.string(o.path, `${at}.path`),
    row: c.integer(o.row, `${at}.row`),
    score: c.number(o.score, `${at}.score`, 0, 1),
    flagged: c.boolean(o.flagged, `${at}.flagged`),
    reasons: c.array(o.reasons, `${at}.reasons`).map((v, i) => checkReason(c, v, `${at}.reasons[${i}]`)),
  };
  if (o.line !== undefined) row.line = c.integer(o.line, `${at}.line`);
  return row;
}

function checkReason(c: Checker, value: unknown, at: string): RowReason {
  const o = c.object(value, at);
  const reason: RowReason = { rule: c.string(o.rule, `${at}.rule`), score: c.number(o.score, `${at}.score`, 0, 1), message: c.string(o.message, `${at}.message`) };
  if (o.trigger !== undefined) reason.trigger = c.string(o.trigger, `${at}.trigger`);
  return reason;
}

function checkTrigger(c: Checker, value: unknown, at: string): AuditTrigger {
  const o = c.object(value, at);
  const trigger: AuditTrigger = {
    path: c.string(o.path, `${at}.path`),
    text: c.string(o.text, `${at}.text`),
    score: c.number(o.score, `${at}.score`, 0, 1),
    rule: c.string(o.rule, `${at}.rule`),
    behaviour: c.string(o.behaviour, `${at}.behaviour`),
    rows: c.array(o.rows, `${at}.rows`).map((v, i) => c.integer(v, `${at}.rows[${i}]`)),
  };
  if (o.details !== undefined) trigger.details = c.scalars(o.details, `${at}.details`);
  return trigger;
}

function checkRule(c: Checker, value: unknown, at: string): RuleInfo {
  const o = c.object(value, at);
  return {
    id: c.string(o.id, `${at}.id`),
    title: c.string(o.title, `${at}.title`),
    description: c.string(o.description, `${at}.description`),
    remediation: c.string(o.remediation, `${at}.remediation`),
    defaultSeverity: c.severity(o.defaultSeverity, `${at}.defaultSeverity`),
    tags: c.array(o.tags, `${at}.tags`).map((v, i) => c.string(v, `${at}.tags[${i}]`)),
  };
}

function checkSummary(c: Checker, value: unknown, at: string): Record<Severity, number> {
  const o = c.object(value, at);
  const summary = {} as Record<Severity, number>;
  for (const s of SEVERITIES) summary[s] = c.integer(o[s], `${at}.${s}`);
  return summary;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Type checks that fail with the JSON path and a quote of the offending value. */
class Checker {
  constructor(private readonly source: string) {}

  fail(at: string, expected: string, got: unknown): never {
    const shown = typeof got === 'string' ? `"${displayText(got, MAX_QUOTED)}"` : got === undefined ? 'nothing' : Array.isArray(got) ? 'a list' : typeof got === 'object' ? (got === null ? 'null' : 'an object') : displayText(String(got), MAX_QUOTED);
    throw new AntidoteError('RESULT_INVALID', `${displayText(this.source, 300)}: ${at}: expected ${expected}, got ${shown}`);
  }

  object(value: unknown, at: string): Record<string, unknown> {
    if (!isObject(value)) this.fail(at, 'an object', value);
    return value;
  }

  array(value: unknown, at: string): unknown[] {
    if (!Array.isArray(value)) this.fail(at, 'a list', value);
    return value;
  }

  string(value: unknown, at: string): string {
    if (typeof value !== 'string') this.fail(at, 'a string', value);
    return value;
  }

  boolean(value: unknown, at: string): boolean {
    if (typeof value !== 'boolean') this.fail(at, 'true or false', value);
    return value;
  }

  number(value: unknown, at: string, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(at, min === Number.NEGATIVE_INFINITY ? 'a number' : max === Number.POSITIVE_INFINITY ? `a number >= ${min}` : `a number in [${min}, ${max}]`, value);
    }
    return value;
  }

  integer(value: unknown, at: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(at, 'a non-negative integer', value);
    return value;
  }

  oneOf<T extends string>(value: unknown, allowed: readonly T[], at: string): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) this.fail(at, `one of ${allowed.join(', ')}`, value);
    return value as T;
  }

  severity(value: unknown, at: string): Severity {
    if (!isSeverity(value)) this.fail(at, `a severity (${SEVERITIES.join(', ')})`, value);
    return value;
  }

  scalars(value: unknown, at: string): Record<string, string | number | boolean> {
    const entries = Object.entries(this.object(value, at));
    for (const [key, v] of entries) {
      if (typeof v !== 'string' && typeof v !== 'boolean' && (typeof v !== 'number' || !Number.isFinite(v))) this.fail(`${at}.${displayText(key, MAX_QUOTED)}`, 'a string, number or boolean', v);
    }
    // fromEntries defines own properties, so a key named "__proto__" stays a key and never a prototype.
    return Object.fromEntries(entries) as Record<string, string | number | boolean>;
  }
}
