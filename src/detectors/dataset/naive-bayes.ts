import type { DatasetCorpus } from './corpus.js';

/*
 * A multinomial naive Bayes over prompt tokens (each token counted once per row), trained on the labelled
 * rows of a corpus, that predicts a row's label from its *other* tokens: leave-one-out (the row's own
 * counts are taken out of the model before it is judged) and with some tokens set aside (the suspected
 * trigger words). The label detector asks it "given the rest of the text, how likely was this label?"
 * for every row carrying a candidate trigger. Naive Bayes is over-confident; the log-likelihood ratio is
 * divided by TEMPERATURE so that one unusual review does not count as certain evidence.
 */

/** Additive smoothing of token counts. */
const ALPHA = 1;
/** Divides the summed log-likelihood ratios (naive Bayes treats correlated words as independent evidence). */
const TEMPERATURE = 3;

/** Label counts per token of one corpus; build once with {@link trainNaiveBayes}. */
export interface NaiveBayesModel {
  readonly labels: number;
  /** counts[label * V + token]: labelled canonical rows of that label containing the token. */
  readonly counts: Uint32Array;
  /** Token occurrences (once per row) per label. */
  readonly totals: Float64Array;
  /** Rows per label. */
  readonly rows: Float64Array;
  readonly vocabulary: number;
}

/** Count tokens per label over the canonical labelled rows in `universe`. */
export function trainNaiveBayes(corpus: DatasetCorpus, universe: ArrayLike<number>): NaiveBayesModel {
  const L = corpus.labelNames.length;
  const V = corpus.vocabulary.size;
  const counts = new Uint32Array(L * V);
  const totals = new Float64Array(L);
  const rows = new Float64Array(L);
  const seen = new Int32Array(V).fill(-1);
  const { offsets, ids } = corpus.prompt;
  for (let u = 0; u < universe.length; u++) {
    const row = universe[u]!;
    const label = corpus.label[row]!;
    if (label < 0) continue;
    rows[label]!++;
    for (let i = offsets[row]!; i < offsets[row + 1]!; i++) {
      const id = ids[i]!;
      if (seen[id] === row) continue;
      seen[id] = row;
      counts[label * V + id]!++;
      totals[label]!++;
    }
  }
  return { labels: L, counts, totals, rows, vocabulary: V };
}

/**
 * Probability of each label for `row` from its tokens except those in `setAside`, with the row's own
 * counts removed from the model (leave-one-out). Returns a new array of `labels` probabilities.
 */
export function predictLeaveOneOut(model: NaiveBayesModel, corpus: DatasetCorpus, row: number, setAside: ReadonlySet<number>): Float64Array {
  const { labels: L, counts, totals, rows, vocabulary: V } = model;
  const own = corpus.label[row]!;
  const { offsets, ids } = corpus.prompt;
  const tokens = new Set<number>();
  for (let i = offsets[row]!; i < offsets[row + 1]!; i++) if (!setAside.has(ids[i]!)) tokens.add(ids[i]!);
  const allRows = rows.reduce((a, b) => a + b, 0) - (own >= 0 ? 1 : 0);
  const scores = new Float64Array(L);
  for (let l = 0; l < L; l++) {
    const mine = l === own ? 1 : 0;
    const labelRows = rows[l]! - mine;
    const total = totals[l]! - (mine ? tokens.size : 0);
    let log = 0;
    for (const id of tokens) log += Math.log((counts[l * V + id]! - mine + ALPHA) / (total + ALPHA * V));
    scores[l] = log / TEMPERATURE + Math.log((labelRows + 1) / (allRows + L));
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const s of scores) max = Math.max(max, s);
  let sum = 0;
  for (let l = 0; l < L; l++) {
    scores[l] = Math.exp(scores[l]! - max);
    sum += scores[l]!;
  }
  for (let l = 0; l < L; l++) scores[l] = scores[l]! / sum;
  return scores;
}
