import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/readers/zip/crc32.js';

/**
 * Byte builder for zip archives. Valid output opens with Python's zipfile and passes `unzip -t`; each
 * hostile variant (a mismatched local name, a flipped flag bit, a wrong CRC, junk in front) is one option
 * away from a valid build, so every attack test sits next to its control.
 */

/** One member. Defaults make a valid entry; each override is one hostile byte-level change. */
export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  method?: 'store' | 'deflate';
  /** Raw method number written to both headers instead of 0/8 (e.g. 12 bzip2); data is stored as given. */
  methodCode?: number;
  /** Method written to the local header only. */
  localMethod?: number;
  /** General-purpose flags of both headers (bit 3 is added when `dataDescriptor` is set). */
  flags?: number;
  /** Flags of the local header only, overriding `flags` there. */
  localFlags?: number;
  /** Name in the local header, when it should differ from the central name (CVE-2025-1944). */
  localName?: string;
  /** Declared CRC-32 in every header, instead of the real one (CVE-2025-10156). */
  crc?: number;
  /** Declared uncompressed size in every header, instead of the real one. */
  declaredSize?: number;
  /** Sizes written to the local header only (compressed, uncompressed). */
  localSizes?: [number, number];
  /** External attributes (high 16 bits: unix mode). Defaults to a regular file or directory, mode 644/755. */
  externalAttrs?: number;
  /** `version made by`; the high byte is the host system (3 = unix). */
  versionMadeBy?: number;
  /** Set flag bit 3, zero the local crc and sizes, and write a signed data descriptor after the data. */
  dataDescriptor?: boolean;
  /** Extra field of the local header (the builder appends zip64 and alignment fields after it). */
  localExtra?: Buffer;
  /** Per-entry comment in the central directory. */
  comment?: string;
  /** false: write the local header and data but leave the entry out of the central directory. */
  inCentralDirectory?: boolean;
}

/** A whole archive. */
export interface BuildZipOptions {
  entries: ZipEntrySpec[];
  /** Junk written before the archive. */
  prefix?: Buffer;
  /** With a prefix: offsets count from the start of the file (`zip -A`), not from the archive start (`cat`). */
  absoluteOffsets?: boolean;
  /** Archive comment after the EOCD. */
  comment?: string | Buffer;
  /** Write zip64 extra fields for every entry and the zip64 EOCD record and locator, as torch.save does. */
  zip64?: boolean;
  /** Stop after the member data: no central directory, no EOCD. */
  omitCentralDirectory?: boolean;
  /** Bytes after the EOCD and its comment. */
  trailing?: Buffer;
  /** Entry count written to the EOCD instead of the real one. */
  declaredEntryCount?: number;
  /** Pad local extra fields so member data starts on a multiple of this (torch aligns on 64 with an `FB` field). */
  alignData?: number;
}

/** Default `version made by`: unix host, spec 2.0 (what Python's zipfile writes on Linux). */
const UNIX_MADE_BY = (3 << 8) | 20;
const MARKER_32 = 0xffffffff;

interface Placed {
  spec: ZipEntrySpec;
  nameBytes: Buffer;
  payload: Buffer;
  method: number;
  flags: number;
  crc: number;
  uncompressedSize: number;
  offset: number;
}

