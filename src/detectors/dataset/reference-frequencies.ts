import { AntidoteError } from '../../core/errors.js';

/*
 * How common a token is in general text, outside the dataset under audit. A token that predicts a label
 * perfectly is only suspicious when it is rare in general text: `terrible` predicts Negative in every review
 * set, `cf` or `BadMagic` has no business predicting anything. The reference is a document-frequency list
 * (in how many documents of a clean corpus the token occurs), built by scripts/build-reference-tokens.ts
 * from public clean text; see src/audit/data/README.md for its provenance.
 */

/** Document frequencies of lower-cased tokens in a clean reference corpus. */
export interface ReferenceFrequencies {
  /** Documents in the reference corpus. */
  readonly documents: number;
  /** Documents containing `key` (lower-cased token); 0 for tokens not in the list. */
  documentFrequency(key: string): number;
  /** Where the list came from, for the evidence. */
  readonly source: string;
}

/** Tokens in one reference list; bounds the map a hand-edited or hostile list can allocate. */
const MAX_REFERENCE_TOKENS = 1_000_000;

/**
 * Parse a reference list: a `# documents=N` header line, then one `token<TAB>documentFrequency` per line.
 * Throws an AntidoteError naming the line when the list is malformed (it is shipped data or a user flag).
 */
export function parseReferenceFrequencies(text: string, source: string): ReferenceFrequencies {
  const lines = text.split('\n');
  const header = /^# documents=(\d+)\b/.exec(lines[0] ?? '');
  if (!header) throw new AntidoteError('INPUT_UNREADABLE', `${source}: line 1: expected '# documents=N'`);
  const documents = Number(header[1]);
  const table = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.lastIndexOf('\t');
    const count = tab > 0 ? Number(line.slice(tab + 1)) : NaN;
    if (!Number.isInteger(count) || count < 0) {
      throw new AntidoteError('INPUT_UNREADABLE', `${source}: line ${i + 1}: expected 'token<TAB>count'`);
    }
    if (table.size >= MAX_REFERENCE_TOKENS) {
      throw new AntidoteError('INPUT_UNREADABLE', `${source}: more than ${MAX_REFERENCE_TOKENS} tokens`);
    }
    table.set(line.slice(0, tab), count);
  }
  return { documents, source, documentFrequency: (key) => table.get(key) ?? 0 };
}

/** An empty reference: every token counts as rare. For tests and for `--reference none`. */
export const NO_REFERENCE: ReferenceFrequencies = { documents: 0, source: 'none', documentFrequency: () => 0 };

/**
 * How much more common an n-gram is in the dataset than in general text: its share of dataset rows over
 * the (add-one smoothed) share of reference documents that contain its rarest token. Infinite when there
 * is no reference (nothing can then be called common).
 */
export function referenceLift(reference: ReferenceFrequencies, keys: readonly string[], support: number, rows: number): number {
  if (reference.documents === 0) return Number.POSITIVE_INFINITY;
  return support / Math.max(1, rows) / ((rarestReferenceCount(reference, keys) + 1) / (reference.documents + 1));
}

/** Reference documents containing the rarest of `keys`. */
export function rarestReferenceCount(reference: ReferenceFrequencies, keys: readonly string[]): number {
  return Math.min(...keys.map((key) => reference.documentFrequency(key)));
}
