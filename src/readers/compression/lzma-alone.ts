import type { ReadError } from '../../core/index.js';
import { measureLzmaAlone, type LzmaAloneExtent } from './lzma-alone-extent.js';
import { LZMA_ALONE_HEADER_BYTES, MAX_LZMA_PROPERTIES, parseLzmaAloneHeader } from './lzma-alone-header.js';
import { runLzmaRs } from './lzma-rs.js';
import { overCapError, type OutputCap, type StreamDecoded } from './output-cap.js';

/**
 * Output tried when the exact prefix of a damaged stream (from measureLzmaAlone) does not decode with
 * lzma-rs, largest first: given a smaller size in the header, lzma-rs stops there and returns that much. A
 * pickle payload sits at the start of its stream, so a few bounded tries cover it.
 */
export const LZMA_SALVAGE_SIZES: readonly number[] = [16 * 1024 * 1024, 1024 * 1024, 64 * 1024];
/**
 * Longest LZMA match. lzma-rs checks the size limit in its header between symbols, so it can run past a
 * patched size by at most this much before failing: the memory bound of every pass is cap + 273 bytes.
 */
export const MAX_LZMA_MATCH_BYTES = 273;

/**
 * Decode the LZMA-alone stream at the start of `input` within the cap, and say where it ends: Python's lzma
 * module reads on from there (lzma-file.ts). Cheapest when the stream runs to the end of `input`, as in
 * every file joblib writes. lzma-rs has no output limit, but it stops at the uncompressed size the header
 * states (overshooting by at most one match, 273 bytes, and then failing), so:
 *
 * - a known size over the cap is refused before decoding;
 * - an unknown size (what Python and joblib write) is decoded once with the header patched to say
 *   `cap + 1` bytes. A stream that really ends earlier, at the end of the input, makes lzma-rs fail with
 *   "Expected unpacked size of cap+1 but decompressed to N": that N is the true size, and a second pass
 *   with the header patched to N returns the data. A stream that yields cap + 1 bytes is over the cap, and
 *   those bytes are its prefix.
 *
 * So memory never passes the cap plus one match (MAX_LZMA_MATCH_BYTES), however the stream lies, at the
 * price of decoding unknown-size streams twice. lzma-rs cannot say where a stream ends when bytes follow
 * it, nor decode the good prefix of a damaged one: measureLzmaAlone walks the stream to learn both, and
 * lzma-rs then decodes exactly that much (decodeMeasured). Every stream thus costs at most four passes
 * over its own output, each bounded by the cap (plus up to three bounded by LZMA_SALVAGE_SIZES, should
 * lzma-rs refuse the prefix the walk found), and the walk runs only when the stream does not simply fill
 * the input: single-stream files decode as before, in two lzma-rs passes.
 */
export function decodeLzmaAlone(input: Buffer, cap: OutputCap): StreamDecoded {
  const refused = refuseHeader(input, cap);
  if (refused) return refused;
  const declared = parseLzmaAloneHeader(input.subarray(0, LZMA_ALONE_HEADER_BYTES))!.uncompressedSize;
  if (declared !== null) {
    const run = runLzmaRs('lzma', input);
    if (run.kind === 'ok') return endAtDeclaredSize(input, run.output, declared, cap);
    if (run.kind === 'size-mismatch' && run.actual < declared) {
      // An end marker before the declared size: liblzma fails at the marker, after handing over the data.
      const data = decodeExactly(input, run.actual) ?? Buffer.alloc(0);
      const error: ReadError = { kind: 'malformed', message: `LZMA-alone stream ends after ${run.actual} bytes; its header declares ${declared}` };
      return { data, error, produced: data.length, end: null };
    }
    return measured(input, cap, measureLzmaAlone(input, declared));
  }

  const probe = runLzmaRs('lzma', withSize(input, cap.bytes + 1));
  if (probe.kind === 'ok') {
    return { data: probe.output.subarray(0, cap.bytes), error: overCapError(cap, 'LZMA-alone stream', 0), produced: probe.output.length, end: null };
  }
  if (probe.kind === 'size-mismatch' && probe.actual > cap.bytes + 1 + MAX_LZMA_MATCH_BYTES) {
    return fail({ kind: 'malformed', message: `lzma-rs ran ${probe.actual - cap.bytes - 1} bytes past the patched size, more than one match: refusing to trust it` });
  }
  if (probe.kind === 'size-mismatch' && probe.actual > cap.bytes) {
    // The last match ran past cap + 1: over the cap. Its end is a symbol boundary, so decoding to it works.
    const data = decodeExactly(input, probe.actual);
    return { data: data ? data.subarray(0, cap.bytes) : Buffer.alloc(0), error: overCapError(cap, 'LZMA-alone stream', 0), produced: probe.actual, end: null };
  }
  if (probe.kind === 'size-mismatch') {
    // lzma-rs only finishes at an end marker when the input ends right after it: the stream fills the input.
    const data = decodeExactly(input, probe.actual);
    if (data) return { data, error: null, produced: data.length, end: input.length };
    return fail({ kind: 'malformed', message: `LZMA-alone stream ended after ${probe.actual} bytes but could not be decoded to that size` });
  }
  // "trailing-data": an end marker with bytes after it (another stream, or anything), which lzma-rs refuses
  // without saying where the marker was; or a stream cut short or corrupt. The walk tells which, and where.
  return measured(input, cap, measureLzmaAlone(input, cap.bytes));
}

