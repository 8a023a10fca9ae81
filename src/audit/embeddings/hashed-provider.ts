import { mix32 } from '../../detectors/dataset/minhash.js';
import { tokenize } from '../../detectors/text/tokens.js';
import type { EmbeddingProvider } from './provider.js';

/*
 * The built-in hashed embedding as a provider: signed feature hashing (Weinberger et al., ICML 2009) of
 * a text's lower-cased words and word pairs into DIMENSIONS floats, scaled to unit length. The dot product
 * of two vectors estimates the cosine similarity of their bags of n-grams, with a noise of about
 * 1/sqrt(DIMENSIONS). No model and no network. dataset/embedding-outliers computes the exact bag-of-words
 * similarity from the corpus by default; this provider serves `--embeddings hashed` (bigrams too) and
 * library callers that have text rather than a corpus.
 */

/** Dimensions: cosine noise about 0.044, 2 kB a row. */
export const HASHED_DIMENSIONS = 512;
/** Tokens embedded per text; the start of a text says what it is about. */
const MAX_TOKENS = 512;

/** 32-bit hash of a token key (FNV-1a over UTF-16 units, then a murmur finaliser). */
export function tokenKeyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** The hashed embedding of `text` (unit length; all zeros for a text without tokens). */
export function hashedEmbedding(text: string, dimensions = HASHED_DIMENSIONS): Float32Array {
  const out = new Float32Array(dimensions);
  const mask = dimensions - 1;
  let previous = -1;
  tokenize(
    text,
    (key) => {
      const h = tokenKeyHash(key);
      out[h & mask]! += h & 0x80000000 ? -1 : 1;
      if (previous >= 0) {
        const b = mix32(Math.imul(previous, 0x9e3779b1) ^ h);
        out[b & mask]! += b & 0x80000000 ? -1 : 1;
      }
      previous = h;
    },
    MAX_TOKENS,
  );
  let sum = 0;
  for (let k = 0; k < dimensions; k++) sum += out[k]! * out[k]!;
  if (sum > 0) for (let k = 0; k < dimensions; k++) out[k]! /= Math.sqrt(sum);
  return out;
}

/** The hashed embedding provider. */
export function hashedProvider(dimensions = HASHED_DIMENSIONS): EmbeddingProvider {
  return {
    name: `hashed (${dimensions} dimensions)`,
    check: async () => undefined,
    embed: async (texts) => texts.map((t) => hashedEmbedding(t, dimensions)),
  };
}
