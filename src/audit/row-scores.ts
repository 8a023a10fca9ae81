import type { RowReason } from './result.js';

/*
 * Merging what several detectors say about one row. Each reason carries a score in [0, 1] read as "the
 * probability this row is poisoned, according to this detector"; the row's score is their noisy-OR,
 * 1 - prod(1 - s_i): two independent medium reasons make a stronger case than either, no reason can lower
 * a score, and one certain reason makes the row certain. The same rule repeating itself on a row (one
 * trigger found through two behaviours) counts once, at its highest score, so agreement between
 * detectors is rewarded but a detector cannot out-vote the others by repetition.
 */

/** Reasons kept per row; a row with more is already as suspect as it gets and the list stays readable. */
const MAX_REASONS_PER_ROW = 8;

/** The merged score of a set of reasons: noisy-OR over the best score of each rule. */
export function mergedScore(reasons: readonly RowReason[]): number {
  const best = new Map<string, number>();
  for (const r of reasons) best.set(r.rule, Math.max(best.get(r.rule) ?? 0, clampScore(r.score)));
  let keep = 1;
  for (const score of best.values()) keep *= 1 - score;
  return 1 - keep;
}

/** Scores outside [0, 1] (a detector bug, NaN) are clamped, so one bad detector cannot poison the merge. */
export function clampScore(score: number): number {
  if (!(score > 0)) return 0;
  return score > 1 ? 1 : score;
}

/** Reasons per row of one dataset, merged as detectors report them. */
export class RowScoreBoard {
  private readonly reasons = new Map<number, RowReason[]>();

  /** Add one reason to `row`; a repeat of the same rule and message keeps the higher score. */
  add(row: number, reason: RowReason): void {
    const list = this.reasons.get(row);
    if (!list) {
      this.reasons.set(row, [reason]);
      return;
    }
    const same = list.find((r) => r.rule === reason.rule && r.message === reason.message);
    if (same) {
      same.score = Math.max(same.score, reason.score);
      return;
    }
    if (list.length < MAX_REASONS_PER_ROW) list.push(reason);
  }

  /** Rows with at least one reason, in file order, with their merged score. */
  rows(): { row: number; score: number; reasons: RowReason[] }[] {
    return [...this.reasons.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([row, reasons]) => ({ row, score: mergedScore(reasons), reasons: [...reasons].sort((a, b) => b.score - a.score) }));
  }

  /** Merged score of one row (0 when no detector flagged it). */
  scoreOf(row: number): number {
    const reasons = this.reasons.get(row);
    return reasons ? mergedScore(reasons) : 0;
  }
}