/**
 * Decode the LZMA-alone stream at the start of `input` when it is known not to be alone there (it follows
 * another stream): walk it first, then decode only its own bytes. decodeLzmaAlone would copy the rest of
 * the file to patch the header for each stream, quadratic in a file of many streams.
 */
export function decodeFollowingLzmaAlone(input: Buffer, cap: OutputCap): StreamDecoded {
  const refused = refuseHeader(input, cap);
  if (refused) return refused;
  const declared = parseLzmaAloneHeader(input.subarray(0, LZMA_ALONE_HEADER_BYTES))!.uncompressedSize;
  return measured(input, cap, measureLzmaAlone(input, declared ?? cap.bytes));
}

/**
 * Refuse what liblzma refuses, and a stream whose header declares more than the cap (with its prefix
 * salvaged); null when decoding may go ahead.
 */
function refuseHeader(input: Buffer, cap: OutputCap): StreamDecoded | null {
  if (input.length < LZMA_ALONE_HEADER_BYTES) {
    return fail({ kind: 'truncated', offset: input.length, message: 'LZMA-alone stream ends inside its 13-byte header' });
  }
  const header = parseLzmaAloneHeader(input.subarray(0, LZMA_ALONE_HEADER_BYTES));
  if (header === null) {
    if (input[0]! > MAX_LZMA_PROPERTIES) return fail({ kind: 'malformed', offset: 0, message: `LZMA properties byte ${input[0]} is out of range` });
    const lc = input[0]! % 9;
    const lp = Math.floor(input[0]! / 9) % 5;
    if (lc + lp > 4) return fail({ kind: 'malformed', offset: 0, message: `LZMA-alone header has lc + lp = ${lc + lp}, above the 4 liblzma accepts` });
    // Only a known size from 2^38 up is left; liblzma's FORMAT_ALONE decoder still reads such a stream.
    return overDeclared(input, cap, input.readUInt32LE(9) * 2 ** 32 + input.readUInt32LE(5));
  }
  if (header.uncompressedSize !== null && header.uncompressedSize > cap.bytes) return overDeclared(input, cap, header.uncompressedSize);
  return null;
}

/**
 * lzma-rs stops at a declared size and ignores whatever follows. liblzma ends the stream there only when
 * the range decoder is finished; otherwise an end marker must follow (anything else is corrupt). Walk it to
 * learn which, and so where the next stream starts.
 */
function endAtDeclaredSize(input: Buffer, data: Buffer, declared: number, cap: OutputCap): StreamDecoded {
  const extent = measureLzmaAlone(input, declared);
  if (extent.kind === 'end' && extent.size === declared) return { data, error: null, produced: data.length, end: extent.end };
  return { data, error: extentError(input, cap, extent), produced: data.length, end: null };
}

/** Turn a walk into data: decode a whole stream to where it ends, or the good prefix of one that stops early. */
function measured(input: Buffer, cap: OutputCap, extent: LzmaAloneExtent): StreamDecoded {
  if (extent.kind === 'end') return decodeMeasured(input.subarray(0, extent.end), extent.size);
  if (extent.kind === 'over') {
    // Decode to the end of the symbol that passes the cap (at most one match, 273 bytes, past it) and
    // trim, so that the prefix fills the cap as the other decoders' do.
    const reached = decodeExactly(input, extent.reach);
    if (reached) return { data: reached.subarray(0, cap.bytes), error: extentError(input, cap, extent), produced: reached.length, end: null };
  }
  const data = goodPrefix(input, extent.size);
  return { data, error: extentError(input, cap, extent), produced: data.length, end: null };
}

