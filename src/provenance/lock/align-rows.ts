import { LEAF_PREFIX_BYTES } from './lockfile.js';
import type { DigestStore } from './row-digest-store.js';

/*
 * Which rows changed between two versions of a dataset, from their sequences of leaf prefixes. An alignment
 * (a diff that understands inserted and deleted rows, like `diff` does for lines) rather than a comparison
 * position by position, so one row inserted at the top does not report every row below it as modified.
 *
 * Memory stays bounded for any dataset size: equal stretches are skipped by streaming both sequences; a
 * stretch that differs is aligned in windows of ALIGN_WINDOW rows per side: patience diff (rows that occur
 * once on each side anchor the alignment, longest increasing subsequence) and Myers' O(ND) diff between
 * anchors. Only matches in the first three quarters of a window are kept before the next window starts, so
 * a window edge never decides the alignment. The price of the bound: a block of more than ALIGN_WINDOW rows
 * inserted or deleted in one place shows as modified rows rather than as an insertion (docs/lockfile.md).
 */

/** Rows per side aligned at once. 64Ki rows cost about 10 MB of prefixes and maps. */
export const ALIGN_WINDOW = 65_536;
/** Bound on Myers' edit distance: its trace costs about D^2 integers. */
const MAX_MYERS_D = 1_024;
/**
 * Steps of Myers' search per call (it costs (n + m) x D): a window of repeated rows (no unique row to anchor
 * on) with a few edits still aligns at once, while a window with thousands of edits gives up in bounded time.
 */
const MYERS_STEP_BUDGET = 50_000_000;
/** Rows of a stretch with no common row consumed per step (half a window): the alignment always progresses. */
const BLIND_STEP = ALIGN_WINDOW / 2;
/** Changed rows tracked for move detection; past it, moves show as a removal plus an addition (memory bound). */
export const MAX_MOVE_ROWS = 262_144;

/** One changed row. Indices are 0-based: `oldIndex` in the locked file, `newIndex` in the file as it is now. */
export type RowChange =
  | { kind: 'added'; newIndex: number }
  | { kind: 'removed'; oldIndex: number }
  | { kind: 'modified'; oldIndex: number; newIndex: number }
  | { kind: 'moved'; oldIndex: number; newIndex: number };

/** How many rows fall in each class. unchanged + removed + modified + moved = old rows; unchanged + added + modified + moved = new rows. */
export interface RowDiffCounts {
  unchanged: number;
  added: number;
  removed: number;
  modified: number;
  moved: number;
}

/** The diff of two row sequences: exact counts and the first `maxListed` changes in file order. */
export interface RowDiff {
  counts: RowDiffCounts;
  changes: RowChange[];
  /** Changes not listed because of the cap; the counts include them. */
  unlisted: number;
}

/** One differing stretch: old rows `[oldStart, oldEnd)` stand where new rows `[newStart, newEnd)` are. */
interface Hunk {
  oldStart: number;
  oldEnd: number;
  newStart: number;
  newEnd: number;
}

/** Diff two sequences of leaf prefixes. */
export function diffRows(old: DigestStore, now: DigestStore, maxListed: number): RowDiff {
  const { hunks, unchanged } = align(old, now);
  return classify(hunks, unchanged, old, now, maxListed);
}

/** Prefixes of a sequence read through a sliding window, for the equal-stretch fast path. */
class Cursor {
  private buffer: Buffer = Buffer.alloc(0);
  private base = 0;

  constructor(private readonly store: DigestStore) {}

  /** The window holding row `i`, loaded when needed. */
  windowAt(i: number): Buffer {
    if (i < this.base || i >= this.base + this.buffer.length / LEAF_PREFIX_BYTES) {
      this.base = i;
      this.buffer = this.store.read(i, ALIGN_WINDOW);
    }
    return this.buffer;
  }

