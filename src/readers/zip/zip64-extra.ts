import { ZIP64_EXTRA_ID, ZIP64_MARKER_32, u16, u64 } from './zip-format.js';

/** Values recovered from a zip64 extended-information field, plus whether the extra area was well formed. */
export interface Zip64Values {
  uncompressedSize: number;
  compressedSize: number;
  localHeaderOffset: number;
  /** A zip64 field (id 0x0001) was present at all. */
  present: boolean;
  /** Why the extra area could not be walked to its end, if it could not. */
  problem?: string;
}

/**
 * Walk the extra area `buffer[start, end)` as (id, length, data)* records and apply its zip64 field to the
 * 32-bit header values. The zip64 values appear in a fixed order (uncompressed, compressed, offset, disk)
 * and only for the header fields that were saturated to 0xFFFFFFFF (APPNOTE 4.5.3); miniz reads them the
 * same way, and like miniz a missing value keeps the 32-bit one. Pass `localHeaderOffset` -1 for a local
 * header, which has no offset field.
 */
export function readZip64Extra(
  buffer: Buffer,
  start: number,
  end: number,
  uncompressedSize: number,
  compressedSize: number,
  localHeaderOffset: number,
): Zip64Values {
  const values: Zip64Values = { uncompressedSize, compressedSize, localHeaderOffset, present: false };
  let at = start;
  while (at + 4 <= end) {
    const id = u16(buffer, at) ?? 0;
    const length = u16(buffer, at + 2) ?? 0;
    const dataStart = at + 4;
    const dataEnd = dataStart + length;
    if (dataEnd > end) {
      values.problem = `extra field ${hex4(id)} at byte ${at - start} of the extra area declares ${length} bytes but only ${end - dataStart} remain`;
      return values;
    }
    if (id === ZIP64_EXTRA_ID && !values.present) {
      values.present = true;
      let cursor = dataStart;
      if (uncompressedSize === ZIP64_MARKER_32 && cursor + 8 <= dataEnd) {
        values.uncompressedSize = u64(buffer, cursor) ?? uncompressedSize;
        cursor += 8;
      }
      if (compressedSize === ZIP64_MARKER_32 && cursor + 8 <= dataEnd) {
        values.compressedSize = u64(buffer, cursor) ?? compressedSize;
        cursor += 8;
      }
      if (localHeaderOffset === ZIP64_MARKER_32 && cursor + 8 <= dataEnd) {
        values.localHeaderOffset = u64(buffer, cursor) ?? localHeaderOffset;
      }
    }
    at = dataEnd;
  }
  if (at < end) values.problem = `${end - at} stray bytes at the end of the extra area`;
  return values;
}

function hex4(id: number): string {
  return `0x${id.toString(16).padStart(4, '0')}`;
}
