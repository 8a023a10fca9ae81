import type { ReadError } from '../../core/index.js';
import { LZMA_ALONE_HEADER_BYTES, MAX_LZMA_PROPERTIES, parseLzmaAloneHeader } from './lzma-alone-header.js';
import { runLzmaRs } from './lzma-rs.js';
import { overCapError, type Decoded, type OutputCap } from './output-cap.js';

/**
 * Output tried when salvaging the prefix of a truncated LZMA-alone stream, largest first. lzma-rs returns
 * nothing from a stream that runs out of input, but given a smaller size in the header it stops there and
 * returns that much. A pickle payload sits at the start of its stream, so a few bounded tries cover it.
 */
export const LZMA_SALVAGE_SIZES: readonly number[] = [16 * 1024 * 1024, 1024 * 1024, 64 * 1024];
/**
 * Longest LZMA match. lzma-rs checks the size limit in its header between symbols, so it can run past a
 * patched size by at most this much before failing: the memory bound of every pass is cap + 273 bytes.
 */
export const MAX_LZMA_MATCH_BYTES = 273;

/**
 * Decode an LZMA-alone stream within the cap. lzma-rs has no output limit, but it stops at the uncompressed
 * size the header states (overshooting by at most one match, 273 bytes, and then failing), so:
 *
 * - a known size over the cap is refused before decoding;
 * - an unknown size (what Python and joblib write) is decoded once with the header patched to say
 *   `cap + 1` bytes. A stream that really ends earlier makes lzma-rs fail with "Expected unpacked size
 *   of cap+1 but decompressed to N": that N is the true size, and a second pass with the header patched to
 *   N returns the data. A stream that yields cap + 1 bytes is over the cap, and those bytes are its prefix.
 *
 * So memory never passes the cap plus one match (MAX_LZMA_MATCH_BYTES), however the stream lies, at the
 * price of decoding unknown-size streams twice. No ratio guess is needed: the cap is the usual one.
 */
export function decodeLzmaAlone(input: Buffer, cap: OutputCap): Decoded {
  const header = parseLzmaAloneHeader(input.subarray(0, LZMA_ALONE_HEADER_BYTES));
  if (input.length < LZMA_ALONE_HEADER_BYTES) {
    return fail({ kind: 'truncated', offset: input.length, message: 'LZMA-alone stream ends inside its 13-byte header' });
  }
  if (header === null) {
    if (input[0]! > MAX_LZMA_PROPERTIES) return fail({ kind: 'malformed', offset: 0, message: `LZMA properties byte ${input[0]} is out of range` });
    const lc = input[0]! % 9;
    const lp = Math.floor(input[0]! / 9) % 5;
    if (lc + lp > 4) return fail({ kind: 'malformed', offset: 0, message: `LZMA-alone header has lc + lp = ${lc + lp}, above the 4 liblzma accepts` });
    // Only a known size from 2^38 up is left; liblzma's FORMAT_ALONE decoder still reads such a stream.
    const declaredHuge = input.readUInt32LE(9) * 2 ** 32 + input.readUInt32LE(5);
    return overDeclared(input, cap, declaredHuge);
  }
  const declared = header.uncompressedSize;
  if (declared !== null) {
    if (declared > cap.bytes) {
      return overDeclared(input, cap, declared);
    }
    const run = runLzmaRs('lzma', input);
    if (run.kind === 'ok') return { data: run.output, error: null, produced: run.output.length };
    if (run.kind === 'size-mismatch' && run.actual < declared) {
      // An end marker before the declared size: liblzma fails at the marker, after handing over the data.
      const data = decodeExactly(input, run.actual) ?? Buffer.alloc(0);
      return { data, error: { kind: 'malformed', message: `LZMA-alone stream ends after ${run.actual} bytes; its header declares ${declared}` }, produced: data.length };
    }
    if (run.kind === 'truncated') return truncated(input, Math.min(declared, cap.bytes));
    return fail({ kind: 'malformed', message: `LZMA-alone stream is corrupt: ${run.message}` });
  }

  const probe = runLzmaRs('lzma', withSize(input, cap.bytes + 1));
  if (probe.kind === 'ok') {
    return { data: probe.output.subarray(0, cap.bytes), error: overCapError(cap, 'LZMA-alone stream', 0), produced: probe.output.length };
  }
  if (probe.kind === 'size-mismatch' && probe.actual > cap.bytes + 1 + MAX_LZMA_MATCH_BYTES) {
    return fail({ kind: 'malformed', message: `lzma-rs ran ${probe.actual - cap.bytes - 1} bytes past the patched size, more than one match: refusing to trust it` });
  }
  if (probe.kind === 'size-mismatch' && probe.actual > cap.bytes) {
    // The last match ran past cap + 1: over the cap. Its end is a symbol boundary, so decoding to it works.
    const data = decodeExactly(input, probe.actual);
    return { data: data ? data.subarray(0, cap.bytes) : Buffer.alloc(0), error: overCapError(cap, 'LZMA-alone stream', 0), produced: probe.actual };
  }
  if (probe.kind === 'size-mismatch') {
    const data = decodeExactly(input, probe.actual);
    if (data) return { data, error: null, produced: data.length };
    return fail({ kind: 'malformed', message: `LZMA-alone stream ended after ${probe.actual} bytes but could not be decoded to that size` });
  }
  if (probe.kind === 'truncated') return truncated(input, cap.bytes);
  if (probe.kind === 'trailing-data') {
    return fail({ kind: 'malformed', message: 'bytes follow the end marker of the LZMA-alone stream (Python ignores them); the stream itself was not decoded' });
  }
  return fail({ kind: 'malformed', message: `LZMA-alone stream is corrupt: ${probe.message}` });
}

