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

/**
 * The text the two LZMA-alone fixtures below hold (2335 bytes, repetitive enough for matches, repeated
 * matches and matched literals): Python's `b''.join(b'%d:%s;' % (i * i % 97, b'abcd'[: i % 5]) for i in range(400))`.
 */
export const LZMA_FIXTURE_TEXT = Buffer.from(
  Array.from({ length: 400 }, (_, i) => `${(i * i) % 97}:${'abcd'.slice(0, i % 5)};`).join(''),
  'latin1',
);

/**
 * LZMA_FIXTURE_TEXT as LZMA-alone with unusual literal/position bits, made once by CPython 3.11 (liblzma
 * 5.4): `lzma.compress(text, format=lzma.FORMAT_ALONE, filters=[{'id': lzma.FILTER_LZMA1, 'preset': 6,
 * 'lc': LC, 'lp': LP, 'pb': PB, 'dict_size': 1 << 16}]).hex()`. Unknown size, end marker.
 */
const LZMA_ALONE_TEXT: Record<'lc0-lp2-pb0' | 'lc4-lp0-pb4', string> = {
  'lc0-lp2-pb0':
    '1200000100ffffffffffffffff00180ef81672c6ff776c7cacb18b3d7ee20e63b67b61c6eeada4c872edaacd6b47bf02c8f867ef7b0411c1ddcf0c3f4cbce110d3905351a4eab90c1e21058b1f62dc0ed8bbf01eff2f797092599c88e359217f7e7babc0a97493d2299dec26eab17fe1b930fd263acd4eff41216c9ccec41b95be7c2c7bfbd4d5e163a83b020c5b0ae4ad4835538ae1f72cff9e7f7b838d2651006ec9b5398849cf6975c511cfabb22eb941bf2526849143e9265b8ef2abcfa5e7ba0980ff6baff9ae59d8f8c473e4558146e87d356cc2bd2510cb060427b56c5e1606cf62ace127ab028f850d38a010770682f2580dd14acb9676576c01ab41fff11e49d878ea51974ff284b2296332099a0e941f2294ded5beeca74950daf16ac556b93d419ee222819a0a4a415f34d83ff228dbc8a9172b86a88c14175856b3e612c8f162d152c0fea54891ee4080cbcf7413d6effbfeeb8df3164c2e2de1afee512982d87395d0b3de075d58c43ca6656dbcbc1b12d1aef4946b58fe1c7cfec3d184bc57633c7bd3d52575d2575a838c7e034565a0e63f2428cd20bfb66eb18e6fc05af40c2b3d8e6581700891b9350e70517c05813c8894b3b855c16f3c8a3d6342b2321ffc1b52b7ccf66f4aafec3537320a52b4bd0ff115b8207c35daa08e1ec794cc64f44a713fd60f7e72ae6b7b938de5e13c0df257eb6d2549e63c89dddc69f93ce718a7976b8ba76063148a0c2c29567fe4b734859a2208103c918f607a5b4a5030d65717b5a40f92bde1f96d214365ff64b5c1be740610e2b927216377d6613c994f14e2a74e602a53bdc1e2e3cc89b95fe6eb911e84bf351291bd54c63fbffafe2a186fe6846e0e0c7aa077c73670e56f58650c5d331f486513ef03ef5b970c15f26faa3e827f4580cd0129f12966fb9bc1222407d8fcccbc466673d7d334a61aef62b94421cfc168a0cb2a0647e01b33bc82ee07d9c80df7947111e94d19f1287827ea081ef145b567ca8ad938f1762084cdb515d74e9ec579bbbeff238030b172126ca368b4a18da62a87ffd9dccf56',
  'lc4-lp0-pb4':
    'b800000100ffffffffffffffff00180e83cee8b68856da22e11deae80e859fcffa143acba5e3a5d5a1060424b876b1fbedad986c19ed3d9f47c2066cba97bef4a1fdd27cbb119915432764cff98337c5b76b28e92e74931a2e0fac80b2684a126bb739526a9a3ed4e308527cfd0e16ad7979e6d76ddb6722a73d839962bcbde3d53c026f9dedeb6e178d6facdec4068bf8a97f1cb9681719979f167b8eb1c16bad9b62c62af73ba29d43571ed0bc5ba3c91c8d4a9b2fa98a0b2e3ef537542a2a800e54cf43db4ee91defda50cec328dfe35b3b72a4c33fe1eb4865f11b1c591fea2a138bb5cb424b0ae83f2402f2c743c7d6fcdf44ce879dec093d8d713c937049c49dda579dfd86ff87868bd43bf76b5330846c09648b2145ee3223ce03d70f2d25b108bca497d4ddcfcfd3986a1a56f1e95e554c0efa826d76f0f807a352e80077b325c31dd6dc5f45d948bd18be6fbad536382520bcde8f4dd6c6e6488486f504ac69e83a5a360e15f875d4c436bec39745f3e7f541a4502ecf8371cc756ae45e1d8b22709fff56f4cda11c68d8cb8ac1dc239ed7667ae22eb23c5ae9e5f5a1252b4331525fd29d7d3f75b1f4942befa30c579ce193e6f176b300d264348536da24ba9c9cdb8d4de8aa82ffea6e22e881b2fe92e2a5c26978f481f1959e3eeba8df017012e4124de331aaea0a984486a8cb81fde0239c7b51574cd6d5fb21c6f434fdbd72dd74fca81dee7054f9ac15e976d8d47f97299d6b3963196b797a1e21a02413b9761b37cf6ad0557d69f1cdf66d816aa1211a54c324ffe2f04d9a1def2d0a19dac672a1bb93d149232e3ca69fa1d3e4ebed030f9aaf42662b8f8ff38009c9ccb00262f4811daf0454f65784e084b5587fdc1b77127fe2b54052c72a56961bceeea7ddd5065bbd809d0c2852ac3ab18d3fc4c9ed81c7a60759ab7156f7533306714adede9b6931774943a7051204d27e3a37ac87174c42c1a9bbbab09d72837c85d5b6e097ffdd70d8d8',
};

/** LZMA_FIXTURE_TEXT as an LZMA-alone stream written by liblzma with the given lc/lp/pb. */
export function lzmaAloneText(variant: keyof typeof LZMA_ALONE_TEXT): Buffer {
  return Buffer.from(LZMA_ALONE_TEXT[variant], 'hex');
}

/**
 * The smallest LZMA-alone stream: properties 0, dictionary 0, known size 0, and the five range-decoder
 * bytes, all zero (18 bytes). liblzma ends it right there, since the range decoder's code is 0.
 */
export function lzmaAloneEmptyKnownSize(): Buffer {
  return Buffer.alloc(18);
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
