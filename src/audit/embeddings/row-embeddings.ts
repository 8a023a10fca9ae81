import { errorMessage } from '../../core/errors.js';
import { mix32 } from '../../detectors/dataset/minhash.js';
import type { RowEmbeddings } from '../../detectors/dataset/supplied-data.js';
import type { EmbeddingProvider } from './provider.js';

/*
 * Collects row embeddings while a dataset streams: the audit hands each readable row's text to `add`,
 * texts go to the provider in batches with at most MAX_IN_FLIGHT requests outstanding (the audit awaits
 * `drain()` when `saturated`, so a slow provider slows the read instead of filling memory with queued
 * text), and `finish` returns one unit vector per row. A batch that still fails after the provider's own
 * retries stops the collection: the rows without a vector are reported as not checked (unknown is not
 * clean), and what was embedded is still used.
 *
 * Memory is bounded: at most MAX_EMBEDDED_ROWS rows, each at most MAX_STORED_DIMENSIONS floats. Larger
 * vectors (1,536 for OpenAI's models) are folded down by a count sketch (each input dimension added, with
 * a hashed sign, to one hashed output dimension), which keeps dot products in expectation, with a noise of
 * about 1/sqrt(MAX_STORED_DIMENSIONS) = 0.05 on cosine similarity.
 */

/** Texts per provider request. */
export const EMBEDDING_BATCH_SIZE = 64;
/** Requests outstanding at once. */
const MAX_IN_FLIGHT = 2;
/** Rows embedded per dataset; later rows are reported as not checked. 200,000 x 384 floats is 300 MB. */
export const MAX_EMBEDDED_ROWS = 200_000;
/** Floats kept per vector. */
export const MAX_STORED_DIMENSIONS = 384;
/** Characters of a row's text sent to the provider (models read 512 tokens at most anyway). */
const MAX_TEXT_CHARS = 8_000;

/** Embeds the rows of one dataset as they stream. */
export class RowEmbeddingCollector {
  private batchRows: number[] = [];
  private batchTexts: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly chunks: { rows: number[]; vectors: Float32Array[] }[] = [];
  private dimensions = 0;
  private inputDimensions = 0;
  private failure: string | undefined;
  private skipped = 0;

  constructor(private readonly provider: EmbeddingProvider) {}

  /** Queue row `row`'s text (prompt and response) for embedding. */
  add(row: number, prompt: string, response: string): void {
    if (this.failure !== undefined) return;
    const text = (prompt && response ? `${prompt}\n\n${response}` : prompt || response).slice(0, MAX_TEXT_CHARS);
    if (text.trim() === '') return;
    if (row >= MAX_EMBEDDED_ROWS) {
      this.skipped++;
      return;
    }
    this.batchRows.push(row);
    this.batchTexts.push(text);
    if (this.batchRows.length >= EMBEDDING_BATCH_SIZE) this.dispatch();
  }

  /** True when the caller should await {@link drain} before adding more. */
  get saturated(): boolean {
    return this.inFlight.size >= MAX_IN_FLIGHT;
  }

  /** Wait until a request finishes. */
  async drain(): Promise<void> {
    if (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  /** Send what is queued, wait for every request, and lay the vectors out by row. */
  async finish(rowCount: number): Promise<RowEmbeddings> {
    if (this.batchRows.length > 0) this.dispatch();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    await this.provider.close?.();
    const dimensions = Math.max(1, this.dimensions);
    const vectors = new Float32Array(rowCount * dimensions);
    const present = new Uint8Array(rowCount);
    for (const chunk of this.chunks) {
      chunk.rows.forEach((row, k) => {
        if (row >= rowCount) return;
        vectors.set(chunk.vectors[k]!, row * dimensions);
        present[row] = 1;
      });
    }
    const reasons = [
      ...(this.failure !== undefined ? [this.failure] : []),
      ...(this.skipped > 0 ? [`${this.skipped} rows past the ${MAX_EMBEDDED_ROWS}-row limit`] : []),
    ];
    const folded = this.inputDimensions > dimensions ? ` (${this.inputDimensions} dimensions folded to ${dimensions})` : '';
    return { provider: `${this.provider.name}${folded}`, dimensions, vectors, present, ...(reasons.length > 0 ? { failure: reasons.join('; ') } : {}) };
  }

  private dispatch(): void {
    const rows = this.batchRows;
    const texts = this.batchTexts;
    this.batchRows = [];
    this.batchTexts = [];
    const request = this.provider
      .embed(texts)
      .then((vectors) => this.store(rows, vectors))
      .catch((error: unknown) => {
        this.failure ??= `${this.provider.name}: ${errorMessage(error)}`;
      })
      .finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  private store(rows: number[], vectors: Float32Array[]): void {
    if (vectors.length !== rows.length) throw new RangeError(`${vectors.length} vectors for ${rows.length} texts`);
    const stored = vectors.map((vector) => {
      if (this.inputDimensions === 0) {
        this.inputDimensions = vector.length;
        this.dimensions = Math.min(vector.length, MAX_STORED_DIMENSIONS);
      }
      if (vector.length !== this.inputDimensions) throw new RangeError(`a vector of ${vector.length} dimensions after vectors of ${this.inputDimensions}`);
      return unitVector(this.inputDimensions > this.dimensions ? countSketch(vector, this.dimensions) : vector);
    });
    this.chunks.push({ rows, vectors: stored });
  }
}

/** Fold `vector` to `dimensions` floats: input i is added with sign s(i) to output h(i). */
export function countSketch(vector: Float32Array, dimensions: number): Float32Array {
  const out = new Float32Array(dimensions);
  for (let i = 0; i < vector.length; i++) {
    const h = mix32(i + 0x2f1b7c3d);
    out[h % dimensions]! += h & 0x80000000 ? -vector[i]! : vector[i]!;
  }
  return out;
}

/** A unit-length copy (zeros stay zeros); non-finite values make the vector unusable, so they throw. */
function unitVector(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i]!)) throw new RangeError('the provider returned a vector with a non-finite value');
    sum += vector[i]! * vector[i]!;
  }
  const out = new Float32Array(vector.length);
  if (sum > 0) for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / Math.sqrt(sum);
  return out;
}
