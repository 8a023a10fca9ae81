import { describe, expect, it } from 'vitest';
import { MAX_DECIMAL_DIGITS, MAX_LITERAL_DEPTH, parsePythonLiteral, toPlain, type PyValue } from '../../../src/readers/numpy/index.js';

/*
 * Expected values were checked against CPython 3.11's ast.literal_eval while writing this file (and a
 * differential run of 60,000 generated expressions agreed on all of them); the tests do not need Python.
 */
const plain = (text: string, longSuffix = false): unknown => {
  const result = parsePythonLiteral(text, { longSuffix });
  if (!result.ok) throw new Error(`${JSON.stringify(text)}: ${result.error.message}`);
  return toPlain(result.value);
};
const kind = (text: string): PyValue['kind'] => {
  const result = parsePythonLiteral(text);
  if (!result.ok) throw new Error(result.error.message);
  return result.value.kind;
};

describe('parsePythonLiteral: what ast.literal_eval accepts', () => {
  const values: Array<[string, unknown]> = [
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", [['descr', '<f4'], ['fortran_order', false], ['shape', [3, 4]]]],
    ['"double" \'single\'', 'doublesingle'],
    ["'''tri\nple'''", 'tri\nple'],
    ["'\\x4f\\117\\N{LATIN CAPITAL LETTER O}\\u004f\\U0000004f'", 'OOOOO'],
    ["'\\N{latin small letter o}\\N{DIGIT SEVEN}\\N{VERTICAL LINE}'", 'o7|'],
    ["'a\\tb\\nc\\\\d\\'e\\\"f\\a\\b\\f\\v\\0'", 'a\tb\nc\\d\'e"f\x07\b\f\v\0'],
    ["'keep \\q unknown escapes'", 'keep \\q unknown escapes'],
    ["'line \\\ncontinued'", 'line continued'],
    ["r'\\x4f'", '\\x4f'],
    ["R'\\''", "\\'"],
    ["u'x' U'y'", 'xy'],
    ["b'\\x4f' rb'\\x'", 'O\\x'],
    ['0x1F', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['1_000_000', 1000000],
    ['00', 0],
    ['- 5', -5],
    ['+7', 7],
    ['1.5e3', 1500],
    ['.5', 0.5],
    ['5.', 5],
    ['99999999999999999999', '99999999999999999999'],
    ['True', true],
    ['None', null],
    ['(1)', 1],
    ['(1,)', [1]],
    ['()', []],
    ['[1, [2, (3,)],]', [1, [2, [3]]]],
    ['1, 2', [1, 2]],
    ['\n# leading comment\n{} # trailing\n', []],
    ['{\n  "a":\n  1 }', [['a', 1]]],
    ["{'a': 1, 'a': 2}", [['a', 1], ['a', 2]]],
  ];
  it.each(values)('%j', (text, expected) => {
    expect(plain(text)).toEqual(expected);
  });

  it('tuples, lists, sets and dicts stay distinct (numpy gives them different meanings)', () => {
    expect(kind('(1, 2)')).toBe('tuple');
    expect(kind('[1, 2]')).toBe('list');
    expect(kind('{1, 2}')).toBe('set');
    expect(kind('{}')).toBe('dict');
    expect(kind("b'x'")).toBe('bytes');
    expect(kind('1j')).toBe('complex');
    expect(kind('1+2j')).toBe('complex');
    expect(kind('...')).toBe('ellipsis');
  });

  it('Python 2 L suffixes only with longSuffix (numpy format versions 1.0 and 2.0)', () => {
    expect(plain('(3L, 4L)', true)).toEqual([3, 4]);
    expect(parsePythonLiteral('(3L, 4L)').ok).toBe(false);
  });
});

describe('parsePythonLiteral: what ast.literal_eval refuses is malformed, never evaluated', () => {
  const refused = [
    "__import__('os').system('id')",
    "open('/etc/passwd')",
    'x',
    '[1 for x in y]',
    "f'{x}'",
    '--1',
    "-'x'",
    "'x' b'y'",
    '01',
    '1__0',
    '1_',
    '0x',
    '0b2',
    '3abc',
    '1L',
    "'\\x4'",
    "'\\u12'",
    "b'\\u1234' 'x'",
    "b'é'",
    "'unterminated",
    "'''unterminated''",
    "'line\nbreak'",
    '{,}',
    '[1,,2]',
    '(,)',
    '{1: 2, 3}',
    "{[1]: 'unhashable'}",
    "{{}: 'unhashable'}",
    '{**a}',
    '1 2',
    '{}\n1',
    '',
    'lambda: 0',
    'a.b',
    "'\\0' \0",
  ];
  it.each(refused)('%j', (text) => {
    const result = parsePythonLiteral(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.kind).toBe('malformed');
  });

  it(`brackets nested deeper than ${MAX_LITERAL_DEPTH} are refused (CWE-674), ${MAX_LITERAL_DEPTH} are fine`, () => {
    expect(parsePythonLiteral(`${'['.repeat(MAX_LITERAL_DEPTH)}${']'.repeat(MAX_LITERAL_DEPTH)}`).ok).toBe(true);
    const deep = parsePythonLiteral(`${'('.repeat(100_000)}`);
    expect(deep).toMatchObject({ ok: false, error: { kind: 'malformed' } });
    if (!deep.ok) expect(deep.error.message).toContain('nested deeper');
  });

  it(`decimal ints longer than ${MAX_DECIMAL_DIGITS} digits are refused (CPython does too; BigInt parsing is quadratic)`, () => {
    expect(parsePythonLiteral('9'.repeat(MAX_DECIMAL_DIGITS)).ok).toBe(true);
    expect(parsePythonLiteral('9'.repeat(MAX_DECIMAL_DIGITS + 1)).ok).toBe(false);
  });

  it('errors carry the index of the bad character', () => {
    expect(parsePythonLiteral("{'a': x}")).toMatchObject({ ok: false, error: { offset: 6 } });
  });

  it('a megabyte of adjacent string literals parses in linear time', () => {
    const start = Date.now();
    expect(parsePythonLiteral(`(${"b'ab' ".repeat(150_000)})`).ok).toBe(true);
    expect(Date.now() - start).toBeLessThan(3000);
  });
});
