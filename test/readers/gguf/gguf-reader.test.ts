import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/index.js';
import { readGguf, sniffGguf, type GgufFile } from '../../../src/readers/gguf/index.js';
import { buildGguf, vocabulary, type BuildGgufOptions } from '../../builders/gguf.js';

const read = (options: BuildGgufOptions, limits = {}): GgufFile => {
  const result = readGguf(bufferSource(buildGguf(options)), limits);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};

const EVERY_TYPE: BuildGgufOptions['kv'] = [
  ['general.architecture', 'string', 'llama'],
  ['u8', 'uint8', 200], ['i8', 'int8', -5], ['u16', 'uint16', 65000], ['i16', 'int16', -300],
  ['u32', 'uint32', 4_000_000_000], ['i32', 'int32', -7], ['f32', 'float32', 0.5], ['b', 'bool', true],
  ['u64', 'uint64', 2n ** 63n], ['i64', 'int64', -(2n ** 40n)], ['f64', 'float64', 1.25],
  ['arr', 'array', ['int32', [1, 2, 3]]],
  ['nested', 'array', ['array', [['string', ['a', 'b']], ['uint8', [1]]]]],
];

describe('readGguf', () => {
  it('sniffs the magic', () => {
    expect(sniffGguf(Buffer.from('GGUF\x03\0\0\0'))).toBe(true);
    expect(sniffGguf(Buffer.from('GGML'))).toBe(false);
  });

  it.each([1, 2, 3] as const)('control: version %i reads every value type', (version) => {
    const file = read({ version, kv: EVERY_TYPE, tensors: [{ name: 'w', dims: [4, 4] }] });
    expect(file.stop).toBeNull();
    expect(file.problems).toEqual([]);
    expect(file.version).toBe(version);
    expect(file.kvCount).toBe(EVERY_TYPE.length);
    expect(file.tensorsRead).toBe(1);
    expect(file.kv.get('u8')?.value).toBe(200);
    expect(file.kv.get('i16')?.value).toBe(-300);
    expect(file.kv.get('u32')?.value).toBe(4_000_000_000);
    expect(file.kv.get('u64')?.value).toBe(2n ** 63n);
    expect(file.kv.get('i64')?.value).toBe(-(2n ** 40n));
    expect(file.kv.get('b')?.value).toBe(true);
    expect(file.kv.get('f64')?.value).toBe(1.25);
    expect(file.kv.get('arr')?.value).toEqual([1, 2, 3]);
    expect(file.kv.get('nested')?.value).toEqual([['a', 'b'], [1]]);
    expect(file.dataOffset! % 32).toBe(0);
  });

  it('control: a big-endian file reads the same', () => {
    const file = read({ version: 3, bigEndian: true, kv: EVERY_TYPE });
    expect(file.littleEndian).toBe(false);
    expect(file.stop).toBeNull();
    expect(file.kv.get('i16')?.value).toBe(-300);
  });

  it('collects every chat template, named', () => {
    const file = read({
      kv: [
        ['tokenizer.chat_template', 'string', '{{ x }}'],
        ['tokenizer.chat_template.tool_use', 'string', '{{ y }}'],
        ['tokenizer.chat_template.rag', 'uint8', 1],
      ],
    });
    expect(file.chatTemplates.map((t) => [t.name, t.text])).toEqual([['default', '{{ x }}'], ['tool_use', '{{ y }}'], ['rag', null]]);
    expect(file.chatTemplates[2]?.unreadable).toMatch(/uint8/);
  });

  it('a 150k-token vocabulary is skipped fast, not kept', () => {
    const bytes = buildGguf({ kv: [['tokenizer.ggml.tokens', 'array', vocabulary(150_000)], ['tokenizer.chat_template', 'string', 'x']] });
    const start = Date.now();
    const result = readGguf(bufferSource(bytes));
    expect(Date.now() - start).toBeLessThan(1000);
    expect(result.ok && result.value.kv.get('tokenizer.ggml.tokens')?.value).toEqual({ skipped: 'array', elementType: 'string', length: 150_000 });
    expect(result.ok && result.value.chatTemplates[0]?.text).toBe('x');
  });

  it('attack: a truncated file is a stop, with what came before kept', () => {
    const full = buildGguf({ kv: [['a', 'string', 'first'], ['tokenizer.chat_template', 'string', '{{ 1 }}'.repeat(20)]] });
    const file = readGguf(bufferSource(full.subarray(0, full.length - 80)));
    expect(file.ok && file.value.stop?.kind).toBe('truncated');
    expect(file.ok && file.value.kv.get('a')?.value).toBe('first');
  });

  it.each<[string, BuildGgufOptions, string]>([
    ['2^60 metadata pairs', { kv: [], kvCount: 2n ** 60n }, 'maxKvCount'],
    ['2^60 tensors', { kv: [], tensorCount: 2n ** 60n }, 'maxTensorCount'],
  ])('attack: a header claiming %s stops at the limit without allocating', (_name, options, limit) => {
    const file = read(options);
    expect(file.stop?.kind).toBe('limit');
    expect(file.stop?.limit).toBe(limit);
  });

  it('attack: a KV count the file cannot hold is truncated, found before the loop', () => {
    expect(read({ kv: [], kvCount: 60_000n }).stop?.kind).toBe('truncated');
  });

  it('attack: a string length of 2^63 is truncated before allocation', () => {
    const bytes = buildGguf({ kv: [['k', 'string', 'abc']] });
    // Offset of the value's length: magic+version+2 counts (24) + key length (8) + key (1) + type (4).
    bytes.writeBigUInt64LE(2n ** 63n, 24 + 8 + 1 + 4);
    const file = readGguf(bufferSource(bytes));
    expect(file.ok && file.value.stop?.kind).toBe('truncated');
  });

  it('attack: an array of 2^40 elements is over maxArrayLength', () => {
    const bytes = buildGguf({ kv: [['k', 'array', ['uint8', [1]]]] });
    bytes.writeBigUInt64LE(2n ** 40n, 24 + 8 + 1 + 4 + 4);
    const file = readGguf(bufferSource(bytes));
    expect(file.ok && file.value.stop?.limit).toBe('maxArrayLength');
  });

  it('attack: arrays nested deeper than maxArrayNesting stop (CWE-674)', () => {
    let value: [import('../../../src/readers/gguf/index.js').GgufType, unknown[]] = ['uint8', [1]];
    for (let i = 0; i < 10; i++) value = ['array', [value]];
    const file = read({ kv: [['deep', 'array', value as never]] });
    expect(file.stop?.limit).toBe('maxArrayNesting');
  });

  it('attack: an over-limit string is skipped unread and recorded', () => {
    const file = read({ kv: [['tokenizer.chat_template', 'string', 'x'.repeat(5000)], ['after', 'uint8', 1]] }, { maxStringLength: 1000 });
    expect(file.stop).toBeNull();
    expect(file.problems.map((p) => p.limit)).toEqual(['maxStringLength']);
    expect(file.chatTemplates[0]?.text).toBeNull();
    expect(file.kv.get('after')?.value).toBe(1);
  });

  it('attack: a duplicated chat template key is a problem', () => {
    const file = read({ kv: [['tokenizer.chat_template', 'string', 'a'], ['tokenizer.chat_template', 'string', 'b']] });
    expect(file.problems[0]?.key).toBe('tokenizer.chat_template');
    expect(file.chatTemplates.map((t) => t.text)).toEqual(['a', 'b']);
  });

  it('attack: an unknown value type and a tensor with 9 dims are malformed', () => {
    const bytes = buildGguf({ kv: [['k', 'uint8', 1]] });
    bytes.writeUInt32LE(99, 24 + 8 + 1);
    expect(readGguf(bufferSource(bytes)).ok && (readGguf(bufferSource(bytes)) as { value: GgufFile }).value.stop?.kind).toBe('malformed');
    expect(read({ kv: [], tensors: [{ name: 't', dims: [1, 1, 1, 1, 1, 1, 1, 1, 1] }] }).stop?.kind).toBe('malformed');
  });

  it('unsupported versions and non-GGUF bytes', () => {
    expect(read({ version: 7, kv: [] }).stop?.kind).toBe('unsupported');
    const notGguf = readGguf(bufferSource(Buffer.from('hello world')));
    expect(notGguf.ok ? 'ok' : notGguf.error.kind).toBe('malformed');
    const cut = readGguf(bufferSource(Buffer.from('GG')));
    expect(cut.ok ? 'ok' : cut.error.kind).toBe('truncated');
  });
});

