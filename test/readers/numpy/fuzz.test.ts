import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource, resolveLimits } from '../../../src/core/index.js';
import { parsePythonLiteral, readNpyHeader } from '../../../src/readers/numpy/index.js';
import { buildNpy } from '../../builders/npy.js';

const LIMITS = resolveLimits({ maxNpyHeader: 64 * 1024 });
const MAX_MS = 2000;
const SAMPLES: Buffer[] = [
  readFileSync(new URL('../../fixtures/real/array-float.npy', import.meta.url)),
  readFileSync(new URL('../../fixtures/real/malicious/object-array.npy', import.meta.url)),
  buildNpy({ descr: [['a', '<f4'], ['b', [['c', '|O']], [2]]], shape: [2, 3], version: 2, data: Buffer.from('\x80\x02N.', 'latin1') }),
  buildNpy({ descr: '<U5', shape: [3], version: 3, fortranOrder: true }),
];

/** Every call returns a well-formed ReadResult, in bounded time; it never throws. */
function checkRead(bytes: Buffer): void {
  const start = Date.now();
  const result = readNpyHeader(bufferSource(bytes), LIMITS);
  expect(Date.now() - start).toBeLessThan(MAX_MS);
  if (result.ok) {
    const value = result.value;
    expect(value.dataOffset).toBeLessThanOrEqual(bytes.length);
    expect(value.dataOffset).toBe((value.version[0] === 1 ? 10 : 12) + value.headerLength);
    expect(typeof value.hasObjectDtype).toBe('boolean');
    expect(() => JSON.stringify(value)).not.toThrow();
    if (value.hasObjectDtype) expect(value.dataBytes).toBeNull();
  } else {
    expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(result.error.kind);
  }
}

describe('numpy readers under fuzz: never throw, always a ReadResult, bounded time', () => {
  it('random bytes after the magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => checkRead(Buffer.concat([Buffer.from('\x93NUMPY', 'latin1'), tail]))),
      { numRuns: 1500 },
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

  it('mutated valid files (the header text is where the parser lives)', () => {
    const mutation = fc.record({ at: fc.integer({ min: 0, max: 200 }), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('set', 'insert', 'delete') });
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 5 }), (sample, mutations) => {
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

  it('random header text from a Python-ish alphabet', () => {
    const alphabet = fc.constantFrom(...`{}[](),:'"\\ \n#-+.0123456789abxoOLjNTrueFalsNn_e\t|<f4`.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 300 }), (chars) => {
        const text = chars.join('');
        const start = Date.now();
        const result = parsePythonLiteral(text, { longSuffix: true });
        expect(Date.now() - start).toBeLessThan(MAX_MS);
        expect(typeof result.ok).toBe('boolean');
        checkRead(buildNpy({ descr: '', shape: [], rawHeader: text }));
      }),
      { numRuns: 3000 },
    );
  });

  it('any string at all', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        expect(typeof parsePythonLiteral(text).ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});
