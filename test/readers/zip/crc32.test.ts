import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS, type ByteSource } from '../../../src/core/index.js';
import { crc32, crc32Portable, openEntry, readZip, verifyCrc, type ZipEntry } from '../../../src/readers/zip/index.js';
import { buildZip } from '../../builders/zip.js';

const PICKLE = Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1');

describe('crc32', () => {
  const vectors: [string, number][] = [
    ['', 0],
    ['a', 0xe8b7be43],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ];

  it.each(vectors)('crc32(%j) = %d for both implementations', (text, expected) => {
    expect(crc32Portable(Buffer.from(text))).toBe(expected);
    expect(crc32(Buffer.from(text))).toBe(expected);
  });

  it('the portable table version matches the native one, whole and incremental, at every tail length', () => {
    for (let length = 0; length < 40; length++) {
      const data = randomBytes(length * 37 + (length % 8));
      expect(crc32Portable(data)).toBe(crc32(data));
      const cut = Math.floor(data.length / 3);
      expect(crc32Portable(data.subarray(cut), crc32Portable(data.subarray(0, cut)))).toBe(crc32(data));
    }
  });
});

function firstEntry(zip: Buffer): { source: ByteSource; entry: ZipEntry } {
  const source = bufferSource(zip);
  const read = readZip(source, DEFAULT_LIMITS);
  if (!read.ok) throw new Error(read.error.message);
  const entry = read.value.entries[0];
  if (!entry) throw new Error('no entry');
  return { source, entry };
}

describe('verifyCrc', () => {
  it.each(['store', 'deflate'] as const)('control: a %s member with its true CRC passes', (method) => {
    const { source, entry } = firstEntry(buildZip({ entries: [{ name: 'archive/data.pkl', data: PICKLE, method }] }));
    expect(verifyCrc(source, entry)).toBeUndefined();
  });

  it.each(['store', 'deflate'] as const)('CVE-2025-10156: a %s member with a wrong CRC yields crc-mismatch', (method) => {
    const { source, entry } = firstEntry(buildZip({ entries: [{ name: 'archive/data.pkl', data: PICKLE, method, crc: 0xdeadbeef }] }));
    const anomaly = verifyCrc(source, entry);
    expect(anomaly).toMatchObject({ kind: 'crc-mismatch', entry: 'archive/data.pkl' });
    expect(anomaly?.message).toContain('0xdeadbeef');
    expect(anomaly?.message).toContain(`0x${crc32(PICKLE).toString(16).padStart(8, '0')}`);
  });

  it('hashes an already opened member without reading the archive again', () => {
    const { source, entry } = firstEntry(buildZip({ entries: [{ name: 'a', data: PICKLE, method: 'deflate', crc: 1 }] }));
    const read = readZip(source, DEFAULT_LIMITS);
    if (!read.ok) throw new Error(read.error.message);
    const member = openEntry(source, read.value, entry, DEFAULT_LIMITS);
    if (!member.ok) throw new Error(member.error.message);
    const untouchable: ByteSource = { size: source.size, read: () => { throw new Error('archive must not be read'); } };
    expect(verifyCrc(untouchable, entry, member.value)).toMatchObject({ kind: 'crc-mismatch' });
  });

  it('reports a member it cannot read instead of throwing or passing it', () => {
    const { source, entry } = firstEntry(buildZip({ entries: [{ name: 'a', data: PICKLE, methodCode: 12 }] }));
    expect(verifyCrc(source, entry)).toMatchObject({ kind: 'malformed' });
    const broken: ByteSource = { size: source.size, read: () => { throw new Error('EIO'); } };
    expect(verifyCrc(broken, { ...entry, method: 0 })).toMatchObject({ kind: 'malformed' });
  });
});
