import { AntidoteError } from '../core/errors.js';
import type { Evidence, Finding, Location } from '../core/finding.js';
import {
  RESULT_VERSION,
  type FileRecord,
  type FileStatus,
  type RuleInfo,
  type RunStatus,
  type ScanResult,
} from '../core/result.js';
import { SEVERITIES, isSeverity, type Severity } from '../core/severity.js';
import { displayText } from './display-text.js';

/*
 * The JSON result is a contract (docs/result.schema.json, docs/result-format.md). renderJson writes it
 * with a fixed key order; parseResult reads one back for `antidote report FILE.json`. The validation is
 * written by hand because src/ has no runtime dependencies; test/report checks that it agrees with the
 * schema on good and bad documents.
 */

const RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'partial', 'failed'];
const FILE_STATUSES: readonly FileStatus[] = ['scanned', 'partial', 'failed', 'skipped'];

/** `MAJOR.MINOR.PATCH`; the contract promises that a reader of major N reads every N.x. */
const VERSION_PATTERN = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** RFC 3339 date-time as written by `Date.prototype.toISOString` (and by most other producers). */
const DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** How much of an offending value an error message quotes; the message is printed to a terminal. */
const MAX_QUOTED_VALUE = 60;

/** How much of the source name an error message quotes. */
const MAX_SOURCE_NAME = 300;

const SUPPORTED_MAJOR = RESULT_VERSION.split('.')[0] ?? '1';

/**
 * Serialise a result as the versioned JSON contract: two-space indented, keys in the order of the
 * `ScanResult` type, optional fields left out when absent, unknown fields dropped, and a final newline.
 */
export function renderJson(result: ScanResult): string {
  return `${JSON.stringify(canonicalResult(result), null, 2)}\n`;
}

/** A copy of `result` holding exactly the contract's fields, in the type's key order. */
function canonicalResult(result: ScanResult): ScanResult {
  return {
    version: result.version,
    tool: { name: result.tool.name, version: result.tool.version },
    status: result.status,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    inputs: [...result.inputs],
    findings: result.findings.map(canonicalFinding),
    files: result.files.map(canonicalFile),
    rules: result.rules.map(canonicalRule),
    summary: canonicalSummary(result.summary),
  };
}

function canonicalFinding(finding: Finding): Finding {
  return {
    ruleId: finding.ruleId,
    severity: finding.severity,
    messageId: finding.messageId,
    message: finding.message,
    location: canonicalLocation(finding.location),
    evidence: canonicalEvidence(finding.evidence),
  };
}

function canonicalLocation(location: Location): Location {
  const out: Location = { path: location.path };
  if (location.offset !== undefined) out.offset = location.offset;
  if (location.pickleIndex !== undefined) out.pickleIndex = location.pickleIndex;
  if (location.row !== undefined) out.row = location.row;
  if (location.jsonPath !== undefined) out.jsonPath = location.jsonPath;
  return out;
}

function canonicalEvidence(evidence: Evidence): Evidence {
  const out: Evidence = {};
  if (evidence.match !== undefined) out.match = evidence.match;
  if (evidence.opcode !== undefined) out.opcode = evidence.opcode;
  if (evidence.rule !== undefined) out.rule = evidence.rule;
  if (evidence.score !== undefined) out.score = evidence.score;
  if (evidence.excerpt !== undefined) out.excerpt = evidence.excerpt;
  // fromEntries defines own properties, so a `__proto__` key stays data instead of changing the prototype.
  if (evidence.details !== undefined) out.details = Object.fromEntries(Object.entries(evidence.details));
  return out;
}

function canonicalFile(file: FileRecord): FileRecord {
  const out: FileRecord = {
    path: file.path,
    format: file.format,
    status: file.status,
    size: file.size,
    sha256: file.sha256,
  };
  if (file.reason !== undefined) out.reason = file.reason;
  return out;
}

function canonicalRule(rule: RuleInfo): RuleInfo {
  return {
    id: rule.id,
    title: rule.title,
    description: rule.description,
    remediation: rule.remediation,
    defaultSeverity: rule.defaultSeverity,
    tags: [...rule.tags],
  };
}

function canonicalSummary(summary: Record<Severity, number>): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, summary[s]])) as Record<Severity, number>;
}