describe('readGguf: the extent of the tensor data', () => {
  it('places every tensor from its type and dims: the furthest one, and where the data starts', () => {
    const file = read({ kv: [], tensors: [{ name: 'a', dims: [32, 4], type: 8, offset: 0 }, { name: 'b', dims: [16], type: 30, offset: 192 }, { name: 'c', dims: [4], type: 0, offset: 160 }], dataBytes: 224 });
    // Q8_0: 128 elements = 4 blocks x 34 bytes at 0; F32: 4 x 4 bytes at 160; BF16: 16 x 2 bytes at 192.
    expect(file.tensorExtent).toMatchObject({ end: BigInt(file.dataOffset!) + 224n, unsized: 0, furthest: { index: 1, name: 'b', type: 'BF16', dims: '[16]', offset: 192n, bytes: 32n } });
    expect(file.tensorExtent?.fileSize).toBe(file.dataOffset! + 224);
  });
  it('is absent when the tensor infos were not all read', () => {
    const bytes = buildGguf({ kv: [], tensors: [{ name: 'w', dims: [2] }] });
    const result = readGguf(bufferSource(bytes.subarray(0, 40)));
    expect(result.ok && result.value.tensorExtent).toBeNull();
  });
  it('keeps at most 256 bytes of a long tensor name for evidence', () => {
    const file = read({ kv: [], tensors: [{ name: 'n'.repeat(5000), dims: [1] }] });
    expect(file.tensorExtent?.furthest?.name).toBe(`${'n'.repeat(256)}...`);
  });
});
