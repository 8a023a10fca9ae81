import { describe, expect, it } from 'vitest';
import type { DatasetDetector } from '../../../src/detectors/dataset/dataset-detector.js';
import characterOutliers from '../../../src/detectors/dataset/character-outliers.js';
import embeddingOutliers from '../../../src/detectors/dataset/embedding-outliers.js';
import labelIssues from '../../../src/detectors/dataset/label-issues.js';
import lengthOutliers from '../../../src/detectors/dataset/length-outliers.js';
import nearDuplicateFlood from '../../../src/detectors/dataset/near-duplicate-flood.js';
import type { BuiltRow } from '../../builders/poison.js';
import { auditRows, flaggedRows, HAVE_SHARED_DATA, readAlpacaJson, readLabelledTsv } from '../../builders/public-data.js';

/*
 * Clean controls (issue 5): on public data with no known poison, each of these detectors must flag well
 * under 1% of the rows. The figures measured when the thresholds were set, rows flagged / rows:
 *
 * | data (rows)                           | label-issues | near-dup-flood | length | character | embedding |
 * |---------------------------------------|--------------|----------------|--------|-----------|-----------|
 * | SST-2 train (6,920)                   | 0.39%        | 0              | 0      | 0         | 0.07%     |
 * | AG News dev (10,000)                  | 1.64% (*)    | 0.82% (**)     | 0      | 0         | 0.01%     |
 * | BackdoorLLM refusal clean twin (500)  | n/a          | 0              | 0      | 0.20%     | 0         |
 * | BackdoorLLM SST-2 clean twin (501)    | 0            | 0              | 0      | 0         | 0         |
 *
 * (*) AG News carries real label errors; see label-issues.test.ts, which asserts that figure.
 * (**) 82 Reuters rows made mostly of the same quote-link HTML boilerplate (`&lt;a href=...FullQuote...`):
 *      near-copies by their shingles, if not by their news.
 */

const SLOW = 240_000;

const controls: [string, () => BuiltRow[]][] = [
  ['SST-2 train', () => readLabelledTsv('clean-text/hiddenkiller/sst-2/train.tsv')],
  ['AG News dev', () => readLabelledTsv('clean-text/hiddenkiller/ag/dev.tsv')],
  ['BackdoorLLM refusal clean twin', () => readAlpacaJson('backdoorllm/train/refusal/none_backdoor500_refusal.json')],
  ['BackdoorLLM SST-2 clean twin', () => readAlpacaJson('backdoorllm/train/sst2/none_backdoor500_sst2.json')],
];
const detectors: DatasetDetector<any>[] = [labelIssues, nearDuplicateFlood, lengthOutliers, characterOutliers, embeddingOutliers];

describe.skipIf(!HAVE_SHARED_DATA)('clean controls: each detector flags well under 1% of public clean data', () => {
  for (const [name, load] of controls) {
    it(
      `${name}`,
      async () => {
        const rows = load();
        const rates: Record<string, number> = {};
        for (const detector of detectors) {
          // AG News' own label errors are asserted in label-issues.test.ts (the 10,000-row classifier run is slow).
          if (detector === labelIssues && name === 'AG News dev') continue;
          rates[detector.id] = flaggedRows(await auditRows(rows, [detector])).length / rows.length;
        }
        for (const [id, rate] of Object.entries(rates)) expect([id, rate < 0.01]).toEqual([id, true]);
      },
      SLOW,
    );
  }
});
