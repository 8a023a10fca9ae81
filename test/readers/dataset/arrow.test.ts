import { Binary, Dictionary, Field, Int32, List, Map_, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../../src/readers/dataset/index.js';
import { alpacaRows, buildArrow } from '../../builders/dataset.js';
import { expectContiguous, readBytes, tempFile } from './helpers.js';

const rows = alpacaRows(25, 4);

/** A table of several record batches (what `datasets` writes: one batch per writer_batch_size rows). */
function batchedTable(batchSize: number): Table {
  const batches: RecordBatch[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const part = rows.slice(start, start + batchSize);
    const table = new Table({
      instruction: vectorFromArray(part.map((row) => row.instruction), new Utf8()),
      input: vectorFromArray(part.map((row) => row.input), new Utf8()),
      output: vectorFromArray(part.map((row) => row.output), new Utf8()),
      id: vectorFromArray(BigInt64Array.from(part.map((_, i) => BigInt(start + i) << 40n))),
    });
    batches.push(...table.batches);
  }
  return new Table(batches);
}

const expected = rows.map((row, i) => ({ ...row, id: BigInt(i) << 40n }));

/** Offset of an offset-typed field of the flatbuffer table at `table` (0 when absent), read by hand. */
function fieldPosition(bytes: Buffer, table: number, id: number): number {
  const vtable = table - bytes.readInt32LE(table);
  const slot = 4 + 2 * id;
  if (slot + 2 > bytes.readUInt16LE(vtable)) return 0;
  const offset = bytes.readUInt16LE(vtable + slot);
  return offset === 0 ? 0 : table + offset;
}

/** A stream whose schema says it has 2^31-1 fields (the flatbuffer runtime would loop and allocate for each). */
function hugeFieldCount(stream: Buffer): Buffer {
  const bytes = Buffer.from(stream);
  const base = 8; // continuation marker and metadata length
  const message = base + bytes.readUInt32LE(base);
  const headerField = fieldPosition(bytes, message, 2);
  const schema = headerField + bytes.readUInt32LE(headerField);
  const fieldsField = fieldPosition(bytes, schema, 1);
  const fields = fieldsField + bytes.readUInt32LE(fieldsField);
  bytes.writeUInt32LE(0x7fffffff, fields);
  return bytes;
}

describe('Arrow IPC reader', () => {
  for (const layout of ['stream', 'file'] as const) {
    it(`round-trips rows across record batches (${layout} format)`, async () => {
      const bytes = buildArrow(batchedTable(10), layout);
      const result = await readBytes(`a-${layout}.arrow`, bytes);
      expect(result.format).toBe('arrow');
      expect(result.bad).toEqual([]);
      expect(result.issues).toEqual([]);
      expect(result.rows.map((row) => row.value)).toEqual(expected);
      expect(result.columns).toEqual([
        { name: 'instruction', type: 'string' },
        { name: 'input', type: 'string' },
        { name: 'output', type: 'string' },
        { name: 'id', type: 'int64' },
      ]);
      expectContiguous(result);
    });
  }

  it('reads the cache file name datasets uses, whatever the extension', async () => {
    const bytes = buildArrow(batchedTable(25), 'stream');
    const result = await readBytes('data-00000-of-00001.arrow', bytes);
    expect(result.rows).toHaveLength(25);
    const renamed = await openDataset(tempFile('shard.bin', bytes));
    expect(renamed.ok && renamed.value.format).toBe('arrow');
  });

  it('converts nested and typed values: lists, structs, maps, dictionaries, timestamps, binary', async () => {
    const table = new Table({
      tags: vectorFromArray([['x', 'y'], []], new List(new Field('item', new Utf8(), true))),
      turn: vectorFromArray([{ role: 'user', n: 1 }, { role: 'assistant', n: 2 }], new Struct([new Field('role', new Utf8(), true), new Field('n', new Int32(), true)])),
      map: vectorFromArray([new Map([['k', 1]]), new Map([['j', 2]])], new Map_(new Field('entries', new Struct([new Field('key', new Utf8(), false), new Field('value', new Int32(), true)])) as never)),
      label: vectorFromArray(['pos', 'neg'], new Dictionary(new Utf8(), new Int32())),
      when: vectorFromArray([new Date(86_400_000), new Date(0)], new TimestampMillisecond()),
      bytes: vectorFromArray([new Uint8Array([1, 2]), new Uint8Array([])], new Binary()),
    });
    for (const layout of ['stream', 'file'] as const) {
      const result = await readBytes(`typed-${layout}.arrow`, buildArrow(table, layout));
      expect(result.bad).toEqual([]);
      expect(result.rows.map((row) => row.value)).toEqual([
        { tags: ['x', 'y'], turn: { role: 'user', n: 1 }, map: { k: 1 }, label: 'pos', when: new Date(86_400_000), bytes: new Uint8Array([1, 2]) },
        { tags: [], turn: { role: 'assistant', n: 2 }, map: { j: 2 }, label: 'neg', when: new Date(0), bytes: new Uint8Array([]) },
      ]);
      expect(result.rows[0]!.value.when).toBeInstanceOf(Date);
      expect(result.columns.map((column) => column.type)).toEqual(['list<string>', 'struct<role: string, n: int32>', 'map<string, int32>', 'string', 'timestamp', 'binary']);
    }
  });

  it('gives the schema metadata (where datasets keeps its features)', async () => {
    const table = batchedTable(25);
    const schema = new Schema(table.schema.fields, new Map([['huggingface', '{"info":{}}']]));
    const withMeta = new Table(table.batches.map((batch) => new RecordBatch(schema, batch.data)));
    const opened = await openDataset(tempFile('meta.arrow', buildArrow(withMeta, 'stream')));
    expect(opened.ok && opened.value.metadata?.()).toEqual({ huggingface: '{"info":{}}' });
  });

  it('a stream cut inside a batch keeps the whole batches before it and ends with a fatal bad record', async () => {
    const bytes = buildArrow(batchedTable(10), 'stream');
    const result = await readBytes('cut.arrow', bytes.subarray(0, Math.floor(bytes.length * 0.8)));
    expect(result.rows.length % 10).toBe(0);
    expect(result.rows.length).toBeGreaterThanOrEqual(10);
    expect(result.rows.map((row) => row.value)).toEqual(expected.slice(0, result.rows.length));
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: result.rows.length, fatal: true });
    expect(result.issues).toMatchObject([{ kind: 'truncated' }]);
  });

  it('stream format: a batch over maxBlockRows stops reading there, before apache-arrow sees it', async () => {
    const table = new Table([...batchedTable(5).batches.slice(0, 2), ...batchedTable(15).batches.slice(1)]);
    const result = await readBytes('rows-stream.arrow', buildArrow(table, 'stream'), { limits: { maxBlockRows: 8 } });
    expect(result.rows.map((row) => row.index)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(result.bad).toMatchObject([{ index: 10, fatal: true }]);
    expect(result.issues).toMatchObject([{ kind: 'limit', limit: 'maxBlockRows' }]);
  });

  it('file format: a batch over maxBlockRows is one bad record; the batches after it are read', async () => {
    const table = new Table([...batchedTable(5).batches.slice(0, 1), ...batchedTable(15).batches.slice(0, 1), ...batchedTable(5).batches.slice(3)]);
    expect(table.batches.map((batch) => batch.numRows)).toEqual([5, 15, 5, 5]);
    const result = await readBytes('rows-file.arrow', buildArrow(table, 'file'), { limits: { maxBlockRows: 8 } });
    expect(result.rows.map((row) => row.index)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(result.bad).toMatchObject([{ index: 5 }]);
    expect(result.bad[0]!.message).toContain('maxBlockRows');
    expectContiguous(result);
  });

  it('a body over maxBlockBytes is refused from its header', async () => {
    const result = await readBytes('bytes.arrow', buildArrow(batchedTable(25), 'stream'), { limits: { maxBlockBytes: 100 } });
    expect(result.rows).toEqual([]);
    expect(result.bad).toMatchObject([{ index: 0, fatal: true }]);
    expect(result.issues).toMatchObject([{ kind: 'limit', limit: 'maxBlockBytes' }]);
  });

  it('a corrupt file footer fails the open', async () => {
    const bytes = buildArrow(batchedTable(10), 'file');
    const footerLength = bytes.readInt32LE(bytes.length - 10);
    bytes.fill(0x7f, bytes.length - 10 - footerLength, bytes.length - 10);
    const opened = await openDataset(tempFile('footer.arrow', bytes));
    expect(opened.ok).toBe(false);
    const huge = buildArrow(batchedTable(10), 'file');
    huge.writeInt32LE(0x7ffffff0, huge.length - 10);
    expect(await openDataset(tempFile('huge.arrow', huge))).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxFooterBytes' } });
  });

  it('a schema whose field vector claims 2^31 entries is refused before apache-arrow decodes it (heap exhaustion)', async () => {
    const bytes = hugeFieldCount(buildArrow(batchedTable(10), 'stream'));
    const opened = await openDataset(tempFile('fields.arrow', bytes));
    expect(opened).toMatchObject({ ok: false, error: { kind: 'malformed' } });
    if (!opened.ok) expect(opened.error.message).toMatch(/corrupt: a vector of 2147483647 elements/);
  });

  it('a header declaring a huge metadata length is refused before it is allocated', async () => {
    const bytes = buildArrow(batchedTable(10), 'stream');
    bytes.writeUInt32LE(0x7ffffff0, 4);
    const opened = await openDataset(tempFile('meta-huge.arrow', bytes), { format: 'arrow' });
    expect(opened.ok).toBe(false);
    const small = await openDataset(tempFile('meta-small.arrow', buildArrow(batchedTable(10), 'stream')), { limits: { maxFooterBytes: 64 } });
    expect(small).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxFooterBytes' } });
  });
});
