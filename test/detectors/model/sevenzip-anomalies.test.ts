import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import detector from '../../../src/detectors/model/sevenzip-anomalies.js';
import { initSevenZip, type SevenZipReader } from '../../../src/readers/sevenzip/index.js';
import { brief, runDetector } from '../detector-tester.js';

let reader: SevenZipReader;
beforeAll(async () => {
  reader = await initSevenZip();
});

const findings = (name: string) => {
  const bytes = readFileSync(new URL(`../../fixtures/sevenzip/${name}`, import.meta.url));
  const archive = reader.read(bytes, DEFAULT_LIMITS);
  if (!archive.ok) throw new Error(archive.error.message);
  return runDetector(detector, { archive: archive.value, size: bytes.length });
};

describe('model/sevenzip-anomalies', () => {
  it('a plain archive of model files is quiet', () => {
    expect(findings('benign.7z')).toEqual([]);
  });
  it('a pickle payload is left to the content scan: the archive itself is well formed', () => {
    expect(findings('malicious-pickle.7z')).toEqual([]);
  });
  it.each([
    ['path-traversal.7z', 'anomaly:high', 'path-traversal'],
    ['symlink.7z', 'anomaly:high', 'symlink'],
    ['encrypted.7z', 'anomaly:medium', 'encrypted'],
    ['encrypted-headers.7z', 'anomaly:medium', 'encrypted'],
    ['bomb.7z', 'anomaly:medium', 'over-limit'],
  ])('%s', (name, expected, rule) => {
    const found = findings(name);
    expect(brief(found)).toEqual([expected]);
    expect(found[0]!.evidence?.rule).toBe(rule);
  });
  it('a symlink finding carries its target as evidence', () => {
    const found = findings('symlink-tricky.7z');
    expect(found.map((f) => [f.evidence.match, f.evidence.excerpt, f.severity])).toEqual([
      ['*', '../../../root/.ssh/authorized_keys', 'high'],
      ['-rf.bin', '/etc/shadow', 'high'],
    ]);
    expect(found[1]!.message).toBe('symlink: symlink member "-rf.bin" points to "/etc/shadow" (A lrwxrwxrwx); not followed or scanned');
  });
});
