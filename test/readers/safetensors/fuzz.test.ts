import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS, type ByteSource } from '../../../src/core/index.js';
import detector from '../../../src/detectors/model/safetensors-header.js';
import { readSafetensorsHeader, sniffSafetensors } from '../../../src/readers/safetensors/index.js';
import { buildSafetensors, rawSafetensors } from '../../builders/safetensors.js';
import { runDetector } from '../../detectors/detector-tester.js';

const MAX_MS = 2000;
const SAMPLES: Buffer[] = [
  buildSafetensors({ tensors: { 'model.embed.weight': { dtype: 'BF16', shape: [4, 8] }, 'lm_head.bias': { dtype: 'F32', shape: [8] } }, metadata: { format: 'pt' } }),
  buildSafetensors({ tensors: { a: { dtype: 'F4', shape: [2, 2] }, b: { dtype: 'C64', shape: [] }, c: { dtype: 'BOOL', shape: [0] } } }),
  buildSafetensors({ tensors: {}, metadata: { url: 'https://example.com', code: 'import os' } }),
  rawSafetensors('{"a\\u00e9\\ud83d\\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"I64","shape":[1],"data_offsets":[1,9],"x":[{"y":null}]}}', Buffer.alloc(9)),
];

/** Every call returns a well-formed ReadResult in bounded time, and the detector runs on any header. */
function checkRead(bytes: Buffer, source: ByteSource = bufferSource(bytes)): void {
  const start = Date.now();
  sniffSafetensors(bytes.subarray(0, 4096), bytes.length);
  const result = readSafetensorsHeader(source, DEFAULT_LIMITS);
  if (result.ok) {
    const header = result.value;
    expect(header.dataStart).toBe(8 + header.headerLength);
    expect(header.dataStart + header.dataBytes).toBe(source.size);
    expect(header.problems.length).toBeLessThanOrEqual(1000);
    for (const problem of header.problems) expect(typeof problem.message).toBe('string');
    expect(() => JSON.stringify(header)).not.toThrow();
    const findings = runDetector(detector, { header, size: source.size });
    expect(findings.some((f) => f.messageId === 'internal-error')).toBe(false);
    // Never clean: a valid header says so, anything else is a finding.
    expect(findings.length).toBeGreaterThan(0);
  } else {
    expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(result.error.kind);
  }
  expect(Date.now() - start).toBeLessThan(MAX_MS);
}

describe('safetensors reader under fuzz: never throws, always a ReadResult, bounded time', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => checkRead(Buffer.from(bytes))), { numRuns: 1500 });
  });

  it('random header text after a correct length field', () => {
    const alphabet = fc.constantFrom(...'{}[]:,"\\ \n-+.0123456789eEabdfglnprstuxy_ABFIUCOSZ'.split(''), '__metadata__', '"dtype":', '"shape":', '"data_offsets":', '\\u', 'null', 'true');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 200 }), fc.uint8Array({ maxLength: 64 }), (parts, data) => {
        checkRead(rawSafetensors(parts.join(''), Buffer.from(data)));
      }),
      { numRuns: 3000 },
    );
  });

  it('truncated valid files', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.double({ min: 0, max: 1, noNaN: true }), (sample, fraction) => {
        checkRead(sample.subarray(0, Math.floor(sample.length * fraction)));
      }),
      { numRuns: 800 },
    );
  });

  it('mutated valid files', () => {
    const mutation = fc.record({ at: fc.nat({ max: 300 }), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('set', 'insert', 'delete') });
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 6 }), (sample, mutations) => {
        let bytes = Buffer.from(sample);
        for (const { at, byte, op } of mutations) {
          const index = Math.min(Math.max(0, bytes.length - 1), at);
          if (op === 'set') bytes[index] = byte;
          else if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, index), Buffer.from([byte]), bytes.subarray(index)]);
          else bytes = Buffer.concat([bytes.subarray(0, index), bytes.subarray(index + 1)]);
        }
        checkRead(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('names and metadata round-trip exactly through JSON.stringify (escapes, astral characters, controls)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 6 }), fc.uniqueArray(text.filter((n) => n !== '__metadata__'), { maxLength: 4 }), (metadata, names) => {
        const tensors = Object.fromEntries(names.map((name) => [name, { dtype: 'U8', shape: [1] }]));
        const header = readSafetensorsHeader(bufferSource(buildSafetensors({ tensors, metadata })), DEFAULT_LIMITS);
        expect(header.ok && header.value.problems).toEqual([]);
        if (!header.ok) return;
        expect(header.value.metadata?.map((e) => [e.key, e.value])).toEqual(Object.entries(metadata));
        expect(header.value.tensors.map((t) => t.name)).toEqual(Object.keys(tensors));
      }),
      { numRuns: 1000 },
    );
  });

  it('huge claims allocate nothing: lengths up to 2^64 - 1, shapes and offsets of any size', () => {
    const big = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    fc.assert(
      fc.property(big, (length) => {
        const head = Buffer.alloc(10);
        head.writeBigUInt64LE(length);
        head.write('{}', 8);
        // The claimed size is as large as the length says, but only 10 bytes exist: a read past them would throw.
        const size = Number(length > 2n ** 52n ? 2n ** 52n : length) + 10;
        const source: ByteSource = {
          size,
          read(position, want) {
            if (position + want > head.length) throw new Error(`read of ${want} bytes at ${position} on a sparse source`);
            return head.subarray(position, position + want);
          },
        };
        const result = readSafetensorsHeader(source, DEFAULT_LIMITS);
        if (length > 2n) expect(result.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(big, { maxLength: 8 }), big, big, fc.constantFrom('U8', 'F4', 'F64', 'C64', 'F6_E3M2'), (shape, begin, end, dtype) => {
        checkRead(rawSafetensors(`{"t":{"dtype":"${dtype}","shape":[${shape.join(',')}],"data_offsets":[${begin},${end}]}}`, Buffer.alloc(16)));
      }),
      { numRuns: 1000 },
    );
  });
});
