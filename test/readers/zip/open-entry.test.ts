import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS, readAll, resolveLimits, type ByteSource, type Limits } from '../../../src/core/index.js';
import { openEntry, readZip, type ZipArchive } from '../../../src/readers/zip/index.js';
import { buildZip, offsetsOf, type ZipEntrySpec } from '../../builders/zip.js';

const PICKLE = Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1');
const MiB = 1024 * 1024;

/** Text that deflates well but nowhere near bomb ratios (~10:1). */
function prose(bytes: number): Buffer {
  const words = ['tensor', 'storage', 'layer', 'weight', 'bias', 'gradient', 'embedding', 'attention'];
  let text = '';
  let seed = 7;
  while (text.length < bytes) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    text += `${words[seed % words.length]}${seed % 1000} `;
  }
  return Buffer.from(text.slice(0, bytes));
}

function open(zip: Buffer, limits: Partial<Limits> = {}, pick = 0) {
  const source = bufferSource(zip);
  const read = readZip(source, DEFAULT_LIMITS);
  if (!read.ok) throw new Error(read.error.message);
  const archive: ZipArchive = read.value;
  const entry = archive.entries[pick];
  if (!entry) throw new Error('no entry');
  return { archive, entry, result: openEntry(source, archive, entry, resolveLimits(limits)) };
}

function single(spec: Partial<ZipEntrySpec> & { data: Buffer | string }): Buffer {
  return buildZip({ entries: [{ name: 'archive/data.pkl', ...spec }] });
}

