import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS, openFileSource, type ByteSource } from '../../../src/core/index.js';
import { openEntry, readZip } from '../../../src/readers/zip/index.js';
import { buildZip, writeSparseZip } from '../../builders/zip.js';

const GiB = 1024 * 1024 * 1024;
const directory = mkdtempSync(join(tmpdir(), 'antidote-zip-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Count what a read costs: structure reads must not grow with member sizes. */
function counted(source: ByteSource): { source: ByteSource; bytes: () => number; reads: () => number } {
  let bytes = 0;
  let reads = 0;
  return {
    source: {
      size: source.size,
      read(position, length) {
        reads++;
        const chunk = source.read(position, length);
        bytes += chunk.length;
        return chunk;
      },
    },
    bytes: () => bytes,
    reads: () => reads,
  };
}

describe('readZip performance', () => {
  // The 0.5 s target is checked by bench/ (case zip); here the cost is counted in reads and bytes, which a
  // busy machine cannot make flaky.
  it('reads the structure of a 2 GiB zip64 checkpoint without touching member data', () => {
    const path = join(directory, 'big.pt');
    const members = Array.from({ length: 2048 }, (_, i) => ({ name: `archive/data/${i}`, size: GiB / 1024 }));
    const size = writeSparseZip(path, members);
    expect(size).toBeGreaterThan(2 * GiB);
    const file = openFileSource(path);
    try {
      const { source, bytes, reads } = counted(file);
      const result = readZip(source, DEFAULT_LIMITS);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.entries).toHaveLength(2048);
      expect(result.value.entries[2047]?.uncompressedSize).toBe(GiB / 1024);
      // EOCD tail + zip64 records + one directory read + one small read per local header.
      expect(reads()).toBeLessThan(2048 + 16);
      expect(bytes()).toBeLessThan(8 * 1024 * 1024);

      const stored = result.value.entries[1000];
      if (!stored) throw new Error('missing entry');
      const opened = openEntry(source, result.value, stored, DEFAULT_LIMITS);
      expect(opened.ok && opened.value.size).toBe(GiB / 1024);
    } finally {
      file.close();
    }
  });

  it('reads a central directory of 100,000 entries in one pass', () => {
    const path = join(directory, 'many.zip');
    writeSparseZip(path, Array.from({ length: 100_000 }, (_, i) => ({ name: `archive/data/${i}`, size: 8 })));
    const file = openFileSource(path);
    try {
      const started = performance.now();
      const result = readZip(file, DEFAULT_LIMITS);
      expect(result.ok && result.value.entries.length).toBe(100_000);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      file.close();
    }
  });

  it('walks 20,000 tiny data-descriptor members without a central directory in linear time', () => {
    const entries = Array.from({ length: 20_000 }, (_, i) => ({ name: `m${i}`, data: `${i}`, dataDescriptor: true }));
    const zip = buildZip({ entries, omitCentralDirectory: true });
    const { source, bytes } = counted(bufferSource(zip));
    const started = performance.now();
    const result = readZip(source, DEFAULT_LIMITS);
    expect(result.ok && result.value.entries.length).toBe(20_000);
    expect(performance.now() - started).toBeLessThan(3000);
    // Each forward scan starts with a small read: total bytes read stay proportional to the file.
    expect(bytes()).toBeLessThan(zip.length * 200);
  });

  it('reads 20,000 hidden local headers between two listed entries in linear time', () => {
    const hidden = Array.from({ length: 20_000 }, (_, i) => ({ name: `h${i}`, data: `${i}`, inCentralDirectory: false, dataDescriptor: i % 2 === 0 }));
    const zip = buildZip({ entries: [{ name: 'a', data: 'a' }, ...hidden, { name: 'b', data: 'b' }] });
    const started = performance.now();
    const result = readZip(bufferSource(zip), DEFAULT_LIMITS);
    expect(result.ok && result.value.entries.length).toBe(20_002);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
