import { bagOfWordsSpace } from './bag-of-words.js';
import { canonicalRows, columnText, withDuplicates, type DatasetCorpus } from './corpus.js';
import { defineDatasetDetector } from './dataset-detector.js';
import { denseVectorSpace, knnOutliers, type VectorSpace } from './knn-outliers.js';

/*
 * Rows unlike the rest of the dataset, by the distance to their k-th nearest neighbour among row
 * embeddings (knn-outliers.ts). Poison that is not disguised as the surrounding data stands out this way:
 * an injected document about something else in a RAG corpus, rows in another language or format pasted
 * into an instruction set, spam and boilerplate among answers (Carlini et al., "Poisoning Web-Scale
 * Training Datasets is Practical", 2023, on what reaches crawled data). Poison written to look like its
 * neighbours (clean-label attacks, paraphrased triggers) does not, and a cluster of similar poisoned rows
 * is close to itself: that is dataset/near-duplicate-flood's case.
 *
 * Embeddings: the built-in bag of words (bag-of-words.ts) by default, or those of a provider the user
 * names (`--embeddings`: an OpenAI-compatible endpoint or a local model folder), which see meaning
 * rather than vocabulary.
 */

/** Neighbours: the score is the cosine distance to the k-th nearest reference row. */
const K = 5;
/**
 * Robust z (scaled MADs above the median kNN distance) at which a row is an outlier. Cosine distance is
 * bounded (a row sharing nothing with any other is at 1), so the z a true outlier can reach is bounded
 * too: (1 - median) / scale, about 6-8 for the bag of words on real data and 4.5-5 for a 512-dimension
 * hashed embedding, whose noise keeps unrelated rows at about 0.9. At 4 the built-in embedding flags
 * 0.07% of SST-2, 0.01% of AG News and none of the BackdoorLLM clean twins (clean-controls.test.ts).
 */
const Z_OUTLIER = 4;
/** Least distance above the median, whatever the MAD: a dataset of near-identical rows has a MAD near 0. */
const MIN_GAP = 0.15;
/** Rows needed before the median and MAD of kNN distances mean anything. */
const MIN_ROWS = 50;
/** Outliers listed one by one in the summary (all are flagged). */
const MAX_EXAMPLES = 10;
const SEED = 0x0e7b;

const MESSAGES = {
  outliers:
    '{{count}} rows are far from every other row (k-th nearest neighbour distance over {{threshold}}, median ' +
    '{{median}}; embeddings: {{provider}})',
  missing: '{{count}} readable rows have no embedding ({{reason}}); they were not checked for outliers',
} as const;

export default defineDatasetDetector({
  id: 'dataset/embedding-outliers',
  title: 'Rows unlike the rest of the dataset (embedding outliers)',
  description:
    'Poisoned or injected rows that are not disguised as the data around them (another topic, language ' +
    'or format; spam; payload documents in a RAG corpus) lie far from every other row. This detector ' +
    'scores each row by the cosine distance to its k-th nearest neighbour among row embeddings (built-in ' +
    'bag of words, or a model through --embeddings), searched in a seeded reference sample, and flags ' +
    'rows more than 4 robust standard deviations (MAD) above the median.',
  remediation:
    'Look at the flagged rows: remove those that do not belong to the dataset and find out how they got ' +
    'in. An outlier is not proof of poisoning; a row that belongs but is rare can be kept.',
  defaultSeverity: 'low',
  tags: ['OWASP-LLM04', 'AML.T0020'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  analyze(corpus, context) {
    const rows = canonicalRows(corpus);
    if (rows.length < MIN_ROWS) return;
    const supplied = context.audit.embeddings;
    let space: VectorSpace;
    let provider = 'built-in bag of words';
    if (supplied) {
      provider = supplied.provider;
      const vectors = new Float32Array(rows.length * supplied.dimensions);
      const present = new Uint8Array(rows.length);
      let missing = 0;
      rows.forEach((row, i) => {
        if (supplied.present[row] === 1) {
          present[i] = 1;
          vectors.set(supplied.vectors.subarray(row * supplied.dimensions, (row + 1) * supplied.dimensions), i * supplied.dimensions);
        } else if (hasText(corpus, row)) {
          missing++;
        }
      });
      if (missing > 0) {
        context.report({
          messageId: 'missing',
          severity: 'medium',
          data: { count: missing, reason: supplied.failure ?? 'the provider returned none' },
          evidence: { details: { rows: missing, provider } },
        });
      }
      space = denseVectorSpace(vectors, rows.length, supplied.dimensions, present);
    } else {
      space = bagOfWordsSpace(corpus, rows);
    }

    const result = knnOutliers(space, { k: K, z: Z_OUTLIER, minGap: MIN_GAP, seed: SEED });
    if (result.outliers.length === 0) return;
    const details: Record<string, string | number> = {
      provider,
      k: K,
      median: round(result.median),
      scale: round(result.scale),
      threshold: round(result.threshold),
      references: result.references,
      rowsScored: result.scored,
    };
    result.outliers.forEach((outlier, n) => {
      const row = rows[outlier.index]!;
      // 0.5 at the threshold, 0.8 four robust standard deviations beyond it.
      const score = 0.5 + 0.3 * Math.min(1, Math.max(0, outlier.z - Z_OUTLIER) / 4);
      const reason = `far from every other row (distance ${round(outlier.distance)} to its ${K}th nearest, ${outlier.z.toFixed(1)} MADs above the median)`;
      context.flagRows(withDuplicates(corpus, [row]), { score, reason });
      if (n < MAX_EXAMPLES) details[`example${n + 1}`] = `row ${row} (distance ${round(outlier.distance)}): ${excerpt(corpus, row)}`;
    });
    context.report({
      messageId: 'outliers',
      data: { count: result.outliers.length, threshold: round(result.threshold), median: round(result.median), provider },
      location: { row: rows[result.outliers[0]!.index]! },
      evidence: { score: result.outliers[0]!.distance, details },
    });
  },
});

function hasText(corpus: DatasetCorpus, row: number): boolean {
  return corpus.prompt.offsets[row + 1]! > corpus.prompt.offsets[row]! || corpus.response.offsets[row + 1]! > corpus.response.offsets[row]!;
}

function excerpt(corpus: DatasetCorpus, row: number): string {
  const prompt = columnText(corpus, corpus.prompt, row, 80);
  return prompt !== '' ? prompt : columnText(corpus, corpus.response, row, 80);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
