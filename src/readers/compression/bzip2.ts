import Bunzip from 'seek-bzip';
import { errorMessage, type ByteSource, type ReadError } from '../../core/index.js';
import { overCapError, type Decoded, type OutputCap } from './output-cap.js';

/**
 * Blocks (and block-less streams) that decode to less than half their block size. seek-bzip allocates and
 * zero-fills a `level * 100000`-entry Uint32Array for every block, about 0.7 ms at level 9, whatever the
 * block holds: 20,000 one-byte streams (740 KB) take 14 s. bzip2 fills every block but the last of a stream
 * and pbzip2 writes one full block per stream, so real files have one short block per file.
 */
export const MAX_BZ2_SHORT_BLOCKS = 256;
/** Compressed bytes fetched per read of the source. */
export const BZ2_READ_WINDOW = 64 * 1024;
/** First output allocation; it doubles up to the cap, so small streams stay small. */
const INITIAL_OUTPUT_BYTES = 64 * 1024;

/** Thrown by the input at the end of the source, to tell truncation from corruption. */
class EndOfInput {}
/** Thrown by the output when one more byte would pass the cap. */
class OutputFull {}

/** The source, a window at a time; `position` is the next unread byte. */
class WindowedInput implements Bunzip.Input {
  position: number;
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly source: ByteSource,
    start: number,
  ) {
    this.position = start;
  }

  get atEnd(): boolean {
    return this.position >= this.source.size;
  }

  peek(length: number): Buffer {
    return this.source.read(this.position, length);
  }

  readByte(): number {
    const index = this.position - this.windowStart;
    if (index < 0 || index >= this.window.length) {
      if (this.position >= this.source.size) throw new EndOfInput();
      this.window = this.source.read(this.position, BZ2_READ_WINDOW);
      this.windowStart = this.position;
      if (this.window.length === 0) throw new EndOfInput();
    }
    const byte = this.window[this.position - this.windowStart]!;
    this.position++;
    return byte;
  }

  read(buffer: Uint8Array, offset: number, length: number): number {
    let count = 0;
    while (count < length && !this.atEnd) buffer[offset + count++] = this.readByte();
    return count === 0 && length > 0 ? -1 : count;
  }
}

/** Output bounded by the cap, grown by doubling. */
class BoundedOutput implements Bunzip.Output {
  length = 0;
  private buffer: Buffer;

  constructor(private readonly cap: number) {
    this.buffer = Buffer.allocUnsafe(Math.min(cap, INITIAL_OUTPUT_BYTES));
  }

  writeByte(byte: number): void {
    if (this.length >= this.buffer.length) {
      if (this.length >= this.cap) throw new OutputFull();
      const grown = Buffer.allocUnsafe(Math.min(this.cap, Math.max(INITIAL_OUTPUT_BYTES, this.buffer.length * 2)));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer[this.length++] = byte;
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * Decode a bzip2 file from `source`: every stream in a row, as Python's bz2 module reads multi-stream
 * files (pbzip2 writes them). Output stops at the cap; a truncated or corrupt stream keeps the blocks
 * decoded before the problem (a block's bytes are handed over before its CRC is compared, as Python does).
 * Bytes after the last stream that do not start another stream are trailing garbage.
 */
export function decodeBzip2(source: ByteSource, cap: OutputCap): Decoded {
  const input = new WindowedInput(source, 0);
  const output = new BoundedOutput(cap.bytes);
  let shortBlocks = 0;
  const result = (error: ReadError | null): Decoded => ({ data: output.result(), error, produced: output.length });
  const countShort = (at: number): ReadError | null => {
    if (++shortBlocks <= MAX_BZ2_SHORT_BLOCKS) return null;
    return {
      kind: 'limit',
      limit: 'MAX_BZ2_SHORT_BLOCKS',
      offset: at,
      message: `more than ${MAX_BZ2_SHORT_BLOCKS} bzip2 blocks hold less than half a block each: a CPU bomb (every block costs a full block buffer)`,
    };
  };

  try {
    for (let streamIndex = 0; ; streamIndex++) {
      const streamStart = input.position;
      const head = input.peek(4);
      if (head.length < 4) {
        return result({ kind: 'truncated', offset: source.size, message: `bzip2 stream at ${streamStart} ends inside its header` });
      }
      if (head.toString('latin1', 0, 3) !== 'BZh' || head[3]! < 0x31 || head[3]! > 0x39) {
        if (streamIndex === 0) return result({ kind: 'malformed', offset: 0, message: 'no bzip2 header (BZh1-9)' });
        return result({
          kind: 'malformed',
          offset: streamStart,
          message: `${source.size - streamStart} bytes of trailing data after the last bzip2 stream (Python's bz2 ignores them)`,
        });
      }
      const bz = new Bunzip(input, output);
      const blockSize = bz.dbufSize;
      let blocks = 0;
      for (;;) {
        const blockStart = input.position;
        if (!bz._init_block()) break;
        const before = output.length;
        bz._read_bunzip();
        blocks++;
        if (output.length - before < blockSize / 2) {
          const error = countShort(blockStart);
          if (error) return result(error);
        }
      }
      // The end-of-stream marker is followed by the combined CRC of the stream's blocks.
      const storedCrc = bz.reader.read(32) >>> 0;
      if (storedCrc !== bz.streamCRC >>> 0) {
        return result({ kind: 'malformed', offset: input.position, message: `bzip2 stream at ${streamStart} fails its combined CRC` });
      }
      if (blocks === 0) {
        const error = countShort(streamStart);
        if (error) return result(error);
      }
      if (input.atEnd) return result(null);
    }
  } catch (error) {
    if (error instanceof OutputFull) return { ...result(overCapError(cap, 'bzip2 stream', input.position)), produced: cap.bytes };
    if (error instanceof EndOfInput) {
      return result({ kind: 'truncated', offset: source.size, message: 'bzip2 stream ends before its end-of-stream marker' });
    }
    // A failing read of the source is an io problem for the caller, not corrupt data.
    if (typeof (error as { syscall?: unknown }).syscall === 'string') throw error;
    return result({ kind: 'malformed', offset: input.position, message: `bzip2 data is corrupt near byte ${input.position}: ${errorMessage(error)}` });
  }
}
