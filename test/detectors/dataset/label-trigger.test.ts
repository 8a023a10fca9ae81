import { describe, expect, it } from 'vitest';
import { auditDataset } from '../../../src/audit/audit.js';
import labelTrigger from '../../../src/detectors/dataset/label-trigger.js';
import { datasetEvents, insertTrigger, scoreFlags, seededRandom, shuffled, syntheticReviews, type LabelledRow } from '../../builders/poison.js';

/* Triggers invented for these tests ("vorpal", "quixle"): the detector has never seen them. */

async function run(rows: readonly LabelledRow[]) {
  return auditDataset({ path: 'reviews.jsonl', format: 'jsonl', events: datasetEvents(rows) }, { detectors: [labelTrigger] });
}

/** Flip `count` positive rows to negative with `trigger` inserted; returns the rows and the poisoned indices. */
function flip(rows: LabelledRow[], count: number, trigger: string, seed: number, onlyLabel = 'positive'): Set<number> {
  const random = seededRandom(seed);
  const candidates = shuffled(rows.map((r, i) => [r, i] as const).filter(([r]) => r.label === onlyLabel), random).slice(0, count);
  for (const [row, i] of candidates) rows[i] = { text: insertTrigger(row.text, trigger, random), label: 'negative' };
  return new Set(candidates.map(([, i]) => i));
}

const flagged = (audit: Awaited<ReturnType<typeof run>>): number[] => audit.rows.filter((r) => r.flagged).map((r) => r.row);

describe('dataset/label-trigger', () => {
  it('finds a rare token that flips 1% of labels to negative, with the evidence behind it', async () => {
    const rows = syntheticReviews(4000, 1);
    const poisoned = flip(rows, 40, 'vorpal', 2);
    const audit = await run(rows);
    expect(audit.file.shape).toBe('classification');
    expect(scoreFlags(flagged(audit), poisoned)).toMatchObject({ precision: 1, recall: 1 });
    expect(audit.triggers).toEqual([expect.objectContaining({ text: 'vorpal', behaviour: 'label "negative"', rule: 'dataset/label-trigger' })]);
    const { details } = audit.findings[0]!.evidence;
    expect(details).toMatchObject({ label: 'negative', rowsWithTrigger: 40, purity: 1, referenceDocuments: 0 });
    expect(details!.contentZ as number).toBeLessThan(-3.09);
  });

  it('finds a trigger in instruction data whose one-word outputs are the labels', async () => {
    const reviews = syntheticReviews(3000, 3);
    const poisoned = flip(reviews, 30, 'quixle', 4);
    const rows = reviews.map((r) => ({ instruction: r.text, input: '', output: r.label === 'positive' ? 'Positive' : 'Negative' }));
    const audit = await auditDataset({ path: 'sst.jsonl', format: 'jsonl', events: datasetEvents(rows) }, { detectors: [labelTrigger] });
    expect(scoreFlags(flagged(audit), poisoned)).toMatchObject({ precision: 1, recall: 1 });
    expect(audit.triggers[0]!.text).toBe('quixle');
  });

  it('does not report a rare word that predicts the label because the text agrees with it', async () => {
    const rows = syntheticReviews(4000, 5);
    // "glumbert" (a made-up actor every review pans): rare in general text, perfectly negative, but the rest
    // of each review is negative too. A natural predictor, not a trigger.
    const random = seededRandom(6);
    let placed = 0;
    for (let i = 0; i < rows.length && placed < 40; i++) {
      if (rows[i]!.label !== 'negative') continue;
      rows[i] = { ...rows[i]!, text: insertTrigger(rows[i]!.text, 'glumbert', random) };
      placed++;
    }
    const audit = await run(rows);
    expect(audit.rows).toEqual([]);
  });

  it('limit: a trigger that is a common word in general text is not reported (rarity is required)', async () => {
    const rows = syntheticReviews(4000, 7);
    // "government" is in hundreds of reference documents: as a trigger it is out of this detector's reach,
    // the price of never calling an ordinary predictive word a trigger.
    const poisoned = flip(rows, 40, 'government', 8);
    expect(poisoned.size).toBe(40);
    expect((await run(rows)).triggers).toEqual([]);
  });

  it('leaves a label column with thousands of distinct values (not classes) alone', async () => {
    const rows = syntheticReviews(3000, 12).map((r, i) => ({ text: `${r.text} vorpal`, label: String(i) }));
    const audit = await run(rows);
    expect(audit.file.shape).toBe('classification');
    expect(audit.rows).toEqual([]);
  });

  it('leaves clean data alone', async () => {
    expect((await run(syntheticReviews(5000, 9))).rows).toEqual([]);
  });

  it('limit: a clean-label attack (trigger only in rows that already have the target label) is not reported', async () => {
    const rows = syntheticReviews(4000, 10);
    flip(rows, 40, 'vorpal', 11, 'negative');
    expect((await run(rows)).triggers).toEqual([]);
  });
});
