import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, type ByteSource } from '../../../src/core/index.js';
import { parseChatTemplate, readGguf } from '../../../src/readers/gguf/index.js';
import { buildGguf, vocabulary } from '../../builders/gguf.js';

const MAX_MS = 2000;
const SAMPLES: Buffer[] = [
  buildGguf({ version: 3, kv: [['general.architecture', 'string', 'llama'], ['tokenizer.chat_template', 'string', '{{ messages[0].content }}'], ['a', 'array', ['array', [['int32', [1, 2]]]]], ['u', 'uint64', 5n]], tensors: [{ name: 'w', dims: [2, 2] }] }),
  buildGguf({ version: 1, kv: [['tokenizer.ggml.tokens', 'array', vocabulary(100)], ['f', 'float32', 1.5]], tensors: [{ name: 'x', dims: [3] }] }),
  buildGguf({ version: 2, bigEndian: true, kv: [['b', 'bool', true], ['s', 'string', 'hello']] }),
  buildGguf({ version: 3, kv: [['general.alignment', 'uint32', 64]], tensors: [{ name: 'q', dims: [256, 2], type: 12, offset: 0 }, { name: 'b', dims: [64], type: 30, offset: 320 }, { name: 'x', dims: [32], type: 40, offset: 448 }], dataBytes: 512 }),
];

/** A source that counts the bytes it hands out, to show that lying counts do not make the reader allocate. */
function counting(bytes: Buffer): { source: ByteSource; read: () => number } {
  let total = 0;
  const inner = bufferSource(bytes);
  return { source: { size: inner.size, read: (p, l) => { const b = inner.read(p, l); total += b.length; return b; } }, read: () => total };
}

function checkRead(bytes: Buffer): void {
  const start = Date.now();
  const result = readGguf(bufferSource(bytes));
  expect(Date.now() - start).toBeLessThan(MAX_MS);
  if (result.ok) {
    expect([1, 2, 3]).toContain(result.value.stop === null ? result.value.version : 1);
    expect(result.value.kv.size).toBeLessThanOrEqual(Math.max(result.value.kvCount, 0));
    const extent = result.value.tensorExtent;
    if (extent) {
      expect(extent.end >= BigInt(extent.dataOffset)).toBe(true);
      expect(extent.fileSize).toBe(bytes.length);
      expect((extent.furthest?.name.length ?? 0) <= 259).toBe(true);
    }
    for (const template of result.value.chatTemplates) if (template.text !== null) parseChatTemplate(template.text);
  } else {
    expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(result.error.kind);
  }
}

describe('readGguf under fuzz: never throws, bounded time and memory', () => {
  it('random bytes after the magic', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => checkRead(Buffer.concat([Buffer.from('GGUF'), tail]))), { numRuns: 2000 });
  });

  it('random bytes after a valid v3 header prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => checkRead(Buffer.concat([Buffer.from('GGUF\x03\0\0\0', 'latin1'), tail]))),
      { numRuns: 2000 },
    );
  });

  it('truncated valid files always stop, never read as complete', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.double({ min: 0, max: 1, noNaN: true }), (sample, fraction) => {
        const cut = Math.floor(sample.length * fraction);
        checkRead(sample.subarray(0, cut));
      }),
      { numRuns: 600 },
    );
    // Every cut inside the metadata of the first sample is a stop.
    const sample = SAMPLES[0]!;
    for (let cut = 8; cut < sample.length - 64; cut += 3) {
      const result = readGguf(bufferSource(sample.subarray(0, cut)));
      expect(result.ok && result.value.stop !== null).toBe(true);
    }
  });

  it('mutated valid files', () => {
    const mutation = fc.record({ at: fc.nat({ max: 300 }), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('set', 'insert', 'delete') });
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 6 }), (sample, mutations) => {
        let bytes = Buffer.from(sample);
        for (const { at, byte, op } of mutations) {
          const index = Math.min(bytes.length - 1, at);
          if (op === 'set') bytes[index] = byte;
          else if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, index), Buffer.from([byte]), bytes.subarray(index)]);
          else bytes = Buffer.concat([bytes.subarray(0, index), bytes.subarray(index + 1)]);
        }
        checkRead(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('huge declared counts read only the bytes that exist', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (tensors, kvs) => {
        const bytes = buildGguf({ kv: [['a', 'uint8', 1]], kvCount: kvs, tensorCount: tensors });
        const { source, read } = counting(bytes);
        const result = readGguf(source);
        expect(result.ok).toBe(true);
        expect(read()).toBeLessThanOrEqual(bytes.length + 8);
      }),
      { numRuns: 500 },
    );
  });

  it('random template text never throws out of the parser', () => {
    const alphabet = fc.constantFrom(...`{}%#-[]()'"\\x5f_.|~+ abcos\n`.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 200 }), (chars) => {
        const result = parseChatTemplate(chars.join(''));
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
