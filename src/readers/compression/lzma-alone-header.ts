/**
 * The 13-byte header of a legacy `.lzma` ("LZMA-alone") stream, the format joblib writes for
 * `compress='lzma'` (`LZMAFile(format=FORMAT_ALONE)`): a properties byte `(pb * 5 + lp) * 9 + lc`, the
 * dictionary size (u32 LE) and the uncompressed size (u64 LE, all ones when unknown: Python always writes
 * unknown and ends the stream with an end marker instead).
 */

/** Header bytes before the range-coded data. */
export const LZMA_ALONE_HEADER_BYTES = 13;
/** Largest properties byte: pb <= 4, lp <= 4, lc <= 8 gives (4 * 5 + 4) * 9 + 8. */
export const MAX_LZMA_PROPERTIES = 224;
/** liblzma (LZMA_LCLP_MAX) refuses lc + lp above 4, in both FORMAT_ALONE and FORMAT_AUTO. */
export const MAX_LZMA_LC_PLUS_LP = 4;
/**
 * liblzma's auto decoder (what `lzma.open` and joblib use) refuses known sizes from 2^38 (256 GiB) up, to
 * tell .lzma apart from random data; antidote applies the same rule when sniffing.
 */
export const MAX_LZMA_ALONE_KNOWN_SIZE = 2 ** 38;

/** What an LZMA-alone header says. */
export interface LzmaAloneHeader {
  properties: number;
  dictionarySize: number;
  /** null when the header says "unknown" (all ones): the stream ends with an end-of-payload marker. */
  uncompressedSize: number | null;
}

/**
 * Parse an LZMA-alone header, or null when liblzma would not accept one here: properties out of range, or
 * lc + lp above 4, or a known size from 2^38 up. When `head` has a 14th byte it must be 0: the range
 * decoder's first byte is always 0 and liblzma rejects anything else, which also keeps random data out.
 * Any dictionary size passes, as in liblzma's FORMAT_ALONE decoder (its auto decoder is pickier).
 */
export function parseLzmaAloneHeader(head: Buffer): LzmaAloneHeader | null {
  if (head.length < LZMA_ALONE_HEADER_BYTES) return null;
  const properties = head[0]!;
  if (properties > MAX_LZMA_PROPERTIES) return null;
  const lc = properties % 9;
  const lp = Math.floor(properties / 9) % 5;
  if (lc + lp > MAX_LZMA_LC_PLUS_LP) return null;
  const dictionarySize = head.readUInt32LE(1);
  const low = head.readUInt32LE(5);
  const high = head.readUInt32LE(9);
  let uncompressedSize: number | null;
  if (low === 0xffffffff && high === 0xffffffff) {
    uncompressedSize = null;
  } else {
    uncompressedSize = high * 2 ** 32 + low;
    if (uncompressedSize >= MAX_LZMA_ALONE_KNOWN_SIZE) return null;
  }
  if (head.length > LZMA_ALONE_HEADER_BYTES && head[LZMA_ALONE_HEADER_BYTES] !== 0) return null;
  return { properties, dictionarySize, uncompressedSize };
}

/** What liblzma's auto decoder makes of the bytes where a further stream could start. */
export type StreamStartVerdict = 'stream' | 'not-a-stream' | 'cut-short';

/**
 * Judge `head` (the next 14 bytes, or fewer at the end of the file) as the start of an LZMA-alone stream
 * the way liblzma's auto decoder (FORMAT_AUTO: what lzma.open, lzma.LZMAFile and joblib read with) does
 * after a stream has ended. It is pickier than the first-stream sniff: besides parseLzmaAloneHeader's
 * checks, the dictionary size must be 2^n or 2^n + 2^(n-1) (or all ones), liblzma's guard against random
 * data. The checks run in liblzma's order, each once its bytes are there, so a head that ends before any
 * check fails is 'cut-short': Python then raises EOFError, while a failed check makes it stop quietly.
 */
export function judgeLzmaAloneStart(head: Buffer): StreamStartVerdict {
  const properties = head[0]!;
  if (properties > MAX_LZMA_PROPERTIES || (properties % 9) + (Math.floor(properties / 9) % 5) > MAX_LZMA_LC_PLUS_LP) return 'not-a-stream';
  if (head.length < 5) return 'cut-short';
  if (!isPickyDictionarySize(head.readUInt32LE(1))) return 'not-a-stream';
  if (head.length < LZMA_ALONE_HEADER_BYTES) return 'cut-short';
  const low = head.readUInt32LE(5);
  const high = head.readUInt32LE(9);
  if (!(low === 0xffffffff && high === 0xffffffff) && high * 2 ** 32 + low >= MAX_LZMA_ALONE_KNOWN_SIZE) return 'not-a-stream';
  if (head.length <= LZMA_ALONE_HEADER_BYTES) return 'cut-short';
  return head[LZMA_ALONE_HEADER_BYTES] === 0 ? 'stream' : 'not-a-stream';
}

/** liblzma's picky dictionary test (alone_decoder.c): round up to 2^n or 2^n + 2^(n-1) and compare. */
function isPickyDictionarySize(size: number): boolean {
  if (size === 0xffffffff) return true;
  let d = (size - 1) >>> 0;
  d |= d >>> 2;
  d |= d >>> 3;
  d |= d >>> 4;
  d |= d >>> 8;
  d |= d >>> 16;
  return ((d + 1) >>> 0) === size;
}