  equal(i: number, other: Cursor, j: number): boolean {
    const a = this.windowAt(i);
    const b = other.windowAt(j);
    const ai = (i - this.base) * LEAF_PREFIX_BYTES;
    const bj = (j - other.base) * LEAF_PREFIX_BYTES;
    return a.readUInt32BE(ai) === b.readUInt32BE(bj) && a.readUInt32BE(ai + 4) === b.readUInt32BE(bj + 4);
  }
}

function align(old: DigestStore, now: DigestStore): { hunks: Hunk[]; unchanged: number } {
  const hunks: Hunk[] = [];
  const n = old.count;
  const m = now.count;
  const a = new Cursor(old);
  const b = new Cursor(now);
  let unchanged = 0;
  let i = 0;
  let j = 0;
  const addHunk = (oldStart: number, oldEnd: number, newStart: number, newEnd: number): void => {
    if (oldStart === oldEnd && newStart === newEnd) return;
    const last = hunks[hunks.length - 1];
    if (last && last.oldEnd === oldStart && last.newEnd === newStart) {
      last.oldEnd = oldEnd;
      last.newEnd = newEnd;
    } else hunks.push({ oldStart, oldEnd, newStart, newEnd });
  };
  for (;;) {
    while (i < n && j < m && a.equal(i, b, j)) {
      i++;
      j++;
      unchanged++;
    }
    if (i === n || j === m) {
      addHunk(i, n, j, m);
      return { hunks, unchanged };
    }
    const left = new Prefixes(old.read(i, ALIGN_WINDOW));
    const right = new Prefixes(now.read(j, ALIGN_WINDOW));
    const leftAtEnd = i + left.length === n;
    const rightAtEnd = j + right.length === m;
    const matches = matchInMemory(left, right);
    // Keep matches only where neither window edge can have decided them.
    const leftCut = leftAtEnd ? left.length : Math.floor((left.length * 3) / 4);
    const rightCut = rightAtEnd ? right.length : Math.floor((right.length * 3) / 4);
    let kept = 0;
    while (kept < matches.length && matches[kept]![0] < leftCut && matches[kept]![1] < rightCut) kept++;
    if (kept === 0) {
      if (leftAtEnd && rightAtEnd) {
        addHunk(i, n, j, m);
        return { hunks, unchanged };
      }
      // No common row near the start of either window: these rows are replaced, move on half a window.
      const di = Math.min(BLIND_STEP, left.length);
      const dj = Math.min(BLIND_STEP, right.length);
      addHunk(i, i + di, j, j + dj);
      i += di;
      j += dj;
      continue;
    }
    let pi = 0;
    let pj = 0;
    for (let k = 0; k < kept; k++) {
      const [x, y] = matches[k]!;
      addHunk(i + pi, i + x, j + pj, j + y);
      unchanged++;
      pi = x + 1;
      pj = y + 1;
    }
    i += pi;
    j += pj;
  }
}

/** A window of prefixes split into two 32-bit halves, for fast comparison by position. */
class Prefixes {
  readonly length: number;
  private readonly high: Uint32Array;
  private readonly low: Uint32Array;

  constructor(bytes: Buffer) {
    this.length = bytes.length / LEAF_PREFIX_BYTES;
    this.high = new Uint32Array(this.length);
    this.low = new Uint32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      this.high[i] = bytes.readUInt32BE(i * LEAF_PREFIX_BYTES);
      this.low[i] = bytes.readUInt32BE(i * LEAF_PREFIX_BYTES + 4);
    }
  }

  /** 53 bits of the prefix as a number: a map key (equality is still checked on all 64 bits). */
  key(i: number): number {
    return this.high[i]! * 2_097_152 + (this.low[i]! >>> 11);
  }

  same(i: number, other: Prefixes, j: number): boolean {
    return this.high[i] === other.high[j] && this.low[i] === other.low[j];
  }
}

/**
 * Matched pairs (old position, new position), increasing in both, of two windows: patience diff with Myers
 * between anchors. Stretches too long or too different for Myers stay unmatched (reported as changed).
 * Iterative with an explicit stack, so a hostile dataset cannot exhaust the call stack.
 */
