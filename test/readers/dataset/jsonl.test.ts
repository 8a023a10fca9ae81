import { describe, expect, it } from 'vitest';
import { alpacaRows, buildJsonl } from '../../builders/dataset.js';
import { expectContiguous, readBytes, readChunked } from './helpers.js';

describe('JSONL reader', () => {
  it('round-trips rows built with JSON.stringify, with lines, offsets and raw bytes', async () => {
    const rows = alpacaRows(50);
    const bytes = buildJsonl(rows);
    const result = await readBytes('a.jsonl', bytes);
    expect(result.format).toBe('jsonl');
    expect(result.bad).toEqual([]);
    expect(result.rows.map((row) => row.value)).toEqual(rows);
    expect(result.rows.map((row) => row.line)).toEqual(rows.map((_, i) => i + 1));
    const lines = bytes.toString('utf8').split('\n');
    for (const row of result.rows) {
      expect(Buffer.from(row.raw!).toString('utf8')).toBe(lines[row.index]);
      expect(bytes.subarray(row.offset!, row.offset! + row.raw!.length).equals(Buffer.from(row.raw!))).toBe(true);
    }
    expect(result.columns).toEqual([
      { name: 'instruction', type: 'string' },
      { name: 'input', type: 'string' },
      { name: 'output', type: 'string' },
    ]);
    expectContiguous(result);
  });

  it('reads the same rows whatever the chunk boundaries', async () => {
    const rows = alpacaRows(40, 7);
    const bytes = buildJsonl(rows, { eol: '\r\n', bom: true });
    const whole = await readBytes('b.jsonl', bytes);
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const chunked = await readChunked('jsonl', bytes, size);
      expect(chunked.rows.map((row) => [row.index, row.line, row.offset, row.value])).toEqual(whole.rows.map((row) => [row.index, row.line, row.offset, row.value]));
    }
  });

  it('CRLF line endings and a byte order mark do not reach the values', async () => {
    const result = await readBytes('crlf.jsonl', buildJsonl([{ a: 'x' }, { a: 'y' }], { eol: '\r\n', bom: true }));
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 'x' }, { a: 'y' }]);
    expect(result.rows[0]!.offset).toBe(3);
    expect(result.bad).toEqual([]);
  });

  it('blank lines are not rows but keep line numbers right', async () => {
    const bytes = buildJsonl([{ n: 0 }, { n: 1 }, { n: 2 }], { blankBeforeRow: [1, 2] });
    const result = await readBytes('blank.jsonl', Buffer.concat([bytes, Buffer.from('   \n\t\r\n')]));
    expect(result.rows.map((row) => [row.index, row.line, row.value])).toEqual([
      [0, 1, { n: 0 }],
      [1, 3, { n: 1 }],
      [2, 5, { n: 2 }],
    ]);
    expect(result.bad).toEqual([]);
  });

  it('an invalid JSON line is a bad row with its line and an excerpt, and reading goes on', async () => {
    const bytes = buildJsonl([{ a: 1 }, null, { a: 3 }], { rawLines: { 1: '{"a": 2,, "poison": "x"}' } });
    const result = await readBytes('bad.jsonl', bytes);
    expect(result.rows.map((row) => [row.index, row.line])).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 1, line: 2, offset: 8 });
    expect(result.bad[0]!.message).toMatch(/line 2 is not valid JSON/);
    expect(result.bad[0]!.excerpt).toBe('{"a": 2,, "poison": "x"}');
    expectContiguous(result);
  });

  it('wraps values that are not objects as {value}', async () => {
    const result = await readBytes('scalars.jsonl', '[1,2]\n"text"\n3\nnull\ntrue\n');
    expect(result.rows.map((row) => row.value)).toEqual([{ value: [1, 2] }, { value: 'text' }, { value: 3 }, { value: null }, { value: true }]);
  });

  it('a line that is not valid UTF-8 is a bad row (a decoder would replace the bytes silently)', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"ok"}\n{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"a":"ok"}\n')]);
    const result = await readBytes('utf8.jsonl', bytes);
    expect(result.rows).toHaveLength(2);
    expect(result.bad).toMatchObject([{ index: 1, line: 2, message: 'line 2 is not valid UTF-8' }]);
  });

  it('a line over maxRowBytes is a bad row and the next line still reads', async () => {
    const long = JSON.stringify({ text: 'x'.repeat(5000) });
    const result = await readBytes('long.jsonl', `{"a":1}\n${long}\n{"a":2}\n`, { limits: { maxRowBytes: 1000 } });
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 1, line: 2 });
    expect(result.bad[0]!.message).toContain(`${long.length} bytes, over the 1000-byte row limit (maxRowBytes)`);
    expect(result.bad[0]!.excerpt.startsWith('{"text":"xxx')).toBe(true);
    expect(result.bad[0]!.excerpt.length).toBeLessThanOrEqual(121);
  });

  it('a line exactly at maxRowBytes is read', async () => {
    const line = JSON.stringify({ t: 'y'.repeat(100) });
    const result = await readBytes('exact.jsonl', `${line}\n`, { limits: { maxRowBytes: line.length } });
    expect(result.rows).toHaveLength(1);
    const over = await readBytes('over.jsonl', `${line}\n`, { limits: { maxRowBytes: line.length - 1 } });
    expect(over.bad).toHaveLength(1);
  });

  it('a value nested past maxNestingDepth is a bad row (consumers walk rows recursively)', async () => {
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    const result = await readBytes('deep.jsonl', `{"a":${deep}}\n{"a":[[1]]}\n`, { limits: { maxNestingDepth: 10 } });
    expect(result.bad).toMatchObject([{ index: 0, line: 1 }]);
    expect(result.bad[0]!.message).toContain('maxNestingDepth');
    expect(result.rows.map((row) => row.value)).toEqual([{ a: [[1]] }]);
  });

  it('a last line without a newline is read', async () => {
    const result = await readBytes('nofinal.jsonl', buildJsonl([{ a: 1 }, { a: 2 }], { noFinalNewline: true }));
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('keeps a "__proto__" key as data, not as the prototype', async () => {
    const result = await readBytes('proto.jsonl', '{"__proto__": {"polluted": true}, "a": 1}\n');
    const value = result.rows[0]!.value;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('infers int64, float64, mixed and list columns', async () => {
    const result = await readBytes('types.jsonl', '{"i":1,"f":1,"m":1,"l":["a"]}\n{"i":2,"f":2.5,"m":"x","l":[],"n":null}\n');
    expect(result.columns).toEqual([
      { name: 'i', type: 'int64' },
      { name: 'f', type: 'float64' },
      { name: 'm', type: 'mixed' },
      { name: 'l', type: 'list<string>' },
      { name: 'n', type: 'null' },
    ]);
  });

  it('stops tracking column names at maxColumns and says so', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ [`k${i}`]: i })).join('\n');
    const result = await readBytes('wide.jsonl', lines, { limits: { maxColumns: 10 } });
    expect(result.rows).toHaveLength(30);
    expect(result.columns).toHaveLength(10);
    expect(result.issues).toMatchObject([{ kind: 'limit', limit: 'maxColumns' }]);
  });
});
