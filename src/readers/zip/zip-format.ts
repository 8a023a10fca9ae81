/**
 * Byte layout of the zip records antidote reads (PKWARE APPNOTE 6.3.x, sections 4.3.7 to 4.3.16), and
 * bounds-checked little-endian field readers: every offset in a zip is attacker-chosen, so a field read past
 * the end of a buffer yields `undefined` instead of throwing a RangeError.
 */

/** `PK\x03\x04`: local file header. */
export const LOCAL_HEADER_SIGNATURE = 0x04034b50;
/** `PK\x01\x02`: central directory file header. */
export const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
/** `PK\x05\x06`: end of central directory record (EOCD). */
export const EOCD_SIGNATURE = 0x06054b50;
/** `PK\x06\x06`: zip64 end of central directory record. */
export const ZIP64_EOCD_SIGNATURE = 0x06064b50;
/** `PK\x06\x07`: zip64 end of central directory locator. */
export const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
/** `PK\x07\x08`: optional signature of a data descriptor (and the spanned-archive marker at offset 0). */
export const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;

/** Fixed part of a local file header. */
export const LOCAL_HEADER_SIZE = 30;
/** Fixed part of a central directory file header. */
export const CENTRAL_HEADER_SIZE = 46;
/** Fixed part of the EOCD record (the comment follows). */
export const EOCD_SIZE = 22;
/** Fixed part of the zip64 EOCD record (its "size of record" field counts from byte 12). */
export const ZIP64_EOCD_SIZE = 56;
/** The zip64 EOCD locator, which sits right before the EOCD record. */
export const ZIP64_LOCATOR_SIZE = 20;
/** Largest EOCD comment the 16-bit length field allows; bounds the backwards EOCD search. */
export const MAX_EOCD_COMMENT = 0xffff;

/** Extra-field id of the zip64 extended information field. */
export const ZIP64_EXTRA_ID = 0x0001;
/** A 32-bit size or offset of this value means "see the zip64 extra field". */
export const ZIP64_MARKER_32 = 0xffffffff;
/** A 16-bit count or disk number of this value means "see the zip64 record". */
export const ZIP64_MARKER_16 = 0xffff;

/** General-purpose flag bit 0: traditional PKWARE encryption. */
export const FLAG_ENCRYPTED = 1 << 0;
/** Bit 3: crc-32 and sizes follow the data in a data descriptor. */
export const FLAG_DATA_DESCRIPTOR = 1 << 3;
/** Bit 5: compressed patch data (zipfile raises NotImplementedError; miniz refuses to extract). */
export const FLAG_COMPRESSED_PATCH = 1 << 5;
/** Bit 6: strong encryption. */
export const FLAG_STRONG_ENCRYPTION = 1 << 6;
/** Bit 11: names and comments are UTF-8. */
export const FLAG_UTF8 = 1 << 11;
/** Bit 13: the central directory is encrypted and local header fields are masked (miniz refuses the archive). */
export const FLAG_MASKED_LOCAL_HEADERS = 1 << 13;
/**
 * Bits a benign writer sets: 1-2 (deflate level), 3 (data descriptor), 11 (UTF-8). torch.save (miniz) sets
 * 3 and 11; Python's zipfile sets 1-2, 3 and 11. Anything else is either unsupported by both loaders or
 * reserved, so it is there to break one parser and not the other (CVE-2025-1945).
 */
export const BENIGN_FLAG_BITS = (1 << 1) | (1 << 2) | FLAG_DATA_DESCRIPTOR | FLAG_UTF8;

/** Compression method 0: stored. */
export const METHOD_STORED = 0;
/** Compression method 8: deflate. The only two methods torch's miniz extracts. */
export const METHOD_DEFLATED = 8;

/** Unsigned 16-bit little-endian field, or undefined past the end of `buffer`. */
export function u16(buffer: Buffer, offset: number): number | undefined {
  if (offset < 0 || offset + 2 > buffer.length) return undefined;
  return buffer.readUInt16LE(offset);
}

/** Unsigned 32-bit little-endian field, or undefined past the end of `buffer`. */
export function u32(buffer: Buffer, offset: number): number | undefined {
  if (offset < 0 || offset + 4 > buffer.length) return undefined;
  return buffer.readUInt32LE(offset);
}

/**
 * Unsigned 64-bit little-endian field as a number, or undefined past the end of `buffer`. Two 32-bit reads
 * avoid a BigInt per field (the central directory of a large checkpoint has hundreds of thousands). Values
 * above 2^53 lose precision, which is harmless: such an offset or size is past the end of any real source
 * and every caller compares it with the source size.
 */
export function u64(buffer: Buffer, offset: number): number | undefined {
  if (offset < 0 || offset + 8 > buffer.length) return undefined;
  return buffer.readUInt32LE(offset) + buffer.readUInt32LE(offset + 4) * 0x1_0000_0000;
}

/** Human-readable hex for offsets, CRCs and flag words in anomaly messages. */
export function hex(value: number, width = 8): string {
  return `0x${value.toString(16).padStart(width, '0')}`;
}

/** `1 entry`, `2 entries`: counts in messages. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** Name of a compression method for messages (APPNOTE 4.4.5). */
export function methodName(method: number): string {
  const names: Record<number, string> = {
    0: 'stored',
    1: 'shrunk',
    6: 'imploded',
    8: 'deflate',
    9: 'deflate64',
    12: 'bzip2',
    14: 'lzma',
    93: 'zstandard',
    95: 'xz',
    98: 'ppmd',
    99: 'aes-encrypted',
  };
  return `${method} (${names[method] ?? 'unknown'})`;
}
