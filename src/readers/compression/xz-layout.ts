import type { ByteSource, ReadError } from '../../core/index.js';
import { crc32 } from '../../core/crc32.js';
import { XZ_MAGIC } from './sniff-compression.js';
import { SourceWindow } from './source-window.js';

/**
 * The structure of an .xz stream, walked from the front without decoding anything: header, blocks and the
 * LZMA2 chunk headers inside each block, index and footer. Every LZMA2 chunk header states its uncompressed size and the
 * decoder must produce exactly that, so the sum of chunk sizes bounds the output before a single byte is
 * allocated. The index (the xz table of block sizes) cannot do that job on its own: lzma-rs, the decoder
 * behind @napi-rs/lzma, checks it only after decoding every block, so a stream whose index claims 1 KB
 * and whose block holds 200 MB allocates 200 MB and then fails (test/readers/compression/xz.test.ts shows
 * it). The walk compares the index with the chunk sizes and rejects a lying index before decoding.
 * Format: https://tukaani.org/xz/xz-file-format.txt
 */

/** Stream header and footer size. */
export const XZ_STREAM_HEADER_BYTES = 12;
/** Filter id of LZMA2, which must be the last filter of every block. */
export const XZ_FILTER_LZMA2 = 0x21;
/** Bytes fetched per read while walking chunk headers. */
export const XZ_READ_WINDOW = 64 * 1024;
/** Size of the check field for each check type (0 none, 1 CRC32, 4 CRC64, 10 SHA-256, the rest reserved). */
export const XZ_CHECK_SIZES: readonly number[] = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
/** A VLI (variable-length integer) is at most 9 bytes. */
const MAX_VLI_BYTES = 9;
const FOOTER_MAGIC = Buffer.from('YZ', 'latin1');

/** One block: where its parts are and how much it decodes to. */
export interface XzBlockLayout {
  offset: number;
  headerSize: number;
  /** Filter ids in chain order; LZMA2 is last. */
  filters: number[];
  /** The LZMA2 properties byte (dictionary size). */
  lzma2Properties: number;
  dataOffset: number;
  /** End of the LZMA2 data walked: past the end marker for a whole block, at a chunk boundary for a cut one. */
  dataEnd: number;
  /** false when the walk stopped inside the block; `dataEnd` is then the end of the last whole chunk. */
  whole: boolean;
  /** Output of the chunks up to `dataEnd`. */
  uncompressedSize: number;
  /** Sizes the block header states, when it states them (multi-threaded xz writes both). */
  declaredCompressedSize: number | null;
  declaredUncompressedSize: number | null;
}

/** One stream: header, blocks, index, footer. */
export interface XzStreamLayout {
  offset: number;
  /** Just past the footer for a complete stream. */
  end: number;
  checkType: number;
  blocks: XzBlockLayout[];
  /** True when the index and footer were read and agree with the blocks. */
  complete: boolean;
}

/** The stream the walk got through, and why it stopped early, if it did. */
export interface XzLayout {
  /** null when not even the stream header could be read. */
  stream: XzStreamLayout | null;
  /** Sum of the chunk sizes walked, never above the `maxOutput` given to walkXz. */
  uncompressedSize: number;
  error: ReadError | null;
}

class WalkStop {
  constructor(readonly error: ReadError) {}
}

function stop(kind: ReadError['kind'], offset: number, message: string): never {
  throw new WalkStop({ kind, offset, message });
}

/**
 * Read a VLI at `position` (little-endian groups of 7 bits); malformed when overlong or not minimal. `at`
 * returns -1 past the bytes it covers: the end of the file (truncated) or of a block header (malformed).
 */
function readVli(at: (position: number) => number, position: number, what: string, pastEnd: 'truncated' | 'malformed' = 'truncated'): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < MAX_VLI_BYTES; i++) {
    const byte = at(position + i);
    if (byte < 0) stop(pastEnd, position + i, `${what} runs past the end of ${pastEnd === 'truncated' ? 'the file' : 'its header'}`);
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) stop('malformed', position, `${what} is not minimally encoded`);
      return { value, next: position + i + 1 };
    }
  }
  return stop('malformed', position, `${what} is longer than ${MAX_VLI_BYTES} bytes`);
}