/**
 * Read a saved JSON result back. Throws `AntidoteError('RESULT_INVALID')` naming `source` and the first
 * offending field (`findings[2].location.offset`) when the text is not JSON, was written for another major
 * version of the contract, or has the wrong shape. Fields unknown to this version are ignored, so results
 * of a later 1.x minor version still load; the returned object holds only the fields known here.
 */
export function parseResult(text: string, source: string): ScanResult {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // A deeply nested document makes JSON.parse throw RangeError; that is as invalid as a syntax error.
    // Node quotes the offending input in the message, so it is neutralised like any file content.
    const problem = displayText(describeError(error), MAX_QUOTED_VALUE * 2);
    throw new AntidoteError('RESULT_INVALID', `${displayText(source, MAX_SOURCE_NAME)}: not valid JSON (${problem})`, {
      cause: error,
    });
  }
  return new ResultReader(source).result(document);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Short, terminal-safe rendering of an offending value for an error message. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(displayText(value, MAX_QUOTED_VALUE))}`;
  return `${typeof value} ${String(value)}`;
}

type JsonObject = Record<string, unknown>;

/** Walks an untrusted document, building a fresh typed copy; the first mismatch throws. */
class ResultReader {
  constructor(private readonly source: string) {}

  result(value: unknown): ScanResult {
    const root = this.object(value, '(root)');
    const version = this.version(root.version);
    const toolObject = this.object(root.tool, 'tool');
    if (toolObject.name !== 'antidote') this.fail('tool.name', 'must be "antidote"', toolObject.name);
    return {
      version,
      tool: { name: 'antidote', version: this.string(toolObject.version, 'tool.version') },
      status: this.oneOf(root.status, RUN_STATUSES, 'status'),
      startedAt: this.dateTime(root.startedAt, 'startedAt'),
      durationMs: this.number(root.durationMs, 'durationMs', { min: 0 }),
      inputs: this.array(root.inputs, 'inputs').map((item, i) => this.string(item, `inputs[${i}]`)),
      findings: this.array(root.findings, 'findings').map((item, i) => this.finding(item, `findings[${i}]`)),
      files: this.array(root.files, 'files').map((item, i) => this.file(item, `files[${i}]`)),
      rules: this.array(root.rules, 'rules').map((item, i) => this.rule(item, `rules[${i}]`)),
      summary: this.summary(root.summary, 'summary'),
    };
  }

  private version(value: unknown): string {
    if (value === undefined) this.fail('version', 'is missing; not an antidote result', value);
    const version = this.string(value, 'version');
    const match = VERSION_PATTERN.exec(version);
    if (!match) this.fail('version', 'must be MAJOR.MINOR.PATCH', value);
    if (match[1] !== SUPPORTED_MAJOR) {
      this.fail('version', `has major version ${match[1]}; this antidote reads ${SUPPORTED_MAJOR}.x results`, value);
    }
    return version;
  }

  private finding(value: unknown, path: string): Finding {
    const finding = this.object(value, path);
    return {
      ruleId: this.string(finding.ruleId, `${path}.ruleId`, { nonEmpty: true }),
      severity: this.severity(finding.severity, `${path}.severity`),
      messageId: this.string(finding.messageId, `${path}.messageId`),
      message: this.string(finding.message, `${path}.message`),
      location: this.location(finding.location, `${path}.location`),
      evidence: this.evidence(finding.evidence, `${path}.evidence`),
    };
  }

  private location(value: unknown, path: string): Location {
    const location = this.object(value, path);
    const out: Location = { path: this.string(location.path, `${path}.path`, { nonEmpty: true }) };
    if (location.offset !== undefined) out.offset = this.integer(location.offset, `${path}.offset`);
    if (location.pickleIndex !== undefined) {
      out.pickleIndex = this.integer(location.pickleIndex, `${path}.pickleIndex`);
    }
    if (location.row !== undefined) out.row = this.integer(location.row, `${path}.row`);
    if (location.jsonPath !== undefined) out.jsonPath = this.string(location.jsonPath, `${path}.jsonPath`);
    return out;
  }

  private evidence(value: unknown, path: string): Evidence {
    const evidence = this.object(value, path);
    const out: Evidence = {};
    if (evidence.match !== undefined) out.match = this.string(evidence.match, `${path}.match`);
    if (evidence.opcode !== undefined) out.opcode = this.string(evidence.opcode, `${path}.opcode`);
    if (evidence.rule !== undefined) out.rule = this.string(evidence.rule, `${path}.rule`);
    if (evidence.score !== undefined) out.score = this.number(evidence.score, `${path}.score`, { min: 0, max: 1 });
    if (evidence.excerpt !== undefined) out.excerpt = this.string(evidence.excerpt, `${path}.excerpt`);
    if (evidence.details !== undefined) {
      const details = this.object(evidence.details, `${path}.details`);
      out.details = Object.fromEntries(
        Object.entries(details).map(([key, item]) => {
          const itemPath = `${path}.details[${JSON.stringify(displayText(key, MAX_QUOTED_VALUE))}]`;
          const scalar = typeof item === 'string' || typeof item === 'boolean' || typeof item === 'number';
          if (!scalar || (typeof item === 'number' && !Number.isFinite(item))) {
            this.fail(itemPath, 'must be a string, number or boolean', item);
          }
          return [key, item];
        }),
      );
    }
    return out;
  }

  private file(value: unknown, path: string): FileRecord {
    const file = this.object(value, path);
    const sha256 = file.sha256;
    if (sha256 !== null && (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256))) {
      this.fail(`${path}.sha256`, 'must be null or 64 lowercase hex digits', sha256);
    }
    const out: FileRecord = {
      path: this.string(file.path, `${path}.path`, { nonEmpty: true }),
      format: this.string(file.format, `${path}.format`),
      status: this.oneOf(file.status, FILE_STATUSES, `${path}.status`),
      size: this.integer(file.size, `${path}.size`),
      sha256,
    };
    if (file.reason !== undefined) out.reason = this.string(file.reason, `${path}.reason`);
    return out;
  }

  private rule(value: unknown, path: string): RuleInfo {
    const rule = this.object(value, path);
    return {
      id: this.string(rule.id, `${path}.id`, { nonEmpty: true }),
      title: this.string(rule.title, `${path}.title`),
      description: this.string(rule.description, `${path}.description`),
      remediation: this.string(rule.remediation, `${path}.remediation`),
      defaultSeverity: this.severity(rule.defaultSeverity, `${path}.defaultSeverity`),
      tags: this.array(rule.tags, `${path}.tags`).map((tag, i) => this.string(tag, `${path}.tags[${i}]`)),
    };
  }

  private summary(value: unknown, path: string): Record<Severity, number> {
    const summary = this.object(value, path);
    return Object.fromEntries(
      SEVERITIES.map((severity) => [severity, this.integer(summary[severity], `${path}.${severity}`)]),
    ) as Record<Severity, number>;
  }

  private object(value: unknown, path: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object', value);
    return value as JsonObject;
  }

  private array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'must be an array', value);
    return value;
  }

  private string(value: unknown, path: string, options: { nonEmpty?: boolean } = {}): string {
    if (typeof value !== 'string') this.fail(path, 'must be a string', value);
    if (options.nonEmpty && value.length === 0) this.fail(path, 'must not be empty', value);
    return value;
  }

  private number(value: unknown, path: string, range: { min?: number; max?: number }): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, 'must be a number', value);
    if (range.min !== undefined && value < range.min) this.fail(path, `must be at least ${range.min}`, value);
    if (range.max !== undefined && value > range.max) this.fail(path, `must be at most ${range.max}`, value);
    return value;
  }

  /** Non-negative safe integer: offsets, sizes, counts. */
  private integer(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.fail(path, 'must be a non-negative integer', value);
    }
    return value;
  }

  private severity(value: unknown, path: string): Severity {
    if (!isSeverity(value)) this.fail(path, `must be one of ${SEVERITIES.join(', ')}`, value);
    return value;
  }

  private oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(path, `must be one of ${allowed.join(', ')}`, value);
    }
    return value as T;
  }

  private dateTime(value: unknown, path: string): string {
    const text = this.string(value, path);
    if (!DATE_TIME_PATTERN.test(text) || Number.isNaN(Date.parse(text))) {
      this.fail(path, 'must be an RFC 3339 date-time', value);
    }
    return text;
  }

  private fail(path: string, problem: string, value: unknown): never {
    throw new AntidoteError(
      'RESULT_INVALID',
      `${displayText(this.source, MAX_SOURCE_NAME)}: ${path} ${problem} (found ${describeValue(value)})`,
    );
  }
}
