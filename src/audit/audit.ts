import { formatMessage } from '../core/detector.js';
import { errorMessage } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import type { RuleInfo, RunStatus } from '../core/result.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import type { CorpusShape, DatasetCorpus } from '../detectors/dataset/corpus.js';
import { CorpusBuilder } from '../detectors/dataset/corpus-builder.js';
import type { AuditRowText, DatasetContext, DatasetDetector, DatasetDetectorOptions } from '../detectors/dataset/dataset-detector.js';
import type { ReferenceFrequencies } from '../detectors/dataset/reference-frequencies.js';
import unreadableRows from '../detectors/dataset/unreadable-rows.js';
import { auditDetectors, recommendedAuditDetectors } from '../detectors/registry.js';
import type { DatasetColumn, DatasetEvent, DatasetIssue } from '../readers/dataset/types.js';
import { VERSION } from '../version.js';
import { rowMapper, type RowMapper } from './fields.js';
import { resolveShape, type DatasetShape, type ShapeFields } from '../readers/dataset/shape.js';
import { defaultReference } from './reference.js';
import { alignProbabilities, type SuppliedProbabilities } from '../detectors/dataset/supplied-data.js';
import { RowEmbeddingCollector } from './embeddings/row-embeddings.js';
import type { EmbeddingProvider } from './embeddings/provider.js';
import { AUDIT_RESULT_VERSION, type AuditFile, type AuditResult, type AuditRow, type AuditTrigger } from './result.js';
import { clampScore, RowScoreBoard } from './row-scores.js';

/*
 * `antidote audit`: find the poisoned rows of a fine-tuning or RAG dataset and the trigger that makes them
 * work. The audit streams each file once: every row is mapped to its prompt, response and label, handed to
 * the detectors' per-row hook, and folded into a columnar corpus (token ids, MinHash signatures, response
 * features; the text itself is dropped). Then the corpus-level detectors run, their row flags are merged
 * into one score per row, and the result lists findings, suspect rows and triggers.
 *
 * Never throws for a bad dataset: unreadable rows become findings with their line and the file becomes
 * `partial`; they are flagged too, so `--quarantine` receives them (unknown is not clean).
 */

/** Default row score at or above which a row is flagged (and quarantined). */
export const DEFAULT_THRESHOLD = 0.5;
/** Default false discovery rate for the trigger statistics (Benjamini-Hochberg over candidate n-grams). */
export const DEFAULT_FALSE_DISCOVERY_RATE = 0.01;
/** Rows buffered to decide the shape before mapping starts. */
const SHAPE_SAMPLE_ROWS = 64;
/** Bad rows listed as findings one by one per file; the rest are counted in one finding (all are flagged). */
const MAX_BAD_ROW_FINDINGS = 100;

/** One dataset to audit: its rows as a stream of reader events. */
export interface AuditInput {
  /** Display path (as given on the command line). */
  path: string;
  /** Reader format, for the report (`jsonl`, `csv`...). */
  format: string;
  events: AsyncIterable<DatasetEvent>;
  /** Size in bytes, for the report. */
  bytes?: number;
  /** Declared columns (Parquet, Arrow), when the reader knows them before the rows. */
  columns?: () => readonly DatasetColumn[];
  /** Problems with the file as a whole (complete once the events are consumed). */
  issues?: () => readonly DatasetIssue[];
}

/** How to audit. */
export interface AuditOptions {
  /** Row shape; detected from the columns and first rows when absent. */
  shape?: DatasetShape;
  /** Which column plays which part (`--fields`), over what detection found. */
  fields?: ShapeFields;
  /** Row score at or above which a row is flagged. */
  threshold?: number;
  falseDiscoveryRate?: number;
  reference?: ReferenceFrequencies;
  /** Detectors to run; default: the recommended audit preset (plus label issues when asked for or given probabilities). */
  detectors?: readonly DatasetDetector<any>[];
  /** Also run the opt-in label-noise detector (`--label-issues`); implied by `probabilities`. */
  labelIssues?: boolean;
  /** `--probabilities FILE`, read: class probabilities per row for dataset/label-issues (checked against the dataset). */
  probabilities?: SuppliedProbabilities;
  /** `--embeddings`: embeds every row as it streams, for dataset/embedding-outliers (default: its own bag of words). */
  embeddings?: EmbeddingProvider;
}

