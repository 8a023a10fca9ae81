import type { DatasetCorpus } from '../corpus.js';
import { seededRandom, shuffleInPlace } from '../seeded-random.js';
import { hashedNgramFeatures } from './hashed-features.js';
import { DEFAULT_SOFTMAX_TRAINING, predictInto, trainSoftmaxRegression, type SoftmaxTrainingOptions } from './softmax-regression.js';

/*
 * Out-of-fold class probabilities: the rows are split into k folds, a model is trained on k - 1 of them and
 * predicts the fold it never saw. Confident learning needs exactly this (Northcutt, Jiang and Chuang,
 * "Confident Learning", JAIR 2021, section 4): a model that saw a row's label while training would
 * simply repeat it, and a flipped label would look right. Copies of one text always share a fold, or the
 * model would see the text (with its label) through the copy.
 */

/** Folds of the cross-validation. */
export const DEFAULT_FOLDS = 5;
/** Hash buckets per class are capped so weights and AdaGrad state stay under 2 x 16 MB for any label count. */
const MAX_WEIGHTS = 1 << 22;
const MAX_FEATURE_BITS = 18;
const MIN_FEATURE_BITS = 12;

/** How the out-of-fold classifier runs. */
export interface OutOfFoldOptions {
  folds?: number;
  training?: Partial<Omit<SoftmaxTrainingOptions, 'classes'>>;
}

/**
 * Out-of-fold probabilities for `rows` of `corpus` (their prompt text), whose classes are `labels[i]` for
 * `rows[i]`. Returns `rows.length x classes` probabilities, row-major, in the order of `rows`.
 */
export function outOfFoldProbabilities(
  corpus: DatasetCorpus,
  rows: Uint32Array,
  labels: Int32Array,
  classes: number,
  options: OutOfFoldOptions = {},
): Float32Array {
  const training = { ...DEFAULT_SOFTMAX_TRAINING, ...options.training, classes };
  const folds = Math.max(2, options.folds ?? DEFAULT_FOLDS);
  let bits = MAX_FEATURE_BITS;
  while (bits > MIN_FEATURE_BITS && (1 << bits) * classes > MAX_WEIGHTS) bits--;
  const features = hashedNgramFeatures(corpus.prompt, rows, bits);
  const fold = assignFolds(corpus, rows, labels, classes, folds, training.seed);
  const out = new Float32Array(rows.length * classes);
  for (let f = 0; f < folds; f++) {
    let trainCount = 0;
    for (let i = 0; i < rows.length; i++) if (fold[i] !== f) trainCount++;
    const train = new Uint32Array(trainCount);
    let at = 0;
    for (let i = 0; i < rows.length; i++) if (fold[i] !== f) train[at++] = i;
    const model = trainSoftmaxRegression(features, train, labels, { ...training, seed: training.seed + f });
    for (let i = 0; i < rows.length; i++) if (fold[i] === f) predictInto(model, features, i, out, i * classes);
  }
  return out;
}

/**
 * Fold of each row: stratified by label (each fold gets its share of every class) and grouped by text
 * (copies follow the first copy's fold).
 */
function assignFolds(corpus: DatasetCorpus, rows: Uint32Array, labels: Int32Array, classes: number, folds: number, seed: number): Uint8Array {
  const fold = new Uint8Array(rows.length);
  const firstOf = new Map<number, number>();
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < rows.length; i++) {
    const canonical = corpus.canonical[rows[i]!]!;
    if (firstOf.has(canonical)) continue;
    firstOf.set(canonical, i);
    byClass[labels[i]!]?.push(i);
  }
  const random = seededRandom(seed ^ 0xf01d);
  let next = 0;
  for (const members of byClass) {
    const order = shuffleInPlace(Uint32Array.from(members), random);
    // Continue the round-robin across classes so small classes do not all start in fold 0.
    for (let k = 0; k < order.length; k++) fold[order[k]!] = next++ % folds;
  }
  for (let i = 0; i < rows.length; i++) fold[i] = fold[firstOf.get(corpus.canonical[rows[i]!]!)!]!;
  return fold;
}
