import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import detector from '../../../src/detectors/model/tar-anomalies.js';
import { readTar } from '../../../src/readers/tar/index.js';
import { buildTar, type TarEntrySpec } from '../../builders/tar.js';
import { brief, runDetector } from '../detector-tester.js';

const findings = (entries: TarEntrySpec[]) => {
  const tar = readTar(bufferSource(buildTar(entries)), DEFAULT_LIMITS);
  if (!tar.ok) throw new Error(tar.error.message);
  return runDetector(detector, { archive: tar.value, size: 0 });
};

describe('model/tar-anomalies', () => {
  it('a plain archive of model files is quiet', () => {
    expect(findings([{ name: 'model/config.json', data: '{}' }, { name: 'model/weights.bin', data: 'x' }])).toEqual([]);
  });
  it('a legacy torch tar checkpoint is noted (info): torch.load unpickles its members', () => {
    expect(brief(findings([{ name: 'storages', data: 'x' }, { name: 'tensors', data: 'x' }, { name: 'pickle', data: 'x' }]))).toEqual(['legacyTorch:info']);
  });
  it.each([
    ['path traversal', [{ name: '../evil.py', data: 'x' }], 'anomaly:high'],
    ['symlink', [{ name: 'w.bin', type: '2', linkName: '/etc/shadow' }], 'anomaly:high'],
    ['duplicate member', [{ name: 'a', data: 'x' }, { name: 'a', data: 'y' }], 'anomaly:medium'],
  ] as [string, TarEntrySpec[], string][])('%s', (_name, entries, expected) => {
    expect(brief(findings(entries))).toEqual([expected]);
  });
});