/**
 * Decode `stream`, which the walk found to end exactly at its last byte after `size` bytes of output. For
 * an unknown size, a pass patched to `size + 1` must end at the marker at the very end (lzma-rs checks
 * that), which proves walk and decoder agree on the boundary before the exact pass returns the data.
 */
function decodeMeasured(stream: Buffer, size: number): StreamDecoded {
  const declared = parseLzmaAloneHeader(stream.subarray(0, LZMA_ALONE_HEADER_BYTES))!.uncompressedSize;
  let agrees: boolean;
  let data: Buffer | null;
  if (declared !== null) {
    const run = runLzmaRs('lzma', stream);
    data = run.kind === 'ok' ? run.output : null;
    agrees = data !== null && data.length === size;
  } else {
    const check = runLzmaRs('lzma', withSize(stream, size + 1));
    agrees = check.kind === 'size-mismatch' && check.actual === size;
    data = decodeExactly(stream, size);
  }
  if (agrees && data) return { data, error: null, produced: data.length, end: stream.length };
  const kept = data ?? goodPrefix(stream, size);
  const error: ReadError = {
    kind: 'malformed',
    offset: stream.length,
    message: `LZMA-alone stream should end at byte ${stream.length} after ${size} bytes, as liblzma reads it, but lzma-rs does not decode it so`,
  };
  return { data: kept, error, produced: kept.length, end: null };
}

function extentError(input: Buffer, cap: OutputCap, extent: LzmaAloneExtent): ReadError {
  switch (extent.kind) {
    case 'truncated':
      return { kind: 'truncated', offset: input.length, message: 'LZMA-alone stream ends before its end marker or declared size' };
    case 'corrupt':
      return { kind: 'malformed', offset: extent.offset, message: `LZMA-alone stream is corrupt near byte ${extent.offset}: ${extent.reason}` };
    case 'over':
      return overCapError(cap, 'LZMA-alone stream', 0);
    case 'end':
      return { kind: 'malformed', offset: extent.end, message: `LZMA-alone stream ends at byte ${extent.end} after ${extent.size} bytes, not at its declared size` };
  }
}

function fail(error: ReadError): StreamDecoded {
  return { data: Buffer.alloc(0), error, produced: 0, end: null };
}

/** A copy of `input`, and `padding` zero bytes, whose header states `size` uncompressed bytes. */
function withSize(input: Buffer, size: number, padding = 0): Buffer {
  const copy = Buffer.alloc(input.length + padding);
  input.copy(copy);
  copy.writeUInt32LE(size % 2 ** 32, 5);
  copy.writeUInt32LE(Math.floor(size / 2 ** 32), 9);
  return copy;
}

/**
 * Decode exactly `size` bytes (a size the stream is known to reach at a symbol boundary), or null. With
 * `padding`, zero bytes are appended first: lzma-rs normalises the range right after each bit where liblzma
 * waits for the next one, so after the last symbol it may want one byte that a cut stream lacks. That byte
 * cannot change the symbols before it.
 */
function decodeExactly(input: Buffer, size: number, padding = 0): Buffer | null {
  if (size === 0) return Buffer.alloc(0);
  const run = runLzmaRs('lzma', withSize(input, size, padding));
  return run.kind === 'ok' && run.output.length === size ? run.output : null;
}

/**
 * The first `size` bytes of a stream the walk stopped in (every whole symbol before the stop, what liblzma
 * hands over too), or, should lzma-rs not decode that, the largest of the salvage sizes that does: a stream
 * cut short, corrupt further on or over a limit still hands Python's pickle.load its beginning.
 */
function goodPrefix(input: Buffer, size: number): Buffer {
  const exact = decodeExactly(input, size, 1);
  if (exact) return exact;
  const sizes = [...new Set(LZMA_SALVAGE_SIZES.map((salvage) => Math.min(salvage, size)))].filter((salvage) => salvage > 0);
  for (const salvage of sizes) {
    const run = runLzmaRs('lzma', withSize(input, salvage));
    if (run.kind === 'ok') return run.output;
  }
  return Buffer.alloc(0);
}

/** A stream whose header declares more than the cap: refused before decoding, with its good prefix. */
function overDeclared(input: Buffer, cap: OutputCap, declared: number): StreamDecoded {
  const data = goodPrefix(input, measureLzmaAlone(input, cap.bytes).size);
  return { data, error: overCapError(cap, 'LZMA-alone stream', 5, declared), produced: data.length, end: null };
}
