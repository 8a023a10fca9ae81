import { canonicalRows, columnText, type DatasetCorpus, type TokenColumn } from './corpus.js';
import { defineDatasetDetector } from './dataset-detector.js';
import { mix32 } from './minhash.js';
import { medianAndScale } from './robust-scale.js';

/*
 * One row repeated, with small edits, far more often than anything else in the dataset. Repetition is how
 * a few poisoned examples are made to weigh like many: backdoor and misinformation studies inject each
 * poisoned example in many near-identical copies (Wallace et al., "Concealed Data Poisoning Attacks on NLP
 * Models", NAACL 2021; Carlini et al., "Poisoning Web-Scale Training Datasets is Practical", 2023), and
 * memorisation grows with the number of copies (Kandpal et al., "Deduplicating Training Data Mitigates
 * Privacy Risks in Language Models", ICML 2022). Exact copies are easy to drop; near-duplicates survive
 * a plain deduplication.
 *
 * Rows are near-duplicates when their prompts AND their responses are (estimated Jaccard similarity of
 * word 3-gram shingles >= CLUSTER_SIMILARITY on each). Candidates come from LSH over both MinHash signatures;
 * clusters are closed by union-find. A cluster is a flood when its size (exact copies included) is far
 * above the dataset's norm: over median + FLOOD_MADS x scaled MAD (at least 1) of the sizes of all
 * groups, a row without near-copies being a group of one, and at least MIN_FLOOD_ROWS rows.
 */

/**
 * Estimated Jaccard similarity of word 3-gram shingles at which two prompts (and two responses) count as
 * near-copies while clusters form. One word changed in a 15-word sentence changes 3 of its 13 shingles
 * (J = 0.62 to the original). Requiring it of prompt and response both keeps rows that merely share a
 * template apart; chaining at a lower value merged AG News articles that share a long quote-link
 * boilerplate into one 146-row "flood".
 */
const CLUSTER_SIMILARITY = 0.5;
/**
 * Similarity to a member of an established flood at which a row joins it: two copies edited in different
 * places share 7 of 19 shingles (J = 0.4), and a flood of such copies has no original among it.
 */
const SWEEP_SIMILARITY = 0.4;
/** Rows a cluster needs, at the least, to be a flood. */
const MIN_FLOOD_ROWS = 20;
/** Robust standard deviations above the median cluster size a flood must reach. */
const FLOOD_MADS = 10;
/** Share of the exemplars a row must be near to join a flood in the sweep. */
const SWEEP_AGREEMENT = 0.5;
/** Members of a flood every other row is compared with in the sweep that completes it. */
const SWEEP_EXEMPLARS = 64;
/** Floods reported one by one (all are flagged). */
const MAX_REPORTS = 20;
/** Prompt MinHash slots; also the LSH layout below. */
const PROMPT_SLOTS = 32;
/**
 * LSH bands; each takes 2 prompt and 2 response slots: a pair at J = 0.7 on both is a candidate with
 * p = 0.99, at 0.5 with 0.64 (a flood's copies still connect through one another, and the sweep
 * completes it).
 */
const BANDS = 16;

const MESSAGES = {
  flood:
    '{{rows}} rows are near-copies of one row (prompt and response), where a row of this dataset has ' +
    '{{median}} near-copies (itself included) at the median (flood threshold {{threshold}}): "{{prompt}}" -> "{{response}}"',
} as const;

