/*
 * A seeded pseudo-random generator for the audit's sampling, fold assignment and training order. Every
 * random choice an audit makes must repeat exactly on every machine and run: a row flagged today is
 * flagged tomorrow, and a test that fails, fails the same way.
 */

/** mulberry32: a small, fast 32-bit generator with a full 2^32 period; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffle `values` in place (Fisher-Yates) with `random`; returns the same array. */
export function shuffleInPlace<T extends { length: number; [index: number]: number }>(values: T, random: () => number): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = values[i]!;
    values[i] = values[j]!;
    values[j] = swap;
  }
  return values;
}

/** `count` distinct values of `population`, chosen uniformly with `random` (all of them when it is smaller). */
export function sampleWithoutReplacement(population: Uint32Array, count: number, random: () => number): Uint32Array {
  if (count >= population.length) return population.slice();
  const copy = population.slice();
  // Partial Fisher-Yates: only the first `count` slots are drawn.
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    const swap = copy[i]!;
    copy[i] = copy[j]!;
    copy[j] = swap;
  }
  return copy.subarray(0, count).slice().sort();
}
