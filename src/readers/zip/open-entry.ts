import { constants as bufferConstants } from 'node:buffer';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import {
  bufferSource,
  errorMessage,
  fail,
  ok,
  sliceSource,
  type ByteSource,
  type Limits,
  type ReadResult,
} from '../../core/index.js';
import { quoteName } from './entry-names.js';
import type { ZipArchive, ZipEntry } from './zip-archive.js';
import { METHOD_DEFLATED, METHOD_STORED, hex, methodName } from './zip-format.js';

/**
 * Output below which the compression ratio is not judged (Limits.maxCompressionRatio says "past 1 MiB"):
 * small members of zeros or repeated text legitimately compress far beyond any ratio.
 */
export const RATIO_CHECK_FLOOR = 1024 * 1024;
/**
 * Output allowed past the declared uncompressed size on the first inflate pass, so a stream that overruns
 * its declared size by a little is read whole in one pass. Overruns past this trigger a second pass bounded
 * by the hard limits (see `inflateEntry`).
 */
export const DECLARED_SIZE_SLACK = 64 * 1024;

/**
 * Open one member's bytes. Stored members are a window over the source (no copy, any size). Deflated ones
 * are inflated into memory, bounded by `maxMemberBytes` and, past 1 MiB of output, by
 * `maxCompressionRatio` (CWE-409): exceeding either is `{ok: false, kind: 'limit'}`, never a silent cut.
 * The encryption flag is ignored (the bytes are read as plain data); readZip has already recorded it.
 * Sizes are the central directory's, as miniz uses them. Anomalies found while inflating (a stream longer
 * or shorter than declared) are appended to `archive.anomalies`.
 */
export function openEntry(source: ByteSource, archive: ZipArchive, entry: ZipEntry, limits: Limits): ReadResult<ByteSource> {
  try {
    if (entry.method === METHOD_STORED) return ok(sliceSource(source, entry.dataOffset, entry.compressedSize));
    if (entry.method !== METHOD_DEFLATED) {
      return fail({
        kind: 'unsupported',
        offset: entry.localHeaderOffset,
        message: `entry ${quoteName(entry.name)} uses compression method ${methodName(entry.method)}; only stored and deflate can be read`,
      });
    }
    return inflateEntry(source, archive, entry, limits);
  } catch (error) {
    return fail({ kind: 'io', offset: entry.dataOffset, message: `reading entry ${quoteName(entry.name)} failed: ${errorMessage(error)}` });
  }
}

type InflateOutcome = { output: Buffer } | { overflow: true } | { error: string };

function inflate(input: Buffer, maxOutputLength: number): InflateOutcome {
  try {
    // Z_SYNC_FLUSH returns what a truncated stream yields instead of throwing "unexpected end of file":
    // a truncated pickle member is still worth scanning.
    return { output: inflateRawSync(input, { maxOutputLength: Math.max(1, maxOutputLength), finishFlush: zlibConstants.Z_SYNC_FLUSH }) };
  } catch (error) {
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { overflow: true };
    return { error: errorMessage(error) };
  }
}

/**
 * Inflate in at most two bounded passes. Pass one allows the declared size plus slack, which is all an
 * honest member needs. A stream that runs past that has lied about its size: torch's miniz refuses it and
 * zipfile stops at the declared size, but a streaming extractor reads on, so pass two inflates it up to the
 * hard bound (member limit, and ratio once past 1 MiB) and hands every byte to the detectors.
 */
function inflateEntry(source: ByteSource, archive: ZipArchive, entry: ZipEntry, limits: Limits): ReadResult<ByteSource> {
  const name = quoteName(entry.name);
  const available = Math.max(0, Math.min(entry.compressedSize, source.size - entry.dataOffset));
  if (available > limits.maxMemberBytes) {
    return fail({
      kind: 'limit',
      limit: 'maxMemberBytes',
      offset: entry.dataOffset,
      message: `entry ${name} has ${available} compressed bytes, more than maxMemberBytes (${limits.maxMemberBytes}) can hold once inflated`,
    });
  }
  const ratioBound = Math.max(RATIO_CHECK_FLOOR, available * limits.maxCompressionRatio);
  const hardBound = Math.min(limits.maxMemberBytes, ratioBound, bufferConstants.MAX_LENGTH);
  const boundName = hardBound === limits.maxMemberBytes ? 'maxMemberBytes' : 'maxCompressionRatio';
  const input = source.read(entry.dataOffset, available);

  const firstBound = Math.min(hardBound, entry.uncompressedSize + DECLARED_SIZE_SLACK);
  let outcome = inflate(input, firstBound);
  if ('overflow' in outcome && firstBound < hardBound) outcome = inflate(input, hardBound);
  if ('overflow' in outcome) {
    return fail({
      kind: 'limit',
      limit: boundName,
      offset: entry.dataOffset,
      message:
        boundName === 'maxMemberBytes'
          ? `entry ${name} inflates past maxMemberBytes (${limits.maxMemberBytes} bytes) from ${available} compressed bytes`
          : `entry ${name} inflates past ${hardBound} bytes from ${available} compressed bytes, a ratio above ` +
            `maxCompressionRatio (${limits.maxCompressionRatio}): a decompression bomb`,
    });
  }
  if ('error' in outcome) {
    return fail({
      kind: 'malformed',
      offset: entry.dataOffset,
      message: entry.encrypted
        ? `entry ${name} is marked encrypted and its bytes do not inflate (${outcome.error}): it is probably really encrypted and cannot be inspected`
        : `entry ${name}: the deflate stream is corrupt (${outcome.error}); torch's miniz refuses it too`,
    });
  }
  const output = outcome.output;
  if (output.length > RATIO_CHECK_FLOOR && output.length > available * limits.maxCompressionRatio) {
    return fail({
      kind: 'limit',
      limit: 'maxCompressionRatio',
      offset: entry.dataOffset,
      message: `entry ${name} inflates ${available} bytes to ${output.length}, a ratio above maxCompressionRatio (${limits.maxCompressionRatio})`,
    });
  }
  if (output.length !== entry.uncompressedSize) {
    const longer = output.length > entry.uncompressedSize;
    archive.anomalies.push({
      kind: 'size-mismatch',
      entry: entry.name,
      offset: entry.dataOffset,
      message:
        `entry ${name} inflates to ${output.length} bytes but declares ${entry.uncompressedSize} ` +
        (longer
          ? `(at ${hex(entry.dataOffset)}): torch's miniz refuses it, zipfile stops at the declared size, streaming extractors read all of it; antidote scans all of it`
          : `(the stream ends early): torch's miniz refuses it, zipfile raises on the short read; antidote scans what there is`),
    });
  }
  return ok(bufferSource(output));
}