describe('openEntry', () => {
  it('control: a stored member is a window over the source, read without copying the archive', () => {
    const zip = single({ data: PICKLE });
    const source = bufferSource(zip);
    const read = readZip(source, DEFAULT_LIMITS);
    if (!read.ok) throw new Error(read.error.message);
    const entry = read.value.entries[0];
    if (!entry) throw new Error('no entry');
    let reads = 0;
    const counting: ByteSource = { size: source.size, read: (position, length) => (reads++, source.read(position, length)) };
    const opened = openEntry(counting, read.value, entry, DEFAULT_LIMITS);
    expect(reads).toBe(0);
    expect(opened.ok && readAll(opened.value)).toEqual(PICKLE);
  });

  it('control: a deflated member inflates to its bytes', () => {
    const data = prose(200_000);
    const { result, archive } = open(single({ data, method: 'deflate' }));
    expect(result.ok && readAll(result.value)).toEqual(data);
    expect(archive.anomalies).toEqual([]);
  });

  it('control: a deflated member with a data descriptor inflates to its bytes', () => {
    const { result } = open(single({ data: PICKLE, method: 'deflate', dataDescriptor: true }));
    expect(result.ok && readAll(result.value)).toEqual(PICKLE);
  });

  it('control: 2 MiB of ordinary text passes the ratio check (it applies past 1 MiB only)', () => {
    const data = prose(2 * MiB);
    const { result } = open(single({ data, method: 'deflate' }), { maxCompressionRatio: 20 });
    expect(result.ok && result.value.size).toBe(data.length);
  });

  it('control: a small member of zeros is not judged by ratio', () => {
    const { result } = open(single({ data: Buffer.alloc(512 * 1024), method: 'deflate' }), { maxCompressionRatio: 2 });
    expect(result.ok).toBe(true);
  });

  it('deflate bomb over maxMemberBytes fails with a limit error', () => {
    const { result } = open(single({ data: Buffer.alloc(8 * MiB), method: 'deflate' }), { maxMemberBytes: 4 * MiB });
    expect(result).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxMemberBytes' } });
  });

  it('deflate bomb over maxCompressionRatio fails with a limit error', () => {
    const { result } = open(single({ data: Buffer.alloc(16 * MiB), method: 'deflate' }), { maxCompressionRatio: 100 });
    expect(result).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxCompressionRatio' } });
  });

  it('deflate bomb that declares a tiny size still fails on the limit instead of being cut silently', () => {
    const { result } = open(single({ data: Buffer.alloc(64 * MiB), method: 'deflate', declaredSize: 10 }), { maxMemberBytes: 8 * MiB });
    expect(result).toMatchObject({ ok: false, error: { kind: 'limit' } });
  });

  it('a stream longer than its declared size is read whole and reported', () => {
    const data = Buffer.concat([PICKLE, prose(300_000)]);
    const { result, archive } = open(single({ data, method: 'deflate', declaredSize: PICKLE.length }));
    expect(result.ok && readAll(result.value)).toEqual(data);
    expect(archive.anomalies).toContainEqual(expect.objectContaining({ kind: 'size-mismatch', entry: 'archive/data.pkl' }));
  });

  it('a truncated deflate stream yields what it holds and is reported', () => {
    const data = prose(100_000);
    const zip = single({ data, method: 'deflate' });
    const compressed = deflateRawSync(data).length;
    const central = offsetsOf(zip, 'central')[0] ?? 0;
    const hostile = Buffer.from(zip);
    hostile.writeUInt32LE(Math.floor(compressed / 2), central + 20);
    const { result, archive } = open(hostile);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.size).toBeGreaterThan(0);
      expect(result.value.size).toBeLessThan(data.length);
      expect(readAll(result.value)).toEqual(data.subarray(0, result.value.size));
    }
    expect(archive.anomalies).toContainEqual(expect.objectContaining({ kind: 'size-mismatch' }));
  });

  it('a corrupt deflate stream fails as malformed', () => {
    const { result } = open(single({ data: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), methodCode: 8 }));
    expect(result).toMatchObject({ ok: false, error: { kind: 'malformed' } });
  });

  it('an unsupported method fails as unsupported, not as clean', () => {
    const { result } = open(single({ data: PICKLE, methodCode: 14 }));
    expect(result).toMatchObject({ ok: false, error: { kind: 'unsupported' } });
  });

  it('ignores the encryption bit and returns the bytes as plain data', () => {
    for (const method of ['store', 'deflate'] as const) {
      const { result, entry } = open(single({ data: PICKLE, method, flags: 1 }));
      expect(entry.encrypted).toBe(true);
      expect(result.ok && readAll(result.value)).toEqual(PICKLE);
    }
  });

  it('uses the central sizes when the local header disagrees (as miniz does)', () => {
    const { result } = open(single({ data: PICKLE, localSizes: [2, 2] }));
    expect(result.ok && readAll(result.value)).toEqual(PICKLE);
  });

  it('reads a member behind a junk prefix at its shifted offset', () => {
    const { result } = open(buildZip({ prefix: Buffer.alloc(777, 0x41), entries: [{ name: 'x', data: PICKLE, method: 'deflate' }] }));
    expect(result.ok && readAll(result.value)).toEqual(PICKLE);
  });

  it('clips a stored member that runs past the end of the file instead of failing', () => {
    const zip = single({ data: PICKLE });
    const central = offsetsOf(zip, 'central')[0] ?? 0;
    const hostile = Buffer.from(zip);
    hostile.writeUInt32LE(10_000_000, central + 20);
    hostile.writeUInt32LE(10_000_000, central + 24);
    const { result } = open(hostile);
    expect(result.ok && readAll(result.value).subarray(0, PICKLE.length)).toEqual(PICKLE);
  });

  it('never throws when the source fails during the read', () => {
    const zip = single({ data: prose(10_000), method: 'deflate' });
    const read = readZip(bufferSource(zip), DEFAULT_LIMITS);
    if (!read.ok) throw new Error(read.error.message);
    const entry = read.value.entries[0];
    if (!entry) throw new Error('no entry');
    const broken: ByteSource = { size: zip.length, read: () => { throw new Error('EIO'); } };
    expect(openEntry(broken, read.value, entry, DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { kind: 'io' } });
  });
});
