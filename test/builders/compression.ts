import { compressSync as lzmaAloneCompress } from '@napi-rs/lzma/lzma';
import { compressSync as xzCompress } from '@napi-rs/lzma/xz';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';

/**
 * Byte builders for compressed streams. Valid output decodes with Python's gzip/zlib/bz2/lzma modules
 * (checked once by hand with /usr/bin/python3 while writing these); each hostile variant is one option
 * away from a valid build. Node has no bzip2, LZMA or xz encoder that compresses (@napi-rs/lzma writes
 * literals only), so the few compressing fixtures below are hex made once by Python, as each comment says.
 */

// ---------------------------------------------------------------- checksums (independent of src/)

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (gzip, zip, xz headers). */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const CRC64_TABLE = (() => {
  const table: bigint[] = [];
  for (let n = 0n; n < 256n; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1n ? 0xc96c5795d7870f42n ^ (c >> 1n) : c >> 1n;
    table.push(c);
  }
  return table;
})();

/** CRC-64/XZ (ECMA-182 reflected), the default check of Python's lzma.compress. */
export function crc64(data: Uint8Array): Buffer {
  let crc = 0xffffffffffffffffn;
  for (const byte of data) crc = CRC64_TABLE[Number((crc ^ BigInt(byte)) & 0xffn)]! ^ (crc >> 8n);
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc ^ 0xffffffffffffffffn);
  return out;
}

function u32le(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0);
  return out;
}

// ---------------------------------------------------------------- gzip and zlib

/** Header options of one gzip member (RFC 1952); defaults give what Python's gzip.compress writes. */
export interface GzipOptions {
  level?: number;
  /** FNAME field. */
  name?: string;
  /** FCOMMENT field. */
  comment?: string;
  /** FEXTRA field. */
  extra?: Buffer;
  /** FHCRC: a 2-byte header CRC. */
  headerCrc?: boolean;
  /** Set reserved flag bits (0xe0): CPython's gzip ignores them, zlib refuses the member. */
  reservedFlags?: boolean;
  /** CRC-32 written in the trailer instead of the real one. */
  crc?: number;
  /** Drop the last `n` bytes. */
  truncate?: number;
}

/** One gzip member around raw deflate of `data`. */
export function gzipBytes(data: Buffer | string, options: GzipOptions = {}): Buffer {
  const input = Buffer.from(data);
  let flags = 0;
  const optional: Buffer[] = [];
  if (options.extra) {
    flags |= 0x04;
    const length = Buffer.alloc(2);
    length.writeUInt16LE(options.extra.length);
    optional.push(length, options.extra);
  }
  if (options.name !== undefined) {
    flags |= 0x08;
    optional.push(Buffer.from(`${options.name}\0`, 'latin1'));
  }
  if (options.comment !== undefined) {
    flags |= 0x10;
    optional.push(Buffer.from(`${options.comment}\0`, 'latin1'));
  }
  if (options.headerCrc) flags |= 0x02;
  if (options.reservedFlags) flags |= 0xe0;
  const fixed = Buffer.from([0x1f, 0x8b, 0x08, flags, 0, 0, 0, 0, 0x00, 0xff]);
  const header = Buffer.concat([fixed, ...optional]);
  const headerCrc = options.headerCrc ? Buffer.from([crc32(header) & 0xff, (crc32(header) >>> 8) & 0xff]) : Buffer.alloc(0);
  const body = zlib.deflateRawSync(input, { level: options.level ?? 9 });
  const trailer = Buffer.concat([u32le(options.crc ?? crc32(input)), u32le(input.length)]);
  const member = Buffer.concat([header, headerCrc, body, trailer]);
  return options.truncate ? member.subarray(0, member.length - options.truncate) : member;
}

/** A zlib stream (joblib's default `compress=True` format). */
export function zlibBytes(data: Buffer | string, level = 3): Buffer {
  return zlib.deflateSync(Buffer.from(data), { level });
}

/** Bytes of zeros in one deflate chunk of the bombs below. */
const BOMB_CHUNK_BYTES = 1024 * 1024;
let zeroChunk: Buffer | undefined;

/**
 * Raw deflate that inflates to `totalBytes` zeros (a multiple of 1 MiB) at about 1000:1, built without
 * compressing it all: one 1 MiB chunk ended by a full flush (which resets the window, so copies of it can
 * follow each other) repeated, then an empty final block.
 */
