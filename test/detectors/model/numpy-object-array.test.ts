import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import detector from '../../../src/detectors/model/numpy-object-array.js';
import { readNpyHeader } from '../../../src/readers/numpy/index.js';
import { buildNpy } from '../../builders/npy.js';
import { payloadPickle } from '../../builders/pickle.js';
import { brief, runDetector } from '../detector-tester.js';

const findings = (bytes: Buffer) => {
  const header = readNpyHeader(bufferSource(bytes), DEFAULT_LIMITS);
  if (!header.ok) throw new Error(header.error.message);
  return runDetector(detector, { header: header.value, size: bytes.length });
};

describe('model/numpy-object-array', () => {
  it('a float array is quiet', () => {
    expect(findings(buildNpy({ descr: '<f4', shape: [2, 2], data: Buffer.alloc(16) }))).toEqual([]);
  });
  it('an object array is medium (CVE-2019-6446)', () => {
    expect(brief(findings(buildNpy({ descr: '|O', shape: [1], data: payloadPickle('os', 'system') })))).toEqual(['objectDtype:medium']);
  });
  it('a structured dtype with an object field counts as object', () => {
    const npy = buildNpy({ descr: [['a', '<i4'], ['b', '|O']], shape: [1], data: payloadPickle('os', 'system') });
    expect(brief(findings(npy))).toEqual(['objectDtype:medium']);
  });
  it('a truncated numeric array is low', () => {
    expect(brief(findings(buildNpy({ descr: '<f8', shape: [4], data: Buffer.alloc(8) })))).toEqual(['sizeMismatch:low']);
  });
});
