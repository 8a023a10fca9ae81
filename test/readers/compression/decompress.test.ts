import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS, resolveLimits, type ByteSource } from '../../../src/core/index.js';
import {
  createDecompressionBudget,
  decompress,
  decompressBestEffort,
  outputCap,
  RATIO_GRACE_BYTES,
  type CompressionKind,
} from '../../../src/readers/compression/index.js';
import { gzipBytes } from '../../builders/compression.js';
import { decode, noise, PAYLOAD, realJoblib } from './helpers.js';

const KINDS: CompressionKind[] = ['gzip', 'zlib', 'bz2', 'xz', 'lzma', 'joblib-zf', 'lz4'];

describe('decompress', () => {
  it.each(['zlib', 'gzip', 'bz2', 'lzma', 'xz'] as const)('control: decompress(joblib %s) is ok and equals the other formats', (kind) => {
    const result = decompress(bufferSource(realJoblib(kind)), kind, DEFAULT_LIMITS, createDecompressionBudget(DEFAULT_LIMITS));
    expect(result.ok).toBe(true);
    const zlib = decompress(bufferSource(realJoblib('zlib')), 'zlib', DEFAULT_LIMITS, createDecompressionBudget(DEFAULT_LIMITS));
    if (result.ok && zlib.ok) expect(result.value).toEqual(zlib.value);
  });

  it('lz4 (joblib compress="lz4") is detected but not decodable: unsupported, never clean', () => {
    expect(decode(Buffer.from('04224d186440a7', 'hex'))).toMatchObject({ kind: 'lz4', error: { kind: 'unsupported' } });
  });

  it('a compressed input larger than maxMemberBytes is refused before it is read into memory', () => {
    const limits = resolveLimits({ maxMemberBytes: 1000 });
    expect(decode(gzipBytes(noise(5000)), { limits }).error).toMatchObject({
      kind: 'limit',
      limit: 'maxMemberBytes',
    });
  });

  it.each(KINDS)('a source that throws on read (%s) gives an io error, never a throw', (kind) => {
    const broken: ByteSource = {
      size: 100,
      read() {
        throw Object.assign(new Error('EIO: i/o error, read'), { syscall: 'read', code: 'EIO' });
      },
    };
    const result = decompressBestEffort(broken, kind, DEFAULT_LIMITS, createDecompressionBudget(DEFAULT_LIMITS));
    expect(result.error?.kind).toMatch(kind === 'lz4' ? /unsupported/ : /io/);
  });

  it.each(KINDS)('an empty input (%s) fails cleanly', (kind) => {
    const result = decompress(bufferSource(Buffer.alloc(0)), kind, DEFAULT_LIMITS, createDecompressionBudget(DEFAULT_LIMITS));
    expect(result.ok).toBe(false);
  });

  it('strict decompress fails where best-effort keeps a prefix', () => {
    const bytes = Buffer.concat([gzipBytes(PAYLOAD), Buffer.from('junk')]);
    expect(decompress(bufferSource(bytes), 'gzip', DEFAULT_LIMITS, createDecompressionBudget(DEFAULT_LIMITS))).toMatchObject({
      ok: false,
      error: { kind: 'malformed' },
    });
    expect(decompressBestEffort(bufferSource(bytes), 'gzip', DEFAULT_LIMITS, createDecompressionBudget(DEFAULT_LIMITS)).data).toEqual(PAYLOAD);
  });

  it('the budget is charged what was decoded', () => {
    const budget = createDecompressionBudget(DEFAULT_LIMITS);
    const before = budget.remaining;
    decompress(bufferSource(gzipBytes(PAYLOAD)), 'gzip', DEFAULT_LIMITS, budget);
    expect(before - budget.remaining).toBe(PAYLOAD.length);
  });

  it('an exhausted budget stops the next stream with maxTotalUncompressed', () => {
    const budget = { remaining: 3 };
    expect(decompress(bufferSource(gzipBytes(PAYLOAD)), 'gzip', DEFAULT_LIMITS, budget)).toMatchObject({
      ok: false,
      error: { kind: 'limit', limit: 'maxTotalUncompressed' },
    });
  });
});

describe('outputCap', () => {
  it('is the smallest of the member limit, the ratio (never under 1 MiB) and the budget', () => {
    const limits = resolveLimits({ maxMemberBytes: 100 << 20, maxCompressionRatio: 10 });
    expect(outputCap(limits, { remaining: 1e12 }, 10)).toMatchObject({ bytes: RATIO_GRACE_BYTES, limit: 'maxCompressionRatio' });
    expect(outputCap(limits, { remaining: 1e12 }, 1 << 20)).toMatchObject({ bytes: 10 << 20, limit: 'maxCompressionRatio' });
    expect(outputCap(limits, { remaining: 1e12 }, 1 << 30)).toMatchObject({ bytes: 100 << 20, limit: 'maxMemberBytes' });
    expect(outputCap(limits, { remaining: 5 }, 1 << 30)).toMatchObject({ bytes: 5, limit: 'maxTotalUncompressed' });
  });
});