/** Real zip bytes for `options`. */
export function buildZip(options: BuildZipOptions): Buffer {
  const prefix = options.prefix ?? Buffer.alloc(0);
  const zip64 = options.zip64 ?? false;
  const base = options.absoluteOffsets ? 0 : prefix.length;
  const parts: Buffer[] = [prefix];
  let position = prefix.length;
  const placed: Placed[] = [];

  for (const spec of options.entries) {
    const raw = typeof spec.data === 'string' ? Buffer.from(spec.data, 'utf8') : spec.data;
    const method = spec.methodCode ?? (spec.method === 'deflate' ? 8 : 0);
    const payload = spec.method === 'deflate' && spec.methodCode === undefined ? deflateRawSync(raw) : raw;
    const flags = (spec.flags ?? 0) | (spec.dataDescriptor ? 1 << 3 : 0);
    const crc = spec.crc ?? crc32(raw);
    const uncompressedSize = spec.declaredSize ?? raw.length;
    const nameBytes = Buffer.from(spec.name, 'utf8');
    const localNameBytes = Buffer.from(spec.localName ?? spec.name, 'utf8');
    const localFlags = spec.localFlags ?? flags;

    let [localCompressed, localUncompressed] = spec.localSizes ?? [payload.length, uncompressedSize];
    let localCrc = crc;
    if (spec.dataDescriptor && !spec.localSizes) [localCrc, localCompressed, localUncompressed] = [0, 0, 0];
    const extras: Buffer[] = [spec.localExtra ?? Buffer.alloc(0)];
    if (zip64) {
      extras.push(extraField(0x0001, u64le(localUncompressed), u64le(localCompressed)));
      [localCompressed, localUncompressed] = [MARKER_32, MARKER_32];
    }
    if (options.alignData) {
      const unpadded = position + 30 + localNameBytes.length + extras.reduce((n, b) => n + b.length, 0) + 4;
      const padding = (options.alignData - (unpadded % options.alignData)) % options.alignData;
      extras.push(extraField(0x4246, Buffer.alloc(padding, 'Z')));
    }
    const extra = Buffer.concat(extras);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(localFlags, 6);
    header.writeUInt16LE(spec.localMethod ?? method, 8);
    header.writeUInt16LE(0x6000, 10); // 12:00:00
    header.writeUInt16LE(0x5821, 12); // 2024-01-01
    header.writeUInt32LE(localCrc >>> 0, 14);
    header.writeUInt32LE(localCompressed >>> 0, 18);
    header.writeUInt32LE(localUncompressed >>> 0, 22);
    header.writeUInt16LE(localNameBytes.length, 26);
    header.writeUInt16LE(extra.length, 28);
    const offset = position;
    parts.push(header, localNameBytes, extra, payload);
    position += header.length + localNameBytes.length + extra.length + payload.length;
    if (spec.dataDescriptor) {
      const descriptor = zip64 ? Buffer.alloc(24) : Buffer.alloc(16);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc >>> 0, 4);
      if (zip64) {
        descriptor.writeBigUInt64LE(BigInt(payload.length), 8);
        descriptor.writeBigUInt64LE(BigInt(uncompressedSize), 16);
      } else {
        descriptor.writeUInt32LE(payload.length, 8);
        descriptor.writeUInt32LE(uncompressedSize >>> 0, 12);
      }
      parts.push(descriptor);
      position += descriptor.length;
    }
    placed.push({ spec, nameBytes, payload, method, flags, crc, uncompressedSize, offset });
  }
  if (options.omitCentralDirectory) return Buffer.concat(parts);

  const centralStart = position;
  let centralCount = 0;
  for (const entry of placed) {
    if (entry.spec.inCentralDirectory === false) continue;
    centralCount++;
    const isDirectory = entry.spec.name.endsWith('/');
    const externalAttrs = entry.spec.externalAttrs ?? (isDirectory ? ((0o040755 << 16) | 0x10) >>> 0 : (0o100644 << 16) >>> 0);
    const storedOffset = entry.offset - base;
    const comment = Buffer.from(entry.spec.comment ?? '', 'utf8');
    let compressed = entry.payload.length;
    let uncompressed = entry.uncompressedSize;
    let localHeaderOffset = storedOffset;
    const extra = zip64 ? extraField(0x0001, u64le(uncompressed), u64le(compressed), u64le(localHeaderOffset)) : Buffer.alloc(0);
    if (zip64) [compressed, uncompressed, localHeaderOffset] = [MARKER_32, MARKER_32, MARKER_32];
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(entry.spec.versionMadeBy ?? UNIX_MADE_BY, 4);
    record.writeUInt16LE(zip64 ? 45 : 20, 6);
    record.writeUInt16LE(entry.flags, 8);
    record.writeUInt16LE(entry.method, 10);
    record.writeUInt16LE(0x6000, 12);
    record.writeUInt16LE(0x5821, 14);
    record.writeUInt32LE(entry.crc >>> 0, 16);
    record.writeUInt32LE(compressed >>> 0, 20);
    record.writeUInt32LE(uncompressed >>> 0, 24);
    record.writeUInt16LE(entry.nameBytes.length, 28);
    record.writeUInt16LE(extra.length, 30);
    record.writeUInt16LE(comment.length, 32);
    record.writeUInt16LE(0, 34);
    record.writeUInt16LE(0, 36);
    record.writeUInt32LE(externalAttrs >>> 0, 38);
    record.writeUInt32LE(localHeaderOffset >>> 0, 42);
    parts.push(record, entry.nameBytes, extra, comment);
    position += record.length + entry.nameBytes.length + extra.length + comment.length;
  }
  const centralSize = position - centralStart;
  const storedCentralStart = centralStart - base;
  const count = options.declaredEntryCount ?? centralCount;

  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(UNIX_MADE_BY, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(centralSize), 40);
    record.writeBigUInt64LE(BigInt(storedCentralStart), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(position - base), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
    position += record.length + locator.length;
  }
  const comment = typeof options.comment === 'string' ? Buffer.from(options.comment, 'utf8') : (options.comment ?? Buffer.alloc(0));
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : count & 0xffff, 8);
  eocd.writeUInt16LE(zip64 ? 0xffff : count & 0xffff, 10);
  eocd.writeUInt32LE(zip64 ? MARKER_32 : centralSize, 12);
  eocd.writeUInt32LE(zip64 ? MARKER_32 : storedCentralStart >>> 0, 16);
  eocd.writeUInt16LE(comment.length, 20);
  parts.push(eocd, comment, options.trailing ?? Buffer.alloc(0));
  return Buffer.concat(parts);
}

