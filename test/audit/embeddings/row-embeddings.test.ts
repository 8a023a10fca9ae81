import { describe, expect, it } from 'vitest';
import { auditDataset } from '../../../src/audit/audit.js';
import type { EmbeddingProvider } from '../../../src/audit/embeddings/provider.js';
import { countSketch, MAX_STORED_DIMENSIONS, RowEmbeddingCollector } from '../../../src/audit/embeddings/row-embeddings.js';
import type { DatasetDetector } from '../../../src/detectors/dataset/dataset-detector.js';
import { defineDatasetDetector } from '../../../src/detectors/dataset/dataset-detector.js';
import type { RowEmbeddings } from '../../../src/detectors/dataset/supplied-data.js';
import { datasetEvents, seededRandom, syntheticAlpaca } from '../../builders/poison.js';

/** A provider of random `dimensions`-float vectors that answers after `delayMs` and records its concurrency. */
function slowProvider(dimensions: number, delayMs: number): EmbeddingProvider & { peak: number; texts: string[] } {
  let active = 0;
  const random = seededRandom(1);
  const provider = {
    name: 'slow',
    peak: 0,
    texts: [] as string[],
    check: async () => undefined,
    embed: async (texts: readonly string[]) => {
      active++;
      provider.peak = Math.max(provider.peak, active);
      provider.texts.push(...texts);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      active--;
      return texts.map(() => Float32Array.from({ length: dimensions }, () => random() - 0.5));
    },
  };
  return provider;
}

/** A detector that only keeps what the audit handed it, to look at the embeddings. */
function capture(): { detector: DatasetDetector<any>; got: () => RowEmbeddings | undefined } {
  let seen: RowEmbeddings | undefined;
  const detector = defineDatasetDetector({
    id: 'dataset/capture',
    title: 'test capture',
    description: 'keeps the embeddings',
    remediation: 'none',
    defaultSeverity: 'info',
    tags: [],
    messages: { x: 'x' },
    requires: { network: false, unsafe: false },
    analyze: (_corpus, context) => {
      seen = context.audit.embeddings;
    },
  });
  return { detector, got: () => seen };
}

describe('row embeddings collected while a dataset streams', () => {
  it('keeps at most two requests in flight and lays one unit vector out per row', async () => {
    const provider = slowProvider(16, 5);
    const { detector, got } = capture();
    const rows = syntheticAlpaca(700, 2);
    await auditDataset({ path: 'd', format: 'jsonl', events: datasetEvents([...rows.slice(0, 100), { bad: 'broken line' }, ...rows.slice(100)]) }, { detectors: [detector], embeddings: provider });
    expect(provider.peak).toBe(2);
    const embeddings = got()!;
    expect(embeddings).toMatchObject({ provider: 'slow', dimensions: 16 });
    expect(embeddings.present[100]).toBe(0);
    expect(Array.from(embeddings.present).filter((p) => p === 1)).toHaveLength(700);
    const norm = Math.hypot(...embeddings.vectors.subarray(101 * 16, 102 * 16));
    expect(norm).toBeCloseTo(1, 5);
    expect(provider.texts[0]).toBe(`${rows[0]!.instruction}\n\n${rows[0]!.output}`);
  });

  it(`folds vectors wider than ${MAX_STORED_DIMENSIONS} floats by a count sketch that keeps dot products`, async () => {
    const collector = new RowEmbeddingCollector(slowProvider(1536, 0));
    for (let row = 0; row < 3; row++) collector.add(row, `text ${row}`, '');
    const embeddings = await collector.finish(3);
    expect(embeddings.dimensions).toBe(MAX_STORED_DIMENSIONS);
    expect(embeddings.provider).toBe('slow (1536 dimensions folded to 384)');
    const random = seededRandom(9);
    const a = Float32Array.from({ length: 1536 }, () => random() - 0.5);
    const b = a.map((v) => v + 0.5 * (random() - 0.5));
    const dot = (x: Float32Array, y: Float32Array): number => x.reduce((s, v, i) => s + v * y[i]!, 0);
    const cosine = (x: Float32Array, y: Float32Array): number => dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y));
    expect(Math.abs(cosine(countSketch(a, 384), countSketch(b, 384)) - cosine(a, b))).toBeLessThan(0.1);
  });
});