function matchInMemory(a: Prefixes, b: Prefixes): [number, number][] {
  type Work = { range: [number, number, number, number] } | { match: [number, number] };
  const out: [number, number][] = [];
  // Work is popped in file order: ranges and the matches between them are pushed last-first.
  const stack: Work[] = [{ range: [0, a.length, 0, b.length] }];
  while (stack.length > 0) {
    const work = stack.pop()!;
    if ('match' in work) {
      out.push(work.match);
      continue;
    }
    let [a0, a1, b0, b1] = work.range;
    while (a0 < a1 && b0 < b1 && a.same(a0, b, b0)) out.push([a0++, b0++]);
    const tail: [number, number][] = [];
    while (a0 < a1 && b0 < b1 && a.same(a1 - 1, b, b1 - 1)) tail.push([--a1, --b1]);
    // `tail` is in decreasing order: pushed as it is, its smallest match pops first.
    for (const match of tail) stack.push({ match });
    if (a0 === a1 || b0 === b1) continue;
    const { anchors, shared } = uniqueAnchors(a, a0, a1, b, b0, b1);
    // Nothing in common (the usual gap between anchors of reordered rows): all changed, no Myers needed.
    if (!shared) continue;
    if (anchors.length === 0) {
      const pairs = myers(a, a0, a1, b, b0, b1);
      for (let k = pairs.length - 1; k >= 0; k--) stack.push({ match: pairs[k]! });
      continue;
    }
    const pieces: Work[] = [];
    let pa = a0;
    let pb = b0;
    for (const [x, y] of anchors) {
      pieces.push({ range: [pa, x, pb, y] }, { match: [x, y] });
      pa = x + 1;
      pb = y + 1;
    }
    pieces.push({ range: [pa, a1, pb, b1] });
    for (let k = pieces.length - 1; k >= 0; k--) stack.push(pieces[k]!);
  }
  return out;
}

/**
 * Rows occurring exactly once in each range, as pairs forming the longest chain increasing in both positions;
 * `shared` tells whether the ranges have any row in common at all.
 */
function uniqueAnchors(a: Prefixes, a0: number, a1: number, b: Prefixes, b0: number, b1: number): { anchors: [number, number][]; shared: boolean } {
  // key -> [count in a, position in a, count in b, position in b]
  const seen = new Map<number, [number, number, number, number]>();
  for (let i = a0; i < a1; i++) {
    const entry = seen.get(a.key(i));
    if (entry) entry[0]++;
    else seen.set(a.key(i), [1, i, 0, -1]);
  }
  let shared = false;
  for (let j = b0; j < b1; j++) {
    const entry = seen.get(b.key(j));
    if (!entry) continue;
    shared = true;
    entry[2]++;
    entry[3] = j;
  }
  const candidates: [number, number][] = [];
  for (const [, [ca, i, cb, j]] of seen) if (ca === 1 && cb === 1 && a.same(i, b, j)) candidates.push([i, j]);
  candidates.sort((x, y) => x[0] - y[0]);
  return { anchors: longestIncreasing(candidates), shared };
}

/** Longest subsequence of pairs (sorted by first) whose second elements increase: patience sorting, O(n log n). */
function longestIncreasing(pairs: [number, number][]): [number, number][] {
  const tops: number[] = [];
  const back = new Int32Array(pairs.length);
  for (let k = 0; k < pairs.length; k++) {
    const y = pairs[k]![1];
    let lo = 0;
    let hi = tops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tops[mid]!]![1] < y) lo = mid + 1;
      else hi = mid;
    }
    back[k] = lo > 0 ? tops[lo - 1]! : -1;
    tops[lo] = k;
  }
  const chain: [number, number][] = [];
  for (let k = tops.length > 0 ? tops[tops.length - 1]! : -1; k >= 0; k = back[k]!) chain.push(pairs[k]!);
  return chain.reverse();
}

