/**
 * Types for seek-bzip 2.0.0 (pure-JS bzip2 decoder, ships no types). Besides the documented `decode`, this
 * declares the internals bzip2.ts drives block by block (`_init_block`, `_read_bunzip`, `dbufSize`,
 * `streamCRC`, `reader`): the public `decode` loop cannot bound per-block work, and with an `eof()` input
 * it stops silently at the end of input, hiding truncation. The version is pinned in package.json and
 * test/readers/compression/bzip2.test.ts checks this contract.
 */
declare module 'seek-bzip' {
  namespace Bunzip {
    /** Input: `readByte` returns the next byte; `read` fills `buffer` and returns the count, -1 at EOF. */
    interface Input {
      readByte(): number;
      read(buffer: Uint8Array, offset: number, length: number): number;
    }
    /** Output sink: receives every decoded byte. */
    interface Output {
      writeByte(byte: number): void;
    }
    /** Bit reader over the input. */
    interface BitReader {
      read(bits: number): number;
    }
  }
  class Bunzip {
    /** Reads and checks the 4-byte stream header (`BZh1`..`BZh9`); throws on a bad magic. */
    constructor(input: Bunzip.Input, output: Bunzip.Output);
    /** Block buffer size, level * 100000: what every block allocates (as a Uint32Array). */
    dbufSize: number;
    /** Running combined CRC of the blocks read so far. */
    streamCRC: number;
    reader: Bunzip.BitReader;
    /** Read the next block header and its Huffman data; false at the end-of-stream marker. */
    _init_block(): boolean;
    /** Undo the BWT of the current block into the output; throws on a block CRC mismatch. */
    _read_bunzip(): number;
    /** Decode a whole buffer (documented API). */
    static decode(input: Buffer, output?: number): Buffer;
  }
  export = Bunzip;
}
