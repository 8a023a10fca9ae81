import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../../../src/core/index.js';
import { lzmaAloneBytes, lzmaAloneZeros } from '../../builders/compression.js';
import { decode, noise, PAYLOAD, realJoblib } from './helpers.js';

const FOUR_MIB = 4 << 20;
const roomy = resolveLimits({ maxMemberBytes: 16 << 20, maxCompressionRatio: 1e6 });

describe('LZMA-alone (.lzma, joblib compress="lzma")', () => {
  it('control: a real joblib lzma pickle (unknown size, end marker) decodes whole', () => {
    const out = decode(realJoblib('lzma'));
    expect(out).toMatchObject({ kind: 'lzma', error: null, strictOk: true });
    expect(out.data[0]).toBe(0x80);
  });

  it('control: unknown size under the cap decodes in two bounded passes', () => {
    const out = decode(lzmaAloneZeros(), { limits: roomy });
    expect(out.error).toBeNull();
    expect(out.data.length).toBe(FOUR_MIB);
  });

  it('control: a known size under the cap decodes in one pass', () => {
    expect(decode(lzmaAloneBytes(PAYLOAD, { declaredSize: PAYLOAD.length }))).toMatchObject({ error: null, data: PAYLOAD });
  });

  it('decompression bomb, unknown size (what Python writes): stops at the cap with the prefix', () => {
    const limits = resolveLimits({ maxMemberBytes: 1 << 20, maxCompressionRatio: 1e6 });
    const out = decode(lzmaAloneZeros(), { limits });
    expect(out.error).toMatchObject({ kind: 'limit', limit: 'maxMemberBytes' });
    expect(out.data.length).toBe(1 << 20);
  });

  it('decompression bomb, declared size over the limit: refused before decoding', () => {
    const out = decode(lzmaAloneZeros({ declaredSize: 2 ** 31 }), { limits: roomy });
    expect(out.error).toMatchObject({ kind: 'limit', offset: 5 });
    expect(out.error?.message).toContain('2147483648 bytes (declared)');
  });

  it('ratio limit: 4 MiB from 681 bytes is a bomb at maxCompressionRatio 1000', () => {
    expect(decode(lzmaAloneZeros()).error).toMatchObject({ kind: 'limit', limit: 'maxCompressionRatio' });
  });

  it('a declared size smaller than the data, with no end marker there: malformed (liblzma: "Corrupt input data"), data kept', () => {
    // liblzma ends a known-size stream early only when its range decoder is finished; otherwise an end
    // marker must follow, and here a literal does.
    const out = decode(lzmaAloneBytes('abcdefgh', { declaredSize: 3 }));
    expect(out.error).toMatchObject({ kind: 'malformed' });
    expect(out.error?.message).toContain('past the declared size');
    expect(out.data).toEqual(Buffer.from('abc'));
  });

  it('control: a declared size with an end marker right after it decodes (liblzma >= 5.3 allows the marker)', () => {
    expect(decode(lzmaAloneBytes('abcdef', { declaredSize: 6 }))).toMatchObject({ error: null, data: Buffer.from('abcdef'), strictOk: true });
  });

  it('a declared size larger than the data: malformed, data kept', () => {
    const out = decode(lzmaAloneBytes(PAYLOAD, { declaredSize: PAYLOAD.length + 10 }));
    expect(out.error?.kind).toBe('malformed');
    expect(out.data).toEqual(PAYLOAD);
  });

  it('truncated stream: truncated, with a prefix salvaged for scanning', () => {
    const data = Buffer.concat([PAYLOAD, noise(300_000)]);
    const stream = lzmaAloneBytes(data);
    const out = decode(stream.subarray(0, stream.length - 1000), { limits: roomy });
    expect(out.error).toMatchObject({ kind: 'truncated' });
    expect(out.data.subarray(0, PAYLOAD.length)).toEqual(PAYLOAD);
  });

  it('bytes after the end marker that do not start a stream: ignored, as Python does, and the stream is decoded', () => {
    expect(decode(Buffer.concat([lzmaAloneBytes(PAYLOAD), Buffer.from('junk')]))).toMatchObject({ error: null, data: PAYLOAD, strictOk: true });
  });

  it('a truncated stream too small to salvage by guessed sizes: its exact good prefix is kept (Python hands it to pickle)', () => {
    // Before the walk, the salvage sizes (64 KiB and up) found nothing in a 37-byte stream: no data, and
    // a weak magic with no data reads as a chance match.
    const stream = lzmaAloneBytes(PAYLOAD);
    const out = decode(stream.subarray(0, stream.length - 3));
    expect(out.error).toMatchObject({ kind: 'truncated' });
    expect(out.data).toEqual(PAYLOAD);
  });

  it('a stream corrupt after its payload: malformed, the payload before the damage kept (Python runs it first)', () => {
    const stream = Buffer.from(lzmaAloneBytes(Buffer.concat([PAYLOAD, noise(100_000)])));
    stream[50_000] = stream[50_000]! ^ 0x55;
    const out = decode(stream, { limits: roomy });
    expect(out.error).toMatchObject({ kind: 'malformed' });
    expect(out.data.subarray(0, PAYLOAD.length)).toEqual(PAYLOAD);
  });

  it('lc + lp above 4: malformed, as liblzma refuses it', () => {
    expect(decode(lzmaAloneBytes('x', { properties: 2 * 45 + 9 + 4 }), { kind: 'lzma' }).error?.kind).toBe('malformed');
  });

  it('a 13-byte header alone: truncated or malformed, never a throw', () => {
    expect(decode(lzmaAloneBytes('x').subarray(0, 13), { kind: 'lzma' }).error?.kind).toMatch(/truncated|malformed/);
    expect(decode(lzmaAloneBytes('x').subarray(0, 5), { kind: 'lzma' }).error?.kind).toBe('truncated');
  });
});
