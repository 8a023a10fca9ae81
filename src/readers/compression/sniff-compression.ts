import { crc32 } from '../../core/crc32.js';
import { parseZfHeader } from './joblib-zf.js';
import { parseLzmaAloneHeader } from './lzma-alone-header.js';

/**
 * Compressed containers antidote recognises by content. joblib >= 0.10 writes its pickle straight into one
 * of `zlib` (the default for `compress=True` or an int), `gzip`, `bz2`, `lzma` (LZMA-alone) or `xz`, and
 * also offers `lz4` (an LZ4 frame, when the lz4 package is installed); joblib < 0.10 wrote `joblib-zf`.
 * `.pkl.gz` and friends are the same streams written by hand.
 */
export type CompressionKind = 'gzip' | 'zlib' | 'bz2' | 'xz' | 'lzma' | 'joblib-zf' | 'lz4';

/** Bytes of the head that sniffCompression looks at; shorter heads are judged on what they have. */
export const COMPRESSION_SNIFF_BYTES = 32;

/** xz stream header magic. */
export const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
/** LZ4 frame magic (little-endian 0x184D2204), joblib's `_LZ4_PREFIX`. */
export const LZ4_FRAME_MAGIC = Buffer.from([0x04, 0x22, 0x4d, 0x18]);
/** bzip2 block header magic (BCD pi), the first block after `BZh1`..`BZh9`. */
export const BZ2_BLOCK_MAGIC = Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);
/** bzip2 end-of-stream magic (BCD sqrt(pi)), right after the header of an empty stream. */
export const BZ2_END_MAGIC = Buffer.from([0x17, 0x72, 0x45, 0x38, 0x50, 0x90]);

/**
 * Which compressed container `head` starts, judged only by content (never by file extension), or null.
 * Each test follows what the loader accepts, strictly enough that random bytes rarely pass: gzip needs
 * method 8; zlib needs method 8, a window of at most 32 KiB, a valid header check and no preset dictionary
 * (which no loader can supply); bzip2 needs a block or end-of-stream magic after `BZh1-9`; xz needs a
 * header whose CRC-32 matches; LZMA-alone needs what liblzma accepts (see parseLzmaAloneHeader).
 */
export function sniffCompression(head: Buffer): CompressionKind | null {
  if (isJoblibZf(head)) return 'joblib-zf';
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (isBzip2(head)) return 'bz2';
  if (isXzStreamHeader(head)) return 'xz';
  if (head.length >= LZ4_FRAME_MAGIC.length && head.subarray(0, LZ4_FRAME_MAGIC.length).equals(LZ4_FRAME_MAGIC)) return 'lz4';
  if (isZlibHeader(head, 0)) return 'zlib';
  if (head.length > 13 && parseLzmaAloneHeader(head) !== null) return 'lzma';
  return null;
}

/** True when the two bytes at `offset` are a zlib header Python's zlib.decompress accepts without a dictionary. */
export function isZlibHeader(head: Buffer, offset: number): boolean {
  if (head.length < offset + 2) return false;
  const cmf = head[offset]!;
  const flg = head[offset + 1]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && (cmf * 256 + flg) % 31 === 0 && (flg & 0x20) === 0;
}

function isJoblibZf(head: Buffer): boolean {
  const header = parseZfHeader(head);
  return header !== null && isZlibHeader(head, header.dataOffset);
}

function isBzip2(head: Buffer): boolean {
  if (head.length < 10 || head.toString('latin1', 0, 3) !== 'BZh') return false;
  const level = head[3]!;
  if (level < 0x31 || level > 0x39) return false;
  const magic = head.subarray(4, 10);
  return magic.equals(BZ2_BLOCK_MAGIC) || magic.equals(BZ2_END_MAGIC);
}

/** True when `head` starts with an xz stream header liblzma accepts: magic, zero reserved flag bits, CRC-32. */
export function isXzStreamHeader(head: Buffer): boolean {
  if (head.length < 12 || !head.subarray(0, 6).equals(XZ_MAGIC)) return false;
  // Stream flags: a zero byte, then the check type in the low nibble; the CRC-32 covers the two flag bytes.
  if (head[6] !== 0 || (head[7]! & 0xf0) !== 0) return false;
  return crc32(head.subarray(6, 8)) === head.readUInt32LE(8);
}
