/*
 * Confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in Dataset
 * Labels", JAIR 70, 2021; the algorithm behind cleanlab's `find_label_issues`). Given out-of-fold predicted
 * probabilities p(j | x) and the label each row was given:
 *
 * 1. Per-class thresholds: t_j = mean of p(j | x) over the rows given label j (how confident the model is,
 *    on average, when the label is j).
 * 2. Confident joint C[i][j]: a row given i counts toward j when p(j | x) >= t_j (the largest such j when
 *    several pass); rows no class passes are not counted.
 * 3. Calibrate C so each row of it sums to the number of rows given i, then normalise it to the joint
 *    Q[i][j] of (given label, true label). Its off-diagonal mass estimates how many labels are wrong.
 * 4. Prune: by noise rate (for each i != j, the round(n Q[i][j]) rows given i with the largest margin
 *    p(j | x) - p(i | x)), by class (for each i, the round(n sum_{j != i} Q[i][j]) rows given i with the
 *    lowest p(i | x)), both (rows both select), or the off-diagonal rows of C itself.
 * 5. A row whose given label is still the model's top prediction is never an issue (cleanlab does the same).
 *
 * Issues are ranked by self-confidence p(given | x) or by the normalised margin
 * (p(given | x) - max_{j != given} p(j | x) + 1) / 2, lowest (most likely wrong) first.
 */

/** Which rows the estimated noise marks, as in cleanlab's `filter_by`. */
export type PruneMethod = 'prune_by_noise_rate' | 'prune_by_class' | 'both' | 'confident_learning';
/** How issues are ordered, as in cleanlab's `rank_by`. */
export type RankMethod = 'self_confidence' | 'normalized_margin';

/** Options of {@link findLabelIssues}. */
export interface ConfidentLearningOptions {
  pruneMethod?: PruneMethod;
  rankMethod?: RankMethod;
  /** Rows of each given class never pruned, so a class is never emptied (cleanlab's min_examples_per_class). */
  minKeepPerClass?: number;
}

/** Everything the algorithm computed, for the evidence as well as the verdict. */
export interface ConfidentLearningResult {
  classes: number;
  /** Rows given each class. */
  classCounts: Float64Array;
  /** t_j per class (NaN for a class no row was given). */
  thresholds: Float64Array;
  /** C[i * classes + j]: rows given i confidently counted as j. */
  confidentJoint: Float64Array;
  /** Q[i * classes + j]: estimated joint of given label i and true label j; sums to 1. */
  joint: Float64Array;
  /** Estimated share of wrong labels: the off-diagonal mass of Q. */
  noiseRate: number;
  /** 1 for rows judged mislabelled. */
  issue: Uint8Array;
  /** The class the model finds most likely, per row (the suggested label for an issue). */
  predicted: Int32Array;
  /** p(given | x) per row. */
  selfConfidence: Float32Array;
  /** (p(given | x) - max_{j != given} p(j | x) + 1) / 2 per row, in [0, 1]. */
  normalizedMargin: Float32Array;
  /** Indices of the issue rows, most likely wrong first. */
  ranked: Uint32Array;
}

/** Added to each threshold comparison, as cleanlab does, so float rounding cannot drop a row at exactly t_j. */
const THRESHOLD_SLACK = 1e-6;

/**
 * Find label issues among `labels.length` rows whose out-of-fold probabilities are
 * `probabilities[row * classes .. + classes)`. Rows with a label outside [0, classes) are ignored.
 */
export function findLabelIssues(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classes: number, options: ConfidentLearningOptions = {}): ConfidentLearningResult {
  const n = labels.length;
  const pruneMethod = options.pruneMethod ?? 'prune_by_noise_rate';
  const rankMethod = options.rankMethod ?? 'self_confidence';
  const minKeep = options.minKeepPerClass ?? 1;
  const p = (row: number, c: number): number => probabilities[row * classes + c]!;
  const valid = (row: number): boolean => labels[row]! >= 0 && labels[row]! < classes;

  const classCounts = new Float64Array(classes);
  const thresholds = new Float64Array(classes);
  for (let row = 0; row < n; row++) {
    if (!valid(row)) continue;
    const given = labels[row]!;
    classCounts[given]!++;
    thresholds[given]! += p(row, given);
  }
  for (let c = 0; c < classes; c++) thresholds[c] = classCounts[c]! > 0 ? thresholds[c]! / classCounts[c]! : Number.NaN;

  const predicted = new Int32Array(n);
  const selfConfidence = new Float32Array(n);
  const normalizedMargin = new Float32Array(n);
  const confidentClass = new Int32Array(n).fill(-1);
  const confidentJoint = new Float64Array(classes * classes);
  let total = 0;
  for (let row = 0; row < n; row++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p(row, c) > p(row, best)) best = c;
    predicted[row] = best;
    if (!valid(row)) continue;
    total++;
    const given = labels[row]!;
    let other = 0;
    for (let c = 0; c < classes; c++) if (c !== given && p(row, c) > other) other = p(row, c);
    selfConfidence[row] = p(row, given);
    normalizedMargin[row] = (p(row, given) - other + 1) / 2;
    let confident = -1;
    for (let c = 0; c < classes; c++) {
      // A NaN threshold (no row given c) fails every comparison: nothing is confidently c.
      if (p(row, c) >= thresholds[c]! - THRESHOLD_SLACK && (confident < 0 || p(row, c) > p(row, confident))) confident = c;
    }
    confidentClass[row] = confident;
    if (confident >= 0) confidentJoint[given * classes + confident]!++;
  }

  const joint = calibratedJoint(confidentJoint, classCounts, classes, total);
  let noiseRate = 0;
  for (let i = 0; i < classes; i++) for (let j = 0; j < classes; j++) if (i !== j) noiseRate += joint[i * classes + j]!;

  const issue = new Uint8Array(n);
  if (pruneMethod === 'confident_learning') {
    for (let row = 0; row < n; row++) if (valid(row) && confidentClass[row]! >= 0 && confidentClass[row] !== labels[row]) issue[row] = 1;
  } else {
    const byNoise = pruneMethod === 'prune_by_class' ? null : pruneByNoiseRate(p, labels, classes, joint, classCounts, total, minKeep);
    const byClass = pruneMethod === 'prune_by_noise_rate' ? null : pruneByClass(selfConfidence, labels, classes, joint, classCounts, total, minKeep);
    for (let row = 0; row < n; row++) {
      const a = byNoise ? byNoise[row]! : 1;
      const b = byClass ? byClass[row]! : 1;
      issue[row] = a & b;
    }
  }
  for (let row = 0; row < n; row++) if (issue[row] && predicted[row] === labels[row]) issue[row] = 0;

  const quality = rankMethod === 'self_confidence' ? selfConfidence : normalizedMargin;
  const ranked = Uint32Array.from(issueRows(issue)).sort((a, b) => quality[a]! - quality[b]! || a - b);
  return { classes, classCounts, thresholds, confidentJoint, joint, noiseRate, issue, predicted, selfConfidence, normalizedMargin, ranked };
}