export function deflateZerosBomb(totalBytes: number): Buffer {
  zeroChunk ??= zlib.deflateRawSync(Buffer.alloc(BOMB_CHUNK_BYTES), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const chunks = Math.ceil(totalBytes / BOMB_CHUNK_BYTES);
  return Buffer.concat([...Array<Buffer>(chunks).fill(zeroChunk), Buffer.from([0x03, 0x00])]);
}

/**
 * A gzip member that inflates to `totalBytes` zeros (2 GB of zeros is about 2 MB). The trailer's CRC is
 * not computed (zero): a decoder that respects its limits stops long before it.
 */
export function gzipZerosBomb(totalBytes: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0x02, 0xff]);
  return Buffer.concat([header, deflateZerosBomb(totalBytes), u32le(0), u32le(totalBytes % 2 ** 32)]);
}

/** A zlib stream of `totalBytes` zeros (Adler-32 not computed, as for gzipZerosBomb). */
export function zlibZerosBomb(totalBytes: number): Buffer {
  return Buffer.concat([Buffer.from([0x78, 0xda]), deflateZerosBomb(totalBytes), u32le(0)]);
}

// ---------------------------------------------------------------- joblib < 0.10 Z-file

/** Options of a joblib Z-file. */
export interface ZfOptions {
  /** Length written in the header instead of the real one. */
  declaredLength?: number;
  /** Raw text of the 19-byte length field instead of `hex(n).ljust(19)`. */
  lengthField?: string;
  /** The extra space joblib <= 0.8.4 on Python 2 wrote after the field. */
  python2Space?: boolean;
  /** The zlib stream instead of zlib.compress(data). */
  body?: Buffer;
}

/** `numpy_pickle_compat.write_zfile`: `ZF`, `hex(len).ljust(19)`, zlib data. */
export function joblibZfBytes(data: Buffer | string, options: ZfOptions = {}): Buffer {
  const input = Buffer.from(data);
  const field = options.lengthField ?? `0x${(options.declaredLength ?? input.length).toString(16)}`.padEnd(19, ' ');
  return Buffer.concat([
    Buffer.from(`ZF${field}${options.python2Space ? ' ' : ''}`, 'latin1'),
    options.body ?? zlib.deflateSync(input, { level: 1 }),
  ]);
}

// ---------------------------------------------------------------- bzip2

/**
 * bzip2 streams made once with CPython 3.11: `bz2.compress(data, 9).hex()` for the data named:
 * - hello: b'hello world\n' * 10
 * - empty: b'' (header and end-of-stream marker only)
 * - one-byte: b'a'
 * - zeros-45mb: b'\0' * 45_000_000, a single block (bzip2 run-length codes zeros before the BWT)
 * - payload: b"cposix\nsystem\n(S'echo antidote-fixture'\ntR." (a protocol 0 pickle calling os.system; inert bytes here)
 */
const BZ2_FIXTURES = {
  hello: '425a68393141592653594c99a9f8000018d1800010400006449080200020a550cd10832623d4c4c4c4d271389a275313a9f8bb9229c2848264cd4fc0',
  empty: '425a683917724538509000000000',
  'one-byte': '425a683931415926535919939b6b00000001002000200021184682ee48a70a120332736d60',
  'zeros-45mb': '425a6839314159265359c901b6c80158ab4020c00010000008200030cc0529a65248526c5492149e2ee48a70a12192036d90',
  payload:
    '425a6839314159265359e114b7e2000006d380001040c318002f63de602000314000d032641536a7a0351e91e9a6461c50ca604d7b8f89a9944fe06cd915b5575dac00b6e6901e0bb9229c2848708a5bf100',
} as const;

/** Names of the bzip2 fixtures. */
export type Bz2Fixture = keyof typeof BZ2_FIXTURES;

/** The plain bytes each bzip2 fixture decodes to (zeros-45mb is left out: 45 MB). */
export const BZ2_PLAIN: Record<Exclude<Bz2Fixture, 'zeros-45mb'>, Buffer> = {
  hello: Buffer.from('hello world\n'.repeat(10)),
  empty: Buffer.alloc(0),
  'one-byte': Buffer.from('a'),
  payload: Buffer.from("cposix\nsystem\n(S'echo antidote-fixture'\ntR.", 'latin1'),
};

