import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import detector from '../../../src/detectors/model/zip-anomalies.js';
import { readZip } from '../../../src/readers/zip/index.js';
import { buildZip, torchLikeEntries, type BuildZipOptions } from '../../builders/zip.js';
import { benignPickle } from '../../builders/pickle.js';
import { runDetector } from '../detector-tester.js';

const kinds = (options: BuildZipOptions): string[] => {
  const zip = readZip(bufferSource(buildZip(options)), DEFAULT_LIMITS);
  if (!zip.ok) throw new Error(zip.error.message);
  return runDetector(detector, { archive: zip.value, format: 'pytorch-zip', size: 0 })
    .filter((f) => f.severity !== 'info')
    .map((f) => `${f.evidence.rule}:${f.severity}`);
};
const entries = () => torchLikeEntries(benignPickle());

describe('model/zip-anomalies', () => {
  it('a torch-like archive with zip64 and alignment is quiet above info', () => {
    expect(kinds({ entries: entries(), zip64: true, alignData: 64 })).toEqual([]);
  });

  it.each([
    ['junk prefix', { entries: entries(), prefix: Buffer.from('junk junk') }, 'junk-prefix:high'],
    ['local/central name mismatch (CVE-2025-1944)', { entries: entries().map((e, i) => (i === 0 ? { ...e, localName: 'archive/other.pkl' } : e)) }, 'name-mismatch:high'],
    ['duplicate names', { entries: [...entries(), { name: 'archive/data.pkl', data: 'x' }] }, 'duplicate-name:high'],
    ['path traversal', { entries: [...entries(), { name: '../../etc/cron.d/x', data: 'x' }] }, 'path-traversal:high'],
    ['symlink member', { entries: [...entries(), { name: 'archive/link', data: '/etc/passwd', externalAttrs: (0o120777 << 16) >>> 0 }] }, 'symlink:high'],
  ] as [string, BuildZipOptions, string][])('%s', (_name, options, expected) => {
    expect(kinds(options)).toContain(expected);
  });
});
