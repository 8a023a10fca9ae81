import {
  errorMessage,
  fail,
  ok,
  readAll,
  type ByteSource,
  type Limits,
  type ReadError,
  type ReadResult,
} from '../../core/index.js';
import { decodeBzip2 } from './bzip2.js';
import { inflateGzip, inflateZlib } from './deflate.js';
import { decodeJoblibZf } from './joblib-zf.js';
import { decodeLzmaFile } from './lzma-file.js';
import { outputCap, type DecompressionBudget, type Decoded } from './output-cap.js';
import type { CompressionKind } from './sniff-compression.js';

/** Everything a stream decoded to, and why decoding stopped early (null when the stream was whole and valid). */
export interface PartialDecompression {
  data: Buffer;
  error: ReadError | null;
}

/**
 * Decompress a whole stream of `kind` into memory, or fail. Output is bounded before allocation by
 * `limits.maxMemberBytes`, by `limits.maxCompressionRatio` past RATIO_GRACE_BYTES of output, and by what
 * is left of the run-wide `budget` (which this call decreases by the bytes it decoded). Truncated, corrupt
 * or trailing-garbage streams fail with `truncated`/`malformed` and an offset where one is known (bytes
 * after an xz or LZMA-alone stream that do not start another one are ignored, as Python ignores them); a
 * stream over a limit fails with `limit`. Never throws.
 */
export function decompress(source: ByteSource, kind: CompressionKind, limits: Limits, budget: DecompressionBudget): ReadResult<Buffer> {
  const result = decompressBestEffort(source, kind, limits, budget);
  return result.error === null ? ok(result.data) : fail(result.error);
}

/**
 * Like `decompress`, but keeps the good prefix when the stream is cut short, corrupt further on, trailed by
 * garbage or over a limit: Python's streaming readers hand pickle.load those bytes before they notice the
 * problem, so a payload placed up front (or before gigabytes of padding meant to trip a limit) runs anyway
 * and must still be scanned. `error` says why the data stops early; report it as well. Never throws.
 */
export function decompressBestEffort(
  source: ByteSource,
  kind: CompressionKind,
  limits: Limits,
  budget: DecompressionBudget,
): PartialDecompression {
  let decoded: Decoded;
  try {
    decoded = decodeStream(source, kind, limits, budget);
  } catch (error) {
    const io = typeof (error as { syscall?: unknown }).syscall === 'string';
    return { data: Buffer.alloc(0), error: { kind: io ? 'io' : 'malformed', message: `${kind} stream could not be decoded: ${errorMessage(error)}` } };
  }
  budget.remaining = Math.max(0, budget.remaining - decoded.produced);
  return { data: decoded.data, error: decoded.error };
}

function decodeStream(source: ByteSource, kind: CompressionKind, limits: Limits, budget: DecompressionBudget): Decoded {
  const cap = outputCap(limits, budget, source.size);
  if (kind === 'lz4') {
    return {
      data: Buffer.alloc(0),
      error: { kind: 'unsupported', offset: 0, message: 'LZ4 frame (joblib compress="lz4"): antidote cannot decode it, so its content is unscanned' },
      produced: 0,
    };
  }
  if (kind === 'bz2') return decodeBzip2(source, cap);
  // The other decoders take the compressed bytes in one buffer, held next to the output.
  if (source.size > limits.maxMemberBytes) {
    return {
      data: Buffer.alloc(0),
      error: {
        kind: 'limit',
        limit: 'maxMemberBytes',
        offset: 0,
        message: `${kind} stream has ${source.size} compressed bytes, more than maxMemberBytes (${limits.maxMemberBytes}) can hold`,
      },
      produced: 0,
    };
  }
  switch (kind) {
    case 'xz':
    case 'lzma':
      // Either may be followed by more streams of either format, as Python reads them (lzma-file.ts).
      return decodeLzmaFile(source, kind, cap);
    case 'gzip':
      return inflateGzip(readAll(source), cap);
    case 'zlib':
      return inflateZlib(readAll(source), cap);
    case 'joblib-zf':
      return decodeJoblibZf(readAll(source), cap);
  }
}
