import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/index.js';
import {
  createDecompressionBudget,
  decompress,
  decompressBestEffort,
  outputCap,
  sniffCompression,
  type CompressionKind,
} from '../../../src/readers/compression/index.js';
import { BZ2_PLAIN, bz2Bytes, buildXzStream, gzipBytes, joblibZfBytes, lzmaAloneBytes, xzBytes, zlibBytes } from '../../builders/compression.js';
import { noise, PAYLOAD, realJoblib, SMALL_LIMITS } from './helpers.js';

/** Valid samples of every kind, with the plain bytes they decode to. */
const PLAIN = Buffer.concat([PAYLOAD, noise(3000), Buffer.alloc(2000)]);
const SAMPLES: Array<{ kind: CompressionKind; bytes: Buffer; plain: Buffer | null }> = [
  { kind: 'gzip', bytes: Buffer.concat([gzipBytes(PLAIN.subarray(0, 2000), { name: 'a' }), gzipBytes(PLAIN.subarray(2000))]), plain: PLAIN },
  { kind: 'zlib', bytes: zlibBytes(PLAIN), plain: PLAIN },
  { kind: 'joblib-zf', bytes: joblibZfBytes(PLAIN), plain: PLAIN },
  { kind: 'bz2', bytes: Buffer.concat([bz2Bytes('payload'), bz2Bytes('hello')]), plain: Buffer.concat([BZ2_PLAIN.payload, BZ2_PLAIN.hello]) },
  { kind: 'xz', bytes: Buffer.concat([buildXzStream({ blocks: [{ chunks: [{ data: PLAIN.subarray(0, 3000) }] }, { chunks: [{ data: PLAIN.subarray(3000) }] }], check: 'crc32' }), xzBytes('')]), plain: PLAIN },
  { kind: 'xz', bytes: buildXzStream({ blocks: [{ chunks: [{ data: PLAIN }] }], check: 'sha256' }), plain: PLAIN },
  { kind: 'lzma', bytes: lzmaAloneBytes(PLAIN), plain: PLAIN },
  { kind: 'lzma', bytes: lzmaAloneBytes(PLAIN, { declaredSize: PLAIN.length }), plain: PLAIN },
  ...(['zlib', 'gzip', 'bz2', 'lzma', 'xz'] as const).map((kind) => ({ kind, bytes: realJoblib(kind), plain: null })),
];
const KINDS: CompressionKind[] = ['gzip', 'zlib', 'bz2', 'xz', 'lzma', 'joblib-zf', 'lz4'];
/** Wall-clock bound for one decode under SMALL_LIMITS (bombs stop at 4 MiB). */
const MAX_MS = 3000;

/** Decode best-effort and strictly; check the invariants every result must hold. */
function checkInvariants(bytes: Buffer, kind: CompressionKind): { data: Buffer; errorKind: string | null } {
  const budget = createDecompressionBudget(SMALL_LIMITS);
  const cap = outputCap(SMALL_LIMITS, budget, bytes.length).bytes;
  const start = Date.now();
  const best = decompressBestEffort(bufferSource(bytes), kind, SMALL_LIMITS, budget);
  const strict = decompress(bufferSource(bytes), kind, SMALL_LIMITS, createDecompressionBudget(SMALL_LIMITS));
  expect(Date.now() - start).toBeLessThan(MAX_MS);
  expect(Buffer.isBuffer(best.data)).toBe(true);
  expect(best.data.length).toBeLessThanOrEqual(cap);
  expect(budget.remaining).toBeGreaterThanOrEqual(0);
  if (best.error) {
    expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(best.error.kind);
    expect(typeof best.error.message).toBe('string');
    expect(strict.ok).toBe(false);
  } else {
    expect(strict).toEqual({ ok: true, value: best.data });
  }
  return { data: best.data, errorKind: best.error?.kind ?? null };
}

describe('compression readers under fuzz: never throw, always a result, bounded output and time', () => {
  it('random bytes, as every kind', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(...KINDS), (raw, kind) => {
        checkInvariants(Buffer.from(raw), kind);
      }),
      { numRuns: 600 },
    );
  });

  it('random bytes behind a valid magic, as the sniffed kind', () => {
    const magics = SAMPLES.map((sample) => sample.bytes.subarray(0, 14));
    fc.assert(
      fc.property(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 1024 }), (magic, tail) => {
        const bytes = Buffer.concat([magic, tail]);
        const kind = sniffCompression(bytes.subarray(0, 32));
        if (kind) checkInvariants(bytes, kind);
      }),
      { numRuns: 400 },
    );
  });

  it('truncated valid streams: the salvaged data is always a true prefix of the content', () => {
    const withPlain = SAMPLES.filter((sample) => sample.plain !== null);
    fc.assert(
      fc.property(fc.constantFrom(...withPlain), fc.double({ min: 0, max: 1, noNaN: true }), (sample, fraction) => {
        const cut = Math.floor(sample.bytes.length * fraction);
        const { data, errorKind } = checkInvariants(sample.bytes.subarray(0, cut), sample.kind);
        expect(data).toEqual(sample.plain!.subarray(0, data.length));
        // Without an error the content must be whole: a cut stream never passes as complete with less.
        // (A known-size LZMA-alone stream cut inside the end marker after its last byte is whole.)
        if (errorKind === null) expect(data.length).toBe(sample.plain!.length);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated valid streams (byte overwrites, insertions, deletions)', () => {
    const mutation = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('set', 'insert', 'delete') });
    fc.assert(
      fc.property(fc.constantFrom(...SAMPLES), fc.array(mutation, { minLength: 1, maxLength: 6 }), (sample, mutations) => {
        let bytes = Buffer.from(sample.bytes);
        for (const { at, byte, op } of mutations) {
          const index = Math.min(bytes.length - 1, Math.floor(bytes.length * at));
          if (op === 'set') bytes[index] = byte;
          else if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, index), Buffer.from([byte]), bytes.subarray(index)]);
          else bytes = Buffer.concat([bytes.subarray(0, index), bytes.subarray(index + 1)]);
        }
        checkInvariants(bytes, sample.kind);
      }),
      { numRuns: 800 },
    );
  });

  it('sniffCompression never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const kind = sniffCompression(Buffer.from(raw));
        expect(kind === null || KINDS.includes(kind)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
