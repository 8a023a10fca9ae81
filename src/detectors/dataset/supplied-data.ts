import { AntidoteError } from '../../core/errors.js';
import type { DatasetCorpus } from './corpus.js';

/*
 * Per-row data that comes from outside the dataset and that the audit hands to its detectors: class
 * probabilities from the user's own model (`--probabilities FILE`, read by src/audit/class-probabilities.ts)
 * and row embeddings from an embedding provider (`--embeddings`, src/audit/embeddings/). Both are indexed
 * like the corpus: row `r` of the dataset, bad rows included.
 *
 * The two options join the detectors' `DatasetDetectorOptions` by declaration merging, so the detector
 * contract in dataset-detector.ts keeps its shape and only detectors that read them know they exist.
 */

/** Class probabilities for every dataset row, as the user's model predicted them (ideally out of fold). */
export interface SuppliedProbabilities {
  /** The file they came from, for messages. */
  readonly source: string;
  /** Rows of probabilities: must equal the dataset's rows (bad rows included). */
  readonly rows: number;
  readonly classes: number;
  /** Class of each column, from a header (CSV) or object keys (JSONL); absent: classes in sorted label order. */
  readonly classNames?: readonly string[];
  /** `rows x classes`, row-major; each row sums to 1. */
  readonly values: Float32Array;
  /** 1-based line of each row in the file, for messages that point at one. */
  readonly lines: Uint32Array;
}

/** Row embeddings from a provider: unit-length vectors, one per readable row. */
export interface RowEmbeddings {
  /** What made them: `hashed`, `endpoint http://127.0.0.1:8080/v1 (model x)`, `local ./models/minilm`. */
  readonly provider: string;
  readonly dimensions: number;
  /** `rows x dimensions`, row-major; rows with `present[r] === 0` are zeros. */
  readonly vectors: Float32Array;
  /** 1 where row `r` has an embedding. */
  readonly present: Uint8Array;
  /** Why some rows have none (a provider error after retries), when that happened. */
  readonly failure?: string;
}

declare module './dataset-detector.js' {
  interface DatasetDetectorOptions {
    /** `--probabilities FILE`: class probabilities per row, used instead of the built-in classifier. */
    probabilities?: SuppliedProbabilities;
    /** `--embeddings PROVIDER`: row embeddings, used instead of the built-in hashed embeddings. */
    embeddings?: RowEmbeddings;
  }
}

/** Probabilities re-ordered so column `c` is the corpus's label id `c` (`labelNames[c]`). */
export interface AlignedProbabilities {
  readonly classes: number;
  readonly values: Float32Array;
}

/**
 * Match supplied probabilities to the corpus: the same number of rows, and a column for every label the
 * dataset uses. Columns are matched by name when the file names them, else they are the labels in sorted
 * order (numerically when every label is a number, as `0`, `1`, `2`), as scikit-learn and cleanlab order
 * classes. Throws an AntidoteError naming the file and what does not fit (exit 2: the inputs disagree).
 */
export function alignProbabilities(supplied: SuppliedProbabilities, corpus: DatasetCorpus): AlignedProbabilities {
  if (supplied.rows !== corpus.rowCount) {
    throw new AntidoteError(
      'INPUT_UNREADABLE',
      `${supplied.source}: ${supplied.rows} rows of probabilities, but ${corpus.path} has ${corpus.rowCount} rows ` +
        '(give one row per dataset row, in file order, unreadable rows included)',
    );
  }
  const labels = corpus.labelNames;
  if (labels.length === 0) {
    throw new AntidoteError('USAGE', `--probabilities ${supplied.source}: ${corpus.path} has no labels to compare them with (map one with --fields label=COLUMN)`);
  }
  const columnOf = new Int32Array(labels.length);
  if (supplied.classNames) {
    const index = new Map(supplied.classNames.map((name, i) => [name, i] as const));
    labels.forEach((label, id) => {
      const column = index.get(label);
      if (column === undefined) {
        throw new AntidoteError(
          'INPUT_UNREADABLE',
          `${supplied.source}: no column for label "${label}" of ${corpus.path} (columns: ${supplied.classNames!.map((n) => `"${n}"`).join(', ')})`,
        );
      }
      columnOf[id] = column;
    });
  } else {
    if (supplied.classes !== labels.length) {
      throw new AntidoteError(
        'INPUT_UNREADABLE',
        `${supplied.source}: ${supplied.classes} probability columns, but ${corpus.path} has ${labels.length} labels ` +
          `(${labels.map((l) => `"${l}"`).join(', ')}); name the columns with a header row or JSON keys`,
      );
    }
    const order = sortedLabelIds(labels);
    order.forEach((id, column) => (columnOf[id] = column));
  }
  // The supplied rows may name classes the dataset never uses; those columns fold into no label and the
  // remaining mass is renormalised, so each row still sums to 1 over the dataset's own labels.
  const classes = labels.length;
  const values = new Float32Array(corpus.rowCount * classes);
  for (let row = 0; row < corpus.rowCount; row++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += supplied.values[row * supplied.classes + columnOf[c]!]!;
    for (let c = 0; c < classes; c++) values[row * classes + c] = sum > 0 ? supplied.values[row * supplied.classes + columnOf[c]!]! / sum : 1 / classes;
  }
  return { classes, values };
}

/** Label ids in the order a sorted class list would have them: numeric when every label is a number. */
export function sortedLabelIds(labels: readonly string[]): number[] {
  const ids = labels.map((_, i) => i);
  const numeric = labels.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return ids.sort((a, b) => (numeric ? Number(labels[a]) - Number(labels[b]) : labels[a]! < labels[b]! ? -1 : labels[a]! > labels[b]! ? 1 : 0));
}