/** What one file's audit produced, before the results of several files are put together. */
export interface FileAudit {
  file: AuditFile;
  findings: Finding[];
  rows: AuditRow[];
  triggers: AuditTrigger[];
  rules: RuleInfo[];
  /** The corpus, for callers that go on to re-read or report (the CLI drops it). */
  corpus: DatasetCorpus;
}

/** Audit several datasets; each file is its own corpus (row indices are per file). */
export async function audit(inputs: readonly AuditInput[], options: AuditOptions = {}): Promise<AuditResult> {
  const startedAt = new Date();
  const started = performance.now();
  const audits: FileAudit[] = [];
  for (const input of inputs) audits.push(await auditDataset(input, options));
  return assembleResult(audits, inputs.map((i) => i.path), options.threshold ?? DEFAULT_THRESHOLD, startedAt, performance.now() - started);
}

/** Put per-file audits together into the versioned result. */
export function assembleResult(audits: readonly FileAudit[], inputs: readonly string[], threshold: number, startedAt: Date, durationMs: number): AuditResult {
  const findings = audits.flatMap((a) => a.findings);
  const rules = new Map<string, RuleInfo>();
  for (const a of audits) for (const rule of a.rules) if (!rules.has(rule.id)) rules.set(rule.id, rule);
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) summary[f.severity]++;
  const files = audits.map((a) => a.file);
  const status: RunStatus =
    files.length > 0 && files.every((f) => f.status === 'failed') ? 'failed' : files.some((f) => f.status !== 'scanned') ? 'partial' : 'succeeded';
  return {
    version: AUDIT_RESULT_VERSION,
    tool: { name: 'antidote', version: VERSION },
    status,
    startedAt: startedAt.toISOString(),
    durationMs,
    inputs: [...inputs],
    threshold,
    files,
    findings,
    rows: audits.flatMap((a) => a.rows),
    triggers: audits.flatMap((a) => a.triggers),
    rules: [...rules.values()],
    summary,
  };
}

