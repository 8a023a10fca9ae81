import { canonicalRows, columnText, type DatasetCorpus, type TokenColumn } from './corpus.js';
import { defineDatasetDetector } from './dataset-detector.js';
import { hashIds, mix32, signatureSimilarity } from './minhash.js';
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
 * word 3-gram shingles >= SAME_SIMILARITY on each). Candidates come from LSH over both MinHash signatures;
 * clusters are closed by union-find. A cluster is a flood when its size (exact copies included) is far
 * above the dataset's norm: over median + FLOOD_MADS x scaled MAD (at least 1) of the sizes of all
 * groups, a row without near-copies being a group of one, and at least MIN_FLOOD_ROWS rows.
 */

/**
 * Estimated Jaccard similarity of word 3-gram shingles at which two prompts (and two responses) count as
 * near-copies. One word changed in a 15-word sentence changes 3 of its 13 shingles (J = 0.62); two copies
 * edited in different places share about half (J = 0.5). Requiring it of prompt and response both keeps
 * rows that merely share a template apart.
 */
const SAME_SIMILARITY = 0.5;
/** Rows a cluster needs, at the least, to be a flood. */
const MIN_FLOOD_ROWS = 20;
/** Robust standard deviations above the median cluster size a flood must reach. */
const FLOOD_MADS = 10;
/** Members of a flood every other row is compared with in the sweep that completes it. */
const SWEEP_EXEMPLARS = 8;
/** Floods reported one by one (all are flagged). */
const MAX_REPORTS = 20;
/** Prompt signature slots (one permutation hashing); also the LSH layout below. */
const PROMPT_SLOTS = 32;
/** LSH bands; each takes 2 prompt and 2 response slots: a pair at J = 0.7 on both is a candidate with p = 0.99, at 0.5 with 0.64. */
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
    const promptSignatures = onePermutationSignatures(corpus.prompt, rows);
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
    const promptSimilarity = (a: number, b: number): number => {
      let equal = 0;
      for (let k = 0; k < PROMPT_SLOTS; k++) if (promptSignatures[a * PROMPT_SLOTS + k] === promptSignatures[b * PROMPT_SLOTS + k]) equal++;
      return equal / PROMPT_SLOTS;
    };
    for (const flood of floods) {
      const members = new Set(flood.members);
      const exemplars = flood.members.slice(0, SWEEP_EXEMPLARS);
      for (let i = 0; i < rows.length; i++) {
        if (members.has(i)) continue;
        const near = exemplars.some((e) => promptSimilarity(e, i) >= SAME_SIMILARITY && signatureSimilarity(corpus.responseSignature, rows[e]!, rows[i]!) >= SAME_SIMILARITY);
        if (!near) continue;
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

/**
 * MinHash signatures of the prompts by one permutation hashing (Li, Owen and Zhang, NIPS 2012) with
 * rotation densification (Shrivastava and Li, ICML 2014): each shingle is hashed once and kept in the
 * slot its top bits name, where plain MinHash hashes it once per slot; empty slots borrow the next
 * filled one. Same estimate of the Jaccard similarity, a 32nd of the hashing.
 */
function onePermutationSignatures(column: TokenColumn, rows: Uint32Array): Uint32Array {
  const out = new Uint32Array(rows.length * PROMPT_SLOTS).fill(0xffffffff);
  const slotShift = 32 - Math.log2(PROMPT_SLOTS);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const start = column.offsets[row]!;
    const end = column.offsets[row + 1]!;
    const at = i * PROMPT_SLOTS;
    if (end === start) continue;
    const width = Math.min(3, end - start);
    for (let t = start; t + width <= end; t++) {
      const h = mix32(hashIds(column.ids, t, t + width) ^ 0x27d4eb2f);
      const slot = at + (h >>> slotShift);
      const value = h & ((1 << slotShift) - 1);
      if (value < out[slot]!) out[slot] = value;
    }
    for (let k = 0; k < PROMPT_SLOTS; k++) {
      if (out[at + k] !== 0xffffffff) continue;
      for (let step = 1; step < PROMPT_SLOTS; step++) {
        const from = out[at + ((k + step) % PROMPT_SLOTS)]!;
        if (from !== 0xffffffff) {
          // A borrowed value is offset by the distance so two rows borrowing differently do not agree by chance.
          out[at + k] = mix32(from + step) | 0x80000000;
          break;
        }
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

/** Clusters (indices into `rows`) of two or more rows whose prompts and responses are both near-duplicates. */
function nearDuplicateClusters(corpus: DatasetCorpus, rows: Uint32Array, promptSignatures: Uint32Array): number[][] {
  const n = rows.length;
  const parent = Uint32Array.from({ length: n }, (_, i) => i);
  const response = corpus.responseSignature;
  const size = corpus.signatureSize;
  const key = new Uint32Array(4);
  const promptSimilarity = (a: number, b: number): number => {
    let equal = 0;
    for (let k = 0; k < PROMPT_SLOTS; k++) if (promptSignatures[a * PROMPT_SLOTS + k] === promptSignatures[b * PROMPT_SLOTS + k]) equal++;
    return equal / PROMPT_SLOTS;
  };
  for (let band = 0; band < BANDS; band++) {
    const buckets = new Map<number, number>();
    const p = (2 * band) % PROMPT_SLOTS;
    const r = (2 * band) % size;
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      key[0] = promptSignatures[i * PROMPT_SLOTS + p]!;
      key[1] = promptSignatures[i * PROMPT_SLOTS + p + 1]!;
      key[2] = response[row * size + r]!;
      key[3] = response[row * size + r + 1]!;
      const bucket = hashIds(key, 0, 4, band);
      const first = buckets.get(bucket);
      if (first === undefined) {
        buckets.set(bucket, i);
        continue;
      }
      const a = find(parent, first);
      const b = find(parent, i);
      if (a === b) continue;
      if (promptSimilarity(first, i) >= SAME_SIMILARITY && signatureSimilarity(response, rows[first]!, row) >= SAME_SIMILARITY) {
        parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = find(parent, i);
    const group = groups.get(root);
    if (group) group.push(i);
    else groups.set(root, [i]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}