/**
 * Walk the one xz stream that starts at `start` in `source`, summing LZMA2 chunk sizes, up to the end of its
 * footer (`stream.end`). What follows is not looked at: Python's lzma module reads the next stream, xz or
 * LZMA-alone, from exactly there, and has no notion of xz stream padding (see lzma-file.ts). Stops at the
 * first problem, or as soon as the sum would pass `maxOutput` (the error then comes from `overflow`),
 * leaving every block walked so far usable: a cut block ends at the last whole chunk before the stop.
 */
export function walkXz(source: ByteSource, maxOutput: number, overflow: (offset: number) => ReadError, start = 0): XzLayout {
  const window = new SourceWindow(source, XZ_READ_WINDOW);
  const at = (position: number): number => window.byte(position);
  const layout: XzLayout = { stream: null, uncompressedSize: 0, error: null };
  try {
    const stream = walkStreamHeader(window, start);
    layout.stream = stream;
    let position = start + XZ_STREAM_HEADER_BYTES;
    const checkSize = XZ_CHECK_SIZES[stream.checkType] ?? 0;
    while (at(position) !== 0) {
      if (at(position) < 0) stop('truncated', position, 'xz stream ends where a block or the index should start');
      const block = walkBlockHeader(window, position);
      stream.blocks.push(block);
      walkChunks(window, block, () => layout.uncompressedSize, maxOutput, overflow);
      layout.uncompressedSize += block.uncompressedSize;
      position = walkBlockEnd(window, block, checkSize);
    }
    stream.end = walkIndexAndFooter(window, stream, position, checkSize);
    stream.complete = true;
    return layout;
  } catch (error) {
    if (!(error instanceof WalkStop)) throw error;
    layout.error = error.error;
    return layout;
  }
}

function walkStreamHeader(window: SourceWindow, position: number): XzStreamLayout {
  const header = window.bytes(position, XZ_STREAM_HEADER_BYTES);
  if (header.length < XZ_STREAM_HEADER_BYTES) stop('truncated', position, 'xz ends inside a stream header');
  if (!header.subarray(0, 6).equals(XZ_MAGIC)) stop('malformed', position, 'no xz magic');
  if (header[6] !== 0 || (header[7]! & 0xf0) !== 0) stop('unsupported', position + 6, 'xz stream flags use reserved bits');
  if (crc32(header.subarray(6, 8)) !== header.readUInt32LE(8)) stop('malformed', position + 8, 'xz stream header fails its CRC-32');
  return { offset: position, end: position, checkType: header[7]! & 0x0f, blocks: [], complete: false };
}

