import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/index.js';
import detector from '../../../src/detectors/model/gguf-header.js';
import { readGguf } from '../../../src/readers/gguf/index.js';
import { buildGguf, type BuildGgufOptions } from '../../builders/gguf.js';
import { brief, runDetector } from '../detector-tester.js';

const findings = (bytes: Buffer, limits = {}) => {
  const file = readGguf(bufferSource(bytes), limits);
  if (!file.ok) throw new Error(file.error.message);
  return runDetector(detector, { file: file.value, size: bytes.length });
};
const build = (options: Partial<BuildGgufOptions>) => buildGguf({ kv: [['general.architecture', 'string', 'llama']], ...options });

describe('model/gguf-header', () => {
  it('control: a valid file is one info summary with its counts', () => {
    const result = findings(build({ tensors: [{ name: 'w', dims: [2] }] }));
    expect(brief(result)).toEqual(['summary:info']);
    expect(result[0]?.message).toContain('1 metadata pairs, 1 tensors');
  });
  it('attack: truncated metadata is high', () => {
    const bytes = build({ kv: [['a', 'string', 'x'.repeat(100)]] });
    expect(brief(findings(bytes.subarray(0, 60)))).toEqual(['stopped:high']);
  });
  it('attack: truncated tensor infos are medium (all metadata was read)', () => {
    const bytes = build({ tensors: [{ name: 'w', dims: [2] }], dataBytes: 0 });
    expect(brief(findings(bytes.subarray(0, bytes.length - 40)))).toEqual(['stopped:medium']);
  });
  it('attack: a header claiming 2^60 pairs is high, over maxKvCount', () => {
    const result = findings(build({ kvCount: 2n ** 60n }));
    expect(brief(result)).toEqual(['stopped:high']);
    expect(result[0]?.evidence.rule).toBe('maxKvCount');
  });
  it('attack: an over-limit string is medium', () => {
    expect(brief(findings(build({ kv: [['x', 'string', 'y'.repeat(200)]] }), { maxStringLength: 100 }))).toEqual(['problem:medium']);
  });
  it('attack: a duplicated chat template key is high', () => {
    const bytes = build({ kv: [['tokenizer.chat_template', 'string', 'a'], ['tokenizer.chat_template', 'string', 'b']] });
    expect(brief(findings(bytes))).toEqual(['duplicateTemplate:high']);
  });
  it('attack: an unsupported version is high', () => {
    expect(brief(findings(build({ version: 9 })))).toEqual(['stopped:high']);
  });
});

describe('model/gguf-header: tensor data must fit in the file', () => {
  // buildGguf pads the tensor infos to 32 bytes and appends `dataBytes` of data.
  const q4k = (dataBytes: number, offset = 0) => build({ tensors: [{ name: 'blk.0.ffn_up.weight', dims: [256, 2], type: 12, offset }], dataBytes });
  it('control: Q4_K data of exactly 2 blocks x 144 bytes fits', () => {
    expect(brief(findings(q4k(288)))).toEqual(['summary:info']);
  });
  it('attack: one byte short is medium, with the numbers as evidence', () => {
    const result = findings(q4k(287));
    expect(brief(result)).toEqual(['dataPastEnd:medium']);
    expect(result[0]?.message).toContain('(1 missing): tensor "blk.0.ffn_up.weight" (Q4_K [256, 2], 288 bytes at data offset 0)');
    expect(result[0]?.evidence.details).toMatchObject({ tensor: 'blk.0.ffn_up.weight', type: 'Q4_K', tensorBytes: '288', tensorOffset: '0' });
  });
  it('attack: a cut download keeps its tensor infos but loses the data', () => {
    const bytes = build({ tensors: [{ name: 'token_embd.weight', dims: [4096, 32000], type: 1 }], dataBytes: 1024 });
    const [finding] = findings(bytes);
    expect(finding?.messageId).toBe('dataPastEnd');
    expect(finding?.evidence.details).toMatchObject({ tensorBytes: String(4096 * 32000 * 2), fileSize: bytes.length });
  });
  it('attack: a data offset near 2^64 that would wrap a 64-bit pointer is caught exactly', () => {
    const bytes = build({ tensors: [{ name: 'w', dims: [8], offset: Number(2n ** 53n) }], dataBytes: 32 });
    expect(brief(findings(bytes))).toEqual(['dataPastEnd:medium']);
  });
  it('attack: dims whose product overflows 64 bits are caught exactly (no wrap-around)', () => {
    const bytes = build({ tensors: [{ name: 'w', dims: [2 ** 32, 2 ** 32, 2 ** 32] }], dataBytes: 32 });
    const [finding] = findings(bytes);
    expect(finding?.messageId).toBe('dataPastEnd');
    expect(BigInt(String(finding?.evidence.details?.tensorBytes))).toBe(2n ** 96n * 4n);
  });
  it('the furthest tensor is named, wherever it is in the list', () => {
    const bytes = build({ tensors: [{ name: 'far', dims: [64], offset: 1024 }, { name: 'near', dims: [8], offset: 0 }], dataBytes: 512 });
    expect(findings(bytes)[0]?.evidence.details).toMatchObject({ tensor: 'far', tensorIndex: 0 });
  });
  it('a type whose block is not a whole number of elements is a problem loaders reject', () => {
    expect(brief(findings(build({ tensors: [{ name: 'w', dims: [100], type: 2 }], dataBytes: 512 })))).toEqual(['problem:medium']);
  });
  it('a ggml type without a known size is low: its data was not placed', () => {
    const result = findings(build({ tensors: [{ name: 'w', dims: [32], type: 41 }], dataBytes: 512 }));
    expect(brief(result)).toEqual(['unsizedTypes:low']);
    expect(result[0]?.evidence.details).toMatchObject({ unsized: 1, types: '41' });
  });
});
