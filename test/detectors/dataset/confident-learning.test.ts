import { describe, expect, it } from 'vitest';
import { calibratedJoint, findLabelIssues } from '../../../src/detectors/dataset/confident-learning.js';

/*
 * The confident-learning steps on examples small enough to work out by hand (Northcutt et al., JAIR
 * 2021, section 3). Each expected value below was computed on paper from the probabilities shown.
 */

describe('confident learning', () => {
  // Two classes, six rows; p(class 1 | x) per row. Row 2 is given 0 but reads as 1; row 5 the reverse.
  const p1 = [0.1, 0.2, 0.9, 0.8, 0.7, 0.3];
  const twoClass = p1.flatMap((p) => [1 - p, p]);
  const twoLabels = [0, 0, 0, 1, 1, 1];

  it('computes per-class thresholds t_j as the mean p(j) over rows given j', () => {
    const result = findLabelIssues(twoClass, twoLabels, 2);
    // t_0 = (0.9 + 0.8 + 0.1) / 3 = 0.6; t_1 = (0.8 + 0.7 + 0.3) / 3 = 0.6
    expect(result.thresholds[0]).toBeCloseTo(0.6, 10);
    expect(result.thresholds[1]).toBeCloseTo(0.6, 10);
  });

  it('counts the confident joint and its calibrated, normalised form', () => {
    const result = findLabelIssues(twoClass, twoLabels, 2);
    // Row 0: p0 = 0.9 >= 0.6 -> (0,0); row 1: (0,0); row 2: p1 = 0.9 -> (0,1); rows 3, 4: (1,1); row 5: p0 = 0.7 -> (1,0).
    expect(Array.from(result.confidentJoint)).toEqual([2, 1, 1, 2]);
    // Row sums already equal the class counts (3, 3): Q = C / 6.
    expect(Array.from(result.joint).map((q) => Number(q.toFixed(6)))).toEqual([0.333333, 0.166667, 0.166667, 0.333333]);
    expect(result.noiseRate).toBeCloseTo(1 / 3, 10);
  });

  it('prunes by noise rate: round(n Q[i][j]) rows given i with the largest p(j) - p(i)', () => {
    const result = findLabelIssues(twoClass, twoLabels, 2, { pruneMethod: 'prune_by_noise_rate' });
    // n Q[0][1] = 1: of rows 0-2, row 2 has the largest p1 - p0 (0.8); n Q[1][0] = 1: row 5 (p0 - p1 = 0.4).
    expect(Array.from(result.ranked)).toEqual([2, 5]);
  });

  it('ranks by self-confidence or normalized margin, lowest first', () => {
    const bySelf = findLabelIssues(twoClass, twoLabels, 2, { rankMethod: 'self_confidence' });
    expect(Array.from(bySelf.selfConfidence).map((v) => Number(v.toFixed(6)))).toEqual([0.9, 0.8, 0.1, 0.8, 0.7, 0.3]);
    const byMargin = findLabelIssues(twoClass, twoLabels, 2, { rankMethod: 'normalized_margin' });
    // Row 2: (0.1 - 0.9 + 1) / 2 = 0.1; row 5: (0.3 - 0.7 + 1) / 2 = 0.3.
    expect(byMargin.normalizedMargin[2]).toBeCloseTo(0.1, 6);
    expect(byMargin.normalizedMargin[5]).toBeCloseTo(0.3, 6);
    expect(Array.from(byMargin.ranked)).toEqual([2, 5]);
  });

  // Three classes, nine rows. Row 2 is given 0 and reads as 1; row 5 is unclear; row 8 (given 2) leans to 0
  // but not past t_0, so confident learning leaves it alone.
  const threeClass = [
    [0.8, 0.1, 0.1],
    [0.6, 0.3, 0.1],
    [0.2, 0.7, 0.1],
    [0.1, 0.8, 0.1],
    [0.1, 0.6, 0.3],
    [0.4, 0.3, 0.3],
    [0.1, 0.1, 0.8],
    [0.1, 0.2, 0.7],
    [0.5, 0.1, 0.4],
  ].flat();
  const threeLabels = [0, 0, 0, 1, 1, 1, 2, 2, 2];

  it('skips rows no class is confident about, then calibrates each row of C to its class count', () => {
    const result = findLabelIssues(threeClass, threeLabels, 3);
    // t = (1.6/3, 1.7/3, 1.9/3) = (0.5333, 0.5667, 0.6333). Row 5 passes no threshold, nor does row 8
    // (p0 = 0.5 < 0.5333, p2 = 0.4 < 0.6333): C = [[2,1,0],[0,2,0],[0,0,2]].
    expect(Array.from(result.thresholds).map((t) => Number(t.toFixed(4)))).toEqual([0.5333, 0.5667, 0.6333]);
    expect(Array.from(result.confidentJoint)).toEqual([2, 1, 0, 0, 2, 0, 0, 0, 2]);
    // Calibrated: row 0 sums to 3 = n_0, stays; rows 1 and 2 sum to 2, scaled to 3. Q = that / 9.
    expect(Array.from(result.joint).map((q) => Number((q * 9).toFixed(6)))).toEqual([2, 1, 0, 0, 3, 0, 0, 0, 3]);
    expect(result.noiseRate).toBeCloseTo(1 / 9, 10);
  });

  it('finds the same single issue with every prune method on the three-class example', () => {
    for (const pruneMethod of ['prune_by_noise_rate', 'prune_by_class', 'both', 'confident_learning'] as const) {
      const result = findLabelIssues(threeClass, threeLabels, 3, { pruneMethod });
      expect([pruneMethod, Array.from(result.ranked)]).toEqual([pruneMethod, [2]]);
      expect(result.predicted[2]).toBe(1);
    }
  });

  it('never calls a row an issue when its given label is the model\'s top prediction', () => {
    // Row 1 (given 0) clears t_1 = (0.45 + 0.40) / 2 = 0.425 with p1 = 0.43, so C[0][1] = 1 and both prune
    // methods pick it (lowest p0 of class 0; largest p1 - p0), yet its argmax is still 0 (0.44 > 0.43).
    const probabilities = [
      [0.9, 0.05, 0.05],
      [0.44, 0.43, 0.13],
      [0.3, 0.45, 0.25],
      [0.35, 0.4, 0.25],
      [0.1, 0.1, 0.8],
      [0.1, 0.1, 0.8],
    ].flat();
    for (const pruneMethod of ['prune_by_class', 'prune_by_noise_rate'] as const) {
      const result = findLabelIssues(probabilities, [0, 0, 1, 1, 2, 2], 3, { pruneMethod });
      expect(Array.from(result.confidentJoint)).toEqual([1, 1, 0, 0, 1, 0, 0, 0, 2]);
      expect(Array.from(result.ranked)).toEqual([]);
    }
  });

  it('leaves labels of a class no row is confident about as they are when calibrating', () => {
    const joint = calibratedJoint(Float64Array.from([0, 0, 1, 3]), Float64Array.from([2, 4]), 2, 6);
    // Row 0 of C is empty: its 2 rows stay on the diagonal; row 1 scales to 4: [1, 3].
    expect(Array.from(joint).map((q) => Number((q * 6).toFixed(6)))).toEqual([2, 0, 1, 3]);
  });
});
