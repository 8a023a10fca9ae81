import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS, type ByteSource } from '../../../src/core/index.js';
import { readSafetensorsHeader, sniffSafetensors, type SafetensorsHeader, type SafetensorsProblemKind } from '../../../src/readers/safetensors/index.js';
import { buildSafetensors, rawSafetensors } from '../../builders/safetensors.js';

function read(bytes: Buffer): SafetensorsHeader {
  const result = readSafetensorsHeader(bufferSource(bytes), DEFAULT_LIMITS);
  if (!result.ok) throw new Error(`unexpected failure: ${result.error.message}`);
  return result.value;
}

const kinds = (bytes: Buffer): SafetensorsProblemKind[] => read(bytes).problems.map((p) => p.kind);

const F32_2x2 = { dtype: 'F32', shape: [2, 2] };

describe('the builder writes what the reference writer writes', () => {
  // Expected bytes copied from the reference's own tests (safetensors/src/tensor.rs: test_serialization, test_empty).
  it('one F32 tensor [1, 2, 3] (test_serialization)', () => {
    const data = Buffer.alloc(24);
    [0, 1, 2, 3, 4, 5].forEach((v, i) => data.writeFloatLE(v, i * 4));
    const expected = Buffer.from([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97,
      112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125,
      0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect(buildSafetensors({ tensors: { 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data } } })).toEqual(expected);
  });
  it('no tensors, with and without metadata (test_empty)', () => {
    expect(buildSafetensors({ tensors: {} })).toEqual(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]));
    const withMetadata = buildSafetensors({ tensors: {}, metadata: { framework: 'pt' } });
    expect(withMetadata.readBigUInt64LE(0)).toBe(40n);
    expect(withMetadata.subarray(8).toString()).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });
});

describe('readSafetensorsHeader: valid files', () => {
  it('reads tensors, metadata and padding of a well-formed file', () => {
    const header = read(buildSafetensors({ tensors: { a: F32_2x2, b: { dtype: 'BF16', shape: [3] } }, metadata: { format: 'pt' } }));
    expect(header.problems).toEqual([]);
    expect(header.tensors.map((t) => [t.name, t.dtype, t.shape, t.dataOffsets, t.expectedBytes])).toEqual([
      ['a', 'F32', [2, 2], [0, 16], 16],
      ['b', 'BF16', [3], [16, 22], 6],
    ]);
    expect(header.metadata).toEqual([{ key: 'format', value: 'pt', offset: 25 }]);
    expect(header.dataStart).toBe(8 + header.headerLength);
    expect(header.dataBytes).toBe(22);
    expect(header.padding).toBeLessThan(8);
    expect(header.headerLength % 8).toBe(0);
  });
  it('an empty file ({} and padding) and a scalar tensor (shape []) are valid', () => {
    expect(kinds(buildSafetensors({ tensors: {} }))).toEqual([]);
    expect(kinds(buildSafetensors({ tensors: { s: { dtype: 'F64', shape: [] } } }))).toEqual([]);
  });
  it('tensors listed out of offset order are valid (the reference sorts by offsets)', () => {
    const bytes = buildSafetensors({
      tensors: { late: { dtype: 'U8', shape: [4], dataOffsets: [4, 8] }, early: { dtype: 'U8', shape: [4], dataOffsets: [0, 4] } },
    });
    expect(kinds(bytes)).toEqual([]);
  });
  it('zero-size tensors at the cursor are valid', () => {
    expect(kinds(buildSafetensors({ tensors: { empty: { dtype: 'F32', shape: [0, 5] }, a: F32_2x2 } }))).toEqual([]);
  });
  it('newer dtypes: sub-byte F4 / F6 that fill whole bytes, F8_E8M0, C64', () => {
    const bytes = buildSafetensors({
      tensors: { f4: { dtype: 'F4', shape: [4] }, f6: { dtype: 'F6_E2M3', shape: [4] }, e8: { dtype: 'F8_E8M0', shape: [3] }, c: { dtype: 'C64', shape: [1] } },
    });
    expect(kinds(bytes)).toEqual([]);
  });
  it('trailing JSON whitespace of any kind is padding, as serde_json reads it', () => {
    const header = read(rawSafetensors('{}\n\t \r '));
    expect(header.problems).toEqual([]);
    expect(header.padding).toBe(5);
  });
  it('escapes in names decode (\\u0041 is A, surrogate pairs join)', () => {
    const header = read(rawSafetensors('{"\\u0041\\ud83d\\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', Buffer.alloc(1)));
    expect(header.problems).toEqual([]);
    expect(header.tensors[0]?.name).toBe('A\u{1f600}');
  });
  it('__metadata__: null is accepted (serde reads it as None)', () => {
    expect(read(rawSafetensors('{"__metadata__":null}')).problems).toEqual([]);
  });
});

