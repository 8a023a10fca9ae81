import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS } from '../../../src/core/index.js';
import detector from '../../../src/detectors/model/keras-config.js';
import { marshalStrings, readHdf5RootAttributes, readKerasH5 } from '../../../src/readers/keras/index.js';
import { buildKerasH5, MARSHAL_LAMBDA } from '../../builders/keras.js';
import { runDetector } from '../../detectors/detector-tester.js';

const MAX_MS = 2000;
const FIXTURES = new URL('../../fixtures/keras/', import.meta.url);
const SAMPLES: Buffer[] = [
  readFileSync(new URL('legacy-benign.h5', FIXTURES)),
  readFileSync(new URL('legacy-lambda-latest.h5', FIXTURES)),
  readFileSync(new URL('legacy-benign-continuation.h5', FIXTURES)),
  buildKerasH5({ attributes: [{ name: 'keras_version', value: '2.1', vlen: true }, { name: 'model_config', value: '{"class_name":"X","module":"os"}' }] }),
  buildKerasH5({ superblock: 2, attributes: [{ name: 'model_config', value: '{"class_name":"Lambda"}', vlen: true }] }),
];

/** Every call returns a ReadResult in bounded time; a Keras result feeds the detector without an internal error. */
function check(bytes: Buffer): void {
  const start = Date.now();
  const root = readHdf5RootAttributes(bufferSource(bytes), DEFAULT_LIMITS);
  if (!root.ok) expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(root.error.kind);
  else expect(() => JSON.stringify(root.value)).not.toThrow();
  const model = readKerasH5(bufferSource(bytes), DEFAULT_LIMITS);
  if (model.ok) {
    const findings = runDetector(detector, { model: model.value, size: bytes.length });
    expect(findings.some((f) => f.messageId === 'internal-error')).toBe(false);
  }
  expect(Date.now() - start).toBeLessThan(MAX_MS);
}

describe('HDF5 root attribute reader under fuzz: never throws, bounded time', () => {
  it('random bytes after a signature', () => {
    const signature = Buffer.from('894844460d0a1a0a', 'hex');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => check(Buffer.concat([signature, Buffer.from(bytes)]))), { numRuns: 1500 });
  });
  it('truncated real and built files', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.double({ min: 0, max: 1, noNaN: true }), (sample, fraction) => check(sample.subarray(0, Math.floor(sample.length * fraction)))),
      { numRuns: 600 },
    );
  });
  it('mutated real and built files', () => {
    const mutation = fc.record({ at: fc.nat({ max: 12_000 }), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 8 }), (sample, mutations) => {
        const bytes = Buffer.from(sample);
        // Most mutations land in the first KiB, where the superblock, header and attributes are.
        for (const { at, byte } of mutations) bytes[at % Math.min(bytes.length, at % 3 === 0 ? bytes.length : 1024)] = byte;
        check(bytes);
      }),
      { numRuns: 2500 },
    );
  });
  it('marshal string scan on random and mutated code objects', () => {
    const code = Buffer.from(MARSHAL_LAMBDA.malicious, 'base64');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat({ max: 300 }), (bytes, cut) => {
        expect(marshalStrings(Buffer.from(bytes), 50).length).toBeLessThanOrEqual(50);
        const mutated = Buffer.concat([code.subarray(0, cut), Buffer.from(bytes), code.subarray(cut)]);
        expect(marshalStrings(mutated, 200).length).toBeLessThanOrEqual(200);
      }),
      { numRuns: 1000 },
    );
  });
});
