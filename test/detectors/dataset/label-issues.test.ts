import { describe, expect, it } from 'vitest';
import { parseClassProbabilities } from '../../../src/audit/class-probabilities.js';
import { AntidoteError } from '../../../src/core/errors.js';
import labelIssues from '../../../src/detectors/dataset/label-issues.js';
import { scoreFlags, syntheticAlpaca, syntheticReviews } from '../../builders/poison.js';
import { auditRows, flaggedRows, flipLabels, HAVE_SHARED_DATA, readLabelledTsv } from '../../builders/public-data.js';

const only = [labelIssues];
const SLOW = 240_000;

describe('dataset/label-issues', () => {
  it('flags labels flipped in a small review set and names the label they read as', async () => {
    const { rows, flipped } = flipLabels(
      syntheticReviews(600, 5).map((r) => ({ text: r.text, label: r.label })),
      0.03,
      9,
    );
    const audit = await auditRows(rows, only);
    const score = scoreFlags(flaggedRows(audit), flipped);
    expect(flipped.size).toBeGreaterThan(10);
    expect(score.precision).toBeGreaterThanOrEqual(0.8);
    expect(score.recall).toBeGreaterThanOrEqual(0.5);
    const row = audit.rows.find((r) => r.flagged && flipped.has(r.row))!;
    expect(row.reasons[0]!.message).toMatch(/^labelled "(positive|negative)" but reads as "(positive|negative)"/);
    expect(audit.findings[0]).toMatchObject({ ruleId: 'dataset/label-issues', messageId: 'issues', severity: 'medium' });
  });

  it('stays out of data without labels (free-text answers)', async () => {
    const audit = await auditRows(syntheticAlpaca(300, 2), only);
    expect(audit.findings).toEqual([]);
    expect(audit.rows).toEqual([]);
  });

  it('uses the probabilities the user supplies instead of the built-in classifier', async () => {
    const { rows, flipped } = flipLabels(syntheticReviews(300, 6), 0.05, 3);
    const clean = syntheticReviews(300, 6);
    // An oracle that knows the clean label: 0.97 on it. Columns named, in an order unlike the labels'.
    const csv = ['positive,negative', ...clean.map((r) => (r.label === 'positive' ? '0.97,0.03' : '0.03,0.97'))].join('\n');
    const probabilities = parseClassProbabilities(csv, 'p.csv');
    const audit = await auditRows(rows, only, { probabilities });
    expect(new Set(flaggedRows(audit))).toEqual(flipped);
    expect(audit.findings[0]!.message).toContain('p.csv');
  });

  it('rejects probabilities that do not fit the dataset (exit 2, not a finding)', async () => {
    const rows = syntheticReviews(120, 1);
    const short = parseClassProbabilities(Array.from({ length: 119 }, () => '0.5,0.5').join('\n'), 'short.csv');
    await expect(auditRows(rows, only, { probabilities: short })).rejects.toMatchObject({ code: 'INPUT_UNREADABLE', message: expect.stringMatching(/short\.csv: 119 rows of probabilities, but .* has 120 rows/) });
    const named = parseClassProbabilities(['good,bad', ...Array.from({ length: 120 }, () => '0.5,0.5')].join('\n'), 'named.csv');
    await expect(auditRows(rows, only, { probabilities: named })).rejects.toBeInstanceOf(AntidoteError);
    await expect(auditRows(rows, only, { probabilities: named })).rejects.toThrow(/no column for label "(positive|negative)"/);
  });
});

describe.skipIf(!HAVE_SHARED_DATA)('dataset/label-issues on SST-2 and AG News (shared/data)', () => {
  const sst2 = HAVE_SHARED_DATA ? readLabelledTsv('clean-text/hiddenkiller/sst-2/train.tsv') : [];
  const ag = HAVE_SHARED_DATA ? readLabelledTsv('clean-text/hiddenkiller/ag/dev.tsv') : [];

  it(
    'SST-2 train with 4% of labels flipped: flags rows that are flipped 65% of the time (measured 0.65 / recall 0.07)',
    async () => {
      const { rows, flipped } = flipLabels(sst2, 0.04, 11);
      const audit = await auditRows(rows, only);
      const score = scoreFlags(flaggedRows(audit), flipped);
      // Measured on 6,920 rows, 272 flipped (seed 11): precision 0.65, recall 0.07 at the flag threshold. The
      // classifier is a bag of words (79% accurate on SST-2), so most flips look like its own mistakes;
      // confident learning lists 69% of them among its issues (precision 0.16), which the summary counts.
      expect(score.precision).toBeGreaterThanOrEqual(0.5);
      expect(score.recall).toBeGreaterThanOrEqual(0.05);
      const listed = new Set(audit.rows.map((r) => r.row));
      expect([...flipped].filter((r) => listed.has(r)).length / flipped.size).toBeGreaterThanOrEqual(0.2);
    },
    SLOW,
  );

  it(
    'SST-2 train as published: flags under 1% of rows (measured 0.39%)',
    async () => {
      const audit = await auditRows(sst2, only);
      expect(flaggedRows(audit).length / sst2.length).toBeLessThan(0.01);
    },
    SLOW,
  );

  it(
    'AG News dev with 4% flipped: precision 0.69, recall 0.65 (measured); as published it flags 1.64%, half of them real label errors',
    async () => {
      const { rows, flipped } = flipLabels(ag, 0.04, 11);
      const poisoned = await auditRows(rows, only);
      const score = scoreFlags(flaggedRows(poisoned), flipped);
      expect(score.precision).toBeGreaterThanOrEqual(0.6);
      expect(score.recall).toBeGreaterThanOrEqual(0.55);
      // AG News has label errors of its own: of 25 flagged rows drawn at random and read by hand, 12 were
      // plainly mislabelled (a baseball contract labelled World, a Fed rate rise labelled World), 10 sat
      // between two topics and 3 were the classifier's mistakes. So the clean figure is above the 1% that
      // genuinely clean data stays under; it is stated here and in docs/audit.md rather than tuned away.
      const clean = await auditRows(ag, only);
      const rate = flaggedRows(clean).length / ag.length;
      expect(rate).toBeLessThan(0.02);
      expect(rate).toBeGreaterThan(0.01);
    },
    SLOW,
  );
});
