import { describe, expect, it } from 'vitest';
import { bufferSource, resolveLimits } from '../../../src/core/index.js';
import { walkXz } from '../../../src/readers/compression/index.js';
import { buildXzStream, LZMA2_ZEROS_CHUNK_BYTES, xzBytes, xzZerosBomb } from '../../builders/compression.js';
import { decode, noise, PAYLOAD, realJoblib, SMALL_LIMITS } from './helpers.js';

const withText = (text: Buffer | string, check: 'none' | 'crc32' | 'crc64' | 'sha256' = 'crc64'): Buffer =>
  buildXzStream({ blocks: [{ chunks: [{ data: text }] }], check });

describe('xz', () => {
  it('control: a real joblib xz pickle decodes whole', () => {
    const out = decode(realJoblib('xz'));
    expect(out).toMatchObject({ kind: 'xz', error: null, strictOk: true });
    expect(out.data[0]).toBe(0x80);
  });

  it.each(['none', 'crc32', 'crc64'] as const)('control: check %s decodes', (check) => {
    expect(decode(withText(PAYLOAD, check))).toMatchObject({ error: null, data: PAYLOAD });
  });

  it('check SHA-256 (lzma-rs cannot verify it; Python can): the stream is rebuilt without a check and still scanned', () => {
    expect(decode(withText(PAYLOAD, 'sha256'))).toMatchObject({ error: null, data: PAYLOAD });
  });

  it('control: blocks whose headers carry their sizes (multi-threaded xz) decode', () => {
    const xz = buildXzStream({ blocks: [{ chunks: [{ data: 'first ' }], headerSizes: true }, { chunks: [{ data: PAYLOAD }], headerSizes: true }] });
    expect(decode(xz)).toMatchObject({ error: null, data: Buffer.concat([Buffer.from('first '), PAYLOAD]) });
  });

  it('concatenated streams: all are decoded, as Python does (lzma-rs alone stops at the first)', () => {
    const xz = Buffer.concat([withText('one '), xzBytes('two '), withText(PAYLOAD, 'sha256')]);
    expect(decode(xz)).toMatchObject({ error: null, data: Buffer.from(`one two ${PAYLOAD.toString('latin1')}`, 'latin1') });
  });

  it('xz stream padding: Python knows none, so 8 zero bytes read as a rejected LZMA-alone header and it stops there', () => {
    // Zeros: properties 0 and dictionary 0 pass, then the size field holds the next stream's magic, over 2^38.
    const xz = Buffer.concat([withText('one '), Buffer.alloc(8), xzBytes('two ')]);
    expect(decode(xz)).toMatchObject({ error: null, data: Buffer.from('one ') });
  });

  it('a few zero bytes at the end: an LZMA-alone header cut short, truncated (Python raises EOFError), data kept', () => {
    const out = decode(Buffer.concat([withText('one'), Buffer.alloc(3)]));
    expect(out.error?.kind).toBe('truncated');
    expect(out.data).toEqual(Buffer.from('one'));
  });

  it('trailing garbage after the last stream: ignored, as Python does, data kept', () => {
    const stream = withText(PAYLOAD);
    expect(decode(Buffer.concat([stream, Buffer.from('garbage!')]))).toMatchObject({ error: null, data: PAYLOAD });
  });

  it('decompression bomb: 2 GiB of zeros is refused from the chunk headers before decoding, prefix kept', () => {
    const start = Date.now();
    const out = decode(xzZerosBomb(2048));
    expect(out.error).toMatchObject({ kind: 'limit', limit: 'maxMemberBytes' });
    expect(out.data.length).toBe(SMALL_LIMITS.maxMemberBytes);
    expect(out.data.every((byte) => byte === 0)).toBe(true);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('lying index: an index claiming 1000 bytes for a 2 GiB block is refused before decoding (lzma-rs would allocate first)', () => {
    const start = Date.now();
    const out = decode(xzZerosBomb(2048, 1000));
    expect(out.error?.kind).toBe('limit');
    expect(out.data.length).toBeLessThanOrEqual(SMALL_LIMITS.maxMemberBytes);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('lying index under the limit: malformed "the index lies", without calling the decoder', () => {
    const limits = resolveLimits({ maxMemberBytes: 16 << 20, maxCompressionRatio: 1e6 });
    const out = decode(xzZerosBomb(3, 1000), { limits });
    expect(out.error?.kind).toBe('malformed');
    expect(out.error?.message).toContain('the index lies');
  });

  it('control: the same stream with an honest index decodes', () => {
    const limits = resolveLimits({ maxMemberBytes: 16 << 20, maxCompressionRatio: 1e6 });
    const out = decode(xzZerosBomb(3), { limits });
    expect(out.error).toBeNull();
    expect(out.data.length).toBe(3 * LZMA2_ZEROS_CHUNK_BYTES);
  });

  it('lying block header sizes: malformed', () => {
    const xz = buildXzStream({ blocks: [{ chunks: [{ data: PAYLOAD }], headerSizes: { uncompressed: 3 } }] });
    expect(decode(xz).error?.message).toContain('declares 3 uncompressed bytes');
  });

  it('index listing more blocks than the stream has: malformed', () => {
    const xz = buildXzStream({ blocks: [{ chunks: [{ data: 'x' }] }], check: 'none', indexRecords: [[16, 1], [16, 1]] });
    expect(decode(xz).error?.message).toContain('the index lies');
  });

  it('truncated inside the data: truncated, with every whole chunk before the cut decoded', () => {
    const data = Buffer.concat([PAYLOAD, noise(200_000)]);
    const xz = withText(data);
    const out = decode(xz.subarray(0, 100_000));
    expect(out.error).toMatchObject({ kind: 'truncated' });
    expect(out.data.length).toBe(65536);
    expect(out.data).toEqual(data.subarray(0, 65536));
  });

  it('truncated inside the index: truncated, the whole block is kept', () => {
    const xz = withText(PAYLOAD);
    const out = decode(xz.subarray(0, xz.length - 14));
    expect(out.error?.kind).toBe('truncated');
    expect(out.data).toEqual(PAYLOAD);
  });

  it('BCJ filter before LZMA2: unsupported (Python decodes it, antidote cannot), never clean', () => {
    const xz = buildXzStream({ blocks: [{ chunks: [{ data: PAYLOAD }], extraFilters: [0x04] }] });
    expect(decode(xz).error).toMatchObject({ kind: 'unsupported' });
  });

  it('corrupt block header CRC: malformed at the block', () => {
    const xz = Buffer.from(withText(PAYLOAD));
    xz[13] = xz[13]! ^ 0xff;
    expect(decode(xz).error).toMatchObject({ kind: 'malformed', offset: 12 });
  });

  it('walkXz sums chunk sizes without decoding', () => {
    const layout = walkXz(bufferSource(xzZerosBomb(5)), Number.MAX_SAFE_INTEGER, () => ({ kind: 'limit', message: 'x' }));
    expect(layout.error).toBeNull();
    expect(layout.uncompressedSize).toBe(5 * LZMA2_ZEROS_CHUNK_BYTES);
    expect(layout.stream?.complete).toBe(true);
  });
});
