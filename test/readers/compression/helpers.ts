import { readFileSync } from 'node:fs';
import { bufferSource, resolveLimits, type Limits, type ReadError } from '../../../src/core/index.js';
import {
  createDecompressionBudget,
  decompress,
  decompressBestEffort,
  sniffCompression,
  type CompressionKind,
  type DecompressionBudget,
} from '../../../src/readers/compression/index.js';

/** Small limits so that bombs stop after a few MiB and tests stay fast. */
export const SMALL_LIMITS: Limits = resolveLimits({ maxMemberBytes: 4 << 20, maxTotalUncompressed: 64 << 20, maxCompressionRatio: 1000 });

/** A real joblib.dump(..., compress=...) file from test/fixtures/real. */
export function realJoblib(kind: 'zlib' | 'gzip' | 'bz2' | 'lzma' | 'xz'): Buffer {
  return readFileSync(new URL(`../../fixtures/real/arrays-${kind}.joblib`, import.meta.url));
}

/** What one decode returned, strict and best-effort, and what it cost the budget. */
export interface Outcome {
  kind: CompressionKind | null;
  data: Buffer;
  error: ReadError | null;
  strictOk: boolean;
  charged: number;
}

/** Sniff `bytes` (or use `kind`), decode them best-effort and strictly with a fresh budget each. */
export function decode(bytes: Buffer, options: { kind?: CompressionKind; limits?: Limits; budget?: DecompressionBudget } = {}): Outcome {
  const limits = options.limits ?? SMALL_LIMITS;
  const kind = options.kind ?? sniffCompression(bytes.subarray(0, 32));
  if (kind === null) return { kind, data: Buffer.alloc(0), error: null, strictOk: false, charged: 0 };
  const budget = options.budget ?? createDecompressionBudget(limits);
  const before = budget.remaining;
  const best = decompressBestEffort(bufferSource(bytes), kind, limits, budget);
  const charged = before - budget.remaining;
  const strict = decompress(bufferSource(bytes), kind, limits, createDecompressionBudget(limits));
  return { kind, data: best.data, error: best.error, strictOk: strict.ok, charged };
}

/** The unpickled-by-nobody payload tests look for in decoded output. */
export const PAYLOAD = Buffer.from("cposix\nsystem\n(S'echo antidote-fixture'\ntR.", 'latin1');

/** A deterministic pseudo-random buffer (incompressible test data without a seed dependency). */
export function noise(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
