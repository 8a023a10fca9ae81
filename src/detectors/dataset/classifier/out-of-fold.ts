import type { DatasetCorpus } from '../corpus.js';
import { sampleWithoutReplacement, seededRandom, shuffleInPlace } from '../seeded-random.js';
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
/**
 * Training rows per fold. A hashed bag-of-words model gains little past this, and the cap keeps a
 * 1,000,000-row dataset at the training cost of a 12,500-row one (AG News' 10,000 rows train 8,000 per
 * fold, under the cap); every row is still predicted out of fold.
 */
export const MAX_TRAINING_ROWS_PER_FOLD = 10_000;

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
    let train: Uint32Array = new Uint32Array(trainCount);
    let at = 0;
    for (let i = 0; i < rows.length; i++) if (fold[i] !== f) train[at++] = i;
    if (train.length > MAX_TRAINING_ROWS_PER_FOLD) train = sampleWithoutReplacement(train, MAX_TRAINING_ROWS_PER_FOLD, seededRandom(training.seed + f));
    const model = trainSoftmaxRegression(features, train, labels, { ...training, seed: training.seed + f });
    for (let i = 0; i < rows.length; i++) if (fold[i] === f) predictInto(model, features, i, out, i * classes);
  }
  calibrateTemperature(out, labels, classes);
  return out;
}

/** Temperatures tried lie in [1/8, 8]; a model more than 8 times over- or under-confident is not repaired. */
const TEMPERATURE_RANGE: readonly [number, number] = [Math.log(1 / 8), Math.log(8)];

/**
 * Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017): one
 * temperature T for all rows, p_c proportional to p_c^(1/T), chosen to minimise the log loss of the
 * out-of-fold predictions against the given labels. A plain SGD model is over- or under-confident
 * depending on its step size and epochs; calibrated, a probability of 0.05 means about the same for
 * every dataset, so the audit's fixed thresholds mean the same too. Golden-section search over log T.
 */
export function calibrateTemperature(probabilities: Float32Array, labels: ArrayLike<number>, classes: number): number {
  const n = labels.length;
  const logs = new Float64Array(probabilities.length);
  for (let k = 0; k < logs.length; k++) logs[k] = Math.log(Math.max(probabilities[k]!, 1e-12));
  const loss = (logT: number): number => {
    const inverse = Math.exp(-logT);
    let total = 0;
    for (let row = 0; row < n; row++) {
      const label = labels[row]!;
      if (!(label >= 0 && label < classes)) continue;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, logs[row * classes + c]! * inverse);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logs[row * classes + c]! * inverse - max);
      total -= logs[row * classes + label]! * inverse - max - Math.log(sum);
    }
    return total;
  };
  const ratio = (Math.sqrt(5) - 1) / 2;
  let [a, b] = TEMPERATURE_RANGE;
  let x1 = b - ratio * (b - a);
  let x2 = a + ratio * (b - a);
  let f1 = loss(x1);
  let f2 = loss(x2);
  for (let step = 0; step < 40 && b - a > 1e-3; step++) {
    if (f1 < f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - ratio * (b - a);
      f1 = loss(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + ratio * (b - a);
      f2 = loss(x2);
    }
  }
  const temperature = Math.exp((a + b) / 2);
  const inverse = 1 / temperature;
  for (let row = 0; row < n; row++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logs[row * classes + c]! * inverse);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logs[row * classes + c]! * inverse - max);
    for (let c = 0; c < classes; c++) probabilities[row * classes + c] = Math.exp(logs[row * classes + c]! * inverse - max) / sum;
  }
  return temperature;
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
