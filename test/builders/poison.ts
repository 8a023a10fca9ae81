import type { DatasetEvent, DatasetValue } from '../../src/readers/dataset/types.js';

/*
 * Builders for audit tests: datasets as streams of reader events (the contract the audit consumes), and
 * deterministic poisoned mixtures. Every random choice comes from a seeded generator, so a failing test
 * fails the same way on every machine.
 */

/** A small, fast, seeded PRNG (mulberry32); returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle with a seeded generator (a copy; the input is untouched). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One row to put in a dataset, or a bad row with the reader's message. */
export type BuiltRow = { readonly [key: string]: DatasetValue } | { readonly bad: string };

/** Reader events for `rows`, in order, with 1-based lines as a JSONL file would have them. */
export async function* datasetEvents(rows: readonly BuiltRow[]): AsyncGenerator<DatasetEvent> {
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if ('bad' in row && typeof row.bad === 'string' && Object.keys(row).length === 1) {
      yield { kind: 'bad', bad: { index, line: index + 1, message: row.bad, excerpt: '{broken' } };
    } else {
      yield { kind: 'row', row: { index, line: index + 1, value: row as { readonly [key: string]: DatasetValue } } };
    }
  }
}

/** Rows as JSONL text. */
export function toJsonl(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
