import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClassProbabilities, readClassProbabilities } from '../../src/audit/class-probabilities.js';

/** The error a parse throws, for asserting code and message together. */
function parseError(text: string): { code?: string; message: string } {
  try {
    parseClassProbabilities(text, 'p.csv');
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the parse to fail');
}

describe('--probabilities files', () => {
  it('reads CSV with a header of class names', () => {
    const p = parseClassProbabilities('neg,pos\n0.2,0.8\n0.9,0.1\n', 'p.csv');
    expect(p).toMatchObject({ rows: 2, classes: 2, classNames: ['neg', 'pos'] });
    expect(Array.from(p.values).map((v) => Number(v.toFixed(6)))).toEqual([0.2, 0.8, 0.9, 0.1]);
    expect(Array.from(p.lines)).toEqual([2, 3]);
  });

  it('reads TSV without a header (columns are the sorted labels) and renormalises rounded rows', () => {
    const p = parseClassProbabilities('0.333\t0.333\t0.333\n1\t0\t0', 'p.tsv');
    expect(p.classNames).toBeUndefined();
    expect(p.values[0]).toBeCloseTo(1 / 3, 6);
  });

  it('reads JSONL arrays and JSONL objects keyed by class name', () => {
    expect(parseClassProbabilities('[0.1, 0.9]\n[0.5, 0.5]\n', 'p.jsonl')).toMatchObject({ rows: 2, classes: 2 });
    const named = parseClassProbabilities('{"Negative": 0.1, "Positive": 0.9}\n{"Positive": 0.4, "Negative": 0.6}\n', 'p.jsonl');
    expect(named.classNames).toEqual(['Negative', 'Positive']);
    expect(Array.from(named.values).map((v) => Number(v.toFixed(6)))).toEqual([0.1, 0.9, 0.6, 0.4]);
  });

  it.each([
    ['a value that is not a number', 'a,b\n0.5,x\n', /p\.csv:2:5: "x" is not a number/],
    ['a value outside [0, 1]', '1.5,-0.5\n', /p\.csv:1:1: 1\.5 is not a probability/],
    ['a row that does not sum to 1', '0.5,0.4\n', /p\.csv:1:1: the probabilities sum to 0\.9, not 1/],
    ['rows of different widths', '0.5,0.5\n0.2,0.3,0.5\n', /p\.csv:2:1: 3 values, but the rows before have 2/],
    ['a blank line inside the file', '0.5,0.5\n\n0.5,0.5\n', /p\.csv:2:1: blank line/],
    ['a header naming a class twice', 'a,a\n0.5,0.5\n', /p\.csv:1:1: the header names a class twice/],
    ['a single class', '1\n1\n', /p\.csv:1:1: 1 value\(s\)/],
    ['JSON that is not an array or object', '[0.5, 0.5]\n"x"\n', /p\.csv:2:1: expected an array/],
    ['JSONL objects with other class names', '{"a": 0.5, "b": 0.5}\n{"a": 0.5, "c": 0.5}\n', /p\.csv:2:1: classes "a", "c" differ/],
    ['broken JSON', '[0.5, 0.5]\n[0.5,\n', /p\.csv:2:1: not JSON/],
  ])('names file, line and column for %s', (_name, text, message) => {
    const error = parseError(text);
    expect(error.code).toBe('INPUT_UNREADABLE');
    expect(error.message).toMatch(message);
  });

  it('a missing file is INPUT_NOT_FOUND', async () => {
    await expect(readClassProbabilities('/nonexistent/p.csv')).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
  });

  it('reads a file from disk, byte-order mark and CRLF included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'antidote-probabilities-'));
    const path = join(dir, 'p.csv');
    writeFileSync(path, '\uFEFFneg,pos\r\n0.25,0.75\r\n');
    expect(await readClassProbabilities(path)).toMatchObject({ rows: 1, classNames: ['neg', 'pos'] });
  });
});
