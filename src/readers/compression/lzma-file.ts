import { bufferSource, readAll, type ByteSource, type ReadError } from '../../core/index.js';
import { decodeFollowingLzmaAlone, decodeLzmaAlone } from './lzma-alone.js';
import { judgeLzmaAloneStart, LZMA_ALONE_HEADER_BYTES } from './lzma-alone-header.js';
import { joinParts, overCapError, shiftError, type Decoded, type OutputCap, type StreamDecoded } from './output-cap.js';
import { isXzStreamHeader, XZ_MAGIC } from './sniff-compression.js';
import { XZ_STREAM_HEADER_BYTES } from './xz-layout.js';
import { decodeXzStream } from './xz.js';

/**
 * Streams one file may hold before antidote stops reading it. Each costs a few decoder calls however small
 * it is (an empty LZMA-alone stream is 18 bytes), so the bound stops a file of millions of empty streams
 * from costing minutes; joblib and lzma.open write one stream per file.
 */
export const MAX_LZMA_STREAMS = 4096;

/** The first byte of an xz stream; liblzma's auto decoder takes anything else for LZMA-alone. */
const XZ_FIRST_BYTE = XZ_MAGIC[0]!;

/**
 * Decode an .xz or .lzma file the way Python reads it: joblib.load (compress='xz' or 'lzma'), lzma.open and
 * lzma.decompress all use FORMAT_AUTO, and _compression.DecompressReader, after a stream ends, starts a new
 * auto decoder on the bytes that follow. So one file is streams in a row, each xz or LZMA-alone whatever the
 * first one was, until the end of the file, and pickle.load reads their output as one. A payload in the
 * first stream runs even when another stream, or anything, follows it.
 *
 * After a stream, Python stops quietly (no error) when the decoder rejects the next bytes as a stream start:
 * not xz (liblzma tests magic, flags and CRC-32 once it has 12 bytes), and not LZMA-alone by its picky
 * header rules (judgeLzmaAloneStart). It raises EOFError when the file ends before that test could fail: a
 * few trailing zero bytes, as xz stream padding, are an LZMA-alone header cut short, since the auto decoder
 * knows no padding. A next stream that starts well but is cut short raises EOFError after its good prefix;
 * one corrupt further on raises LZMAError (DecompressReader drops it quietly only when the damage lies in
 * its first 8 KiB read, a detail of the read size that is not modelled: antidote reports it and keeps the
 * prefix). Every stream's output is bounded by what is left of the one cap for the file.
 */
export function decodeLzmaFile(source: ByteSource, first: 'xz' | 'lzma', cap: OutputCap): Decoded {
  // The caller has checked that the file fits maxMemberBytes; reading it once keeps a file of many streams
  // linear, where reading the rest of the file again for each stream would be quadratic.
  const input = readAll(source);
  const file = bufferSource(input);
  const parts: Buffer[] = [];
  let total = 0;
  let produced = 0;
  const result = (error: ReadError | null): Decoded => ({ data: joinParts(parts, total), error, produced });
  let position = 0;
  for (let index = 0; ; index++) {
    let format = first;
    if (index > 0) {
      if (position >= input.length) return result(null);
      const next = judgeStreamStart(input.subarray(position, position + LZMA_ALONE_HEADER_BYTES + 1));
      if (next === 'not-a-stream') return result(null);
      if (next === 'cut-short') {
        return result({
          kind: 'truncated',
          offset: input.length,
          message: `the ${input.length - position} bytes after the LZMA stream ending at ${position} start another stream but end first (Python raises EOFError)`,
        });
      }
      if (index >= MAX_LZMA_STREAMS) {
        return result({
          kind: 'limit',
          limit: 'MAX_LZMA_STREAMS',
          offset: position,
          message: `more than ${MAX_LZMA_STREAMS} xz/LZMA-alone streams in a row: a CPU bomb, not a real file; the rest is unscanned`,
        });
      }
      format = next;
    }
    const room: OutputCap = { ...cap, bytes: cap.bytes - total };
    let stream: StreamDecoded;
    if (format === 'xz') {
      stream = decodeXzStream(file, position, room);
    } else {
      const rest = input.subarray(position);
      const alone = index === 0 ? decodeLzmaAlone(rest, room) : decodeFollowingLzmaAlone(rest, room);
      stream = { ...alone, error: shiftError(alone.error, position), end: alone.end === null ? null : position + alone.end };
    }
    parts.push(stream.data);
    total += stream.data.length;
    produced += stream.produced;
    if (stream.error !== null || stream.end === null) {
      let error = stream.error ?? { kind: 'malformed', offset: position, message: `LZMA stream at ${position} stopped early` };
      // Past the first stream the cap is what the earlier streams left: name the file's limit, not the remainder.
      if (error.kind === 'limit' && index > 0) error = overCapError(cap, 'the streams of this LZMA file together', error.offset);
      return result(error);
    }
    position = stream.end;
  }
}

/** What liblzma's auto decoder makes of `head`, the bytes where a further stream could start. */
function judgeStreamStart(head: Buffer): 'xz' | 'lzma' | 'not-a-stream' | 'cut-short' {
  if (head[0] === XZ_FIRST_BYTE) {
    // liblzma reads the whole 12-byte stream header before judging any of it.
    if (head.length < XZ_STREAM_HEADER_BYTES) return 'cut-short';
    return isXzStreamHeader(head) ? 'xz' : 'not-a-stream';
  }
  const verdict = judgeLzmaAloneStart(head);
  return verdict === 'stream' ? 'lzma' : verdict;
}