describe('readSafetensorsHeader: each problem, next to its control', () => {
  const cases: [string, Buffer, SafetensorsProblemKind[]][] = [
    ['overlap: two tensors share bytes', buildSafetensors({ tensors: { a: { dtype: 'U8', shape: [4], dataOffsets: [0, 4] }, b: { dtype: 'U8', shape: [4], dataOffsets: [2, 6] } }, trailing: Buffer.alloc(0) }), ['overlap', 'trailing-bytes']],
    ['overlap: a tensor aliases another one exactly', buildSafetensors({ tensors: { a: { dtype: 'U8', shape: [4], dataOffsets: [0, 4] }, b: { dtype: 'U8', shape: [4], dataOffsets: [0, 4], data: Buffer.alloc(0) } } }), ['overlap']],
    ['gap: bytes between tensors belong to none', buildSafetensors({ tensors: { a: { dtype: 'U8', shape: [4], dataOffsets: [0, 4] }, b: { dtype: 'U8', shape: [4], dataOffsets: [8, 12], data: Buffer.alloc(8) } } }), ['gap']],
    ['gap: the first tensor does not start at 0', buildSafetensors({ tensors: { a: { dtype: 'U8', shape: [4], dataOffsets: [4, 8], data: Buffer.alloc(8) } } }), ['gap']],
    ['trailing bytes after the last tensor (hidden payload)', buildSafetensors({ tensors: { a: F32_2x2 }, trailing: Buffer.from('import os; os.system("id")') }), ['trailing-bytes']],
    ['missing bytes: the last tensor ends past the file', buildSafetensors({ tensors: { a: { ...F32_2x2, dataOffsets: [0, 16], data: Buffer.alloc(8) } } }), ['missing-bytes']],
    ['size mismatch: shape says 16 bytes, offsets say 8', buildSafetensors({ tensors: { a: { ...F32_2x2, dataOffsets: [0, 8], data: Buffer.alloc(8) } } }), ['size-mismatch']],
    ['size mismatch: sub-byte tensor that does not fill whole bytes', buildSafetensors({ tensors: { a: { dtype: 'F4', shape: [3], dataOffsets: [0, 2], data: Buffer.alloc(2) } } }), ['size-mismatch']],
    ['unknown dtype', buildSafetensors({ tensors: { a: { dtype: 'F128', shape: [1], dataOffsets: [0, 16], data: Buffer.alloc(16) } } }), ['unknown-dtype']],
    ['end before begin', buildSafetensors({ tensors: { a: { dtype: 'U8', shape: [0], dataOffsets: [4, 0] } } }), ['invalid-tensor']],
    ['negative dimension', rawSafetensors('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'), ['invalid-tensor']],
    ['fractional dimension (JSON.parse would read 2.0 as 2)', rawSafetensors('{"a":{"dtype":"U8","shape":[2.0],"data_offsets":[0,2]}}', Buffer.alloc(2)), ['invalid-tensor']],
    ['exponent dimension', rawSafetensors('{"a":{"dtype":"U8","shape":[2e0],"data_offsets":[0,2]}}', Buffer.alloc(2)), ['invalid-tensor']],
    ['dimension past 2^64 - 1', rawSafetensors('{"a":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,0]}}'), ['invalid-tensor']],
    ['string dimension', rawSafetensors('{"a":{"dtype":"U8","shape":["2"],"data_offsets":[0,2]}}', Buffer.alloc(2)), ['invalid-tensor']],
    ['data_offsets of three entries', rawSafetensors('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2,4]}}', Buffer.alloc(2)), ['invalid-tensor', 'trailing-bytes']],
    ['missing data_offsets', rawSafetensors('{"a":{"dtype":"U8","shape":[2]}}', Buffer.alloc(2)), ['invalid-tensor', 'trailing-bytes']],
    ['a tensor entry that is not an object', rawSafetensors('{"a":[1,2]}'), ['invalid-tensor']],
    ['dtype that is not a string', rawSafetensors('{"a":{"dtype":8,"shape":[0],"data_offsets":[0,0]}}'), ['invalid-tensor']],
    ['duplicate tensor name (JSON.parse keeps the last)', rawSafetensors('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', Buffer.alloc(2)), ['duplicate-name']],
    ['duplicate field inside an entry', rawSafetensors('{"a":{"dtype":"U8","dtype":"F32","shape":[2],"data_offsets":[0,2]}}', Buffer.alloc(2)), ['duplicate-key', 'size-mismatch']],
    ['duplicate __metadata__', rawSafetensors('{"__metadata__":{},"__metadata__":{"x":"y"}}'), ['duplicate-name']],
    ['duplicate metadata key', rawSafetensors('{"__metadata__":{"k":"a","k":"b"}}'), ['duplicate-key']],
    ['metadata value that is not a string', rawSafetensors('{"__metadata__":{"k":1}}'), ['invalid-metadata']],
    ['metadata that is not an object', rawSafetensors('{"__metadata__":"x"}'), ['invalid-metadata']],
    ['unexpected field the reference ignores', rawSafetensors('{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"payload":"import os"}}'), ['unexpected-key']],
    ['not JSON', rawSafetensors('{"a":'), ['invalid-header']],
    ['trailing comma (JSON5, not JSON)', rawSafetensors('{"__metadata__":{},}'), ['invalid-header']],
    ['a JSON array, not an object', rawSafetensors('[]'), ['invalid-header']],
    ['bytes after the object that are not whitespace', rawSafetensors('{}x'), ['invalid-header']],
    ['NUL padding instead of spaces', rawSafetensors(Buffer.from('{}\0\0\0\0\0\0')), ['invalid-header']],
    ['leading whitespace before {', rawSafetensors('  {}'), ['invalid-header']],
    ['a UTF-8 byte-order mark', rawSafetensors(Buffer.from('\ufeff{}')), ['invalid-header']],
    ['invalid UTF-8', rawSafetensors(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), ['invalid-header']],
    ['a lone surrogate escape (JSON.parse accepts it, serde does not)', rawSafetensors('{"\\ud800":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), ['invalid-header']],
    ['an unescaped control character in a name', rawSafetensors('{"a\u0001":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), ['invalid-header']],
    ['nesting past serde_json\'s recursion limit', rawSafetensors(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"x":${'['.repeat(200)}${']'.repeat(200)}}}`), ['invalid-header']],
  ];
  it.each(cases)('%s', (_name, bytes, expected) => {
    expect(kinds(bytes)).toEqual(expected);
  });

  it('the last of two duplicate entries is the one kept (what JSON.parse does), and the first is named', () => {
    const header = read(rawSafetensors('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', Buffer.alloc(4)));
    expect(header.tensors).toHaveLength(1);
    expect(header.tensors[0]?.dtype).toBe('F32');
    expect(header.problems[0]?.message).toContain('first at byte 9');
  });
  it('an overflow in the shape product is a size mismatch, even when a later 0 would zero it', () => {
    const header = read(rawSafetensors('{"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}'));
    expect(header.problems.map((p) => p.kind)).toEqual(['size-mismatch']);
    expect(header.problems[0]?.message).toContain('overflows');
  });
  it('offsets past 2^53 are compared exactly, not rounded', () => {
    // 2^53 and 2^53 + 1 are the same double: JSON.parse would see an empty tensor here.
    const header = read(rawSafetensors('{"a":{"dtype":"U8","shape":[1],"data_offsets":[9007199254740992,9007199254740993]}}'));
    expect(header.problems.map((p) => p.kind)).toEqual(['gap', 'missing-bytes']);
  });
  it('every problem of a file is reported, not only the first', () => {
    const bytes = rawSafetensors('{"a":{"dtype":"X1","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[2],"data_offsets":[5,6]}}', Buffer.alloc(9));
    // The first "a" (with its unknown dtype) is replaced by the second, as JSON.parse would do.
    expect(kinds(bytes)).toEqual(['invalid-tensor', 'duplicate-name', 'size-mismatch', 'gap', 'trailing-bytes']);
  });
  it('problems past the cap are counted, not kept', () => {
    const tensors: Record<string, { dtype: string; shape: number[]; dataOffsets: [number, number]; data: Buffer }> = {};
    for (let i = 0; i < 20; i++) tensors[`t${i}`] = { dtype: 'X', shape: [1], dataOffsets: [0, 0], data: Buffer.alloc(0) };
    const result = readSafetensorsHeader(bufferSource(buildSafetensors({ tensors })), DEFAULT_LIMITS, { maxProblems: 5 });
    expect(result.ok && [result.value.problems.length, result.value.problemsOmitted]).toEqual([5, 15]);
  });
});

describe('readSafetensorsHeader: limits and unreadable files fail, before allocating', () => {
  /** A source that claims a size and fails the test if more than `budget` bytes are requested. */
  function meteredSource(bytes: Buffer, size: number, budget: number): ByteSource {
    return {
      size,
      read(position, length) {
        if (length > budget) throw new Error(`read of ${length} bytes requested`);
        return bytes.subarray(position, position + length);
      },
    };
  }
  it('a header claiming 2^60 bytes fails with a limit, reading only the length field', () => {
    const bytes = Buffer.concat([Buffer.from('0000000000000010', 'hex'), Buffer.from('{}')]);
    const result = readSafetensorsHeader(meteredSource(bytes, 2 ** 62, 8), DEFAULT_LIMITS);
    expect(result).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxHeaderBytes' } });
  });
  it('a header just over 100 MB (the reference limit) fails; the limit can be lowered', () => {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(100_000_001n);
    expect(readSafetensorsHeader(meteredSource(length, 200_000_000, 8), DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { kind: 'limit' } });
    const small = buildSafetensors({ tensors: { a: F32_2x2 } });
    expect(readSafetensorsHeader(bufferSource(small), DEFAULT_LIMITS, { maxHeaderBytes: 16 })).toMatchObject({ ok: false, error: { kind: 'limit' } });
  });
  it('a header longer than the file is truncated', () => {
    expect(readSafetensorsHeader(bufferSource(buildSafetensors({ tensors: {}, headerLengthOverride: 1000 })), DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { kind: 'truncated' } });
    expect(readSafetensorsHeader(bufferSource(Buffer.from([2, 0, 0])), DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { kind: 'truncated' } });
  });
  it('too many tensors, too many dimensions, too many metadata entries: limit failures', () => {
    const many = buildSafetensors({ tensors: Object.fromEntries([0, 1, 2, 3].map((i) => [`t${i}`, { dtype: 'U8', shape: [1] }])) });
    expect(readSafetensorsHeader(bufferSource(many), DEFAULT_LIMITS, { maxTensors: 3 })).toMatchObject({ ok: false, error: { limit: 'maxTensors' } });
    const deep = buildSafetensors({ tensors: { a: { dtype: 'U8', shape: Array(65).fill(1) } } });
    expect(readSafetensorsHeader(bufferSource(deep), DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { limit: 'maxShapeRank' } });
    const meta = buildSafetensors({ tensors: {}, metadata: { a: '1', b: '2', c: '3' } });
    expect(readSafetensorsHeader(bufferSource(meta), DEFAULT_LIMITS, { maxMetadataEntries: 2 })).toMatchObject({ ok: false, error: { limit: 'maxMetadataEntries' } });
  });
  it('a huge shape allocates nothing: its size is computed, never the tensor', () => {
    const header = read(rawSafetensors('{"a":{"dtype":"U8","shape":[1000000000,1000000000],"data_offsets":[0,1000000000000000000]}}'));
    expect(header.problems.map((p) => p.kind)).toEqual(['missing-bytes']);
    expect(header.tensors[0]?.expectedBytes).toBe(1e18);
    // 10^18 F64 elements are 6.4 * 10^19 bits: past 2^64, which the reference refuses as an overflow.
    const overflow = read(rawSafetensors('{"a":{"dtype":"F64","shape":[1000000000,1000000000],"data_offsets":[0,8000000000000000000]}}'));
    expect(overflow.problems.map((p) => p.kind)).toEqual(['size-mismatch', 'missing-bytes']);
  });
  it('a never-ending stream of duplicate metadata keys is bounded by the entry limit', () => {
    const body = Array.from({ length: 50 }, () => '"k":"v"').join(',');
    const result = readSafetensorsHeader(bufferSource(rawSafetensors(`{"__metadata__":{${body}}}`)), DEFAULT_LIMITS, { maxMetadataEntries: 10 });
    expect(result).toMatchObject({ ok: false, error: { limit: 'maxMetadataEntries' } });
  });
});

describe('sniffSafetensors', () => {
  const sniff = (bytes: Buffer) => sniffSafetensors(bytes.subarray(0, 4096), bytes.length);
  it('matches real headers, with or without tensors, and leading whitespace the reference reads', () => {
    expect(sniff(buildSafetensors({ tensors: { a: F32_2x2 } }))).toBe(true);
    expect(sniff(buildSafetensors({ tensors: {} }))).toBe(true);
    expect(sniff(rawSafetensors(' \n{ "a": 1}'))).toBe(true);
  });
  it('matches a header whose length is over the limit or past the end (so the reader can report it)', () => {
    expect(sniff(buildSafetensors({ tensors: { a: F32_2x2 }, headerLengthOverride: 2n ** 40n }))).toBe(true);
  });
  it('does not match text, JSON, other formats, or implausible lengths', () => {
    expect(sniff(Buffer.from('var x = {"a": 1}'))).toBe(false);
    expect(sniff(Buffer.from('{"a": {"b": 1}}'))).toBe(false);
    expect(sniff(Buffer.from('\x93NUMPY\x01\x00v\x00{"descr"', 'latin1'))).toBe(false);
    expect(sniff(buildSafetensors({ tensors: { a: F32_2x2 }, headerLengthOverride: 2n ** 60n }))).toBe(false);
    expect(sniff(buildSafetensors({ tensors: {}, headerLengthOverride: 1 }))).toBe(false);
    expect(sniff(rawSafetensors('{x}'))).toBe(false);
    expect(sniff(Buffer.alloc(9))).toBe(false);
  });
  it('random bytes almost never match', () => {
    let hits = 0;
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 20_000; i++) {
      const bytes = Buffer.from(Array.from({ length: 16 }, random));
      if (sniff(bytes)) hits++;
    }
    expect(hits).toBe(0);
  });
});
