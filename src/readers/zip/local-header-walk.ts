import { fail, ok, type ByteSource, type Limits, type ReadResult } from '../../core/index.js';
import type { AnomalyLog } from './anomaly-log.js';
import { readDataDescriptor, readLocalHeader, type DataDescriptor, type LocalHeader } from './local-header.js';
import { WindowReader } from './window-reader.js';
import {
  CENTRAL_HEADER_SIGNATURE,
  DATA_DESCRIPTOR_SIGNATURE,
  EOCD_SIGNATURE,
  FLAG_DATA_DESCRIPTOR,
  LOCAL_HEADER_SIGNATURE,
  ZIP64_EOCD_SIGNATURE,
  count,
  hex,
  u32,
  u64,
} from './zip-format.js';

/** Bytes fetched per read while walking headers: one header plus its name and extra field, with room. */
export const LOCAL_WALK_WINDOW = 64 * 1024;
/** Largest read while scanning forward for a signature. */
export const SIGNATURE_SCAN_CHUNK = 1024 * 1024;
/** First read of a forward scan; each further read doubles, up to `SIGNATURE_SCAN_CHUNK`. */
export const FIRST_SCAN_CHUNK = 4096;

/** One member found by walking local headers. */
export interface WalkedMember {
  header: LocalHeader;
  compressedSize: number;
  descriptor: DataDescriptor | null;
  /** Offset just past the member's data and descriptor. */
  end: number;
}

/**
 * Without a central directory, list members the way a streaming extractor does: from the first
 * `PK\x03\x04`, header after header. A member whose sizes live in a data descriptor (flag bit 3) ends where
 * a descriptor whose compressed size equals the distance travelled sits, found by a bounded forward scan
 * (`limits.maxResyncScan`); bytes between members that are not a header are skipped the same way.
 */
export function walkLocalHeaders(source: ByteSource, limits: Limits, log: AnomalyLog): ReadResult<WalkedMember[]> {
  const reader = new WindowReader(source, LOCAL_WALK_WINDOW);
  const members: WalkedMember[] = [];
  let at = u32(reader.read(0, 4), 0) === LOCAL_HEADER_SIGNATURE ? 0 : scanForLocalHeader(source, 0, limits.maxResyncScan);
  while (at >= 0 && at < source.size) {
    if (members.length >= limits.maxZipEntries) {
      return fail({
        kind: 'limit',
        limit: 'maxZipEntries',
        offset: at,
        message: `more than ${limits.maxZipEntries} local headers (maxZipEntries)`,
      });
    }
    const member = readMemberAt(source, reader, at, source.size, limits, log);
    if (member === null) break;
    members.push(member);
    const next = member.end;
    if (next >= source.size) break;
    const signature = u32(reader.read(next, 4), 0);
    if (signature === LOCAL_HEADER_SIGNATURE) {
      at = next;
      continue;
    }
    if (signature === CENTRAL_HEADER_SIGNATURE || signature === EOCD_SIGNATURE || signature === ZIP64_EOCD_SIGNATURE) break;
    const resumed = scanForLocalHeader(source, next, limits.maxResyncScan);
    log.add({
      kind: 'unlisted-data',
      offset: next,
      length: (resumed < 0 ? source.size : resumed) - next,
      message:
        resumed < 0
          ? `${count(source.size - next, 'byte')} after the last local header are not a zip structure`
          : `${count(resumed - next, 'byte')} between members at ${hex(next)} are not a local header; the walk resumes at ${hex(resumed)}`,
    });
    at = resumed;
  }
  if (members.length === 0) {
    return fail({ kind: 'malformed', message: 'no end-of-central-directory record and no local file header' });
  }
  return ok(members);
}

/**
 * The member whose local header is at `at`, with its data ending no later than `limit`, or null when there
 * is no local header there. Also used on gaps between listed entries, where hidden members live.
 */
