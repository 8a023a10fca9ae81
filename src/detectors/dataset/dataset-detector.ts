import type { DetectorContext, DetectorRequirements } from '../../core/detector.js';
import type { RuleInfo } from '../../core/result.js';
import type { DatasetCorpus } from './corpus.js';
import type { ReferenceFrequencies } from './reference-frequencies.js';

/*
 * How a dataset detector sees a dataset. Two hooks, both optional, at least one present:
 *
 * - `inspectRow(row, context)`: called once per readable row in file order, while the file streams, with
 *   the row's mapped text. For checks that need the text itself and judge one row at a time (an injected
 *   instruction, a payload). It must keep no state across rows: memory stays bounded by construction.
 * - `analyze(corpus, context)`: called once after the last row, with every row's features in columnar form
 *   (`DatasetCorpus`). For statistics over the whole corpus: which prompt tokens explain a behaviour, which
 *   responses repeat across unrelated prompts, which labels a token predicts too well.
 *
 * A detector says what it found in two ways: findings (`context.report`, the same shape as `scan`, with
 * evidence) and row flags (`context.flagRows`: these rows are suspect, with this score and reason). The
 * audit merges the flags of every detector into one score per row; rows at or above the threshold are the
 * ones `--quarantine` receives. A detector that names a trigger also calls `context.trigger` so the result
 * lists it once with the rows that carry it.
 */

/** One readable row as the detectors' streaming hook sees it: the mapped text fields, never the raw object. */
export interface AuditRowText {
  /** 0-based row index in file order (bad rows counted). */
  readonly index: number;
  /** 1-based line where the row starts, for text formats. */
  readonly line?: number;
  readonly prompt: string;
  readonly response: string;
  /** Label as text, when the shape has one. */
  readonly label?: string;
}

/** Why one row is suspect, from one detector. */
export interface RowFlag {
  /** How sure the detector is that this row is poisoned, in [0, 1]. */
  score: number;
  /** One line for a person: what is wrong with the row (the reason quarantine files carry). */
  reason: string;
  /** The trigger text this row carries, when the reason is a trigger. */
  trigger?: string;
}

/** A trigger the detector found: the text, how sure it is, and the rows that carry it. */
export interface TriggerReport {
  text: string;
  /** In [0, 1]; for association triggers, the share of rows with the trigger that show the behaviour. */
  score: number;
  rows: ArrayLike<number>;
  /** What the trigger does, in a few words: `fixed response "I'm sorry..."`, `label Negative`. */
  behaviour: string;
  /** Statistics behind the verdict (p-value, counts), for the evidence. */
  details?: Record<string, string | number | boolean>;
}

/** Options every dataset detector may read; the audit fills them from flags and defaults. */
export interface DatasetDetectorOptions {
  /** False discovery rate for Benjamini-Hochberg over the candidate n-grams of one behaviour. */
  falseDiscoveryRate: number;
  /** Token frequencies of general text: how rare a token is outside this dataset. */
  reference: ReferenceFrequencies;
}

/** Handed to both hooks: report findings (scan's shape), flag rows, name triggers. */
export interface DatasetContext<M extends Record<string, string>> extends DetectorContext<M> {
  readonly audit: DatasetDetectorOptions;
  /** Mark rows as suspect; flags of every detector are merged per row by the audit. */
  flagRows(rows: ArrayLike<number>, flag: RowFlag): void;
  /** Record a trigger for the result's `triggers` list. */
  trigger(trigger: TriggerReport): void;
}

/** A dataset detector: metadata once (as every detector), then one or both hooks. */
export interface DatasetDetector<M extends Record<string, string> = Record<string, string>> extends RuleInfo {
  messages: M;
  requires: DetectorRequirements;
  /** Always `dataset`: the scan engine never hands this kind to anything, so these never run in `scan`. */
  input: 'dataset';
  inspectRow?(row: AuditRowText, context: DatasetContext<M>): void;
  analyze?(corpus: DatasetCorpus, context: DatasetContext<M>): void;
  /**
   * Present so the registry can hold dataset detectors beside scan detectors (`Detector` shape); the
   * audit never calls it and `scan` never reaches it (no artifact has input kind `dataset`).
   */
  run(input: never, context: DetectorContext<M>): void;
}

/** Identity function that types a dataset detector definition; fills the unused `run` member. */
export function defineDatasetDetector<M extends Record<string, string>>(
  detector: Omit<DatasetDetector<M>, 'run' | 'input'>,
): DatasetDetector<M> {
  return { ...detector, input: 'dataset', run: () => undefined };
}

/** Type guard: a registry entry that is a dataset detector. */
export function isDatasetDetector(detector: { input: string }): detector is DatasetDetector<any> {
  return detector.input === 'dataset';
}