/** Myers' greedy O(ND) diff of two ranges: the matched pairs of one shortest edit script, or none when over the bounds. */
function myers(a: Prefixes, a0: number, a1: number, b: Prefixes, b0: number, b1: number): [number, number][] {
  const n = a1 - a0;
  const m = b1 - b0;
  const maxD = Math.min(n + m, MAX_MYERS_D, Math.floor(MYERS_STEP_BUDGET / (n + m)));
  const offset = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= maxD && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a.same(a0 + x, b, b0 + y)) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    trace.push(v.slice(offset - d, offset + d + 1));
  }
  if (found < 0) return [];
  const pairs: [number, number][] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const previous = trace[d - 1]!;
    const at = (k: number): number => previous[k + d - 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) pairs.push([a0 + --x, b0 + --y]);
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) pairs.push([a0 + --x, b0 + --y]);
  return pairs.reverse();
}

/**
 * Name each changed row: a removed row whose digest reappears among the added rows is `moved`; then, inside
 * each stretch, removed and added rows pair up in order as `modified`; the rest stay removed or added.
 */
function classify(hunks: Hunk[], unchanged: number, old: DigestStore, now: DigestStore, maxListed: number): RowDiff {
  const counts: RowDiffCounts = { unchanged, added: 0, removed: 0, modified: 0, moved: 0 };
  const changes: RowChange[] = [];
  let unlisted = 0;
  const list = (change: RowChange): void => {
    if (changes.length < maxListed) changes.push(change);
    else unlisted++;
  };
  let changed = 0;
  for (const h of hunks) changed += h.oldEnd - h.oldStart + (h.newEnd - h.newStart);
  // Rows that moved: old indices, and new index -> old index.
  const movedOld = new Set<number>();
  const movedNew = new Map<number, number>();
  if (changed <= MAX_MOVE_ROWS) {
    const removedByKey = new Map<string, number[]>();
    for (const h of hunks) {
      const p = old.read(h.oldStart, h.oldEnd - h.oldStart);
      for (let i = h.oldStart; i < h.oldEnd; i++) {
        const key = p.toString('hex', (i - h.oldStart) * LEAF_PREFIX_BYTES, (i - h.oldStart + 1) * LEAF_PREFIX_BYTES);
        const queue = removedByKey.get(key);
        if (queue) queue.push(i);
        else removedByKey.set(key, [i]);
      }
    }
    for (const h of hunks) {
      const p = now.read(h.newStart, h.newEnd - h.newStart);
      for (let j = h.newStart; j < h.newEnd; j++) {
        const queue = removedByKey.get(p.toString('hex', (j - h.newStart) * LEAF_PREFIX_BYTES, (j - h.newStart + 1) * LEAF_PREFIX_BYTES));
        const from = queue?.shift();
        if (from === undefined) continue;
        movedOld.add(from);
        movedNew.set(j, from);
      }
    }
  }
  for (const h of hunks) {
    const removed: number[] = [];
    const added: number[] = [];
    for (let i = h.oldStart; i < h.oldEnd; i++) if (!movedOld.has(i)) removed.push(i);
    for (let j = h.newStart; j < h.newEnd; j++) if (!movedNew.has(j)) added.push(j);
    const paired = Math.min(removed.length, added.length);
    for (let k = 0; k < paired; k++) {
      counts.modified++;
      list({ kind: 'modified', oldIndex: removed[k]!, newIndex: added[k]! });
    }
    for (let k = paired; k < removed.length; k++) {
      counts.removed++;
      list({ kind: 'removed', oldIndex: removed[k]! });
    }
    for (let k = paired; k < added.length; k++) {
      counts.added++;
      list({ kind: 'added', newIndex: added[k]! });
    }
    for (let j = h.newStart; j < h.newEnd; j++) {
      const from = movedNew.get(j);
      if (from === undefined) continue;
      counts.moved++;
      list({ kind: 'moved', oldIndex: from, newIndex: j });
    }
  }
  return { counts, changes, unlisted };
}
