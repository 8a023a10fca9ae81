import { rawName } from './entry-names.js';
import { readZip64Extra } from './zip64-extra.js';
import { DATA_DESCRIPTOR_SIGNATURE, LOCAL_HEADER_SIGNATURE, LOCAL_HEADER_SIZE, u16, u32, u64 } from './zip-format.js';
import type { WindowReader } from './window-reader.js';

/**
 * Bytes fetched per local-header read. A header with its name and extra field (torch pads the extra field
 * to align data on 64 bytes) fits in one page, and the descriptor of one member and the header of the next
 * usually share it, so a checkpoint with N tensors costs about N small reads, never its data.
 */
export const LOCAL_HEADER_WINDOW = 1024;

/** A parsed local file header. */
export interface LocalHeader {
  offset: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** The name bytes as latin1 (see `rawName`). */
  rawName: string;
  /** Absolute offset of the data: header + name + extra, exactly as miniz and torch's getRecordOffset compute it. */
  dataOffset: number;
  zip64: boolean;
  /** Why the extra field could not be walked, if it could not. */
  extraProblem?: string;
}

/** A data descriptor found right after an entry's data. */
export interface DataDescriptor {
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Bytes the descriptor occupies (12 to 24). */
  length: number;
  /** It starts with the optional `PK\x07\x08` signature, so it is a descriptor even when its values are wrong. */
  signed: boolean;
}

/** The local header at `offset`, or null when there is no `PK\x03\x04` with a complete header there. */
export function readLocalHeader(reader: WindowReader, offset: number): LocalHeader | null {
  let i = reader.fetch(offset, LOCAL_HEADER_SIZE);
  let buffer = reader.buffer;
  if (buffer.length - i < LOCAL_HEADER_SIZE || buffer.readUInt32LE(i) !== LOCAL_HEADER_SIGNATURE) return null;
  const nameLength = buffer.readUInt16LE(i + 26);
  const extraLength = buffer.readUInt16LE(i + 28);
  const total = LOCAL_HEADER_SIZE + nameLength + extraLength;
  i = reader.fetch(offset, total);
  buffer = reader.buffer;
  if (buffer.length - i < total) return null;
  const nameStart = i + LOCAL_HEADER_SIZE;
  const zip64 = readZip64Extra(
    buffer,
    nameStart + nameLength,
    nameStart + nameLength + extraLength,
    u32(buffer, i + 22) ?? 0,
    u32(buffer, i + 18) ?? 0,
    -1,
  );
  const header: LocalHeader = {
    offset,
    flags: u16(buffer, i + 6) ?? 0,
    method: u16(buffer, i + 8) ?? 0,
    crc32: u32(buffer, i + 14) ?? 0,
    compressedSize: zip64.compressedSize,
    uncompressedSize: zip64.uncompressedSize,
    rawName: rawName(buffer, nameStart, nameStart + nameLength),
    dataOffset: offset + total,
    zip64: zip64.present,
  };
  if (zip64.problem) header.extraProblem = zip64.problem;
  return header;
}

/**
 * The data descriptor at `offset` (where the data ends), matched against the sizes we expect: its
 * signature is optional and its sizes are 4 or 8 bytes wide (8 for zip64 entries), so the reading whose
 * sizes both match is taken. Without a match, the reading that fits the entry's zip64-ness is returned as
 * evidence of the disagreement.
 */
export function readDataDescriptor(
  reader: WindowReader,
  offset: number,
  expected: { compressedSize: number; uncompressedSize: number; zip64: boolean },
): DataDescriptor | null {
  const bytes = reader.read(offset, 24);
  const signed = u32(bytes, 0) === DATA_DESCRIPTOR_SIGNATURE;
  const base = signed ? 4 : 0;
  const crc = u32(bytes, base);
  if (crc === undefined) return null;
  const readings: DataDescriptor[] = [];
  const narrowCompressed = u32(bytes, base + 4);
  const narrowUncompressed = u32(bytes, base + 8);
  if (narrowCompressed !== undefined && narrowUncompressed !== undefined) {
    readings.push({ crc32: crc, compressedSize: narrowCompressed, uncompressedSize: narrowUncompressed, length: base + 12, signed });
  }
  const wideCompressed = u64(bytes, base + 4);
  const wideUncompressed = u64(bytes, base + 12);
  if (wideCompressed !== undefined && wideUncompressed !== undefined) {
    readings.push({ crc32: crc, compressedSize: wideCompressed, uncompressedSize: wideUncompressed, length: base + 20, signed });
  }
  if (expected.zip64) readings.reverse();
  const matches = (reading: DataDescriptor): boolean =>
    reading.compressedSize === expected.compressedSize && reading.uncompressedSize === expected.uncompressedSize;
  return readings.find(matches) ?? readings[0] ?? null;
}