export function readMemberAt(
  source: ByteSource,
  reader: WindowReader,
  at: number,
  limit: number,
  limits: Limits,
  log: AnomalyLog,
): WalkedMember | null {
  const header = readLocalHeader(reader, at);
  if (header === null) return null;
  const deferred = (header.flags & FLAG_DATA_DESCRIPTOR) !== 0 && header.compressedSize === 0;
  if (!deferred) {
    let end = header.dataOffset + header.compressedSize;
    let descriptor: DataDescriptor | null = null;
    if ((header.flags & FLAG_DATA_DESCRIPTOR) !== 0) {
      descriptor = readDataDescriptor(reader, end, header);
      if (descriptor && descriptor.compressedSize === header.compressedSize) end += descriptor.length;
      else descriptor = null;
    }
    return { header, compressedSize: header.compressedSize, descriptor, end };
  }
  const found = findDescriptor(source, header.dataOffset, Math.min(limits.maxResyncScan, Math.max(0, limit - header.dataOffset)), header.zip64);
  if (found === null) {
    const compressedSize = Math.max(0, limit - header.dataOffset);
    log.add({
      kind: 'malformed',
      offset: header.dataOffset,
      message:
        `member at ${hex(at)} keeps its sizes in a data descriptor and none was found within ` +
        `${Math.min(limits.maxResyncScan, compressedSize)} bytes (maxResyncScan); the ${count(compressedSize, 'byte')} up to ` +
        `${hex(limit)} are treated as its data`,
    });
    return { header, compressedSize, descriptor: null, end: limit };
  }
  return {
    header,
    compressedSize: found.compressedSize,
    descriptor: found.descriptor,
    end: header.dataOffset + found.compressedSize + found.descriptor.length,
  };
}

/**
 * Offset of the next `PK\x03\x04` at or after `from`, within `maxScan` bytes, or -1. Chunks start small
 * and double (see `FIRST_SCAN_CHUNK`), so a header a few bytes away costs a small read.
 */
export function scanForLocalHeader(source: ByteSource, from: number, maxScan: number): number {
  const signature = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
  const stop = Math.min(source.size, from + maxScan);
  for (let at = from, step = FIRST_SCAN_CHUNK; at < stop; at += step, step = Math.min(step * 2, SIGNATURE_SCAN_CHUNK)) {
    const chunk = source.read(at, Math.min(step + 3, stop - at + 3));
    const found = chunk.indexOf(signature);
    if (found >= 0 && at + found < stop) return at + found;
  }
  return -1;
}

/**
 * Find where a data-descriptor member ends: a `PK\x07\x08` whose compressed-size field equals its distance
 * from the data start, or an unsigned descriptor right before the next header. Checking the size is what
 * keeps a `PK\x07\x08` inside the data from ending the member early. Chunks start small and double, so
 * 100,000 tiny members cost 100,000 small reads, not 100,000 reads of a megabyte.
 */
function findDescriptor(
  source: ByteSource,
  dataOffset: number,
  maxScan: number,
  zip64: boolean,
): { compressedSize: number; descriptor: DataDescriptor } | null {
  const stop = Math.min(source.size, dataOffset + maxScan);
  for (let at = dataOffset, step = FIRST_SCAN_CHUNK; at < stop; at += step, step = Math.min(step * 2, SIGNATURE_SCAN_CHUNK)) {
    // 12 bytes of look-behind for an unsigned descriptor before a header at the chunk start, 24 bytes of
    // look-ahead so a descriptor straddling two chunks is read whole.
    const base = Math.max(dataOffset, at - 12);
    const chunk = source.read(base, at - base + step + 24);
    const limit = Math.min(at + step, stop) - base;
    let found = chunk.indexOf('PK', at - base, 'latin1');
    while (found >= 0 && found < limit) {
      const position = base + found;
      const size = position - dataOffset;
      const signature = u32(chunk, found);
      if (signature === DATA_DESCRIPTOR_SIGNATURE) {
        const crc = u32(chunk, found + 4);
        const narrow = u32(chunk, found + 8);
        const narrowUncompressed = u32(chunk, found + 12);
        const wide = u64(chunk, found + 8);
        const wideUncompressed = u64(chunk, found + 16);
        if (crc !== undefined && wide === size && wideUncompressed !== undefined && (zip64 || narrow !== size)) {
          return { compressedSize: size, descriptor: { crc32: crc, compressedSize: size, uncompressedSize: wideUncompressed, length: 24, signed: true } };
        }
        if (crc !== undefined && narrow === size && narrowUncompressed !== undefined) {
          return { compressedSize: size, descriptor: { crc32: crc, compressedSize: size, uncompressedSize: narrowUncompressed, length: 16, signed: true } };
        }
      } else if ((signature === LOCAL_HEADER_SIGNATURE || signature === CENTRAL_HEADER_SIGNATURE) && size >= 12) {
        // An unsigned 12-byte descriptor right before the next header.
        const start = found - 12;
        if (start >= 0 && u32(chunk, start + 4) === size - 12) {
          const descriptor = { crc32: u32(chunk, start) ?? 0, compressedSize: size - 12, uncompressedSize: u32(chunk, start + 8) ?? 0, length: 12, signed: false };
          return { compressedSize: size - 12, descriptor };
        }
      }
      found = chunk.indexOf('PK', found + 1, 'latin1');
    }
  }
  return null;
}
