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
