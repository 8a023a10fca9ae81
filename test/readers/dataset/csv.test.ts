import { describe, expect, it } from 'vitest';
import { alpacaRows, buildCsv } from '../../builders/dataset.js';
import { expectContiguous, readBytes, readChunked } from './helpers.js';

const HEADER = ['instruction', 'input', 'output'];

describe('CSV and TSV reader', () => {
  it('round-trips fields that need quoting (delimiters, quotes, line breaks, non-ASCII)', async () => {
    const rows = alpacaRows(60, 11).map((row) => [row.instruction, row.input, row.output]);
    const bytes = buildCsv(HEADER, rows);
    const result = await readBytes('a.csv', bytes);
    expect(result.format).toBe('csv');
    expect(result.bad).toEqual([]);
    expect(result.rows.map((row) => [row.value.instruction, row.value.input, row.value.output])).toEqual(rows);
    expectContiguous(result);
    for (const size of [1, 2, 3, 17, 4096]) {
      const chunked = await readChunked('csv', bytes, size);
      expect(chunked.rows.map((row) => [row.index, row.line, row.offset, row.value])).toEqual(result.rows.map((row) => [row.index, row.line, row.offset, row.value]));
    }
  });

  it('gives each record the line it starts on, counting line breaks inside quotes', async () => {
    const result = await readBytes('lines.csv', 'a,b\n"x\ny",1\n"p",2\n\n"m\n\nn",3\n');
    expect(result.rows.map((row) => [row.index, row.line, row.value])).toEqual([
      [0, 2, { a: 'x\ny', b: '1' }],
      [1, 4, { a: 'p', b: '2' }],
      [2, 6, { a: 'm\n\nn', b: '3' }],
    ]);
  });

  it('reads doubled quotes, quoted empty fields and text after a closing quote as pandas does', async () => {
    const result = await readBytes('quotes.csv', 'a,b,c\n"say ""hi""","",x"y"\n"ab"c,d,"e"\r\n');
    expect(result.rows.map((row) => row.value)).toEqual([
      { a: 'say "hi"', b: '', c: 'x"y"' },
      { a: 'abc', b: 'd', c: 'e' },
    ]);
  });

  it('a record with the wrong number of fields is a bad row naming its line and both counts', async () => {
    const bytes = buildCsv(['a', 'b'], [['1', '2'], [], ['5', '6']], { rawRecords: { 1: '3,4,extra' } });
    const result = await readBytes('ragged.csv', bytes);
    expect(result.rows.map((row) => row.value)).toEqual([
      { a: '1', b: '2' },
      { a: '5', b: '6' },
    ]);
    expect(result.bad).toEqual([{ index: 1, line: 3, offset: 10, message: 'record at line 3 has 3 fields, the header has 2', excerpt: '3,4,extra' }]);
    expectContiguous(result);
  });

  it('skips blank lines without an index, a BOM and CRLF endings', async () => {
    const result = await readBytes('blank.csv', '\ufeffa,b\r\n\r\n1,2\r\n\r\n3,4\r\n');
    expect(result.rows.map((row) => [row.index, row.line, row.value])).toEqual([
      [0, 3, { a: '1', b: '2' }],
      [1, 5, { a: '3', b: '4' }],
    ]);
    expect(result.columns.map((column) => column.name)).toEqual(['a', 'b']);
  });

  it('a quote left open runs to the end of the file and is a fatal bad row', async () => {
    const result = await readBytes('open.csv', 'a,b\n1,2\n"never closed,3\n4,5\n');
    expect(result.rows).toHaveLength(1);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 1, line: 3, fatal: true });
    expect(result.bad[0]!.message).toContain('opened on line 3');
  });

  it('a record over maxRowBytes is skipped without being kept and reading goes on', async () => {
    const result = await readBytes('big.csv', `a,b\n1,2\n"${'x'.repeat(5000)}",3\n4,5\n`, { limits: { maxRowBytes: 200 } });
    expect(result.rows.map((row) => row.value)).toEqual([
      { a: '1', b: '2' },
      { a: '4', b: '5' },
    ]);
    expect(result.bad).toMatchObject([{ index: 1, line: 3 }]);
    expect(result.bad[0]!.message).toContain('maxRowBytes');
  });

  it('a record with more fields than maxColumns is refused before its fields are allocated', async () => {
    const result = await readBytes('wide.csv', `a,b\n1,2\n${','.repeat(50)}\n`, { limits: { maxColumns: 10 } });
    expect(result.rows).toHaveLength(1);
    expect(result.bad[0]!.message).toBe('record at line 3 has more than 10 fields (maxColumns)');
    const header = await readBytes('wideheader.csv', `${','.repeat(50)}\n1\n`, { limits: { maxColumns: 10 } });
    expect(header.bad).toMatchObject([{ index: 0, fatal: true }]);
    expect(header.issues).toMatchObject([{ kind: 'limit', limit: 'maxColumns' }]);
  });

  it('names duplicate and empty headers as pandas does and reports them', async () => {
    const result = await readBytes('dup.csv', 'a,a,,a\n1,2,3,4\n');
    expect(result.rows[0]!.value).toEqual({ a: '1', 'a.1': '2', 'Unnamed: 2': '3', 'a.2': '4' });
    expect(result.issues).toHaveLength(3);
  });

  it('a record that is not valid UTF-8 is a bad row', async () => {
    const result = await readBytes('utf8.csv', Buffer.concat([Buffer.from('a\nok\n'), Buffer.from([0xff, 0xfe]), Buffer.from('\nok\n')]));
    expect(result.rows).toHaveLength(2);
    expect(result.bad).toMatchObject([{ index: 1, line: 3, message: 'record at line 3 is not valid UTF-8' }]);
  });

  it('keeps values as strings but infers column types', async () => {
    const result = await readBytes('types.csv', 'i,f,s,e\n1,1.5,x,\n-2,3,007a,\n');
    expect(result.rows[0]!.value).toEqual({ i: '1', f: '1.5', s: 'x', e: '' });
    expect(result.columns).toEqual([
      { name: 'i', type: 'int64' },
      { name: 'f', type: 'float64' },
      { name: 's', type: 'string' },
      { name: 'e', type: 'null' },
    ]);
  });

  it('reads TSV with quoting like CSV', async () => {
    const rows = [['a\tb', '1'], ['plain "quote" inside', '0'], ['multi\nline', '1']];
    const bytes = buildCsv(['sentence', 'label'], rows, { delimiter: '\t', eol: '\r\n' });
    const result = await readBytes('a.tsv', bytes);
    expect(result.format).toBe('tsv');
    expect(result.rows.map((row) => [row.value.sentence, row.value.label])).toEqual(rows);
  });

  it('a header with no rows gives columns and no events', async () => {
    const result = await readBytes('empty.csv', 'a,b\n');
    expect(result.rows).toEqual([]);
    expect(result.bad).toEqual([]);
    expect(result.columns).toEqual([
      { name: 'a', type: 'null' },
      { name: 'b', type: 'null' },
    ]);
  });
});
