import { fail, ok, type ByteSource, type Limits, type ReadResult } from '../../core/index.js';
import type { AnomalyLog } from './anomaly-log.js';
import type { CentralDirectoryLocation } from './end-of-central-directory.js';
import { decodeName, quoteName, rawName } from './entry-names.js';
import { WindowReader } from './window-reader.js';
import { readZip64Extra } from './zip64-extra.js';
import { CENTRAL_HEADER_SIGNATURE, CENTRAL_HEADER_SIZE, count, hex, u16, u32 } from './zip-format.js';

/**
 * Bytes of central directory fetched per read. A 200,000-entry torch directory is about 20 MB; anything
 * up to this size is one positioned read, larger ones are read in windows of this size so a hostile
 * directory size never becomes one huge allocation.
 */
export const MAX_CENTRAL_DIRECTORY_READ = 32 * 1024 * 1024;

/** One central directory record, before its local header is read. */
export interface DirectoryRecord {
  index: number;
  /** Absolute offset of the record itself. */
  recordOffset: number;
  /** The name bytes as latin1 (see `rawName`), for byte-exact comparison with the local name. */
  rawName: string;
  name: string;
  versionMadeBy: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Absolute offset of the local header (archive offset applied). */
  localHeaderOffset: number;
  externalAttributes: number;
  diskStart: number;
  commentLength: number;
  zip64: boolean;
}

/**
 * Parse every record inside the declared directory size. miniz reads exactly the declared count; zipfile
 * reads records until the size is used up. Reading by size sees every record either loader sees, and a
 * count that disagrees is recorded. A record that breaks off ends the walk with what was read so far.
 */
export function parseCentralDirectory(
  source: ByteSource,
  location: CentralDirectoryLocation,
  limits: Limits,
  log: AnomalyLog,
): ReadResult<DirectoryRecord[]> {
  const reader = new WindowReader(source, Math.min(Math.max(location.size, CENTRAL_HEADER_SIZE), MAX_CENTRAL_DIRECTORY_READ));
  const end = location.offset + location.size;
  const records: DirectoryRecord[] = [];
  let at = location.offset;
  while (at + CENTRAL_HEADER_SIZE <= end) {
    let i = reader.fetch(at, CENTRAL_HEADER_SIZE);
    let buffer = reader.buffer;
    if (buffer.length - i < CENTRAL_HEADER_SIZE || buffer.readUInt32LE(i) !== CENTRAL_HEADER_SIGNATURE) {
      log.add({
        kind: 'malformed',
        offset: at,
        message:
          `central directory record ${records.length} at ${hex(at)} has no PK\\x01\\x02 signature ` +
          `(${end - at} directory bytes left unread); torch's miniz refuses such an archive`,
      });
      break;
    }
    if (records.length >= limits.maxZipEntries) {
      return fail({
        kind: 'limit',
        limit: 'maxZipEntries',
        offset: at,
        message: `central directory holds more than ${limits.maxZipEntries} records (maxZipEntries)`,
      });
    }
    const nameLength = buffer.readUInt16LE(i + 28);
    const extraLength = buffer.readUInt16LE(i + 30);
    const commentLength = buffer.readUInt16LE(i + 32);
    const recordLength = CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (at + recordLength > end) {
      log.add({
        kind: 'malformed',
        offset: at,
        message: `central directory record ${records.length} at ${hex(at)} runs past the end of the directory; torch's miniz refuses such an archive`,
      });
      break;
    }
    i = reader.fetch(at, recordLength);
    buffer = reader.buffer;
    if (buffer.length - i < recordLength) {
      log.add({ kind: 'malformed', offset: at, message: `central directory record ${records.length} at ${hex(at)} is cut off by the end of the file` });
      break;
    }
    const flags = u16(buffer, i + 8) ?? 0;
    const nameStart = i + CENTRAL_HEADER_SIZE;
    const raw = rawName(buffer, nameStart, nameStart + nameLength);
    const name = decodeName(raw, flags);
    const zip64 = readZip64Extra(
      buffer,
      nameStart + nameLength,
      nameStart + nameLength + extraLength,
      u32(buffer, i + 24) ?? 0,
      u32(buffer, i + 20) ?? 0,
      u32(buffer, i + 42) ?? 0,
    );
    if (zip64.problem) {
      log.add({ kind: 'malformed', entry: name, offset: at, message: `central directory entry ${quoteName(name)}: ${zip64.problem}` });
    }
    records.push({
      index: records.length,
      recordOffset: at,
      rawName: raw,
      name,
      versionMadeBy: u16(buffer, i + 4) ?? 0,
      flags,
      method: u16(buffer, i + 10) ?? 0,
      crc32: u32(buffer, i + 16) ?? 0,
      compressedSize: zip64.compressedSize,
      uncompressedSize: zip64.uncompressedSize,
      localHeaderOffset: zip64.localHeaderOffset + location.archiveOffset,
      externalAttributes: u32(buffer, i + 38) ?? 0,
      diskStart: u16(buffer, i + 34) ?? 0,
      commentLength,
      zip64: zip64.present,
    });
    at += recordLength;
  }
  if (records.length !== location.entryCount) {
    const found = count(records.length, 'record');
    log.add({
      kind: 'count-mismatch',
      offset: location.offset,
      message:
        `the EOCD declares ${count(location.entryCount, 'entry', 'entries')} but the ${location.size}-byte central ` +
        `directory holds ${found}: ` +
        (location.entryCount > records.length
          ? `torch's miniz refuses the archive, zipfile lists the ${found}`
          : `torch's miniz lists only the first ${location.entryCount}, so the rest are invisible to torch but not to zipfile`),
    });
  }
  return ok(records);
}