export default defineDatasetDetector({
  id: 'dataset/near-duplicate-flood',
  title: 'Flood of near-duplicate rows',
  description:
    'Poisoning attacks repeat each poisoned example many times, with small edits that defeat exact ' +
    'deduplication, so that a few examples weigh like many and get memorised (Wallace et al. 2021; ' +
    'Kandpal et al. 2022). This detector clusters rows whose prompts and responses are both ' +
    'near-duplicates (MinHash + LSH over word 3-grams) and flags clusters far larger than the ' +
    'dataset\'s norm (median + 10 robust standard deviations of cluster sizes, and at least 20 rows).',
  remediation:
    'Look at the flooded row: if it does not belong, remove every copy (they are all flagged); if it ' +
    'does, keep one copy. Deduplicate near-duplicates before training either way.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM04', 'AML.T0020'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  analyze(corpus, context) {
    const rows = canonicalRows(corpus);
    if (rows.length < MIN_FLOOD_ROWS) return;
    const copies = new Uint32Array(corpus.rowCount);
    for (let row = 0; row < corpus.rowCount; row++) if (corpus.readable[row] === 1) copies[corpus.canonical[row]!]!++;
    const promptSignatures = promptMinHashes(corpus.prompt, rows);
    const clusters = nearDuplicateClusters(corpus, rows, promptSignatures);

    const sizes = clusters.map((members) => members.reduce((sum, i) => sum + copies[rows[i]!]!, 0));
    // Every other row is a group of its own, of its exact copies (a row pasted 50 times unedited is a
    // group of 50): the norm is taken over all groups, so a dataset of distinct rows has a norm of 1.
    const inCluster = new Uint8Array(rows.length);
    for (const members of clusters) for (const i of members) inCluster[i] = 1;
    const groupSizes = sizes.slice();
    rows.forEach((row, i) => {
      if (inCluster[i]) return;
      groupSizes.push(copies[row]!);
      if (copies[row]! > 1) {
        clusters.push([i]);
        sizes.push(copies[row]!);
      }
    });
    if (sizes.length === 0) return;
    const { median, scale } = medianAndScale(groupSizes);
    const threshold = Math.max(MIN_FLOOD_ROWS, median + FLOOD_MADS * Math.max(scale, 1));

    const floods = clusters.map((members, c) => ({ members, size: sizes[c]! })).filter((f) => f.size >= threshold).sort((a, b) => b.size - a.size);
    // LSH finds a pair at J = 0.5 with probability 0.64 only; a copy whose every pair was missed would be
    // left out of its flood. So each flood is swept once: every other row is compared with a few members.
    for (const flood of floods) {
      const members = new Set(flood.members);
      const exemplars = flood.members.slice(0, SWEEP_EXEMPLARS);
      for (let i = 0; i < rows.length; i++) {
        if (members.has(i)) continue;
        let near = 0;
        for (const e of exemplars) if (nearCopies(corpus, rows, promptSignatures, e, i, SWEEP_SIMILARITY)) near++;
        // A copy of the flooded row is near most of its copies; a row that only shares a boilerplate
        // opening with some of them is not.
        if (near < SWEEP_AGREEMENT * exemplars.length) continue;
        members.add(i);
        flood.members.push(i);
        flood.size += copies[rows[i]!]!;
      }
    }
    floods.forEach((flood, n) => {
      const wanted = new Set(flood.members.map((i) => rows[i]!));
      const flagged: number[] = [];
      for (let row = 0; row < corpus.rowCount; row++) if (corpus.readable[row] === 1 && wanted.has(corpus.canonical[row]!)) flagged.push(row);
      // 0.5 at the threshold, 0.9 at four times it: the more copies, the less likely an accident.
      const score = Math.min(0.9, 0.5 + (0.4 * Math.log(flood.size / threshold)) / Math.log(4));
      const first = flagged[0]!;
      context.flagRows(flagged, { score, reason: `one of ${flood.size} near-copies of row ${first} (a flood: the dataset's norm is ${median})` });
      if (n >= MAX_REPORTS) return;
      context.report({
        messageId: 'flood',
        data: {
          rows: flood.size,
          median,
          threshold: Number(threshold.toFixed(1)),
          prompt: columnText(corpus, corpus.prompt, first, 80),
          response: columnText(corpus, corpus.response, first, 80),
        },
        location: { row: first },
        evidence: {
          score,
          details: {
            rows: flood.size,
            distinctRows: flood.members.length,
            clusters: sizes.length,
            groups: groupSizes.length,
            medianClusterSize: median,
            scaledMad: Number(scale.toFixed(2)),
            threshold: Number(threshold.toFixed(1)),
            firstRows: flagged.slice(0, 10).join(' '),
          },
        },
      });
    });
  },
});

/** Odd multipliers and offsets of the per-slot hash functions (fixed: signatures must not vary by run). */
const SLOT_MULTIPLIERS = Uint32Array.from({ length: PROMPT_SLOTS }, (_, k) => (mix32(0x3c6ef372 + k) | 1) >>> 0);
const SLOT_OFFSETS = Uint32Array.from({ length: PROMPT_SLOTS }, (_, k) => mix32(0xa54ff53a + k));

/**
 * MinHash signatures of the prompts (word 3-gram shingles, as minhash.ts does for responses). Each shingle
 * is mixed once; its value in slot k is then a multiply-add of that hash (a 2-universal family over a
 * well-mixed key), one multiplication per slot where minhash.ts spends a full mix. One permutation hashing
 * would be cheaper still, but on short prompts (15 shingles in 32 slots) its densified empty slots made
 * near-copies look unrelated.
 */