/** Audit one dataset. */
export async function auditDataset(input: AuditInput, options: AuditOptions = {}): Promise<FileAudit> {
  const detectors = options.detectors ?? (options.labelIssues || options.probabilities ? auditDetectors : recommendedAuditDetectors);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const detectorOptions: DatasetDetectorOptions = {
    falseDiscoveryRate: options.falseDiscoveryRate ?? DEFAULT_FALSE_DISCOVERY_RATE,
    reference: options.reference ?? defaultReference(),
  };
  const sink = new FindingSink(input.path);
  const board = new RowScoreBoard();
  const triggers: AuditTrigger[] = [];
  const lines = new Map<number, number>();
  const contexts = new Map(detectors.map((d) => [d, sink.contextFor(d, detectorOptions, board, triggers)] as const));
  const embedder = options.embeddings ? new RowEmbeddingCollector(options.embeddings) : undefined;
  const unreadable = sink.contextFor(unreadableRows, detectorOptions, board, triggers);

  let builder: CorpusBuilder | undefined;
  let mapper: RowMapper | undefined;
  let shape: CorpusShape = options.shape ?? 'unknown';
  const sample: DatasetEvent[] = [];
  let rowCount = 0;
  let badRows = 0;
  let listedBad = 0;
  let stoppedEarly: string | undefined;
  const failedDetectors = new Set<string>();

  const reportBad = (index: number, line: number | undefined, message: string, excerpt: string, rows: number): void => {
    badRows += rows;
    const location = line === undefined ? `row ${index}` : `line ${line}`;
    for (let r = index; r < index + rows; r++) {
      board.add(r, { rule: unreadableRows.id, score: 1, message: `could not be read (${location}): ${message}` });
    }
    if (line !== undefined) lines.set(index, line);
    if (listedBad++ < MAX_BAD_ROW_FINDINGS) {
      unreadable.report({
        messageId: rows > 1 ? 'badBlock' : 'badRow',
        data: { where: location, message, rows },
        location: { row: index },
        evidence: { excerpt, details: { row: index, rows, ...(line !== undefined ? { line } : {}) } },
      });
    }
  };

  const consume = (event: DatasetEvent): void => {
    if (event.kind === 'bad') {
      const bad = event.bad;
      const rows = Math.max(1, bad.rows ?? 1);
      builder!.addBadRow(bad.index, rows);
      rowCount = Math.max(rowCount, bad.index + rows);
      reportBad(bad.index, bad.line, bad.message, bad.excerpt, rows);
      if (bad.fatal) stoppedEarly = bad.message;
      return;
    }
    const { row } = event;
    rowCount = Math.max(rowCount, row.index + 1);
    if (row.line !== undefined) lines.set(row.index, row.line);
    const mapped = mapper!(row.value);
    if (!mapped.ok) {
      builder!.addBadRow(row.index);
      reportBad(row.index, row.line, mapped.message, '', 1);
      return;
    }
    const fields = mapped.label === undefined ? { prompt: mapped.prompt, response: mapped.response } : mapped;
    builder!.addRow(row.index, fields);
    embedder?.add(row.index, fields.prompt, fields.response);
    const text: AuditRowText = { index: row.index, ...(row.line !== undefined ? { line: row.line } : {}), ...fields };
    for (const [detector, context] of contexts) {
      if (!detector.inspectRow || failedDetectors.has(detector.id)) continue;
      try {
        detector.inspectRow(text, context);
      } catch (error) {
        failedDetectors.add(detector.id);
        sink.internalError(detector, error);
      }
    }
  };

  const start = (): void => {
    const samples = sample.flatMap((e) => (e.kind === 'row' ? [e.row.value] : []));
    const mapping = resolveShape(input.columns?.() ?? [], samples, { ...(options.shape ? { shape: options.shape } : {}), ...(options.fields ? { fields: options.fields } : {}) });
    shape = mapping.shape;
    mapper = rowMapper(mapping);
    builder = new CorpusBuilder(input.path, shape);
    for (const event of sample) consume(event);
    sample.length = 0;
  };

  try {
    for await (const event of input.events) {
      if (embedder?.saturated) await embedder.drain();
      if (builder) consume(event);
      else {
        sample.push(event);
        if (sample.length >= SHAPE_SAMPLE_ROWS) start();
      }
    }
  } catch (error) {
    // Readers should not throw past their boundary; if one does, what was read still counts.
    stoppedEarly = errorMessage(error);
  }
  if (!builder) start();
  const corpus = builder!.build();
  // Probabilities that do not fit the dataset are a usage error (exit 2), not a finding.
  if (options.probabilities) {
    alignProbabilities(options.probabilities, corpus);
    detectorOptions.probabilities = options.probabilities;
  }
  if (embedder) detectorOptions.embeddings = await embedder.finish(corpus.rowCount);

  for (const [detector, context] of contexts) {
    if (!detector.analyze || failedDetectors.has(detector.id)) continue;
    try {
      detector.analyze(corpus, context);
    } catch (error) {
      failedDetectors.add(detector.id);
      sink.internalError(detector, error);
    }
  }
  if (listedBad > MAX_BAD_ROW_FINDINGS) {
    unreadable.report({ messageId: 'moreBadRows', data: { count: listedBad - MAX_BAD_ROW_FINDINGS }, evidence: { details: { omitted: listedBad - MAX_BAD_ROW_FINDINGS } } });
  }
  if (stoppedEarly !== undefined) {
    unreadable.report({ messageId: 'stopped', data: { message: stoppedEarly, rows: rowCount }, location: { row: rowCount }, evidence: { details: { rowsRead: rowCount } } });
  }
  const issues = input.issues?.() ?? [];
  for (const issue of issues) {
    unreadable.report({
      messageId: 'fileIssue',
      data: { message: issue.message, where: issue.line !== undefined ? `line ${issue.line}` : issue.offset !== undefined ? `byte ${issue.offset}` : 'file' },
      evidence: { rule: issue.kind, details: { kind: issue.kind, ...(issue.line !== undefined ? { line: issue.line } : {}), ...(issue.limit !== undefined ? { limit: issue.limit } : {}) } },
    });
  }
  if (corpus.truncatedRows > 0) {
    unreadable.report({ messageId: 'truncated', severity: 'low', data: { count: corpus.truncatedRows }, evidence: { details: { rows: corpus.truncatedRows } } });
  }

  const rows: AuditRow[] = board.rows().map(({ row, score, reasons }) => {
    const line = lines.get(row);
    return { path: input.path, row, ...(line !== undefined ? { line } : {}), score, flagged: score >= threshold, reasons };
  });
  const flaggedRows = rows.filter((r) => r.flagged).length;
  const readableRows = rowCount - badRows;
  const status =
    readableRows <= 0 && rowCount > 0 ? 'failed' : badRows > 0 || stoppedEarly !== undefined || failedDetectors.size > 0 || issues.length > 0 ? 'partial' : 'scanned';
  const reason =
    stoppedEarly !== undefined
      ? `reading stopped: ${stoppedEarly}`
      : badRows > 0
        ? `${badRows} of ${rowCount} rows could not be read`
        : failedDetectors.size > 0
          ? `detectors failed: ${[...failedDetectors].join(', ')}`
          : issues.length > 0
            ? `${issues.length} file-level problems: ${issues[0]!.message}`
            : undefined;
  return {
    file: {
      path: input.path,
      format: input.format,
      ...(input.bytes !== undefined ? { bytes: input.bytes } : {}),
      shape,
      status,
      rows: rowCount,
      badRows,
      flaggedRows,
      ...(reason !== undefined ? { reason } : {}),
    },
    findings: sink.findings,
    rows,
    triggers: mergeTriggers(triggers),
    rules: sink.rules(),
    corpus,
  };
}

