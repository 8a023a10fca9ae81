import { describe, expect, it } from 'vitest';
import { auditDataset } from '../../../src/audit/audit.js';
import unreadableRows from '../../../src/detectors/dataset/unreadable-rows.js';
import { datasetEvents } from '../../builders/poison.js';

const only = { detectors: [unreadableRows] };

describe('dataset/unreadable-rows', () => {
  it('reports a row the reader could not parse, with its line, and flags it for quarantine', async () => {
    const audit = await auditDataset(
      { path: 'd.jsonl', format: 'jsonl', events: datasetEvents([{ instruction: 'a', output: 'b' }, { bad: 'invalid JSON: unexpected token' }, { instruction: 'c', output: 'd' }]) },
      only,
    );
    expect(audit.findings.map((f) => [f.messageId, f.location.row, f.evidence.details?.line])).toEqual([['badRow', 1, 2]]);
    expect(audit.findings[0]!.message).toContain('line 2');
    expect(audit.rows).toEqual([expect.objectContaining({ row: 1, line: 2, flagged: true, score: 1 })]);
    expect(audit.file).toMatchObject({ status: 'partial', rows: 3, badRows: 1 });
  });

  it('reports a row that lacks the mapped field, naming the field', async () => {
    const audit = await auditDataset(
      { path: 'd.jsonl', format: 'jsonl', events: datasetEvents([{ instruction: 'a', output: 'b' }, { instruction: 'c' }, { instruction: 'e', output: 7 }]) },
      only,
    );
    expect(audit.findings.map((f) => f.location.row)).toEqual([1]);
    expect(audit.findings[0]!.message).toContain('"output"');
    // A number where text is expected is read as its text (labels are often numbers), not rejected.
    expect(audit.file.badRows).toBe(1);
  });

  it('reports a field of the wrong type (an object where text belongs)', async () => {
    const audit = await auditDataset(
      { path: 'd.jsonl', format: 'jsonl', events: datasetEvents([{ instruction: 'a', output: 'b' }, { instruction: { nested: 'x' }, output: 'b' }]) },
      only,
    );
    expect(audit.findings[0]!.message).toMatch(/"instruction".*not text/);
  });

  it('a clean file has no findings and status scanned', async () => {
    const audit = await auditDataset({ path: 'd.jsonl', format: 'jsonl', events: datasetEvents([{ instruction: 'a', output: 'b' }]) }, only);
    expect(audit.findings).toEqual([]);
    expect(audit.file.status).toBe('scanned');
  });
});
