import { describe, expect, it } from 'vitest';
import { AntidoteError } from '../../../src/core/index.js';
import { collectDataset, openDataset, openDatasetStream, readDatasetRows } from '../../../src/readers/dataset/index.js';
import { buildJsonl, tempDir } from '../../builders/dataset.js';
import { tempFile } from './helpers.js';

describe('openDataset', () => {
  it('fails with io for a missing file and for a directory, never throws', async () => {
    expect(await openDataset('/nonexistent/antidote/x.jsonl')).toMatchObject({ ok: false, error: { kind: 'io' } });
    expect(await openDataset(tempDir())).toMatchObject({ ok: false, error: { kind: 'io' } });
  });

  it('fails with unsupported for bytes that are no dataset format', async () => {
    expect(await openDataset(tempFile('x.bin', Buffer.from([0, 1, 2, 0, 0xff])))).toMatchObject({ ok: false, error: { kind: 'unsupported' } });
  });

  it('events() can be iterated once; a second call is a programming error', async () => {
    const opened = await openDataset(tempFile('once.jsonl', buildJsonl([{ a: 1 }])));
    if (!opened.ok) throw new Error(opened.error.message);
    for await (const event of opened.value.events()) expect(event.kind).toBe('row');
    expect(() => opened.value.events()).toThrow(AntidoteError);
  });

  it('an error from the source mid-file ends the events with a fatal bad record and an io issue', async () => {
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield buildJsonl([{ a: 1 }, { a: 2 }]);
      throw new Error('EIO: disk went away');
    }
    const result = await collectDataset(openDatasetStream(chunks(), 'jsonl'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.rows).toHaveLength(2);
    expect(result.value.bad).toMatchObject([{ index: 2, fatal: true }]);
    expect(result.value.bad[0]!.message).toContain('EIO: disk went away');
    expect(result.value.issues).toMatchObject([{ kind: 'io' }]);
  });

  it('readDatasetRows refuses to collect more than maxEvents', async () => {
    const path = tempFile('many.jsonl', buildJsonl(Array.from({ length: 50 }, (_, i) => ({ i }))));
    expect(await readDatasetRows(path, { maxEvents: 10 })).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxEvents' } });
    expect(await readDatasetRows(path, { maxEvents: 50 })).toMatchObject({ ok: true });
  });

  it('options.format overrides detection', async () => {
    const path = tempFile('lines.txt', 'a,b\n1,2\n');
    const asTsv = await readDatasetRows(path, { format: 'tsv' });
    expect(asTsv.ok && asTsv.value.rows.map((row) => row.value)).toEqual([{ 'a,b': '1,2' }]);
  });
});