/**
 * One entry per trigger text: two detectors that find the same trigger through two behaviours (a fixed
 * refusal is also a refusal) give one trigger with both behaviours and every row either names.
 */
function mergeTriggers(triggers: readonly AuditTrigger[]): AuditTrigger[] {
  const byText = new Map<string, AuditTrigger>();
  for (const t of triggers) {
    const seen = byText.get(t.text);
    if (!seen) {
      byText.set(t.text, { ...t, rows: [...t.rows] });
      continue;
    }
    seen.score = Math.max(seen.score, t.score);
    if (!seen.behaviour.includes(t.behaviour)) seen.behaviour = `${seen.behaviour}; ${t.behaviour}`;
    seen.rows = [...new Set([...seen.rows, ...t.rows])].sort((a, b) => a - b);
  }
  return [...byText.values()];
}

/** Collects findings from dataset detectors and remembers the rules that produced them. */
class FindingSink {
  readonly findings: Finding[] = [];
  private readonly used = new Map<string, RuleInfo>();

  constructor(private readonly path: string) {}

  contextFor<M extends Record<string, string>>(
    detector: DatasetDetector<M>,
    audit: DatasetDetectorOptions,
    board: RowScoreBoard,
    triggers: AuditTrigger[],
  ): DatasetContext<M> {
    const path = this.path;
    return {
      path,
      audit,
      options: { strict: false, limits: DEFAULT_LIMITS, picklePolicy: { judge: () => ({ verdict: 'unknown', rule: 'none' }) } },
      report: (report) => {
        const template = (detector.messages as Record<string, string>)[report.messageId];
        const evidence = { ...(report.evidence ?? {}) };
        for (const key of Object.keys(evidence) as (keyof typeof evidence)[]) if (evidence[key] === undefined) delete evidence[key];
        this.findings.push({
          ruleId: detector.id,
          severity: report.severity ?? detector.defaultSeverity,
          messageId: report.messageId,
          message: formatMessage(template ?? report.messageId, report.data),
          location: { ...report.location, path: report.location?.path ?? path },
          evidence,
        });
        this.remember(detector);
      },
      flagRows: (rows, flag) => {
        const score = clampScore(flag.score);
        for (let i = 0; i < rows.length; i++) {
          board.add(rows[i]!, { rule: detector.id, score, message: flag.reason, ...(flag.trigger !== undefined ? { trigger: flag.trigger } : {}) });
        }
      },
      trigger: (t) => {
        triggers.push({
          path,
          text: t.text,
          score: clampScore(t.score),
          rule: detector.id,
          behaviour: t.behaviour,
          rows: Array.from(t.rows).sort((a, b) => a - b),
          ...(t.details ? { details: t.details } : {}),
        });
      },
    };
  }

  /** A detector threw: its verdict is missing, which is a finding (the dataset is not verified by it). */
  internalError(detector: DatasetDetector<any>, error: unknown): void {
    this.findings.push({
      ruleId: detector.id,
      severity: 'medium',
      messageId: 'internal-error',
      message: `detector failed on this dataset (${errorMessage(error)}); the dataset is not verified by it`,
      location: { path: this.path },
      evidence: {},
    });
    this.remember(detector);
  }

  rules(): RuleInfo[] {
    return [...this.used.values()];
  }

  private remember(detector: DatasetDetector<any>): void {
    if (this.used.has(detector.id)) return;
    this.used.set(detector.id, {
      id: detector.id,
      title: detector.title,
      description: detector.description,
      remediation: detector.remediation,
      defaultSeverity: detector.defaultSeverity,
      tags: [...detector.tags],
    });
  }
}