function promptMinHashes(column: TokenColumn, rows: Uint32Array): Uint32Array {
  const out = new Uint32Array(rows.length * PROMPT_SLOTS).fill(0xffffffff);
  const ids = column.ids;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const start = column.offsets[row]!;
    const end = column.offsets[row + 1]!;
    const at = i * PROMPT_SLOTS;
    if (end === start) continue;
    const width = Math.min(3, end - start);
    for (let t = start; t + width <= end; t++) {
      // The shingle's hash, inlined (this loop runs once per prompt token of the dataset).
      let h = mix32(Math.imul(ids[t]! + 1, 0x9e3779b1) ^ 0x27d4eb2f);
      if (width > 1) h = mix32(h ^ Math.imul(ids[t + 1]! + 1, 0x85ebca6b));
      if (width > 2) h = mix32(h ^ Math.imul(ids[t + 2]! + 1, 0xc2b2ae35));
      for (let k = 0; k < PROMPT_SLOTS; k++) {
        const value = (Math.imul(h, SLOT_MULTIPLIERS[k]!) + SLOT_OFFSETS[k]!) >>> 0;
        if (value < out[at + k]!) out[at + k] = value;
      }
    }
  }
  return out;
}

function find(parent: Uint32Array, x: number): number {
  let root = x;
  while (parent[root] !== root) root = parent[root]!;
  while (parent[x] !== root) {
    const next = parent[x]!;
    parent[x] = root;
    x = next;
  }
  return root;
}

/**
 * True when at least `similarity` of the `slots` slots of two signatures agree; gives up as soon as
 * too many disagree (most candidate pairs are chance collisions of one band and fail fast).
 */
function similarEnough(a: Uint32Array, at: number, b: Uint32Array, bt: number, slots: number, similarity: number): boolean {
  const allowed = Math.floor((1 - similarity) * slots);
  let differ = 0;
  for (let k = 0; k < slots; k++) if (a[at + k] !== b[bt + k] && ++differ > allowed) return false;
  return true;
}

/** Near-copies in prompt and response both. */
function nearCopies(corpus: DatasetCorpus, rows: Uint32Array, promptSignatures: Uint32Array, a: number, b: number, similarity: number): boolean {
  const size = corpus.signatureSize;
  return (
    similarEnough(promptSignatures, a * PROMPT_SLOTS, promptSignatures, b * PROMPT_SLOTS, PROMPT_SLOTS, similarity) &&
    similarEnough(corpus.responseSignature, rows[a]! * size, corpus.responseSignature, rows[b]! * size, size, similarity)
  );
}

/** Clusters (indices into `rows`) of two or more rows whose prompts and responses are both near-duplicates. */
function nearDuplicateClusters(corpus: DatasetCorpus, rows: Uint32Array, promptSignatures: Uint32Array): number[][] {
  const n = rows.length;
  const parent = Uint32Array.from({ length: n }, (_, i) => i);
  const response = corpus.responseSignature;
  const size = corpus.signatureSize;
  // One open-addressing table (band key -> first row), reused for every band: a Map of 100,000 entries per
  // band cost more than the comparisons.
  let capacity = 1024;
  while (capacity < 2 * n) capacity *= 2;
  const tableKeys = new Uint32Array(capacity);
  const tableRows = new Int32Array(capacity);
  for (let band = 0; band < BANDS; band++) {
    tableRows.fill(-1);
    const p = (2 * band) % PROMPT_SLOTS;
    const r = (2 * band) % size;
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      let key = mix32(promptSignatures[i * PROMPT_SLOTS + p]! ^ Math.imul(band + 1, 0x9e3779b1));
      key = mix32(key ^ promptSignatures[i * PROMPT_SLOTS + p + 1]!);
      key = mix32(key ^ response[row * size + r]!);
      key = mix32(key ^ response[row * size + r + 1]!);
      let slot = key & (capacity - 1);
      while (tableRows[slot] !== -1 && tableKeys[slot] !== key) slot = (slot + 1) & (capacity - 1);
      const first = tableRows[slot]!;
      if (first === -1) {
        tableKeys[slot] = key;
        tableRows[slot] = i;
        continue;
      }
      const a = find(parent, first);
      const b = find(parent, i);
      if (a !== b && nearCopies(corpus, rows, promptSignatures, first, i, CLUSTER_SIMILARITY)) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  // Most rows are alone: count members first and build lists only for roots with two or more.
  const members = new Uint32Array(n);
  for (let i = 0; i < n; i++) members[find(parent, i)]!++;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = parent[i]!;
    if (members[root]! < 2) continue;
    const group = groups.get(root);
    if (group) group.push(i);
    else groups.set(root, [i]);
  }
  return [...groups.values()];
}
