/*
 * Near-duplicate text by MinHash and locality-sensitive hashing (Broder 1997; Leskovec, Rajaraman and
 * Ullman, "Mining of Massive Datasets", ch. 3). A text becomes a set of hashed word 3-grams (shingles);
 * its signature keeps, for each of SIGNATURE_SIZE hash functions, the smallest hash of any shingle. Two
 * signatures agree in a slot with probability equal to the Jaccard similarity of the shingle sets. LSH
 * cuts the signature into bands; texts that agree on a whole band land in the same bucket and become
 * candidates, which are then confirmed on the full signature. Cost is linear in the number of texts.
 */

/** Hash functions per signature: 32 gives a similarity estimate within about +-0.09 (one sigma at J = 0.5). */
export const SIGNATURE_SIZE = 32;
/** Signature slots per LSH band. 8 bands of 4 make pairs at J = 0.8 candidates with probability 0.98, at J = 0.3 with 0.06. */
const ROWS_PER_BAND = 4;
const BANDS = SIGNATURE_SIZE / ROWS_PER_BAND;

/** Per-slot seeds (fixed: signatures must be comparable across runs and machines). */
const SEEDS = (() => {
  const seeds = new Uint32Array(SIGNATURE_SIZE);
  let x = 0x9e3779b9;
  for (let i = 0; i < SIGNATURE_SIZE; i++) {
    x = mix32(x + 0x6d2b79f5 + i);
    seeds[i] = x;
  }
  return seeds;
})();

/** murmur3's 32-bit finaliser: a fast bijective mix with full avalanche. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of a short sequence of 32-bit values (token ids of a shingle). */
export function hashIds(ids: ArrayLike<number>, start: number, end: number, seed = 0x2545f491): number {
  let h = seed;
  for (let i = start; i < end; i++) h = mix32(h ^ Math.imul((ids[i]! + 1) >>> 0, 0x9e3779b1));
  return mix32(h ^ (end - start));
}

/**
 * Write the MinHash signature of the token sequence `ids[start..end)` to `out[at .. at + SIGNATURE_SIZE)`.
 * Shingles are 3-grams; a text of one or two tokens is one shingle of itself, so `Positive` and `positive.`
 * get different, stable signatures. An empty text gets the all-ones signature (similar only to empties).
 */
export function writeSignature(ids: ArrayLike<number>, start: number, end: number, out: Uint32Array, at: number): void {
  out.fill(0xffffffff, at, at + SIGNATURE_SIZE);
  const length = end - start;
  if (length === 0) return;
  const width = Math.min(3, length);
  for (let i = start; i + width <= end; i++) {
    // One mix per shingle: the ids are multiplied by distinct odd constants (so `a b c` and `c b a` differ)
    // and mixed once; hashIds would mix once per id.
    let h = Math.imul(ids[i]! + 1, 0x9e3779b1);
    if (width > 1) h ^= Math.imul(ids[i + 1]! + 1, 0x85ebca77);
    if (width > 2) h ^= Math.imul(ids[i + 2]! + 1, 0xc2b2ae3d);
    const shingle = mix32(h ^ width);
    // One well-mixed shingle hash, then a cheap xor-multiply-shift per slot: each slot is a different
    // hash of the same well-mixed value, which is all MinHash needs (full mix32 per slot cost 3x as much).
    for (let k = 0; k < SIGNATURE_SIZE; k++) {
      let v = Math.imul(shingle ^ SEEDS[k]!, 0x9e3779b1);
      v = (v ^ (v >>> 15)) >>> 0;
      if (v < out[at + k]!) out[at + k] = v;
    }
  }
}

/** Share of equal slots of two signatures: the estimated Jaccard similarity of their shingle sets. */
export function signatureSimilarity(signatures: Uint32Array, a: number, b: number): number {
  let equal = 0;
  const pa = a * SIGNATURE_SIZE;
  const pb = b * SIGNATURE_SIZE;
  for (let k = 0; k < SIGNATURE_SIZE; k++) if (signatures[pa + k] === signatures[pb + k]) equal++;
  return equal / SIGNATURE_SIZE;
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
 * Group `rows` whose signatures are near-duplicates (estimated Jaccard >= `minSimilarity`) by LSH and
 * union-find. Returns the groups of two or more rows, each sorted, largest group first. Every row is
 * compared with the first row of each bucket it lands in, so the work is O(rows x bands) even when all
 * rows are equal.
 */
export function nearDuplicateGroups(signatures: Uint32Array, rows: ArrayLike<number>, rowCount: number, minSimilarity: number): number[][] {
  const parent = new Uint32Array(rowCount);
  for (let i = 0; i < rowCount; i++) parent[i] = i;
  for (let band = 0; band < BANDS; band++) {
    const buckets = new Map<number, number>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      // 30 bits keep the key a small integer (fast Map keys); a shared bucket is confirmed on the full signature anyway.
      const key = hashIds(signatures, row * SIGNATURE_SIZE + band * ROWS_PER_BAND, row * SIGNATURE_SIZE + (band + 1) * ROWS_PER_BAND, band) & 0x3fffffff;
      const first = buckets.get(key);
      if (first === undefined) {
        buckets.set(key, row);
        continue;
      }
      const a = find(parent, first);
      const b = find(parent, row);
      if (a !== b && signatureSimilarity(signatures, first, row) >= minSimilarity) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const root = find(parent, row);
    const group = groups.get(root);
    if (group) group.push(row);
    else groups.set(root, [row]);
  }
  return [...groups.values()]
    .filter((g) => g.length > 1)
    .map((g) => g.sort((a, b) => a - b))
    .sort((a, b) => b.length - a.length || a[0]! - b[0]!);
}
