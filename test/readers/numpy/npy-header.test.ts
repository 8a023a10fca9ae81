import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS, resolveLimits, type Limits } from '../../../src/core/index.js';
import { readNpyHeader, sniffNpy, type NpyHeader } from '../../../src/readers/numpy/index.js';
import { buildNpy, npyHeaderText, type BuildNpyOptions } from '../../builders/npy.js';

const PICKLE = Buffer.from("\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.", 'latin1');

function read(bytes: Buffer, limits: Limits = DEFAULT_LIMITS) {
  return readNpyHeader(bufferSource(bytes), limits);
}
function header(options: BuildNpyOptions): NpyHeader {
  const result = read(buildNpy(options));
  if (!result.ok) throw new Error(`expected a header, got ${result.error.kind}: ${result.error.message}`);
  return result.value;
}
/** A raw header dict with the given descr source text (shape (1,), C order), padded like numpy. */
const withDescr = (descrSource: string, version: 1 | 2 | 3 = 1): Buffer =>
  buildNpy({ descr: '', shape: [], version, rawHeader: `{'descr': ${descrSource}, 'fortran_order': False, 'shape': (1,), }\n`, data: PICKLE });

const realNpy = (name: string): Buffer => readFileSync(new URL(`../../fixtures/real/${name}`, import.meta.url));

describe('sniffNpy', () => {
  it('finds the magic and nothing else', () => {
    expect(sniffNpy(buildNpy({ descr: '<f4', shape: [1] }))).toBe(true);
    expect(sniffNpy(Buffer.from('\x93NUMP', 'latin1'))).toBe(false);
    expect(sniffNpy(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false);
  });
});

describe('readNpyHeader: object dtypes that make np.load(allow_pickle=True) unpickle (CVE-2019-6446)', () => {
  it('real np.save of an object array: hasObjectDtype, and dataOffset is where its pickle starts', () => {
    const bytes = realNpy('malicious/object-array.npy');
    const result = read(bytes);
    expect(result.ok && result.value).toMatchObject({ hasObjectDtype: true, descr: '|O', dataBytes: null, sizeMismatch: null, dataOffset: 128 });
    if (result.ok) expect(bytes[result.value.dataOffset]).toBe(0x80); // PROTO: the pickle np.load runs
  });

  const objectDescrs: Array<[string, string]> = [
    ["'|O' (what np.save writes)", "'|O'"],
    ["'O'", "'O'"],
    ["'<O' (byte order is ignored for objects)", "'<O'"],
    ["'O8'", "'O8'"],
    ["'object' (a type name)", "'object'"],
    ["'object_'", "'object_'"],
    ["comma form 'i4, O'", "'i4, O'"],
    ["subarray string '(2,)O'", "'(2,)O'"],
    ['structured with one object field', "[('a', '<f4'), ('b', '|O')]"],
    ['structured with an object field nested two levels down', "[('a', [('b', [('c', '|O')])])]"],
    ['structured with an object subarray field', "[('a', '|O', (2, 3))]"],
    ['structured with a titled object field', "[(('title', 'a'), '|O')]"],
    ["a (subdtype, shape) tuple: ('|O', (2,))", "('|O', (2,))"],
    ['an escaped O: \\x4f', "'\\x4f'"],
    ['a named escape: \\N{LATIN CAPITAL LETTER O}', "'\\N{LATIN CAPITAL LETTER O}'"],
    ['octal escape \\117', "'\\117'"],
    ["implicit concatenation '|' 'O'", "'|' 'O'"],
    ['a str prefix and double quotes: u"|O"', 'u"|O"'],
    ['a spelling antidote does not know but that names objects', "'|O16'"],
  ];
  it.each(objectDescrs)('%s', (_name, source) => {
    const result = read(withDescr(source));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.hasObjectDtype).toBe(true);
      expect(result.value.dataBytes).toBeNull();
    }
  });

  it('duplicate descr keys: the last one wins, as in Python (a naive parser reads the benign first one)', () => {
    const raw = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'descr': '|O', }\n";
    const result = read(buildNpy({ descr: '', shape: [], rawHeader: raw, data: PICKLE }));
    expect(result.ok && result.value.hasObjectDtype).toBe(true);
  });

  it.each([2, 3] as const)('format version %d.0 headers are read too', (version) => {
    const value = header({ descr: '|O', shape: [1], version, data: PICKLE });
    expect(value).toMatchObject({ version: [version, 0], hasObjectDtype: true });
  });

  it('version 3.0 headers are UTF-8 (a non-ASCII field name next to an object field)', () => {
    expect(header({ descr: [['名前', '|O']], shape: [1], version: 3, data: PICKLE }).hasObjectDtype).toBe(true);
  });

  it('Python 2 headers with L suffixes (3L, 4L) parse in versions 1.0 and 2.0', () => {
    const raw = "{'descr': '|O', 'fortran_order': False, 'shape': (3L, 4L), }\n";
    expect(read(buildNpy({ descr: '', shape: [], rawHeader: raw })).ok).toBe(true);
    expect(read(buildNpy({ descr: '', shape: [], rawHeader: raw, version: 3 })).ok).toBe(false);
  });
});

