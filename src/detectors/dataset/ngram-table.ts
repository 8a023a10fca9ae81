import type { DatasetCorpus } from './corpus.js';
import { hashIds, mix32 } from './minhash.js';

/*
 * Prompt n-grams as pairs of 32-bit numbers, and an open-addressing hash table over such pairs in typed
 * arrays. A JavaScript Map keyed by numbers above 2^31 boxes every key as a heap double and was the
 * bottleneck of the trigger search (about 1 s for 7,000 rows); this table needs no allocation per lookup.
 *
 * A unigram's key is (0, token id): exact. A bigram's or trigram's key is two independent 32-bit hashes of
 * its token ids, the first with its top bit set so it never equals a unigram key; two distinct n-grams
 * share a key with probability about 2^-63.
 */

/** Longest n-gram considered; longer triggers are found as several n-grams that merge. */
export const MAX_NGRAM = 3;
/** Prompt tokens of a row scanned for n-grams (triggers sit anywhere, but a 512-token prompt is rare). */
export const MAX_PROMPT_TOKENS = 512;

/** Scratch buffers holding the n-grams of one row. */
export interface RowNgrams {
  hi: Uint32Array;
  lo: Uint32Array;
  /** Index of the n-gram's first token in the corpus token column. */
  start: Uint32Array;
  n: Uint8Array;
  count: number;
}

/** Buffers big enough for any row. */
export function rowNgramBuffers(): RowNgrams {
  const size = MAX_PROMPT_TOKENS * MAX_NGRAM;
  return { hi: new Uint32Array(size), lo: new Uint32Array(size), start: new Uint32Array(size), n: new Uint8Array(size), count: 0 };
}

/**
 * Fill `out` with the n-grams (n = 1..MAX_NGRAM) of row `row`'s prompt. With `startsNgram`, bigrams and
 * trigrams are produced only where their first token is marked (a corpus pass that looks for a few known
 * n-grams hashes little).
 */
export function rowNgrams(corpus: DatasetCorpus, row: number, out: RowNgrams, startsNgram?: Uint8Array): void {
  const { offsets, ids, spaceBefore } = corpus.prompt;
  const begin = offsets[row]!;
  const end = Math.min(offsets[row + 1]!, begin + MAX_PROMPT_TOKENS);
  let count = 0;
  for (let i = begin; i < end; i++) {
    const id = ids[i]!;
    out.hi[count] = 0;
    out.lo[count] = id;
    out.start[count] = i;
    out.n[count] = 1;
    count++;
    if (startsNgram !== undefined && startsNgram[id] !== 1) continue;
    // An n-gram never spans a line break (a field or turn boundary: `helpful. <<` is no phrase).
    for (let n = 2; n <= MAX_NGRAM && i + n <= end && spaceBefore[i + n - 1] !== 2; n++) {
      out.hi[count] = (hashIds(ids, i, i + n, 0x1b873593) | 0x80000000) >>> 0;
      out.lo[count] = mix32(hashIds(ids, i, i + n, 0x27d4eb2f) ^ n);
      out.start[count] = i;
      out.n[count] = n;
      count++;
    }
  }
  out.count = count;
}

/** An open-addressing set of (hi, lo) keys that numbers them densely 0, 1, 2... in insertion order. */
export class NgramTable {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** Dense id + 1 per slot; 0 = empty. */
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let capacity = 64;
    while (capacity < expected * 2) capacity *= 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  /** Dense id of the key, or -1. */
  find(hi: number, lo: number): number {
    let slot = mix32(hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === 0) return -1;
      if (this.lo[slot] === lo && this.hi[slot] === hi) return id - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Dense id of the key, adding it when new. */
  insert(hi: number, lo: number): number {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    let slot = mix32(hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === 0) {
        this.hi[slot] = hi;
        this.lo[slot] = lo;
        this.slots[slot] = ++this.size;
        return this.size - 1;
      }
      if (this.lo[slot] === lo && this.hi[slot] === hi) return id - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const { hi, lo, slots } = this;
    const capacity = slots.length * 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let s = 0; s < slots.length; s++) {
      const id = slots[s]!;
      if (id === 0) continue;
      let slot = mix32(hi[s]! ^ Math.imul(lo[s]!, 0x9e3779b1)) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.hi[slot] = hi[s]!;
      this.lo[slot] = lo[s]!;
      this.slots[slot] = id;
    }
  }
}
