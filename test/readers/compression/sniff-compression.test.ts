import { describe, expect, it } from 'vitest';
import { sniffCompression, type CompressionKind } from '../../../src/readers/compression/index.js';
import {
  bz2Bytes,
  gzipBytes,
  joblibZfBytes,
  lzmaAloneBytes,
  lzmaAloneZeros,
  buildXzStream,
  xzBytes,
  zlibBytes,
} from '../../builders/compression.js';
import { noise, realJoblib } from './helpers.js';

const head = (bytes: Buffer): Buffer => bytes.subarray(0, 32);
const patched = (bytes: Buffer, at: number, value: number): Buffer => {
  const copy = Buffer.from(bytes);
  copy[at] = value;
  return copy;
};

describe('sniffCompression: every container joblib writes is found by content', () => {
  const found: Array<[string, Buffer, CompressionKind]> = [
    ['joblib compress=3 (zlib)', realJoblib('zlib'), 'zlib'],
    ["joblib compress='gzip'", realJoblib('gzip'), 'gzip'],
    ["joblib compress='bz2'", realJoblib('bz2'), 'bz2'],
    ["joblib compress='lzma' (LZMA-alone)", realJoblib('lzma'), 'lzma'],
    ["joblib compress='xz'", realJoblib('xz'), 'xz'],
    ['joblib < 0.10 Z-file', joblibZfBytes('data'), 'joblib-zf'],
    ['joblib <= 0.8.4 Python 2 Z-file (extra space)', joblibZfBytes('data', { python2Space: true }), 'joblib-zf'],
    ["joblib compress='lz4' (LZ4 frame)", Buffer.from('04224d186440a7', 'hex'), 'lz4'],
    ['.pkl.gz with name, comment, extra and header CRC', gzipBytes('x', { name: 'm.pkl', comment: 'c', extra: Buffer.from('ab'), headerCrc: true }), 'gzip'],
    ['zlib level 9 (78 da)', zlibBytes('x', 9), 'zlib'],
    ['zlib level 1 (78 01)', zlibBytes('x', 1), 'zlib'],
    ['empty bzip2 stream (end-of-stream magic right after the header)', bz2Bytes('empty'), 'bz2'],
    ['xz from lzma-rs (check None)', xzBytes('x'), 'xz'],
    ['xz with SHA-256 check', buildXzStream({ blocks: [{ chunks: [{ data: 'x' }] }], check: 'sha256' }), 'xz'],
    ['LZMA-alone with a known size', lzmaAloneBytes('x', { declaredSize: 1 }), 'lzma'],
    ['LZMA-alone with an odd dictionary size (FORMAT_ALONE accepts any)', lzmaAloneZeros({ dictionarySize: 5 << 20 }), 'lzma'],
  ];
  it.each(found)('%s', (_name, bytes, kind) => {
    expect(sniffCompression(head(bytes))).toBe(kind);
  });
});

describe('sniffCompression: near misses and other formats are not claimed', () => {
  const missed: Array<[string, Buffer]> = [
    ['empty input', Buffer.alloc(0)],
    ['a pickle (PROTO 4)', Buffer.from('80049505000000000000004b012e', 'hex')],
    ['a zip', Buffer.from('504b030414000000', 'hex')],
    ['a .npy', Buffer.from('\x93NUMPY\x01\x00', 'latin1')],
    ['gzip magic with method 7', patched(gzipBytes('x'), 2, 7)],
    ['zlib header with a preset dictionary (no loader supplies one)', Buffer.from([0x78, 0xbb, 0, 0])],
    ['zlib header that fails its check', Buffer.from([0x78, 0x9d, 0, 0])],
    ['zlib header with a 64 KiB window (CINFO 8)', Buffer.from([0x88, 0x1c, 0, 0])],
    ['BZh0 (no such level)', patched(bz2Bytes('hello'), 3, 0x30)],
    ['BZh9 without a block magic', patched(bz2Bytes('hello'), 5, 0)],
    ['xz magic with a header that fails its CRC', patched(xzBytes('x'), 8, 0)],
    ['xz magic with reserved stream flags', patched(xzBytes('x'), 6, 1)],
    ['LZMA-alone with lc + lp = 5 (liblzma refuses it)', lzmaAloneBytes('x', { properties: 2 * 45 + 9 + 4 })],
    ['LZMA-alone with properties byte 225', lzmaAloneBytes('x', { properties: 225 })],
    ['LZMA-alone with a known size of 2^38 (the auto decoder refuses it)', lzmaAloneBytes('x', { declaredSize: 2 ** 38 })],
    ['LZMA-alone whose range coder does not start with 0', patched(lzmaAloneBytes('x'), 13, 1)],
    ['ZF with a length field int(..., 16) refuses', joblibZfBytes('x', { lengthField: '0xZZ               ' })],
    ['ZF with a negative length', joblibZfBytes('x', { lengthField: '-0x5               ' })],
    ['ZF not followed by zlib', Buffer.concat([Buffer.from('ZF0x5                ', 'latin1'), Buffer.from('hello world')])],
    ['12 bytes of an xz header are needed', xzBytes('x').subarray(0, 11)],
  ];
  it.each(missed)('%s', (_name, bytes) => {
    expect(sniffCompression(head(bytes))).toBeNull();
  });

  it('random data is almost never LZMA-alone, xz, bzip2 or a Z-file (strict headers)', () => {
    const counts = new Map<string, number>();
    for (let seed = 1; seed <= 50_000; seed++) {
      const kind = sniffCompression(noise(32, seed * 2654435761));
      if (kind) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    for (const kind of ['lzma', 'xz', 'bz2', 'joblib-zf', 'lz4'] as const) expect(counts.get(kind) ?? 0).toBe(0);
    // zlib's two-byte header is weak by design (about 1 in 2000 random heads passes); gzip needs 3 bytes.
    expect(counts.get('zlib') ?? 0).toBeLessThan(60);
  });

  it('short heads are judged on what they hold and never throw', () => {
    const full = realJoblib('xz');
    for (let length = 0; length <= 32; length++) expect(() => sniffCompression(full.subarray(0, length))).not.toThrow();
  });
});