function issueRows(issue: Uint8Array): number[] {
  const rows: number[] = [];
  for (let row = 0; row < issue.length; row++) if (issue[row]) rows.push(row);
  return rows;
}

/**
 * Calibrate the confident joint: scale each row i to the number of rows given i (the confident joint
 * counts only rows some class was confident about), then divide by the total so Q sums to 1.
 */
export function calibratedJoint(confidentJoint: Float64Array, classCounts: Float64Array, classes: number, total: number): Float64Array {
  const joint = new Float64Array(classes * classes);
  if (total === 0) return joint;
  for (let i = 0; i < classes; i++) {
    let rowSum = 0;
    for (let j = 0; j < classes; j++) rowSum += confidentJoint[i * classes + j]!;
    if (rowSum === 0) {
      // No row given i was confidently anything: take its labels at their word.
      joint[i * classes + i] = classCounts[i]!;
      continue;
    }
    for (let j = 0; j < classes; j++) joint[i * classes + j] = (confidentJoint[i * classes + j]! / rowSum) * classCounts[i]!;
  }
  let sum = 0;
  for (let k = 0; k < joint.length; k++) sum += joint[k]!;
  for (let k = 0; k < joint.length; k++) joint[k]! /= sum;
  return joint;
}

/** For each i != j, mark the round(n Q[i][j]) rows given i with the largest p(j | x) - p(i | x). */
function pruneByNoiseRate(
  p: (row: number, c: number) => number,
  labels: ArrayLike<number>,
  classes: number,
  joint: Float64Array,
  classCounts: Float64Array,
  total: number,
  minKeep: number,
): Uint8Array {
  const marked = new Uint8Array(labels.length);
  const members = rowsByClass(labels, classes);
  for (let i = 0; i < classes; i++) {
    const rows = members[i]!;
    let budget = Math.max(0, classCounts[i]! - minKeep);
    for (let j = 0; j < classes; j++) {
      if (j === i) continue;
      const count = Math.min(budget, Math.round(joint[i * classes + j]! * total));
      if (count <= 0) continue;
      budget -= count;
      const margin = Float64Array.from(rows, (row) => p(row, j) - p(row, i));
      for (const k of topIndices(margin, count)) marked[rows[k]!] = 1;
    }
  }
  return marked;
}

/** For each class i, mark the round(n sum_{j != i} Q[i][j]) rows given i with the lowest p(i | x). */
function pruneByClass(
  selfConfidence: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  joint: Float64Array,
  classCounts: Float64Array,
  total: number,
  minKeep: number,
): Uint8Array {
  const marked = new Uint8Array(labels.length);
  const members = rowsByClass(labels, classes);
  for (let i = 0; i < classes; i++) {
    let off = 0;
    for (let j = 0; j < classes; j++) if (j !== i) off += joint[i * classes + j]!;
    const count = Math.min(Math.max(0, classCounts[i]! - minKeep), Math.round(off * total));
    if (count <= 0) continue;
    const rows = members[i]!;
    const lack = Float64Array.from(rows, (row) => -selfConfidence[row]!);
    for (const k of topIndices(lack, count)) marked[rows[k]!] = 1;
  }
  return marked;
}

function rowsByClass(labels: ArrayLike<number>, classes: number): number[][] {
  const members: number[][] = Array.from({ length: classes }, () => []);
  for (let row = 0; row < labels.length; row++) members[labels[row]!]?.push(row);
  return members;
}

/** Indices of the `count` largest values (ties broken by index, so the choice is deterministic). */
function topIndices(values: Float64Array, count: number): Uint32Array {
  const order = Uint32Array.from({ length: values.length }, (_, k) => k);
  order.sort((a, b) => values[b]! - values[a]! || a - b);
  return order.subarray(0, Math.min(count, order.length));
}
