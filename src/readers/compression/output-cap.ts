import { constants as bufferConstants } from 'node:buffer';
import type { Limits, ReadError } from '../../core/index.js';

/**
 * Output below which the compression ratio is not judged (Limits.maxCompressionRatio: "applied past 1 MiB of
 * output"): a page of zeros or a repeated header legitimately compresses far beyond any sane ratio.
 */
export const RATIO_GRACE_BYTES = 1024 * 1024;

/**
 * Decompressed bytes still allowed in this scan run, shared by every stream and member (CWE-409: a zip of
 * ten thousand modest bombs is one big bomb). Start it at `limits.maxTotalUncompressed`; every decoder
 * subtracts what it produced, including output it threw away on reaching a limit, because that cost the
 * same CPU.
 */
export interface DecompressionBudget {
  remaining: number;
}

/** A fresh run-wide budget of `limits.maxTotalUncompressed` bytes. */
export function createDecompressionBudget(limits: Limits): DecompressionBudget {
  return { remaining: limits.maxTotalUncompressed };
}

/** Which limit bounds one stream's output. */
export type OutputLimitName = 'maxMemberBytes' | 'maxCompressionRatio' | 'maxTotalUncompressed';

/** The most output one stream may produce, and the limit that sets that number. */
export interface OutputCap {
  bytes: number;
  limit: OutputLimitName;
  /** Compressed bytes the ratio was measured against, for messages. */
  compressedBytes: number;
  /** The ratio limit in force, for messages. */
  maxRatio: number;
}

/**
 * The output cap for a stream of `compressedBytes`: the smallest of the member limit, the ratio limit (never
 * below RATIO_GRACE_BYTES) and what is left of the run budget, clamped to the largest Buffer Node can make.
 * Decoders check this before allocating and stop at it; they never grow output past it.
 */
export function outputCap(limits: Limits, budget: DecompressionBudget, compressedBytes: number): OutputCap {
  const byRatio = Math.max(RATIO_GRACE_BYTES, compressedBytes * limits.maxCompressionRatio);
  let bytes = limits.maxMemberBytes;
  let limit: OutputLimitName = 'maxMemberBytes';
  if (byRatio < bytes) {
    bytes = byRatio;
    limit = 'maxCompressionRatio';
  }
  if (budget.remaining < bytes) {
    bytes = budget.remaining;
    limit = 'maxTotalUncompressed';
  }
  bytes = Math.max(0, Math.floor(Math.min(bytes, bufferConstants.MAX_LENGTH)));
  return { bytes, limit, compressedBytes, maxRatio: limits.maxCompressionRatio };
}

/** The `limit` error for a stream that would expand past its cap; `what` names the stream ("bzip2 stream"). */
export function overCapError(cap: OutputCap, what: string, offset?: number, declared?: number): ReadError {
  const size = declared === undefined ? `past ${cap.bytes} bytes` : `to ${declared} bytes (declared), past ${cap.bytes}`;
  let why: string;
  if (cap.limit === 'maxCompressionRatio') {
    why = `a ratio above maxCompressionRatio (${cap.maxRatio}) for ${cap.compressedBytes} compressed bytes: a decompression bomb`;
  } else if (cap.limit === 'maxTotalUncompressed') {
    why = 'what is left of maxTotalUncompressed for this run';
  } else {
    why = `maxMemberBytes (${cap.bytes})`;
  }
  const error: ReadError = { kind: 'limit', limit: cap.limit, message: `${what} expands ${size}: ${why}` };
  if (offset !== undefined) error.offset = offset;
  return error;
}

/**
 * What a decoder hands back: every byte it could decode, and why it stopped early when it did. A stream that
 * is cut short, corrupt after a good stretch, or over a limit still yields its good prefix, because Python's
 * streaming readers (gzip.open, bz2.open, lzma.open) hand pickle.load those bytes before they notice the
 * problem: a payload placed up front runs anyway.
 */
export interface Decoded {
  data: Buffer;
  error: ReadError | null;
  /** Bytes of output the decoder produced, including any it discarded; charged to the run budget. */
  produced: number;
}

/**
 * What decoding one stream of a file that may hold several gave: `end` is the offset just past the stream
 * when it ended cleanly (the next stream may start there), null when decoding stopped early (see `error`).
 */
export interface StreamDecoded extends Decoded {
  end: number | null;
}

/** A Decoded with no output. */
export function decodeFailure(error: ReadError, produced = 0): Decoded {
  return { data: Buffer.alloc(0), error, produced };
}

/** Shift an error's offset by `base` (a decoder that saw a slice reports offsets in the whole input). */
export function shiftError(error: ReadError | null, base: number): ReadError | null {
  if (error === null || error.offset === undefined || base === 0) return error;
  return { ...error, offset: error.offset + base };
}

/** Join output parts without a copy when there is only one. */
export function joinParts(parts: Buffer[], total: number): Buffer {
  if (parts.length === 0) return Buffer.alloc(0);
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts, total);
}
