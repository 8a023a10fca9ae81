import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, type ByteSource } from '../../../src/core/byte-source.js';
import detector from '../../../src/detectors/model/savedmodel-ops.js';
import { readTensorflowGraph, sniffGraphDef, sniffSavedModel } from '../../../src/readers/protobuf/index.js';
import { buildGraphDef, buildSavedModel, pb, SAVER_FUNCTION } from '../../builders/protobuf.js';
import { runDetector } from '../../detectors/detector-tester.js';

const MAX_MS = 2000;
const SAMPLES: Buffer[] = [
  buildSavedModel({ metaGraphs: [{ nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'p', op: 'PyFunc' }], functions: [SAVER_FUNCTION] }] }),
  buildGraphDef({ nodes: [{ name: 'r', op: 'ReadFile', inputs: ['a'], device: '/cpu:0' }], functions: [{ name: 'f', nodes: [{ name: 'w', op: 'WriteFile' }] }] }),
];

function check(bytes: Buffer, source: ByteSource = bufferSource(bytes)): void {
  const start = Date.now();
  const kinds = [sniffSavedModel(source) ? 'saved-model' : null, sniffGraphDef(source) ? 'graph-def' : null];
  for (const kind of ['saved-model', 'graph-def'] as const) {
    const result = readTensorflowGraph(source, kind);
    if (result.ok) {
      const findings = runDetector(detector, { graph: result.value, size: source.size });
      expect(findings.some((f) => f.messageId === 'internal-error')).toBe(false);
      expect(findings.length).toBeGreaterThan(0);
    } else {
      expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(result.error.kind);
    }
  }
  expect(kinds.filter(Boolean).length).toBeLessThanOrEqual(1);
  expect(Date.now() - start).toBeLessThan(MAX_MS);
}

describe('TensorFlow graph reader under fuzz: never throws, bounded time', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => check(Buffer.from(bytes))), { numRuns: 2000 });
  });
  it('truncated valid files', () => {
    fc.assert(fc.property(fc.constantFrom(...SAMPLES), fc.double({ min: 0, max: 1, noNaN: true }), (s, f) => check(s.subarray(0, Math.floor(s.length * f)))), { numRuns: 800 });
  });
  it('mutated valid files', () => {
    const mutation = fc.record({ at: fc.nat({ max: 400 }), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 6 }), (sample, mutations) => {
        const bytes = Buffer.from(sample);
        for (const { at, byte } of mutations) bytes[Math.min(bytes.length - 1, at)] = byte;
        check(bytes);
      }),
      { numRuns: 3000 },
    );
  });
  it('a length prefix claiming 2^60 bytes allocates nothing', () => {
    const bytes = Buffer.concat([pb.varint(1, 1), pb.lying(2, 2n ** 60n)]);
    expect(sniffSavedModel(bufferSource(bytes))).toBe(false);
    const result = readTensorflowGraph(bufferSource(bytes), 'saved-model');
    expect(result.ok).toBe(false);
  });
});