/** One bzip2 fixture. */
export function bz2Bytes(fixture: Bz2Fixture): Buffer {
  return Buffer.from(BZ2_FIXTURES[fixture], 'hex');
}

/** A multi-stream bzip2 file of `streams` copies of a fixture (Python's bz2 reads them all). */
export function bz2Streams(fixture: Bz2Fixture, streams: number): Buffer {
  return Buffer.concat(Array<Buffer>(streams).fill(bz2Bytes(fixture)));
}

// ---------------------------------------------------------------- LZMA-alone

/** Options of an LZMA-alone stream. */
export interface LzmaAloneOptions {
  /** Size written in the header; 'unknown' (all ones, as Python writes) is the default. */
  declaredSize?: number | 'unknown';
  /** Dictionary size written in the header. */
  dictionarySize?: number;
  /** Properties byte written in the header. */
  properties?: number;
}

/** Patch an LZMA-alone header in a copy of `stream`. */
export function patchLzmaAloneHeader(stream: Buffer, options: LzmaAloneOptions): Buffer {
  const out = Buffer.from(stream);
  if (options.properties !== undefined) out[0] = options.properties;
  if (options.dictionarySize !== undefined) out.writeUInt32LE(options.dictionarySize >>> 0, 1);
  if (options.declaredSize !== undefined) {
    if (options.declaredSize === 'unknown') out.fill(0xff, 5, 13);
    else out.writeBigUInt64LE(BigInt(options.declaredSize), 5);
  }
  return out;
}

/** An LZMA-alone stream of `data` (lzma-rs encoder: literals only, unknown size and an end marker, like Python's). */
export function lzmaAloneBytes(data: Buffer | string, options: LzmaAloneOptions = {}): Buffer {
  return patchLzmaAloneHeader(lzmaAloneCompress(Buffer.from(data)), options);
}

/**
 * 4 MiB of zeros as LZMA-alone: `lzma.compress(b'\0' * (4 << 20), format=lzma.FORMAT_ALONE).hex()`
 * (CPython 3.11, liblzma 5.4). Unknown size, end marker: exactly what joblib's compress='lzma' writes.
 */
const LZMA_ALONE_ZEROS_4MIB =
  '5d00008000ffffffffffffffff00006ffdffffa3b7ff473e481572396151b89228e6a38607f9eee41e82d32fc53a3c014bb17ec98a8a4d2fa30dd97fa6e38c231153e05918c5758ae277f8b6947f0c6ac0de744964e2e95c53b204d8f7440cab5f0d6d46e9e5c37688b79657acb64de1691d6ffb4b88106c42cb883f5c008fd04eaf262894711f3d8f24e1709ea7235fec28cb85d195988a7e2a91f22775f719c006984d98fdd8afd5900fc42553f8f591363105a5b0ee6fc1704d470cd19111aaad601dbaceb127185c5986e9665258bee976ac59e4e55b0508f9c7daadfcfb522b74cd1e5b2042f9dd533df82964093b80cb2a6cdfb53bf0c4bd2e5faa0f3e4b664290130eff1093f8717859f80bcdff9528460fa9fc7cdefb9a302e56c08f85f38381c065c42553f8f591363105a5b0ee6fc1704d470cd19111aaad601dbaceb127185c5986e9665258bee976ac59e4e55b0508f9c7daadfcfb522b74cd1e5b2042f9dd533df82964093b80cb2a6cdfb53bf0c4bd2e5faa0f3e4b664290130eff1093f8717859f80bcdff9528460fa9fc7cdefb9a302e56c08f85f38381c065c42553f8f591363105a5b0ee6fc1704d470cd19111aaad601dbaceb127185c5986e9665258bee976ac59e4e55b0508f9c7daadfcfb522b74cd1e5b2042f9dd533df82964093b80cb2a6cdfb53bf0c4bd2e5faa0f3e4b664290130eff1093f8717859f80bcdff9528460fa9fc7cdefb9a302e56c08f85f38381c065c42553f8f591363105a5b0ee6fc1704d470cd19111aaad601dbaceb127185c5986e9665258bee976ac59e4e55b0508f9c7daadfcfb522b74cd1e5b2042f9dd533df82964093b80cb2a6cdfb53bf0c4bd2e5faa0f3e4b664290130eff1093f8717859f80bcdff9528460fa9fc7cdefb9a302e56c08f85f38381c065c42553f8f59134260cc3f6f3ffff7c480000';