describe('readNpyHeader: numeric arrays (controls) and their size check', () => {
  it('real np.save of a float32 (4, 3) array: no object dtype, sizes agree', () => {
    const result = read(realNpy('array-float.npy'));
    expect(result.ok && result.value).toMatchObject({
      version: [1, 0],
      descr: '<f4',
      fortranOrder: false,
      shape: [4, 3],
      hasObjectDtype: false,
      itemSize: 4,
      dataBytes: 48,
      sizeMismatch: null,
    });
  });

  const numeric: Array<[string, BuildNpyOptions, number]> = [
    ['<f4 (3,4)', { descr: '<f4', shape: [3, 4] }, 48],
    ['|u1 (10,)', { descr: '|u1', shape: [10] }, 10],
    ['<c16 (2,)', { descr: '<c16', shape: [2] }, 32],
    ['|S10 (3,)', { descr: '|S10', shape: [3] }, 30],
    ['<U5 (2,) (4 bytes per character)', { descr: '<U5', shape: [2] }, 40],
    ['|b1 scalar, shape ()', { descr: '|b1', shape: [] }, 1],
    ['<M8[ns] (2,)', { descr: '<M8[ns]', shape: [2] }, 16],
    ['zero-size (0, 5)', { descr: '<f8', shape: [0, 5] }, 0],
    ['structured [(x, <f4), (y, <i8, (2,))]', { descr: [['x', '<f4'], ['y', '<i8', [2]]], shape: [3], data: Buffer.alloc(60) }, 60],
    ['Fortran order', { descr: '<f8', shape: [2, 2], fortranOrder: true }, 32],
  ];
  it.each(numeric)('%s', (_name, options, dataBytes) => {
    const value = header(options);
    expect(value.hasObjectDtype).toBe(false);
    expect(value.dataBytes).toBe(dataBytes);
    expect(value.sizeMismatch).toBeNull();
  });

  it('a padding field named "" holding objects is dropped by numpy, so it is no object dtype', () => {
    const result = read(withDescr("[('a', '<f4'), ('', '|O', (2,))]"));
    expect(result.ok && result.value).toMatchObject({ hasObjectDtype: false, itemSize: 20 });
  });

  it('truncated array data: sizeMismatch says how many bytes are missing', () => {
    const full = buildNpy({ descr: '<f4', shape: [4, 3] });
    const result = read(full.subarray(0, full.length - 8));
    expect(result.ok && result.value.sizeMismatch).toEqual({ expected: 48, actual: 40 });
  });

  it('bytes appended after the array (a polyglot hiding a second payload): sizeMismatch', () => {
    const result = read(Buffer.concat([buildNpy({ descr: '<f4', shape: [4, 3] }), PICKLE]));
    expect(result.ok && result.value.sizeMismatch).toEqual({ expected: 48, actual: 48 + PICKLE.length });
  });

  it('an object array is never size-checked (its pickle has any length)', () => {
    expect(header({ descr: '|O', shape: [1000], data: PICKLE }).sizeMismatch).toBeNull();
  });
});

