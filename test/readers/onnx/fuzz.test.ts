import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, type ByteSource } from '../../../src/core/byte-source.js';
import detector from '../../../src/detectors/model/onnx-graph.js';
import { readOnnxModel, sniffOnnx } from '../../../src/readers/protobuf/index.js';
import { buildOnnx, pb } from '../../builders/protobuf.js';
import { runDetector } from '../../detectors/detector-tester.js';

const MAX_MS = 2000;
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/onnx/${name}`, import.meta.url));
const SAMPLES: Buffer[] = [
  fixture('benign-add-relu.onnx'),
  fixture('external-data-traversal.onnx'),
  buildOnnx({
    metadata: { note: 'https://example.com import os' },
    opsets: [{ version: 13 }, { domain: 'custom.ops', version: 1 }],
    functions: [{ name: 'F', domain: 'local', nodes: [{ op: 'Relu' }] }],
    graph: {
      name: 'g',
      nodes: [{ op: 'If', name: 'if', graphs: { then_branch: { nodes: [{ op: 'Evil', domain: 'custom.ops', tensors: { value: { name: 'k', dims: [2], external: { location: '/etc/passwd' } } } }] } } }],
      initializers: [{ name: 'f', dims: [2], floatData: [1, 2] }],
    },
  }),
];

function check(bytes: Buffer, source: ByteSource = bufferSource(bytes)): void {
  const start = Date.now();
  sniffOnnx(source);
  const result = readOnnxModel(source);
  if (result.ok) {
    expect(() => JSON.stringify(result.value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).not.toThrow();
    const findings = runDetector(detector, { model: result.value, size: source.size });
    expect(findings.some((f) => f.messageId === 'internal-error')).toBe(false);
    expect(findings.length).toBeGreaterThan(0);
  } else {
    expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(result.error.kind);
  }
  expect(Date.now() - start).toBeLessThan(MAX_MS);
}

describe('ONNX reader under fuzz: never throws, always a ReadResult, bounded time', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => check(Buffer.from(bytes))), { numRuns: 2000 });
  });

  it('random sequences of plausible fields', () => {
    const field = fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 30 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([n, v]) => pb.varint(n, v)),
      fc.tuple(fc.integer({ min: 1, max: 30 }), fc.uint8Array({ maxLength: 40 })).map(([n, b]) => pb.bytes(n, Buffer.from(b))),
      fc.tuple(fc.integer({ min: 1, max: 30 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([n, v]) => pb.lying(n, v)),
      fc.constantFrom(...SAMPLES.map((s) => pb.message(7, [s]))),
    );
    fc.assert(fc.property(fc.array(field, { maxLength: 12 }), (fields) => check(Buffer.concat([pb.varint(1, 8), ...fields]))), { numRuns: 2000 });
  });

  it('truncated valid models', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.double({ min: 0, max: 1, noNaN: true }), (sample, fraction) => check(sample.subarray(0, Math.floor(sample.length * fraction)))),
      { numRuns: 1000 },
    );
  });

  it('mutated valid models', () => {
    const mutation = fc.record({ at: fc.nat({ max: 600 }), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('set', 'insert', 'delete') });
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 6 }), (sample, mutations) => {
        let bytes = Buffer.from(sample);
        for (const { at, byte, op } of mutations) {
          const index = Math.min(Math.max(0, bytes.length - 1), at);
          if (op === 'set') bytes[index] = byte;
          else if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, index), Buffer.from([byte]), bytes.subarray(index)]);
          else bytes = Buffer.concat([bytes.subarray(0, index), bytes.subarray(index + 1)]);
        }
        check(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('a length prefix claiming 2^60 bytes allocates nothing', () => {
    const bytes = Buffer.concat([pb.varint(1, 8), pb.lying(7, 2n ** 60n)]);
    const source: ByteSource = {
      size: bytes.length,
      read(position, length) {
        if (length > 1 << 20) throw new Error(`read of ${length} bytes`);
        return bytes.subarray(position, position + length);
      },
    };
    expect(sniffOnnx(source)).toBe(false);
    const result = readOnnxModel(source);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.kind).toBe('truncated');
  });
});
