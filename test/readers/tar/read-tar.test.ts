import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS, resolveLimits } from '../../../src/core/limits.js';
import { readTar, sniffTar } from '../../../src/readers/tar/index.js';
import { buildTar } from '../../builders/tar.js';

const read = (bytes: Buffer, limits = DEFAULT_LIMITS) => readTar(bufferSource(bytes), limits);
const kinds = (bytes: Buffer): string[] => {
  const r = read(bytes);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.anomalies.map((a) => a.kind);
};

describe('tar reader', () => {
  it('lists members with their data offsets (control)', () => {
    const bytes = buildTar([{ name: 'a.txt', data: 'hello' }, { name: 'dir/', type: '5' }, { name: 'b.bin', data: Buffer.alloc(600, 7) }]);
    const r = read(bytes);
    expect(r.ok && r.value.entries.map((e) => [e.name, e.type, e.size])).toEqual([['a.txt', 'file', 5], ['dir/', 'directory', 0], ['b.bin', 'file', 600]]);
    expect(r.ok && r.value.anomalies).toEqual([]);
    const first = r.ok ? r.value.entries[0]! : undefined;
    expect(bytes.subarray(first!.dataOffset, first!.dataOffset + 5).toString()).toBe('hello');
    expect(sniffTar(bytes)).toBe(true);
  });

  it('reads GNU long names and PAX paths', () => {
    const long = 'x'.repeat(150);
    const r = read(buildTar([{ name: long, data: 'a', gnuLongName: true }, { name: `${'p/'.repeat(60)}f`, data: 'b', paxPath: true }]));
    expect(r.ok && r.value.entries.map((e) => e.name)).toEqual([long, `${'p/'.repeat(60)}f`]);
  });

  it.each([
    ['path traversal (..)', buildTar([{ name: '../../etc/cron.d/x', data: 'x' }]), 'path-traversal'],
    ['absolute path', buildTar([{ name: '/etc/passwd', data: 'x' }]), 'path-traversal'],
    ['symlink out of the archive', buildTar([{ name: 'model.bin', type: '2', linkName: '/root/.ssh/id_rsa' }]), 'symlink'],
    ['hard link', buildTar([{ name: 'a', data: 'x' }, { name: 'b', type: '1', linkName: 'a' }]), 'hardlink'],
    ['duplicate names', buildTar([{ name: 'a', data: 'x' }, { name: 'a', data: 'y' }]), 'duplicate-name'],
    ['member cut short', buildTar([{ name: 'a', data: Buffer.alloc(2000) }]).subarray(0, 1024), 'truncated'],
    ['bad checksum after the first member', buildTar([{ name: 'a', data: 'x' }, { name: 'b', data: 'y', badChecksum: true }]), 'bad-checksum'],
    ['data after the end blocks', buildTar([{ name: 'a', data: 'x' }], { trailing: Buffer.from('hidden payload') }), 'trailing-data'],
  ])('%s is an anomaly', (_name, bytes, kind) => {
    expect(kinds(bytes)).toContain(kind);
  });

  it('a first block with a bad checksum is not a tar', () => {
    const bytes = buildTar([{ name: 'a', data: 'x', badChecksum: true }]);
    expect(sniffTar(bytes)).toBe(false);
    expect(read(bytes).ok).toBe(false);
  });

  it('more members than maxZipEntries is a limit, never a silent pass', () => {
    const bytes = buildTar(Array.from({ length: 10 }, (_, i) => ({ name: `m${i}`, data: 'x' })));
    const r = read(bytes, resolveLimits({ maxZipEntries: 3 }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.kind).toBe('limit');
  });

  it('fuzz: truncated, mutated and random inputs never throw', () => {
    const valid = buildTar([{ name: 'storages', data: Buffer.alloc(700, 1) }, { name: 'x'.repeat(120), data: 'y', gnuLongName: true }]);
    fc.assert(
      fc.property(fc.nat({ max: valid.length }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (cut, edits) => {
        const bytes = Buffer.from(valid.subarray(0, cut));
        for (const [at, v] of edits) if (bytes.length > 0) bytes[at % bytes.length] = v;
        const r = read(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => void read(Buffer.from(bytes))), { numRuns: 300 });
  });
});