function walkBlockHeader(window: SourceWindow, position: number): XzBlockLayout {
  const headerSize = (window.byte(position) + 1) * 4;
  const header = window.bytes(position, headerSize);
  if (header.length < headerSize) stop('truncated', position, 'xz ends inside a block header');
  if (crc32(header.subarray(0, headerSize - 4)) !== header.readUInt32LE(headerSize - 4)) {
    stop('malformed', position, 'xz block header fails its CRC-32');
  }
  const flags = header[1]!;
  if (flags & 0x3c) stop('unsupported', position + 1, 'xz block flags use reserved bits');
  const within = (offset: number): number => (offset < headerSize - 4 ? header[offset]! : -1);
  let offset = 2;
  let declaredCompressed: number | null = null;
  let declaredUncompressed: number | null = null;
  if (flags & 0x40) ({ value: declaredCompressed, next: offset } = readVli(within, offset, 'a block compressed size', 'malformed'));
  if (flags & 0x80) ({ value: declaredUncompressed, next: offset } = readVli(within, offset, 'a block uncompressed size', 'malformed'));
  const filters: number[] = [];
  let lzma2Properties = -1;
  for (let i = 0; i <= (flags & 0x03); i++) {
    let id: number;
    let propertiesSize: number;
    ({ value: id, next: offset } = readVli(within, offset, 'a filter id', 'malformed'));
    ({ value: propertiesSize, next: offset } = readVli(within, offset, 'a filter properties size', 'malformed'));
    if (offset + propertiesSize > headerSize - 4) stop('malformed', position, 'xz filter properties run past the block header');
    if (id === XZ_FILTER_LZMA2 && propertiesSize === 1) lzma2Properties = header[offset]!;
    filters.push(id);
    offset += propertiesSize;
  }
  if (filters[filters.length - 1] !== XZ_FILTER_LZMA2 || lzma2Properties < 0 || lzma2Properties > 40) {
    stop('unsupported', position, `xz block filter chain [${filters.join(', ')}] does not end in LZMA2 (0x21)`);
  }
  for (; offset < headerSize - 4; offset++) {
    if (header[offset] !== 0) stop('malformed', position + offset, 'xz block header padding is not zero');
  }
  return {
    offset: position,
    headerSize,
    filters,
    lzma2Properties,
    dataOffset: position + headerSize,
    dataEnd: position + headerSize,
    whole: false,
    uncompressedSize: 0,
    declaredCompressedSize: declaredCompressed,
    declaredUncompressedSize: declaredUncompressed,
  };
}

/** Sum the LZMA2 chunks of `block`, stopping before a chunk that would pass `maxOutput` or the source. */
function walkChunks(
  window: SourceWindow,
  block: XzBlockLayout,
  before: () => number,
  maxOutput: number,
  overflow: (offset: number) => ReadError,
): void {
  const size = window.source.size;
  let position = block.dataOffset;
  for (;;) {
    // Everything before `position` is whole chunks: the boundary a cut block ends at.
    block.dataEnd = position;
    const control = window.byte(position);
    if (control < 0) stop('truncated', position, 'xz ends inside LZMA2 data');
    if (control === 0x00) {
      block.dataEnd = position + 1;
      block.whole = true;
      break;
    }
    let chunkOutput: number;
    let next: number;
    const head = window.bytes(position, 6);
    if (control === 0x01 || control === 0x02) {
      // Uncompressed chunk (with or without a dictionary reset): u16 BE size - 1, then the bytes.
      if (head.length < 3) stop('truncated', position, 'xz ends inside an LZMA2 chunk header');
      chunkOutput = head.readUInt16BE(1) + 1;
      next = position + 3 + chunkOutput;
    } else if (control >= 0x80) {
      // LZMA chunk: bits 0-4 are bits 16-20 of (uncompressed size - 1); u16 BE low bits; u16 BE packed size - 1;
      // a properties byte follows when the control asks for a state reset with new properties (>= 0xC0).
      const headerBytes = control >= 0xc0 ? 6 : 5;
      if (head.length < headerBytes) stop('truncated', position, 'xz ends inside an LZMA2 chunk header');
      chunkOutput = (control & 0x1f) * 65536 + head.readUInt16BE(1) + 1;
      next = position + headerBytes + head.readUInt16BE(3) + 1;
    } else {
      stop('malformed', position, `invalid LZMA2 control byte 0x${control.toString(16)}`);
    }
    if (next > size) stop('truncated', position, 'xz ends inside an LZMA2 chunk');
    if (before() + block.uncompressedSize + chunkOutput > maxOutput) throw new WalkStop(overflow(position));
    block.uncompressedSize += chunkOutput;
    position = next;
  }
  const compressed = block.dataEnd - block.dataOffset;
  if (block.declaredCompressedSize !== null && block.declaredCompressedSize !== compressed) {
    stop('malformed', block.offset, `xz block header declares ${block.declaredCompressedSize} compressed bytes; the LZMA2 data has ${compressed}`);
  }
  if (block.declaredUncompressedSize !== null && block.declaredUncompressedSize !== block.uncompressedSize) {
    stop(
      'malformed',
      block.offset,
      `xz block header declares ${block.declaredUncompressedSize} uncompressed bytes; the LZMA2 chunks hold ${block.uncompressedSize}`,
    );
  }
}