/** LZMA-alone stream of 4 MiB of zeros (681 bytes), optionally with a patched header. */
export function lzmaAloneZeros(options: LzmaAloneOptions = {}): Buffer {
  return patchLzmaAloneHeader(Buffer.from(LZMA_ALONE_ZEROS_4MIB, 'hex'), options);
}

// ---------------------------------------------------------------- xz

/**
 * One LZMA2 chunk that decodes to 1 MiB of zeros: the first chunk of
 * `lzma.compress(b'\0' * (1 << 20), format=lzma.FORMAT_RAW, filters=[{'id': lzma.FILTER_LZMA2, 'preset': 6}])`
 * (CPython 3.11), without the end marker. Its control byte 0xef resets dictionary, state and properties, so
 * copies of it can follow each other: N copies decode to N MiB of zeros.
 */
const LZMA2_ZEROS_1MIB_CHUNK =
  'efffff00d95d00006ffdffffa3b7ff473e481572396151b89228e6a38607f9eee41e82d32fc53a3c014bb17ec98a8a4d2fa30dd97fa6e38c231153e05918c5758ae277f8b6947f0c6ac0de744964e2e95c53b204d8f7440cab5f0d6d46e9e5c37688b79657acb64de1691d6ffb4b88106c42cb883f5c008fd04eaf262894711f3d8f24e1709ea7235fec28cb85d195988a7e2a91f22775f719c006984d98fdd8afd5900fc42553f8f591363105a5b0ee6fc1704d470cd19111aaad601dbaceb127185c5986e9665258bee976ac59e4e55b0508f9c7daadfcfb522af7e4952500';

/** Bytes one LZMA2 zeros chunk decodes to. */
export const LZMA2_ZEROS_CHUNK_BYTES = 1 << 20;
/** LZMA2 properties byte of the zeros chunk (dictionary size). */
const LZMA2_PROPERTIES = 0x16;

/** A piece of LZMA2 data in a block: raw bytes (stored as uncompressed chunks) or N MiB of compressed zeros. */
export type XzChunkSpec = { data: Buffer | string } | { zerosMiB: number };

/** One block of an xz stream. */
export interface XzBlockSpec {
  chunks: XzChunkSpec[];
  /** Filter ids written before LZMA2 (e.g. 0x04 x86 BCJ), with empty properties. */
  extraFilters?: number[];
  /** Write the compressed/uncompressed size fields into the block header (as multi-threaded xz does). */
  headerSizes?: boolean | { compressed?: number; uncompressed?: number };
}

/** Check type of a stream. */
export type XzCheck = 'none' | 'crc32' | 'crc64' | 'sha256';
const CHECK_IDS: Record<XzCheck, number> = { none: 0, crc32: 1, crc64: 4, sha256: 10 };

/** One xz stream. Defaults give what Python writes, except that the data is stored uncompressed. */
export interface XzStreamSpec {
  blocks: XzBlockSpec[];
  check?: XzCheck;
  /** Override the index records: [unpadded size, uncompressed size] per block (a lying index). */
  indexRecords?: Array<[number, number]>;
}

