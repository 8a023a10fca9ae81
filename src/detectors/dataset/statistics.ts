/*
 * The statistics behind every trigger verdict, written out so a reviewer can check them:
 *
 * - Fisher's exact test, one-sided: given N rows of which K show a behaviour, and n rows that carry a
 *   candidate n-gram, how likely is an overlap of k or more if the n-gram had nothing to do with the
 *   behaviour? The overlap is then hypergeometric, P(X = x) = C(K, x) C(N - K, n - x) / C(N, n), and the
 *   p-value is P(X >= k). Exact for any count, so small poisoned sets (5 rows in 700) are judged right
 *   where a chi-square approximation would not be.
 * - Benjamini-Hochberg: the audit tests thousands of candidate n-grams per behaviour; controlling the
 *   false discovery rate over all of them keeps the number of chance "triggers" near zero on clean data.
 */

/** log(n!) is tabulated up to this n; Stirling's series (error < 1e-10 here) beyond. */
const LOG_FACTORIAL_TABLE_SIZE = 1 << 16;

const logFactorialTable = (() => {
  const table = new Float64Array(LOG_FACTORIAL_TABLE_SIZE);
  for (let i = 2; i < LOG_FACTORIAL_TABLE_SIZE; i++) table[i] = table[i - 1]! + Math.log(i);
  return table;
})();

/** log(n!) for a non-negative integer n. */
export function logFactorial(n: number): number {
  if (n < LOG_FACTORIAL_TABLE_SIZE) return logFactorialTable[n] ?? 0;
  // Stirling: ln n! = n ln n - n + ln(2 pi n)/2 + 1/(12n) - 1/(360 n^3)
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n * n * n);
}

/** log C(n, k). */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

/**
 * One-sided Fisher exact p-value for enrichment: P(X >= k) where X is the overlap of a random n-subset
 * with a fixed K-subset of N items. Returns 1 when k is not above what chance gives.
 */
export function fisherEnrichment(k: number, n: number, K: number, N: number): number {
  if (n <= 0 || K <= 0 || k <= 0) return 1;
  if (k * N <= n * K) return 1;
  const top = Math.min(n, K);
  if (k > top) return 0;
  const base = -logChoose(N, n);
  let sum = 0;
  const first = Math.exp(logChoose(K, k) + logChoose(N - K, n - k) + base);
  // Terms after the observed k only shrink (k is above the mode); stop once they stop mattering.
  let term = first;
  for (let x = k; x <= top; x++) {
    if (x > k) term *= ((K - x + 1) * (n - x + 1)) / (x * (N - K - n + x));
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}

/** log10 of the Fisher p-value, finite even when the p-value underflows to 0 (for scores and sorting). */
export function fisherLog10(k: number, n: number, K: number, N: number): number {
  const p = fisherEnrichment(k, n, K, N);
  if (p > 0) return Math.log10(p);
  // Underflow: the first term dominates the tail; use its logarithm.
  return (logChoose(K, k) + logChoose(N - K, n - k) - logChoose(N, n)) / Math.LN10;
}

/**
 * Benjamini-Hochberg adjusted p-values (q-values) for `pValues`, counting `tests` hypotheses in all
 * (at least `pValues.length`: candidates never scored still count as tests, which keeps the correction
 * honest when only the promising ones were computed). A hypothesis is a discovery at rate `q` when its
 * adjusted value is <= q.
 */
export function benjaminiHochberg(pValues: ArrayLike<number>, tests = pValues.length): Float64Array {
  const m = Math.max(tests, pValues.length);
  const order = Array.from({ length: pValues.length }, (_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const adjusted = new Float64Array(pValues.length);
  let running = 1;
  for (let rank = order.length; rank >= 1; rank--) {
    const i = order[rank - 1]!;
    running = Math.min(running, (pValues[i]! * m) / rank);
    adjusted[i] = running;
  }
  return adjusted;
}