describe('readNpyHeader: hostile headers', () => {
  it('oversized header: a declared length over maxNpyHeader is refused before it is read', () => {
    const limits = resolveLimits({ maxNpyHeader: 1000 });
    const result = read(buildNpy({ descr: '<f4', shape: [1], version: 2, headerLength: 0xfffffff0 }), limits);
    expect(result).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxNpyHeader', offset: 8 } });
  });

  it('control: a header of exactly maxNpyHeader bytes is read', () => {
    const text = npyHeaderText('<f4', [1]);
    const raw = `${text}${' '.repeat(1000 - text.length - 1)}\n`;
    expect(read(buildNpy({ descr: '', shape: [], rawHeader: raw, data: Buffer.alloc(4) }), resolveLimits({ maxNpyHeader: 1000 })).ok).toBe(true);
  });

  it('a header length past the end of the file: truncated', () => {
    expect(read(buildNpy({ descr: '<f4', shape: [1], headerLength: 5000 }))).toMatchObject({ ok: false, error: { kind: 'truncated' } });
  });

  it('a file cut inside the magic or the length field: truncated', () => {
    const bytes = buildNpy({ descr: '<f4', shape: [1] });
    expect(read(bytes.subarray(0, 4))).toMatchObject({ ok: false, error: { kind: 'truncated' } });
    expect(read(bytes.subarray(0, 9))).toMatchObject({ ok: false, error: { kind: 'truncated' } });
  });

  it('an unknown format version: unsupported (numpy refuses it too)', () => {
    expect(read(buildNpy({ descr: '<f4', shape: [1], versionBytes: [4, 0] }))).toMatchObject({ ok: false, error: { kind: 'unsupported', offset: 6 } });
  });

  const malformed: Array<[string, string]> = [
    ['not a dict', "['descr', '<f4']"],
    ['unterminated string', "{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}"],
    ['a name instead of a literal (never evaluated)', "{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': (1,)}"],
    ['a call hidden in a tuple', "{'descr': '<f4', 'fortran_order': False, 'shape': (len('ab'),)}"],
    ['missing key', "{'descr': '<f4', 'shape': (1,)}"],
    ['an extra key', "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"],
    ['shape is a list', "{'descr': '<f4', 'fortran_order': False, 'shape': [1]}"],
    ['shape holds a float', "{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,)}"],
    ['shape past int64', "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775808,)}"],
    ['fortran_order is 0', "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"],
    ['descr is an int', "{'descr': 5, 'fortran_order': False, 'shape': (1,)}"],
    ['descr is bytes', "{'descr': b'|O', 'fortran_order': False, 'shape': (1,)}"],
    ['a field with four items', "{'descr': [('a', '<f4', (1,), 1)], 'fortran_order': False, 'shape': (1,)}"],
    ['trailing junk', "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk"],
    ['a NUL byte', "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\0"],
    ['brackets nested 300 deep', `{'descr': ${'['.repeat(300)}${']'.repeat(300)}, 'fortran_order': False, 'shape': (1,)}`],
  ];
  it.each(malformed)('malformed dict literal: %s', (_name, raw) => {
    const result = read(buildNpy({ descr: '', shape: [], rawHeader: raw }));
    expect(result).toMatchObject({ ok: false, error: { kind: 'malformed' } });
  });

  it('invalid UTF-8 in a version 3.0 header: malformed', () => {
    const bytes = buildNpy({ descr: '<f4', shape: [1], version: 3 });
    bytes[20] = 0xff;
    expect(read(bytes)).toMatchObject({ ok: false, error: { kind: 'malformed' } });
  });

  it('a malformed header reports the offset of the bad byte in the file', () => {
    const result = read(buildNpy({ descr: '', shape: [], rawHeader: "{'descr': x}" }));
    expect(result).toMatchObject({ ok: false, error: { kind: 'malformed', offset: 10 + 10 } });
  });

  it('shape (True, 2): Python counts a bool as an int, so numpy accepts it', () => {
    const raw = "{'descr': '<f4', 'fortran_order': False, 'shape': (True, 2)}";
    const result = read(buildNpy({ descr: '', shape: [], rawHeader: raw, data: Buffer.alloc(8) }));
    expect(result.ok && result.value).toMatchObject({ shape: [1, 2], dataBytes: 8, sizeMismatch: null });
  });
});

describe('readNpyHeader: headers near maxNpyHeader (1 MiB) stay linear', () => {
  const pad = (body: string): string => `${body}${' '.repeat(Math.max(0, (1 << 20) - body.length - 1))}\n`;
  const bodies: Array<[string, string]> = [
    ['a million trailing newlines', `{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}${'\n'.repeat((1 << 20) - 100)}`],
    ['a million comment lines', `{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}${'#\n'.repeat(500_000)}`],
    ['a 1 MiB descr string', pad(`{'descr': '${'x'.repeat((1 << 20) - 100)}', 'fortran_order': False, 'shape': (1,)}`)],
    ['a field that is a 1 MiB string', pad(`{'descr': ['${'O'.repeat((1 << 20) - 100)}'], 'fortran_order': False, 'shape': (1,)}`)],
    ['70,000 structured fields', pad(`{'descr': [${"('a', '<f4'), ".repeat(70_000)}], 'fortran_order': False, 'shape': (1,)}`)],
    ['a shape of 200,000 dimensions', pad(`{'descr': '<f4', 'fortran_order': False, 'shape': (${'1, '.repeat(200_000)})}`)],
    ['a million backslash escapes', pad(`{'descr': '${'\\x41'.repeat(200_000)}', 'fortran_order': False, 'shape': (1,)}`)],
  ];
  it.each(bodies)('%s', (_name, raw) => {
    const start = Date.now();
    const result = read(buildNpy({ descr: '', shape: [], version: 2, rawHeader: raw }));
    expect(result.ok || result.error.kind === 'malformed').toBe(true);
    expect(Date.now() - start).toBeLessThan(3000);
  });
});
