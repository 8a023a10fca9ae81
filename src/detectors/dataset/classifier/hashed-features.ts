import type { TokenColumn } from '../corpus.js';
import { mix32 } from '../minhash.js';

/*
 * Sparse bag-of-n-grams features by the hashing trick (Weinberger et al., "Feature Hashing for Large Scale
 * Multitask Learning", ICML 2009): each word and each pair of adjacent words is hashed straight to one of
 * 2^bits buckets, so no feature dictionary is built and memory does not grow with the vocabulary. Bigrams
 * carry negation and short phrases (`not good`, `no fun`) that single words miss. Rows are scaled to unit
 * length so a long text does not dominate the weights.
 */

/** Compressed sparse rows: row `i`'s features are `indices/values[offsets[i] .. offsets[i + 1])`. */
export interface SparseRows {
  readonly offsets: Uint32Array;
  readonly indices: Uint32Array;
  readonly values: Float32Array;
  /** Number of buckets: every index is below it. */
  readonly buckets: number;
}

/** Tokens per row that become features; the start of a text carries its meaning for classification. */
const MAX_FEATURE_TOKENS = 256;
const BIGRAM_SEED = 0x3c6ef372;

/**
 * Hashed word and bigram features of `column` for each row in `rows` (in that order), into `2^bits`
 * buckets. Repeated n-grams add up; each row is scaled to unit L2 norm over its n-gram counts.
 */
export function hashedNgramFeatures(column: TokenColumn, rows: ArrayLike<number>, bits: number): SparseRows {
  const mask = (1 << bits) - 1;
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const length = Math.min(MAX_FEATURE_TOKENS, column.offsets[row + 1]! - column.offsets[row]!);
    total += length === 0 ? 0 : 2 * length - 1;
  }
  const offsets = new Uint32Array(rows.length + 1);
  const indices = new Uint32Array(total);
  const values = new Float32Array(total);
  let at = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const start = column.offsets[row]!;
    const end = Math.min(column.offsets[row + 1]!, start + MAX_FEATURE_TOKENS);
    const first = at;
    let previous = -1;
    for (let t = start; t < end; t++) {
      const id = column.ids[t]!;
      indices[at++] = mix32(Math.imul(id + 1, 0x9e3779b1)) & mask;
      if (previous >= 0) indices[at++] = mix32(mix32(previous ^ BIGRAM_SEED) ^ Math.imul(id + 1, 0x85ebca6b)) & mask;
      previous = id;
    }
    const count = at - first;
    // Every n-gram has weight 1 before scaling, so the row norm is sqrt(count) up to repeats; the
    // exact norm would need the repeats merged, which costs a sort per row for a difference of a few %.
    const scale = count > 0 ? 1 / Math.sqrt(count) : 0;
    values.fill(scale, first, at);
    offsets[i + 1] = at;
  }
  return { offsets, indices: indices.subarray(0, at), values: values.subarray(0, at), buckets: mask + 1 };
}