/** Check the block padding and skip the check field; returns where the next block or the index starts. */
function walkBlockEnd(window: SourceWindow, block: XzBlockLayout, checkSize: number): number {
  const compressed = block.dataEnd - block.dataOffset;
  const padding = (4 - (compressed % 4)) % 4;
  for (let i = 0; i < padding; i++) {
    const byte = window.byte(block.dataEnd + i);
    if (byte < 0) stop('truncated', block.dataEnd + i, 'xz ends inside block padding');
    if (byte !== 0) stop('malformed', block.dataEnd + i, 'xz block padding is not zero');
  }
  const end = block.dataEnd + padding + checkSize;
  if (end > window.source.size) stop('truncated', block.dataEnd + padding, 'xz ends inside a block check');
  return end;
}

function walkIndexAndFooter(window: SourceWindow, stream: XzStreamLayout, start: number, checkSize: number): number {
  const at = (position: number): number => window.byte(position);
  let position = start + 1;
  let count: number;
  ({ value: count, next: position } = readVli(at, position, 'the xz index record count'));
  if (count !== stream.blocks.length) {
    stop('malformed', start, `xz index lists ${count} blocks but the stream has ${stream.blocks.length}: the index lies`);
  }
  for (const block of stream.blocks) {
    let unpadded: number;
    let uncompressed: number;
    ({ value: unpadded, next: position } = readVli(at, position, 'an xz index record'));
    ({ value: uncompressed, next: position } = readVli(at, position, 'an xz index record'));
    const actualUnpadded = block.headerSize + (block.dataEnd - block.dataOffset) + checkSize;
    if (unpadded !== actualUnpadded || uncompressed !== block.uncompressedSize) {
      stop(
        'malformed',
        start,
        `xz index says the block at ${block.offset} holds ${unpadded}/${uncompressed} bytes (unpadded/uncompressed) ` +
          `but its chunks hold ${actualUnpadded}/${block.uncompressedSize}: the index lies`,
      );
    }
  }
  while ((position - start) % 4 !== 0) {
    const byte = at(position);
    if (byte < 0) stop('truncated', position, 'xz ends inside the index');
    if (byte !== 0) stop('malformed', position, 'xz index padding is not zero');
    position++;
  }
  const indexBody = window.bytes(start, position - start);
  const storedCrc = window.bytes(position, 4);
  if (indexBody.length < position - start || storedCrc.length < 4) stop('truncated', position, 'xz ends inside the index');
  if (crc32(indexBody) !== storedCrc.readUInt32LE(0)) stop('malformed', position, 'xz index fails its CRC-32');
  position += 4;
  const indexSize = position - start;

  const footer = window.bytes(position, XZ_STREAM_HEADER_BYTES);
  if (footer.length < XZ_STREAM_HEADER_BYTES) stop('truncated', position, 'xz ends inside a stream footer');
  if (!footer.subarray(10, 12).equals(FOOTER_MAGIC)) stop('malformed', position + 10, 'no xz footer magic');
  if (crc32(footer.subarray(4, 10)) !== footer.readUInt32LE(0)) stop('malformed', position, 'xz stream footer fails its CRC-32');
  if ((footer.readUInt32LE(4) + 1) * 4 !== indexSize) {
    stop('malformed', position + 4, `xz footer says the index has ${(footer.readUInt32LE(4) + 1) * 4} bytes; it has ${indexSize}`);
  }
  if (footer[8] !== 0 || footer[9] !== stream.checkType) stop('malformed', position + 8, 'xz footer flags differ from the header flags');
  return position + XZ_STREAM_HEADER_BYTES;
}