function fail(error: ReadError): Decoded {
  return { data: Buffer.alloc(0), error, produced: 0 };
}

/** A copy of `input` whose header states `size` uncompressed bytes. */
function withSize(input: Buffer, size: number): Buffer {
  const copy = Buffer.from(input);
  copy.writeUInt32LE(size % 2 ** 32, 5);
  copy.writeUInt32LE(Math.floor(size / 2 ** 32), 9);
  return copy;
}

/** Decode exactly `size` bytes (a size the stream is known to reach at a symbol boundary), or null. */
function decodeExactly(input: Buffer, size: number): Buffer | null {
  const run = runLzmaRs('lzma', withSize(input, size));
  return run.kind === 'ok' && run.output.length === size ? run.output : null;
}

/**
 * The prefix of a stream too long or too short to decode whole: try the salvage sizes, largest first, with
 * the header patched to each. A try that overshoots by one match is decoded to its true end and trimmed;
 * a stream that ends (end marker) before the size tried is decoded whole.
 */
function salvagePrefix(input: Buffer, room: number): Buffer {
  const sizes = [...new Set(LZMA_SALVAGE_SIZES.map((size) => Math.min(size, room)))].filter((size) => size > 0);
  for (const size of sizes) {
    const run = runLzmaRs('lzma', withSize(input, size));
    if (run.kind === 'ok') return run.output;
    if (run.kind === 'size-mismatch') {
      const data = decodeExactly(input, run.actual);
      if (data) return data.subarray(0, room);
    }
  }
  return Buffer.alloc(0);
}

/** A stream whose header declares more than the cap: refused before decoding, with its salvaged prefix. */
function overDeclared(input: Buffer, cap: OutputCap, declared: number): Decoded {
  const data = salvagePrefix(input, cap.bytes);
  return { data, error: overCapError(cap, 'LZMA-alone stream', 5, declared), produced: data.length };
}

function truncated(input: Buffer, room: number): Decoded {
  const data = salvagePrefix(input, room);
  return {
    data,
    error: { kind: 'truncated', offset: input.length, message: 'LZMA-alone stream ends before its end marker or declared size' },
    produced: data.length,
  };
}