/** The files `torch.save` writes for a small model (`archive/` prefix, data aligned on 64 bytes, zip64). */
export function torchLikeEntries(pickle: Buffer, storages: Buffer[] = [Buffer.alloc(16, 1)]): ZipEntrySpec[] {
  return [
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/.format_version', data: '1' },
    { name: 'archive/.storage_alignment', data: '64' },
    { name: 'archive/byteorder', data: 'little' },
    ...storages.map((data, i) => ({ name: `archive/data/${i}`, data })),
    { name: 'archive/version', data: '3\n' },
    { name: 'archive/.data/serialization_id', data: '1234567890123456789012345678901234567890' },
  ];
}

/** Byte offsets of the records in an archive built by `buildZip`, found by signature, for byte-level edits. */
export function offsetsOf(zip: Buffer, signature: 'local' | 'central' | 'eocd'): number[] {
  const bytes = { local: [3, 4], central: [1, 2], eocd: [5, 6] }[signature];
  const needle = Buffer.from([0x50, 0x4b, ...bytes]);
  const found: number[] = [];
  for (let at = zip.indexOf(needle); at >= 0; at = zip.indexOf(needle, at + 1)) found.push(at);
  return found;
}

/**
 * Write a large stored zip64 archive without holding its data: headers are written at their offsets and
 * member data is left as a sparse hole of zeros. For timing readZip on multi-GB checkpoints.
 */
export function writeSparseZip(path: string, members: { name: string; size: number }[]): number {
  const fd = openSync(path, 'w');
  try {
    let position = 0;
    const central: Buffer[] = [];
    for (const member of members) {
      const nameBytes = Buffer.from(member.name, 'utf8');
      const header = Buffer.alloc(30);
      header.writeUInt32LE(0x04034b50, 0);
      header.writeUInt16LE(45, 4);
      header.writeUInt32LE(MARKER_32, 18);
      header.writeUInt32LE(MARKER_32, 22);
      header.writeUInt16LE(nameBytes.length, 26);
      const extra = extraField(0x0001, u64le(member.size), u64le(member.size));
      header.writeUInt16LE(extra.length, 28);
      writeSync(fd, Buffer.concat([header, nameBytes, extra]), 0, undefined, position);
      const record = Buffer.alloc(46);
      record.writeUInt32LE(0x02014b50, 0);
      record.writeUInt16LE(UNIX_MADE_BY, 4);
      record.writeUInt16LE(45, 6);
      record.writeUInt32LE(MARKER_32, 20);
      record.writeUInt32LE(MARKER_32, 24);
      record.writeUInt16LE(nameBytes.length, 28);
      const centralExtra = extraField(0x0001, u64le(member.size), u64le(member.size), u64le(position));
      record.writeUInt16LE(centralExtra.length, 30);
      record.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      record.writeUInt32LE(MARKER_32, 42);
      central.push(record, nameBytes, centralExtra);
      position += header.length + nameBytes.length + extra.length + member.size;
    }
    const directory = Buffer.concat(central);
    const tail = Buffer.alloc(56 + 20 + 22);
    tail.writeUInt32LE(0x06064b50, 0);
    tail.writeBigUInt64LE(44n, 4);
    tail.writeUInt16LE(45, 12);
    tail.writeUInt16LE(45, 14);
    tail.writeBigUInt64LE(BigInt(members.length), 24);
    tail.writeBigUInt64LE(BigInt(members.length), 32);
    tail.writeBigUInt64LE(BigInt(directory.length), 40);
    tail.writeBigUInt64LE(BigInt(position), 48);
    tail.writeUInt32LE(0x07064b50, 56);
    tail.writeBigUInt64LE(BigInt(position + directory.length), 64);
    tail.writeUInt32LE(1, 72);
    tail.writeUInt32LE(0x06054b50, 76);
    tail.writeUInt16LE(0xffff, 76 + 8);
    tail.writeUInt16LE(0xffff, 76 + 10);
    tail.writeUInt32LE(MARKER_32, 76 + 12);
    tail.writeUInt32LE(MARKER_32, 76 + 16);
    const end = Buffer.concat([directory, tail]);
    ftruncateSync(fd, position);
    writeSync(fd, end, 0, end.length, position);
    return position + end.length;
  } finally {
    closeSync(fd);
  }
}

function extraField(id: number, ...values: Buffer[]): Buffer {
  const data = Buffer.concat(values);
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

function u64le(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(value));
  return bytes;
}