function vli(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function lzma2Data(chunks: XzChunkSpec[]): { data: Buffer; plainBytes: number; plain: Array<Buffer | number> } {
  const parts: Buffer[] = [];
  // The uncompressed content in order: raw data, or a count of zero bytes.
  const plain: Array<Buffer | number> = [];
  let plainBytes = 0;
  let first = true;
  for (const chunk of chunks) {
    if ('zerosMiB' in chunk) {
      for (let i = 0; i < chunk.zerosMiB; i++) parts.push(Buffer.from(LZMA2_ZEROS_1MIB_CHUNK, 'hex'));
      plain.push(chunk.zerosMiB * LZMA2_ZEROS_CHUNK_BYTES);
      plainBytes += chunk.zerosMiB * LZMA2_ZEROS_CHUNK_BYTES;
      first = false;
      continue;
    }
    const data = Buffer.from(chunk.data);
    plain.push(data);
    for (let at = 0; at < data.length; at += 0x10000) {
      const piece = data.subarray(at, at + 0x10000);
      // 0x01: uncompressed chunk with a dictionary reset (required first), 0x02: without.
      parts.push(Buffer.from([first ? 0x01 : 0x02, (piece.length - 1) >> 8, (piece.length - 1) & 0xff]), piece);
      first = false;
    }
    plainBytes += data.length;
  }
  parts.push(Buffer.from([0x00]));
  return { data: Buffer.concat(parts), plainBytes, plain };
}

function checkBytes(check: XzCheck, plain: Buffer): Buffer {
  if (check === 'crc32') return u32le(crc32(plain));
  if (check === 'crc64') return crc64(plain);
  if (check === 'sha256') return createHash('sha256').update(plain).digest();
  return Buffer.alloc(0);
}

/** One xz stream, written by hand (uncompressed LZMA2 chunks for data, the zeros chunk for bulk). */
export function buildXzStream(spec: XzStreamSpec): Buffer {
  const check = spec.check ?? 'crc64';
  const flags = Buffer.from([0x00, CHECK_IDS[check]]);
  const parts: Buffer[] = [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), flags, u32le(crc32(flags))];
  const records: Array<[number, number]> = [];
  for (const block of spec.blocks) {
    const { data, plainBytes, plain } = lzma2Data(block.chunks);
    const filterFlags: Buffer[] = [];
    for (const id of block.extraFilters ?? []) filterFlags.push(vli(id), vli(0));
    filterFlags.push(Buffer.from([0x21, 0x01, LZMA2_PROPERTIES]));
    let blockFlags = (block.extraFilters?.length ?? 0) & 0x03;
    const sizes: Buffer[] = [];
    if (block.headerSizes) {
      const given = typeof block.headerSizes === 'object' ? block.headerSizes : {};
      blockFlags |= 0xc0;
      sizes.push(vli(given.compressed ?? data.length), vli(given.uncompressed ?? plainBytes));
    }
    let header = Buffer.concat([Buffer.from([0, blockFlags]), ...sizes, ...filterFlags]);
    header = Buffer.concat([header, Buffer.alloc((4 - ((header.length + 4) % 4)) % 4)]);
    header[0] = (header.length + 4) / 4 - 1;
    const fullHeader = Buffer.concat([header, u32le(crc32(header))]);
    // The check covers the uncompressed data; bombs use check None so that their output is never allocated here.
    const checkField =
      check === 'none' ? Buffer.alloc(0) : checkBytes(check, Buffer.concat(plain.map((piece) => (typeof piece === 'number' ? Buffer.alloc(piece) : piece))));
    parts.push(fullHeader, data, Buffer.alloc((4 - (data.length % 4)) % 4), checkField);
    records.push([fullHeader.length + data.length + checkField.length, plainBytes]);
  }
  const indexRecords = spec.indexRecords ?? records;
  let index = Buffer.concat([Buffer.from([0x00]), vli(indexRecords.length), ...indexRecords.flatMap(([u, n]) => [vli(u), vli(n)])]);
  index = Buffer.concat([index, Buffer.alloc((4 - (index.length % 4)) % 4)]);
  parts.push(index, u32le(crc32(index)));
  const footerBody = Buffer.concat([u32le((index.length + 4) / 4 - 1), flags]);
  parts.push(u32le(crc32(footerBody)), footerBody, Buffer.from('YZ', 'latin1'));
  return Buffer.concat(parts);
}

/** An xz file holding `data`, from lzma-rs's encoder (check None, uncompressed chunks). */
export function xzBytes(data: Buffer | string): Buffer {
  return xzCompress(Buffer.from(data));
}

/** An xz stream of `mib` MiB of zeros in one block, optionally with a lying index (uncompressed size). */
export function xzZerosBomb(mib: number, indexUncompressed?: number): Buffer {
  const honest = buildXzStream({ blocks: [{ chunks: [{ zerosMiB: mib }] }], check: 'none' });
  if (indexUncompressed === undefined) return honest;
  const unpadded = 12 + mib * (LZMA2_ZEROS_1MIB_CHUNK.length / 2) + 1;
  return buildXzStream({ blocks: [{ chunks: [{ zerosMiB: mib }] }], check: 'none', indexRecords: [[unpadded, indexUncompressed]] });
}
