import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { BlockLimitError, boundedCompressors } from '../../../src/readers/dataset/parquet-reader.js';
import { openDataset } from '../../../src/readers/dataset/index.js';
import { alpacaRows, buildParquet, type BuildParquetColumn } from '../../builders/dataset.js';
import { expectContiguous, readBytes, tempFile } from './helpers.js';

const rows = alpacaRows(30, 9);
const alpacaColumns: BuildParquetColumn[] = [
  { name: 'instruction', data: rows.map((row) => row.instruction), type: 'STRING' },
  { name: 'input', data: rows.map((row) => row.input), type: 'STRING' },
  { name: 'output', data: rows.map((row) => row.output), type: 'STRING' },
  { name: 'id', data: rows.map((_, i) => BigInt(i) * 10_000_000_000n), type: 'INT64' },
];

describe('Parquet reader', () => {
  for (const codec of ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD'] as const) {
    it(`round-trips rows across row groups (${codec})`, async () => {
      const bytes = buildParquet(alpacaColumns, { codec, rowGroupSize: 7 });
      expect(parquetMetadata(new Uint8Array(bytes)).row_groups).toHaveLength(5);
      const result = await readBytes(`a-${codec}.parquet`, bytes);
      expect(result.format).toBe('parquet');
      expect(result.bad).toEqual([]);
      expect(result.rows.map((row) => row.value)).toEqual(rows.map((row, i) => ({ ...row, id: BigInt(i) * 10_000_000_000n })));
      expect(result.rows.map((row) => row.index)).toEqual(rows.map((_, i) => i));
      expectContiguous(result);
    });
  }

  it('declares its columns before any row is read, and its key/value metadata', async () => {
    const path = tempFile('decl.parquet', buildParquet(alpacaColumns, { kvMetadata: [{ key: 'huggingface', value: '{"info": {}}' }] }));
    const opened = await openDataset(path);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.value.columns()).toEqual([
      { name: 'instruction', type: 'string' },
      { name: 'input', type: 'string' },
      { name: 'output', type: 'string' },
      { name: 'id', type: 'int64' },
    ]);
    expect(opened.value.metadata?.()).toEqual({ huggingface: '{"info": {}}' });
  });

  it('converts typed values: int64 to BigInt, binary to Uint8Array, timestamps to Date, doubles, booleans, nulls, JSON', async () => {
    const when = [new Date('2024-01-02T03:04:05.678Z'), null];
    const bytes = buildParquet([
      { name: 'b', data: [true, false], type: 'BOOLEAN' },
      { name: 'd', data: [1.25, null], type: 'DOUBLE' },
      { name: 'bin', data: [new Uint8Array([0, 255, 7]), null], type: 'BYTE_ARRAY' },
      { name: 't', data: when, type: 'TIMESTAMP' },
      { name: 'j', data: [{ k: [1, 2] }, null], type: 'JSON' },
      { name: 'i', data: [-5n, null], type: 'INT64' },
    ]);
    const result = await readBytes('types.parquet', bytes);
    expect(result.bad).toEqual([]);
    const [first, second] = result.rows.map((row) => row.value);
    expect(first).toEqual({ b: true, d: 1.25, bin: new Uint8Array([0, 255, 7]), t: when[0], j: { k: [1, 2] }, i: -5n });
    expect(first!.bin).toBeInstanceOf(Uint8Array);
    expect(first!.t).toBeInstanceOf(Date);
    expect(second).toEqual({ b: false, d: null, bin: null, t: null, j: null, i: null });
    expect(result.columns).toEqual([
      { name: 'b', type: 'bool' },
      { name: 'd', type: 'float64' },
      { name: 'bin', type: 'binary' },
      { name: 't', type: 'timestamp' },
      { name: 'j', type: 'json' },
      { name: 'i', type: 'int64' },
    ]);
  });

  it('reads nested lists and structs, declared as list<string> and struct<...>', async () => {
    const bytes = buildParquet(
      [
        { name: 'tags', data: [['a', 'b'], [], null] },
        { name: 'meta', data: [{ x: 1, y: 'p' }, { x: 2, y: 'q' }, null] },
      ],
      {
        schema: [
          { name: 'root', num_children: 2 },
          { name: 'tags', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          { name: 'element', repetition_type: 'OPTIONAL', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
          { name: 'meta', repetition_type: 'OPTIONAL', num_children: 2 },
          { name: 'x', repetition_type: 'OPTIONAL', type: 'INT32' },
          { name: 'y', repetition_type: 'OPTIONAL', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
        ],
      },
    );
    const result = await readBytes('nested.parquet', bytes);
    expect(result.rows.map((row) => row.value)).toEqual([
      { tags: ['a', 'b'], meta: { x: 1, y: 'p' } },
      { tags: [], meta: { x: 2, y: 'q' } },
      { tags: null, meta: null },
    ]);
    expect(result.columns).toEqual([
      { name: 'tags', type: 'list<string>' },
      { name: 'meta', type: 'struct<x: int32, y: string>' },
    ]);
  });

  it('a string cell that is not valid UTF-8 makes its row a bad row naming the column', async () => {
    const bytes = buildParquet([{ name: 's', data: ['ok', 'PLACEHOLDER', 'ok2'], type: 'STRING' }], { codec: 'UNCOMPRESSED' });
    const at = bytes.indexOf('PLACEHOLDER');
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    const result = await readBytes('utf8.parquet', bytes);
    expect(result.rows.map((row) => row.value)).toEqual([{ s: 'ok' }, { s: 'ok2' }]);
    expect(result.bad).toMatchObject([{ index: 1, field: 's', message: 'row 1 column "s" is not valid UTF-8' }]);
  });

  it('a corrupt footer fails the open with a ReadResult error', async () => {
    const bytes = buildParquet(alpacaColumns);
    const footerLength = bytes.readUInt32LE(bytes.length - 8);
    bytes.fill(0xff, bytes.length - 8 - footerLength, bytes.length - 8);
    const opened = await openDataset(tempFile('corrupt.parquet', bytes));
    expect(opened).toMatchObject({ ok: false, error: { kind: 'malformed' } });
  });

  it('a truncated file fails the open (no PAR1 at the end)', async () => {
    const bytes = buildParquet(alpacaColumns);
    const opened = await openDataset(tempFile('cut.parquet', bytes.subarray(0, bytes.length - 100)));
    expect(opened).toMatchObject({ ok: false, error: { kind: 'truncated' } });
  });

  it('a footer length over maxFooterBytes fails before the footer is read', async () => {
    const bytes = buildParquet(alpacaColumns);
    const opened = await openDataset(tempFile('footer.parquet', bytes), { limits: { maxFooterBytes: 100 } });
    expect(opened).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxFooterBytes' } });
    const lying = Buffer.from(bytes);
    lying.writeUInt32LE(0xfffffff0, lying.length - 8);
    expect(await openDataset(tempFile('lying.parquet', lying))).toMatchObject({ ok: false, error: { kind: 'limit' } });
  });

  it('a row group over maxBlockRows is one bad record standing for its rows; the others are read', async () => {
    const bytes = buildParquet(alpacaColumns, { rowGroupSize: [5, 20, 5] as never });
    const result = await readBytes('blockrows.parquet', bytes, { limits: { maxBlockRows: 10 } });
    expect(result.rows.map((row) => row.index)).toEqual([0, 1, 2, 3, 4, 25, 26, 27, 28, 29]);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 5, rows: 20 });
    expect(result.bad[0]!.message).toContain('maxBlockRows');
    expect(result.issues).toMatchObject([{ kind: 'limit', limit: 'maxBlockRows' }]);
    expectContiguous(result);
  });

  it('a row group declaring more bytes than maxBlockBytes is not read', async () => {
    const bytes = buildParquet(alpacaColumns, { rowGroupSize: 10 });
    const result = await readBytes('blockbytes.parquet', bytes, { limits: { maxBlockBytes: 64 } });
    expect(result.rows).toEqual([]);
    expect(result.bad.map((bad) => [bad.index, bad.rows])).toEqual([
      [0, 10],
      [10, 10],
      [20, 10],
    ]);
  });

  it('a corrupt page in one row group is a bad record for that group; the next groups are read', async () => {
    const bytes = buildParquet(alpacaColumns, { rowGroupSize: 10 });
    const metadata = parquetMetadata(new Uint8Array(bytes));
    const page = Number(metadata.row_groups[1]!.columns[0]!.meta_data!.data_page_offset);
    bytes.fill(0xff, page, page + 16);
    const result = await readBytes('page.parquet', bytes);
    expect(result.rows.map((row) => row.index)).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 10, rows: 10 });
    expect(result.bad[0]!.message).toMatch(/row group 1 \(rows 10\.\.19\) could not be read/);
  });

  it('charges every decompressed page against the row group budget before allocating', () => {
    const budget = { left: 100, limit: 100 };
    const compressors = boundedCompressors(budget);
    expect(() => compressors.GZIP!(new Uint8Array(10), 1 << 30)).toThrow(BlockLimitError);
    expect(budget.left).toBe(100);
    expect(() => compressors.ZSTD!(new Uint8Array(10), 101)).toThrow(BlockLimitError);
  });

  it('a file that is not Parquet but named .parquet is not read as Parquet', async () => {
    const opened = await openDataset(tempFile('fake.parquet', 'instruction,output\na,b\n'));
    expect(opened.ok && opened.value.format).toBe('csv');
  });
});
