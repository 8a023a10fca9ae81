import { describe, expect, it } from 'vitest';
import { clampScore, mergedScore, RowScoreBoard } from '../../src/audit/row-scores.js';

describe('row scores', () => {
  it('merges reasons by noisy-OR, each rule once at its best score', () => {
    expect(mergedScore([{ rule: 'a', score: 0.5, message: '' }, { rule: 'b', score: 0.5, message: '' }])).toBeCloseTo(0.75);
    expect(mergedScore([{ rule: 'a', score: 0.5, message: 'x' }, { rule: 'a', score: 0.6, message: 'y' }])).toBeCloseTo(0.6);
    expect(mergedScore([{ rule: 'a', score: 1, message: '' }, { rule: 'b', score: 0.1, message: '' }])).toBe(1);
    expect(mergedScore([])).toBe(0);
  });

  it('clamps bad scores so one detector bug cannot poison the merge', () => {
    expect([clampScore(Number.NaN), clampScore(-1), clampScore(2), clampScore(0.3)]).toEqual([0, 0, 1, 0.3]);
  });

  it('lists rows in file order with reasons strongest first, and keeps the higher score of a repeated reason', () => {
    const board = new RowScoreBoard();
    board.add(9, { rule: 'a', score: 0.3, message: 'm' });
    board.add(2, { rule: 'b', score: 0.4, message: 'n' });
    board.add(9, { rule: 'c', score: 0.9, message: 'o' });
    board.add(9, { rule: 'a', score: 0.5, message: 'm' });
    const rows = board.rows();
    expect(rows.map((r) => r.row)).toEqual([2, 9]);
    expect(rows[1]!.reasons.map((r) => [r.rule, r.score])).toEqual([
      ['c', 0.9],
      ['a', 0.5],
    ]);
    expect(board.scoreOf(9)).toBeCloseTo(1 - 0.1 * 0.5);
    expect(board.scoreOf(5)).toBe(0);
  });
});
