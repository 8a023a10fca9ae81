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

  it('reports a null where the prompt belongs', async () => {
    const audit = await auditDataset(
      { path: 'd.jsonl', format: 'jsonl', events: datasetEvents([{ instruction: 'a', output: 'b' }, { instruction: null, output: 'b' }]) },
      only,
    );
    expect(audit.findings[0]!.message).toMatch(/"instruction".*null/);
  });

  it('counts a block the reader could not read as that many flagged rows', async () => {
    async function* events() {
      yield { kind: 'row' as const, row: { index: 0, value: { instruction: 'a', output: 'b' } } };
      yield { kind: 'bad' as const, bad: { index: 1, message: 'row group 1 is corrupt', excerpt: '', rows: 3 } };
      yield { kind: 'row' as const, row: { index: 4, value: { instruction: 'c', output: 'd' } } };
    }
    const audit = await auditDataset({ path: 'd.parquet', format: 'parquet', events: events() }, only);
    expect(audit.rows.map((r) => r.row)).toEqual([1, 2, 3]);
    expect(audit.file).toMatchObject({ rows: 5, badRows: 3, status: 'partial' });
    expect(audit.findings.map((f) => f.messageId)).toEqual(['badBlock']);
  });

  it('a clean file has no findings and status scanned', async () => {
    const audit = await auditDataset({ path: 'd.jsonl', format: 'jsonl', events: datasetEvents([{ instruction: 'a', output: 'b' }]) }, only);
    expect(audit.findings).toEqual([]);
    expect(audit.file.status).toBe('scanned');
  });
});
