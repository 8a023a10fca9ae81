import { describe, expect, it } from 'vitest';
import { audit, auditDataset } from '../../src/audit/audit.js';
import { renderAuditText } from '../../src/audit/report.js';
import { defineDatasetDetector, type AuditRowText } from '../../src/detectors/dataset/dataset-detector.js';
import { auditDetectors, scanDetectors } from '../../src/detectors/registry.js';
import { datasetEvents, syntheticAlpaca, type BuiltRow } from '../builders/poison.js';

/* The audit core: hooks, row merging, failures of detectors, presets. */

const base = {
  title: 'test detector for the audit core',
  description: 'A detector defined in a test to exercise the audit core contract.',
  remediation: 'Nothing to do: it only exists in tests.',
  defaultSeverity: 'high' as const,
  tags: ['OWASP-LLM04', 'AML.T0020'],
  requires: { network: false, unsafe: false },
};

describe('audit core', () => {
  it('streams every readable row to inspectRow in file order and merges flags of two detectors per row', async () => {
    const seen: AuditRowText[] = [];
    const looksAtRows = defineDatasetDetector({
      ...base,
      id: 'dataset/test-rows',
      messages: { hit: 'row {{row}} says hello' },
      inspectRow(row, context) {
        seen.push(row);
        if (row.prompt.includes('hello')) {
          context.report({ messageId: 'hit', data: { row: row.index }, location: { row: row.index }, evidence: { match: 'hello' } });
          context.flagRows([row.index], { score: 0.4, reason: 'says hello' });
        }
      },
    });
    const looksAtCorpus = defineDatasetDetector({
      ...base,
      id: 'dataset/test-corpus',
      messages: { n: '{{n}} rows' },
      analyze(corpus, context) {
        context.flagRows([0, 2], { score: 0.5, reason: 'first or third' });
        context.trigger({ text: 'hello', score: 0.9, rows: [2, 0], behaviour: 'test' });
        context.report({ messageId: 'n', severity: 'info', data: { n: corpus.rowCount } });
      },
    });
    const rows: BuiltRow[] = [{ instruction: 'hello there', output: 'a' }, { bad: 'broken' }, { instruction: 'hello again', output: 'b' }, { instruction: 'bye', output: 'c' }];
    const result = await audit([{ path: 'x.jsonl', format: 'jsonl', events: datasetEvents(rows) }], { detectors: [looksAtRows, looksAtCorpus] });
    expect(seen.map((r) => [r.index, r.line, r.prompt])).toEqual([
      [0, 1, 'hello there'],
      [2, 3, 'hello again'],
      [3, 4, 'bye'],
    ]);
    expect(result.rows.map((r) => [r.row, Number(r.score.toFixed(2)), r.flagged])).toEqual([
      [0, 0.7, true],
      [1, 1, true],
      [2, 0.7, true],
    ]);
    expect(result.triggers).toEqual([expect.objectContaining({ text: 'hello', rows: [0, 2], rule: 'dataset/test-corpus' })]);
    expect(result.summary).toMatchObject({ high: 2, medium: 1, info: 1 });
    expect(result.rules.map((r) => r.id).sort()).toEqual(['dataset/test-corpus', 'dataset/test-rows', 'dataset/unreadable-rows']);
    expect(result.status).toBe('partial');
  });

  it('a detector that throws becomes a finding and a partial file, never a crashed audit', async () => {
    const broken = defineDatasetDetector({
      ...base,
      id: 'dataset/test-broken',
      messages: { x: 'x' },
      analyze() {
        throw new RangeError('index out of range');
      },
    });
    const result = await auditDataset({ path: 'x.jsonl', format: 'jsonl', events: datasetEvents(syntheticAlpaca(10, 1)) }, { detectors: [broken] });
    expect(result.findings).toEqual([expect.objectContaining({ ruleId: 'dataset/test-broken', messageId: 'internal-error', severity: 'medium' })]);
    expect(result.file).toMatchObject({ status: 'partial', reason: 'detectors failed: dataset/test-broken' });
  });

  it('an empty dataset is read, not failed', async () => {
    const result = await audit([{ path: 'empty.jsonl', format: 'jsonl', events: datasetEvents([]) }]);
    expect(result.files[0]).toMatchObject({ rows: 0, status: 'scanned', shape: 'unknown' });
    expect(result.status).toBe('succeeded');
  });

  it('a file where no row can be read has failed', async () => {
    const result = await audit([{ path: 'bad.jsonl', format: 'jsonl', events: datasetEvents([{ bad: 'x' }, { bad: 'y' }]) }]);
    expect(result.files[0]).toMatchObject({ rows: 2, badRows: 2, status: 'failed' });
    expect(result.status).toBe('failed');
  });

  it('dataset detectors are in the audit preset and never in the scan preset', () => {
    expect(auditDetectors.map((d) => d.id)).toEqual(expect.arrayContaining(['dataset/fixed-output', 'dataset/label-trigger', 'dataset/behaviour-trigger', 'dataset/unreadable-rows']));
    expect(scanDetectors.some((d) => d.id.startsWith('dataset/') || d.input === 'dataset')).toBe(false);
  });

  it('the text report neutralises control characters that come from the data', async () => {
    const rows: BuiltRow[] = [{ instruction: 'x', output: 'y' }, { bad: 'evil \u001b[2J\u202e row' }];
    const result = await audit([{ path: 'x.jsonl', format: 'jsonl', events: datasetEvents(rows) }]);
    const text = renderAuditText(result, { color: false });
    expect(text).not.toContain('\u001b[2J');
    expect(text).not.toContain('\u202e');
    expect(text).toContain('\\x1b[2J');
  });
});
