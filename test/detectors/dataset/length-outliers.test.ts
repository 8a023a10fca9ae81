import { describe, expect, it } from 'vitest';
import lengthOutliers from '../../../src/detectors/dataset/length-outliers.js';
import { seededRandom, syntheticAlpaca, syntheticSentence } from '../../builders/poison.js';
import { auditRows, flaggedRows } from '../../builders/public-data.js';

const only = [lengthOutliers];

describe('dataset/length-outliers', () => {
  it('flags a document pasted into the prompt of one row among short instructions', async () => {
    const random = seededRandom(4);
    const rows = syntheticAlpaca(600, 1);
    const document = Array.from({ length: 60 }, () => syntheticSentence(random, 10, 20)).join(' ');
    rows[123] = { ...rows[123]!, input: document };
    const audit = await auditRows(rows, only);
    expect(flaggedRows(audit)).toEqual([123]);
    expect(audit.findings).toEqual([expect.objectContaining({ messageId: 'long', location: expect.objectContaining({ row: 123 }) })]);
    expect(audit.rows[0]!.reasons[0]!.message).toMatch(/^prompt of \d{3,4} tokens where the dataset's median is \d+$/);
  });

  it('flags an empty answer among long ones', async () => {
    const rows = syntheticAlpaca(600, 2);
    rows[40] = { ...rows[40]!, output: '' };
    const audit = await auditRows(rows, only);
    expect(flaggedRows(audit)).toEqual([40]);
    expect(audit.findings[0]).toMatchObject({ messageId: 'short' });
  });

  it('leaves a row twice the usual length alone (ordinary variation)', async () => {
    const random = seededRandom(5);
    const rows = syntheticAlpaca(600, 3);
    rows[7] = { ...rows[7]!, output: `${rows[7]!.output} ${syntheticSentence(random, 25, 30)} ${syntheticSentence(random, 25, 30)}` };
    expect((await auditRows(rows, only)).rows).toEqual([]);
  });

  it('has no length profile to judge in a field that is empty in most rows (classification text has no response)', async () => {
    const rows = syntheticAlpaca(300, 4).map((r, i) => ({ text: r.instruction, label: i % 2 ? 'a' : 'b' }));
    expect((await auditRows(rows, only)).rows).toEqual([]);
  });

  it('stays quiet on 5,000 varied rows', async () => {
    expect((await auditRows(syntheticAlpaca(5000, 9), only)).rows).toEqual([]);
  });
});
