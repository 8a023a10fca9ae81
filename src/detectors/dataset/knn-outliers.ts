import { medianAndScale } from './robust-scale.js';
import { sampleWithoutReplacement, seededRandom, shuffleInPlace } from './seeded-random.js';

/*
 * Rows far from every other row: the k-nearest-neighbour distance outlier score (Ramaswamy, Rastogi and
 * Shim, SIGMOD 2000), over row vectors with cosine distance 1 - cos(u, v).
 *
 * Exact kNN over n rows costs n^2 dot products, 10^10 for 100,000 rows. The cost is bounded twice:
 *
 * - Neighbours are looked for in a reference sample of REFERENCE_ROWS rows (seeded), not in all rows.
 *   The distance to the k-th nearest sampled row is a density estimate at a coarser scale: a row is an
 *   outlier when even the sample, which mirrors the dataset, has almost nothing near it.
 * - The threshold is set first, from the exact scores of a calibration sample (median + Z x MAD of the
 *   kNN distances, robust to the outliers themselves). Then each row scans the reference sample only until
 *   k references lie within the threshold: typical rows stop early, and only rows that may be outliers
 *   pay for a full scan. The work is about n x k / q similarities, q the share of references within the
 *   threshold of a typical row, instead of n x REFERENCE_ROWS.
 */

/** Reference rows neighbours are searched in. */
export const REFERENCE_ROWS = 1024;
/** Rows whose exact scores set the threshold: the median and MAD of 512 values are within a few % of the full ones. */
export const CALIBRATION_ROWS = 512;

/**
 * Vectors compared by cosine similarity. `query(a)` makes vector `a` the one compared; then `similarity(b)`
 * is cos(a, b). Two implementations: dense unit vectors (embeddings from a provider) and sparse bags of
 * words (the built-in embedding, bag-of-words.ts), which need the two-step form to be fast.
 */
export interface VectorSpace {
  readonly count: number;
  /** False for vectors that are empty (no text, no embedding): they are neither scored nor references. */
  has(index: number): boolean;
  query(index: number): void;
  similarity(index: number): number;
}

/** Dense row-major vectors of unit length (`count x dimensions` floats). */
export function denseVectorSpace(vectors: Float32Array, count: number, dimensions: number, present?: Uint8Array): VectorSpace {
  let base = 0;
  return {
    count,
    has: (index) => {
      if (present && present[index] !== 1) return false;
      for (let d = 0; d < dimensions; d++) if (vectors[index * dimensions + d] !== 0) return true;
      return false;
    },
    query: (index) => {
      base = index * dimensions;
    },
    similarity: (index) => {
      const other = index * dimensions;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let d = 0;
      for (; d + 3 < dimensions; d += 4) {
        s0 += vectors[base + d]! * vectors[other + d]!;
        s1 += vectors[base + d + 1]! * vectors[other + d + 1]!;
        s2 += vectors[base + d + 2]! * vectors[other + d + 2]!;
        s3 += vectors[base + d + 3]! * vectors[other + d + 3]!;
      }
      for (; d < dimensions; d++) s0 += vectors[base + d]! * vectors[other + d]!;
      return s0 + s1 + s2 + s3;
    },
  };
}

/** How the outliers are judged. */
export interface KnnOutlierOptions {
  /** Neighbours: the score is the distance to the k-th nearest reference. */
  k: number;
  /** Robust z (in scaled MADs above the median kNN distance) at which a row is an outlier. */
  z: number;
  /** Least distance above the median an outlier must have, whatever the MAD (a tight dataset has a tiny MAD). */
  minGap: number;
  seed: number;
  referenceRows?: number;
  calibrationRows?: number;
}

/** One outlier: its index among the vectors and its kNN distance. */
export interface KnnOutlier {
  index: number;
  distance: number;
  /** (distance - median) / scale. */
  z: number;
}

/** The verdict and the statistics behind it. */
export interface KnnOutlierResult {
  outliers: KnnOutlier[];
  median: number;
  /** MAD x 1.4826: the standard deviation a normal distribution with this MAD would have. */
  scale: number;
  threshold: number;
  references: number;
  /** Vectors scored (those that are not empty). */
  scored: number;
  /** Similarities computed, for the cost figure in the evidence. */
  comparisons: number;
}

/** kNN distance outliers among the vectors of `space`. */
export function knnOutliers(space: VectorSpace, options: KnnOutlierOptions): KnnOutlierResult {
  const live: number[] = [];
  for (let i = 0; i < space.count; i++) if (space.has(i)) live.push(i);
  const population = Uint32Array.from(live);
  const random = seededRandom(options.seed);
  const k = options.k;
  if (population.length <= 2 * k + 1) {
    return { outliers: [], median: 0, scale: 0, threshold: 0, references: 0, scored: population.length, comparisons: 0 };
  }
  // Reference order is shuffled so an early stop sees a fair sample of the references, not a file region.
  const references = shuffleInPlace(sampleWithoutReplacement(population, options.referenceRows ?? REFERENCE_ROWS, random), random);
  const calibration = sampleWithoutReplacement(population, options.calibrationRows ?? CALIBRATION_ROWS, random);
  let comparisons = 0;
  const kth = new Float64Array(k);

  /** Distance to the k-th nearest reference (itself excluded); stops early once k lie within `stopAt`. */
  const score = (index: number, stopAt: number): number => {
    kth.fill(Infinity);
    let within = 0;
    space.query(index);
    for (let r = 0; r < references.length; r++) {
      const other = references[r]!;
      if (other === index) continue;
      comparisons++;
      const distance = 1 - space.similarity(other);
      if (distance < kth[k - 1]!) {
        let at = k - 1;
        while (at > 0 && kth[at - 1]! > distance) {
          kth[at] = kth[at - 1]!;
          at--;
        }
        kth[at] = distance;
      }
      if (distance <= stopAt && ++within >= k) return kth[k - 1]!;
    }
    return kth[k - 1]!;
  };

  const { median, scale } = medianAndScale(Float64Array.from(calibration, (index) => score(index, -Infinity)));
  const threshold = median + Math.max(options.z * scale, options.minGap);

  const outliers: KnnOutlier[] = [];
  for (const index of population) {
    const distance = score(index, threshold);
    if (distance > threshold) outliers.push({ index, distance, z: scale > 0 ? (distance - median) / scale : Infinity });
  }
  outliers.sort((a, b) => b.distance - a.distance || a.index - b.index);
  return { outliers, median, scale, threshold, references: references.length, scored: population.length, comparisons };
}
