import { describe, expect, it } from 'vitest';
import { alpacaRows, buildJsonArray } from '../../builders/dataset.js';
import { expectContiguous, readBytes, readChunked } from './helpers.js';

/** The 1-based line each element starts on, counted independently from the built text. */
function elementLines(text: string, marker: RegExp): number[] {
  return text.split('\n').flatMap((line, i) => (marker.test(line) ? [i + 1] : []));
}

describe('JSON document reader', () => {
  it('round-trips a pretty-printed array (json.dump indent=2) with each element\'s line and path', async () => {
    const rows = alpacaRows(30, 3);
    const bytes = buildJsonArray(rows);
    const result = await readBytes('a.json', bytes);
    expect(result.format).toBe('json');
    expect(result.bad).toEqual([]);
    expect(result.issues).toEqual([]);
    expect(result.rows.map((row) => row.value)).toEqual(rows);
    expect(result.rows.map((row) => row.line)).toEqual(elementLines(bytes.toString('utf8'), /^ {2}\{$/));
    expect(result.rows.map((row) => row.path)).toEqual(rows.map((_, i) => `$[${i}]`));
    for (const row of result.rows) expect(JSON.parse(Buffer.from(row.raw!).toString('utf8'))).toEqual(row.value);
    expectContiguous(result);
  });

  it('reads a minified one-line array and any chunking of it', async () => {
    const rows = alpacaRows(20, 5);
    const bytes = buildJsonArray(rows, { indent: 0 });
    const whole = await readBytes('min.json', bytes);
    expect(whole.rows.map((row) => row.value)).toEqual(rows);
    for (const size of [1, 2, 5, 13, 100]) {
      const chunked = await readChunked('json', bytes, size);
      expect(chunked.rows.map((row) => [row.index, row.line, row.offset, row.path, row.value])).toEqual(whole.rows.map((row) => [row.index, row.line, row.offset, row.path, row.value]));
      expect(chunked.issues).toEqual([]);
    }
  });

  it('reads the rows of a top-level object holding one array ({"data": [...]}), other members as metadata', async () => {
    const rows = alpacaRows(5);
    const result = await readBytes('field.json', buildJsonArray(rows, { field: 'data' }));
    expect(result.rows.map((row) => row.value)).toEqual(rows);
    expect(result.rows.map((row) => row.path)).toEqual(rows.map((_, i) => `$.data[${i}]`));
    expect(result.metadata).toEqual({ version: '1.0' });
  });

  it('jsonField picks the rows member; every other member is metadata', async () => {
    const text = JSON.stringify({ info: { n: 2 }, train: [{ a: 1 }, { a: 2 }], test: [{ a: 3 }] }, null, 2);
    const result = await readBytes('pick.json', text, { jsonField: 'train' });
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(result.metadata).toEqual({ info: { n: 2 }, test: [{ a: 3 }] });
    const missing = await readBytes('pick2.json', text, { jsonField: 'nope' });
    expect(missing.rows).toEqual([]);
    expect(missing.issues.map((issue) => issue.message)).toContain('the top-level object has no member "nope" (jsonField)');
  });

  it('reads an object of objects (PoisonedRAG layout) as one row per member', async () => {
    const doc = { test1: { question: 'q1', adv_texts: ['a', 'b'] }, 'test 2': { question: 'q2', adv_texts: [] } };
    const result = await readBytes('keyed.json', JSON.stringify(doc, null, 4));
    expect(result.rows.map((row) => [row.path, row.line, row.value])).toEqual([
      ['$.test1', 2, doc.test1],
      ['$["test 2"]', 9, doc['test 2']],
    ]);
  });

  it('a document that is one record is one row', async () => {
    const result = await readBytes('one.json', '{"instruction": "x", "output": "y"}');
    expect(result.rows.map((row) => [row.index, row.path, row.value])).toEqual([[0, '$', { instruction: 'x', output: 'y' }]]);
    expect(result.metadata).toEqual({});
  });

  it('wraps array elements that are not objects as {value}', async () => {
    const result = await readBytes('scalars.json', '[1, "two", [3], null, true, -4.5e2]');
    expect(result.rows.map((row) => row.value)).toEqual([{ value: 1 }, { value: 'two' }, { value: [3] }, { value: null }, { value: true }, { value: -450 }]);
  });

  it('handles escapes, brackets and quotes inside strings', async () => {
    const rows = [{ s: 'a "quoted" ] } [ { \\ back\\slash \\" \u2028 \n escaped newline' }, { s: '\\' }, { s: 'end' }];
    for (const indent of [0, 2]) {
      const bytes = buildJsonArray(rows, { indent });
      for (const size of [1, 3, 1 << 16]) expect((await readChunked('json', bytes, size)).rows.map((row) => row.value)).toEqual(rows);
    }
  });

  it('an element with invalid JSON but balanced brackets is a bad row; reading goes on', async () => {
    const bytes = buildJsonArray([{ a: 1 }, null, { a: 3 }], { rawElements: { 1: "{'a': 2, \"trailing\": 1,}" } });
    const result = await readBytes('bad.json', bytes);
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 1 }, { a: 3 }]);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 1, line: 5, excerpt: "{'a': 2, \"trailing\": 1,}" });
    expect(result.bad[0]!.message).toContain('is not valid JSON');
    expectContiguous(result);
  });

  it('a broken element in a pretty-printed file is a bad row and reading resynchronises on the next element', async () => {
    // Element 1 has a raw line break inside a string and a bracket of the wrong kind: its structure is lost.
    const text = '[\n  {\n    "a": 1\n  },\n  {\n    "a": "unterminated\n    ]\n  },\n  {\n    "a": 3\n  }\n]\n';
    const result = await readBytes('broken.json', text);
    expect(result.rows.map((row) => [row.index, row.line, row.value])).toEqual([
      [0, 2, { a: 1 }],
      [2, 9, { a: 3 }],
    ]);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 1, line: 5 });
    expect(result.bad[0]!.message).toMatch(/raw line break inside a string at line 6.*skipped to the next element/);
    expect(result.bad[0]!.fatal).toBeUndefined();
  });

  it('a mismatched bracket in a minified file is fatal: nothing after it can be told apart', async () => {
    const result = await readBytes('fatal.json', '[{"a":1},{"a":[2}],{"a":3}]');
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 1 }]);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 1, line: 1, fatal: true });
    expect(result.bad[0]!.message).toContain('"}" at line 1 closes a array');
  });

  it('a truncated file ends with a fatal bad row for the element cut off', async () => {
    const bytes = buildJsonArray(alpacaRows(3));
    const cut = bytes.subarray(0, bytes.indexOf('"output"', bytes.lastIndexOf('{')));
    const result = await readBytes('cut.json', cut);
    expect(result.rows).toHaveLength(2);
    expect(result.bad).toHaveLength(1);
    expect(result.bad[0]).toMatchObject({ index: 2, fatal: true });
    expect(result.bad[0]!.message).toContain('truncated');
    expect(result.issues.map((issue) => issue.kind)).toEqual(['truncated']);
  });

  it('a file cut between elements keeps every element and reports the truncation', async () => {
    const result = await readBytes('cut2.json', '[{"a":1},{"a":2},');
    expect(result.rows).toHaveLength(2);
    expect(result.bad).toEqual([]);
    expect(result.issues).toMatchObject([{ kind: 'truncated' }]);
  });

  it('reports syntax errors between elements as issues, still reading the elements', async () => {
    const result = await readBytes('commas.json', '[{"a":1} {"a":2},,{"a":3},]\ntrailing garbage');
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(result.issues.map((issue) => issue.message)).toEqual([
      'missing "," between elements at line 1: loaders reject the file',
      'empty element (",,") at line 1: loaders reject the file',
      'trailing comma before "]" at line 1: loaders reject the file',
      expect.stringContaining('16 bytes after the end of the JSON document, from line 2'),
    ]);
  });

  it('an element over maxRowBytes is a bad row, skipped without being kept', async () => {
    const rows = [{ a: 1 }, { big: 'z'.repeat(3000) }, { a: 3 }];
    const result = await readBytes('big.json', buildJsonArray(rows), { limits: { maxRowBytes: 500 } });
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 1 }, { a: 3 }]);
    expect(result.bad).toMatchObject([{ index: 1 }]);
    expect(result.bad[0]!.message).toContain('maxRowBytes');
  });

  it('an element nested past maxNestingDepth is a bad row found while scanning', async () => {
    const deep = `${'['.repeat(50)}${']'.repeat(50)}`;
    const result = await readBytes('deep.json', `[{"a":1}, {"d": ${deep}}, {"a":2}]`, { limits: { maxNestingDepth: 20 } });
    expect(result.rows.map((row) => row.value)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(result.bad).toMatchObject([{ index: 1 }]);
    expect(result.bad[0]!.message).toContain('maxNestingDepth');
  });

  it('a document that is not an array or object is one fatal bad row', async () => {
    const result = await readBytes('scalar.json', '"just a string"', { format: 'json' });
    expect(result.rows).toEqual([]);
    expect(result.bad).toMatchObject([{ index: 0, fatal: true }]);
  });

  it('an empty file has no rows and says so', async () => {
    const result = await readBytes('empty.json', '  \n', { format: 'json' });
    expect(result.rows).toEqual([]);
    expect(result.issues).toMatchObject([{ kind: 'malformed' }]);
  });

  it('counts CRLF line endings and a byte order mark correctly', async () => {
    const rows = alpacaRows(4);
    const bytes = buildJsonArray(rows, { eol: '\r\n', bom: true });
    const result = await readBytes('crlf.json', bytes);
    expect(result.rows.map((row) => row.value)).toEqual(rows);
    expect(result.rows.map((row) => row.line)).toEqual(elementLines(bytes.toString('utf8').replace(/\r/g, ''), /^ {2}\{$/));
  });
});
