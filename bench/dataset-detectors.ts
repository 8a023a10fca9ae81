/*
 * Time of each issue-5 dataset detector's corpus pass on 100,000 generated rows (the audit budget is
 * 15 s for 100,000 Alpaca rows, every detector included). The corpus is built once per dataset and not
 * counted; each detector's analyze() runs alone, three times, and the best and median times are printed.
 *
 *   npx tsx bench/dataset-detectors.ts [ROWS]
 */
import { auditDataset } from '../src/audit/audit.js';
import { DEFAULT_LIMITS } from '../src/core/limits.js';
import type { DatasetCorpus } from '../src/detectors/dataset/corpus.js';
import characterOutliers from '../src/detectors/dataset/character-outliers.js';
import type { DatasetContext, DatasetDetector } from '../src/detectors/dataset/dataset-detector.js';
import embeddingOutliers from '../src/detectors/dataset/embedding-outliers.js';
import labelIssues from '../src/detectors/dataset/label-issues.js';
import lengthOutliers from '../src/detectors/dataset/length-outliers.js';
import nearDuplicateFlood from '../src/detectors/dataset/near-duplicate-flood.js';
import { NO_REFERENCE } from '../src/detectors/dataset/reference-frequencies.js';
import { datasetEvents, syntheticAlpaca, syntheticReviews, type BuiltRow } from '../test/builders/poison.js';

const rows = Number(process.argv[2] ?? 100_000);

async function corpusOf(data: BuiltRow[]): Promise<{ corpus: DatasetCorpus; ms: number }> {
  const started = performance.now();
  const audit = await auditDataset({ path: 'bench', format: 'jsonl', events: datasetEvents(data) }, { detectors: [] });
  return { corpus: audit.corpus, ms: performance.now() - started };
}

function time(detector: DatasetDetector<any>, corpus: DatasetCorpus): { best: number; median: number; flagged: number } {
  const runs: number[] = [];
  let flagged = 0;
  for (let run = 0; run < 3; run++) {
    const marked = new Set<number>();
    const context: DatasetContext<any> = {
      path: 'bench',
      audit: { falseDiscoveryRate: 0.01, reference: NO_REFERENCE },
      options: { strict: false, limits: DEFAULT_LIMITS, picklePolicy: { judge: () => ({ verdict: 'unknown', rule: 'none' }) } },
      report: () => undefined,
      flagRows: (list, flag) => {
        if (flag.score >= 0.5) for (let i = 0; i < list.length; i++) marked.add(list[i]!);
      },
      trigger: () => undefined,
    };
    const started = performance.now();
    detector.analyze!(corpus, context);
    runs.push(performance.now() - started);
    flagged = marked.size;
  }
  runs.sort((a, b) => a - b);
  return { best: runs[0]!, median: runs[1]!, flagged };
}

const sets: [string, BuiltRow[], DatasetDetector<any>[]][] = [
  [`${rows} Alpaca rows`, syntheticAlpaca(rows, 1), [nearDuplicateFlood, lengthOutliers, characterOutliers, embeddingOutliers, labelIssues]],
  [`${rows} labelled reviews`, syntheticReviews(rows, 1), [labelIssues]],
];
for (const [name, data, detectors] of sets) {
  const { corpus, ms } = await corpusOf(data);
  console.log(`${name}: corpus built in ${ms.toFixed(0)} ms (read, map, tokenise; not counted below)`);
  let total = 0;
  for (const detector of detectors) {
    const t = time(detector, corpus);
    total += t.median;
    console.log(`  ${detector.id.padEnd(30)} best ${t.best.toFixed(0).padStart(6)} ms  median ${t.median.toFixed(0).padStart(6)} ms  flagged ${t.flagged}`);
  }
  console.log(`  total (medians)                ${total.toFixed(0)} ms`);
}
