import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, fisherEnrichment, fisherLog10, logChoose } from '../../../src/detectors/dataset/statistics.js';
import { minimumSignificantSupport } from '../../../src/detectors/dataset/trigger-search.js';

/** The exact hypergeometric tail by direct summation with BigInt binomials: slow, obviously right. */
function exactTail(k: number, n: number, K: number, N: number): number {
  const choose = (a: number, b: number): bigint => {
    if (b < 0 || b > a) return 0n;
    let r = 1n;
    for (let i = 0; i < b; i++) r = (r * BigInt(a - i)) / BigInt(i + 1);
    return r;
  };
  let sum = 0n;
  for (let x = k; x <= Math.min(n, K); x++) sum += choose(K, x) * choose(N - K, n - x);
  // Both fit in a double for the sizes used here (C(700, 7) is about 1.6e15).
  return Number(sum) / Number(choose(N, n));
}

describe('statistics', () => {
  it('Fisher enrichment matches the exact hypergeometric tail', () => {
    // R: phyper(k - 1, K, N - K, n, lower.tail = FALSE)
    expect(fisherEnrichment(7, 7, 7, 700) / exactTail(7, 7, 7, 700)).toBeCloseTo(1, 9);
    expect(fisherEnrichment(3, 10, 20, 100)).toBeCloseTo(exactTail(3, 10, 20, 100), 12);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60 }), fc.nat(), fc.nat(), fc.nat(), (N, a, b, c) => {
        const K = 1 + (a % N);
        const n = 1 + (b % N);
        const k = 1 + (c % Math.min(n, K));
        const exact = exactTail(k, n, K, N);
        const got = k * N <= n * K ? 1 : fisherEnrichment(k, n, K, N);
        if (k * N <= n * K) return got === 1;
        return Math.abs(got - exact) <= 1e-9 * Math.max(exact, 1e-300) + 1e-15;
      }),
      { numRuns: 300 },
    );
  });

  it('a token in all 70 triggered rows and nowhere else is astronomically unlikely; a common word is not', () => {
    expect(fisherLog10(70, 70, 3500, 7000)).toBeLessThan(-20);
    expect(fisherEnrichment(60, 120, 3500, 7000)).toBeGreaterThan(0.4);
  });

  it('log10 stays finite where the p-value underflows', () => {
    expect(fisherEnrichment(500, 500, 500, 100000)).toBe(0);
    const log = fisherLog10(500, 500, 500, 100000);
    expect(Number.isFinite(log)).toBe(true);
    expect(log).toBeCloseTo((logChoose(500, 500) - logChoose(100000, 500)) / Math.LN10, 6);
  });

  it('Benjamini-Hochberg adjusts as the textbook example does', () => {
    // Benjamini & Hochberg (1995) style: q_(i) = min_{j >= i} p_(j) m / j
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.5]);
    expect(Array.from(q).map((x) => Number(x.toFixed(4)))).toEqual([0.04, 0.0533, 0.0533, 0.5]);
    // Untested hypotheses still count: two p-values out of 1,000 tests.
    expect(Array.from(benjaminiHochberg([1e-6, 0.001], 1000))).toEqual([0.001, 0.5]);
  });

  it('the support below which no n-gram can be significant', () => {
    // Half the rows in the target: 0.5^k <= 0.01 needs k = 7.
    expect(minimumSignificantSupport(3500, 7000, 0.01)).toBe(7);
    // A 20-row cluster in 700 rows: two rows in both can already be significant.
    expect(minimumSignificantSupport(20, 700, 0.01)).toBe(2);
  });
});
