import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALIGN_WINDOW, diffRows, type RowChange } from '../../../src/provenance/lock/align-rows.js';
import { bufferDigestStore } from '../../../src/provenance/lock/row-digest-store.js';

/*
 * Row alignment: inserts and deletes are found as such (not as a cascade of modified rows), counts always add
 * up, and the listed changes are consistent with the two sequences.
 */

/** murmur3's 32-bit finaliser: a bijection on 32 bits, so distinct names give distinct prefixes, cheaply. */
const fmix = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};
/** 8-byte prefix of a row named by a number (distinct names, distinct prefixes; like a digest, no order). */
const prefix = (name: number): Buffer => {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32BE(fmix(name | 0), 0);
  bytes.writeUInt32BE(fmix((name | 0) ^ 0x5bd1e995), 4);
  return bytes;
};
const store = (rows: readonly number[]) => bufferDigestStore(Buffer.concat(rows.map(prefix)));
const diff = (old: readonly number[], now: readonly number[], maxListed = 1000) => diffRows(store(old), store(now), maxListed);
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('row alignment', () => {
  it.each<[string, number[], number[], RowChange[]]>([
    ['identical', [1, 2, 3], [1, 2, 3], []],
    ['one row modified', [1, 2, 3], [1, 9, 3], [{ kind: 'modified', oldIndex: 1, newIndex: 1 }]],
    ['one row inserted in the middle', [1, 2, 3], [1, 2, 9, 3], [{ kind: 'added', newIndex: 2 }]],
    ['one row deleted', [1, 2, 3, 4], [1, 3, 4], [{ kind: 'removed', oldIndex: 1 }]],
    ['rows appended', [1, 2], [1, 2, 3, 4], [{ kind: 'added', newIndex: 2 }, { kind: 'added', newIndex: 3 }]],
    ['truncated', [1, 2, 3, 4], [1, 2], [{ kind: 'removed', oldIndex: 2 }, { kind: 'removed', oldIndex: 3 }]],
    ['two adjacent rows swapped', [1, 2, 3, 4], [1, 3, 2, 4], [{ kind: 'moved', oldIndex: 1, newIndex: 2 }]],
    ['first and last swapped', [1, 2, 3, 4, 5], [5, 2, 3, 4, 1], [{ kind: 'moved', oldIndex: 4, newIndex: 0 }, { kind: 'moved', oldIndex: 0, newIndex: 4 }]],
    ['empty to rows', [], [1, 2], [{ kind: 'added', newIndex: 0 }, { kind: 'added', newIndex: 1 }]],
    ['rows to empty', [1], [], [{ kind: 'removed', oldIndex: 0 }]],
    ['duplicates: one copy removed', [7, 7, 7, 1], [7, 7, 1], [{ kind: 'removed', oldIndex: 2 }]],
  ])('%s', (_name, old, now, changes) => {
    const result = diff(old, now);
    expect(result.changes).toEqual(changes);
  });

  it('one row inserted at the top of 10,000 rows is one addition, not 10,000 modifications', () => {
    const old = range(10_000);
    const result = diff(old, [-1, ...old]);
    expect(result.counts).toEqual({ unchanged: 10_000, added: 1, removed: 0, modified: 0, moved: 0 });
  });

  it('finds edits across window boundaries (3 windows, an insert, a delete and a modification far apart)', () => {
    const n = ALIGN_WINDOW * 3;
    const old = range(n);
    const now = [...old];
    now[n - 10] = -3; // modified
    now.splice(ALIGN_WINDOW + 5, 1); // deleted old row ALIGN_WINDOW + 5
    now.splice(100, 0, -1, -2); // two inserted before old row 100
    const result = diff(old, now);
    expect(result.counts).toEqual({ unchanged: n - 2, added: 2, removed: 1, modified: 1, moved: 0 });
    expect(result.changes).toEqual([
      { kind: 'added', newIndex: 100 },
      { kind: 'added', newIndex: 101 },
      { kind: 'removed', oldIndex: ALIGN_WINDOW + 5 },
      { kind: 'modified', oldIndex: n - 10, newIndex: n - 10 + 1 },
    ]);
  });

  it('aligns rows that repeat everywhere (no unique row to anchor on): one insertion in 3 windows of a 50-row cycle', () => {
    const n = ALIGN_WINDOW * 3;
    const old = Array.from({ length: n }, (_, i) => i % 50);
    const now = [...old];
    now.splice(ALIGN_WINDOW + 123, 0, -1);
    expect(diff(old, now).counts).toEqual({ unchanged: n, added: 1, removed: 0, modified: 0, moved: 0 });
  });

  it('caps the listed changes and counts the rest', () => {
    const result = diff(range(50), range(50, 1000), 10);
    expect(result.changes).toHaveLength(10);
    expect(result.unlisted).toBe(40);
    expect(result.counts.modified).toBe(50);
  });

  it('counts add up and listed changes agree with both sequences (random edits)', () => {
    const edit = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 10_000, max: 10_050 }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: fc.integer({ min: 10_000, max: 10_050 }) }),
      fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 80 }), fc.array(edit, { maxLength: 12 }), (old, edits) => {
        const now = [...old];
        for (const e of edits) {
          const at = now.length === 0 ? 0 : e.at % (now.length + (e.op === 'insert' ? 1 : 0));
          if (e.op === 'insert') now.splice(at, 0, e.value);
          else if (now.length === 0) continue;
          else if (e.op === 'delete') now.splice(at, 1);
          else if (e.op === 'replace') now[at] = e.value;
          else {
            const other = e.with % now.length;
            [now[at], now[other]] = [now[other]!, now[at]!];
          }
        }
        const result = diff(old, now, 10_000);
        const { unchanged, added, removed, modified, moved } = result.counts;
        expect(unchanged + removed + modified + moved).toBe(old.length);
        expect(unchanged + added + modified + moved).toBe(now.length);
        expect(result.changes).toHaveLength(added + removed + modified + moved);
        const oldSeen = new Set<number>();
        const newSeen = new Set<number>();
        for (const change of result.changes) {
          if ('oldIndex' in change) {
            expect(oldSeen.has(change.oldIndex)).toBe(false);
            oldSeen.add(change.oldIndex);
          }
          if ('newIndex' in change) {
            expect(newSeen.has(change.newIndex)).toBe(false);
            newSeen.add(change.newIndex);
          }
          if (change.kind === 'moved') expect(now[change.newIndex]).toBe(old[change.oldIndex]);
          if (change.kind === 'modified') expect(now[change.newIndex]).not.toBe(old[change.oldIndex]);
        }
        // Unchanged rows, in order, are a common subsequence of both: the rows no change names.
        const keptOld = old.filter((_, i) => !oldSeen.has(i));
        const keptNew = now.filter((_, j) => !newSeen.has(j));
        expect(keptNew).toEqual(keptOld);
        if (old.length === now.length && old.every((v, i) => v === now[i])) expect(result.changes).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });
});
