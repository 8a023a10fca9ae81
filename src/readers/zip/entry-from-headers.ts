import type { DirectoryRecord } from './central-directory.js';
import { decodeName } from './entry-names.js';
import type { DataDescriptor, LocalHeader } from './local-header.js';
import type { ZipEntry } from './zip-archive.js';
import { FLAG_DATA_DESCRIPTOR, FLAG_ENCRYPTED, FLAG_STRONG_ENCRYPTION, LOCAL_HEADER_SIZE } from './zip-format.js';

/** Unix file-type bits of the mode stored in the high half of the external attributes. */
const UNIX_TYPE_MASK = 0o170000;
const UNIX_SYMLINK = 0o120000;
const UNIX_DIRECTORY = 0o040000;
/** MS-DOS directory attribute; miniz treats an entry carrying it as a directory and extracts nothing. */
const DOS_DIRECTORY_ATTRIBUTE = 0x10;
/** `version made by` host systems whose external attributes carry a unix mode: 3 unix, 19 OS X. */
const UNIX_HOSTS = new Set([3, 19]);

/** A central record joined with its local header (null when unreadable) into an entry. */
export function entryFromRecord(record: DirectoryRecord, header: LocalHeader | null): ZipEntry {
  const host = record.versionMadeBy >> 8;
  const mode = UNIX_HOSTS.has(host) ? record.externalAttributes >>> 16 : 0;
  const unixMode = mode === 0 ? null : mode;
  const localFlags = header?.flags ?? null;
  return {
    index: record.index,
    name: record.name,
    localName: header ? decodeName(header.rawName, header.flags) : null,
    method: record.method,
    localMethod: header?.method ?? null,
    flags: record.flags,
    localFlags,
    crc32: record.crc32,
    compressedSize: record.compressedSize,
    uncompressedSize: record.uncompressedSize,
    localHeaderOffset: record.localHeaderOffset,
    dataOffset: header?.dataOffset ?? record.localHeaderOffset + LOCAL_HEADER_SIZE + record.rawName.length,
    isDirectory:
      record.name.endsWith('/') ||
      (record.externalAttributes & DOS_DIRECTORY_ATTRIBUTE) !== 0 ||
      (unixMode !== null && (unixMode & UNIX_TYPE_MASK) === UNIX_DIRECTORY),
    isSymlink: unixMode !== null && (unixMode & UNIX_TYPE_MASK) === UNIX_SYMLINK,
    unixMode,
    encrypted: ((record.flags | (localFlags ?? 0)) & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0,
    hasDataDescriptor: ((record.flags | (localFlags ?? 0)) & FLAG_DATA_DESCRIPTOR) !== 0,
    zip64: record.zip64 || (header?.zip64 ?? false),
    listedIn: 'central-directory',
  };
}

/** An entry known only from its local header (local-header walk, hidden members). */
export function entryFromLocalHeader(index: number, header: LocalHeader, compressedSize: number, descriptor: DataDescriptor | null): ZipEntry {
  const name = decodeName(header.rawName, header.flags);
  return {
    index,
    name,
    localName: name,
    method: header.method,
    localMethod: header.method,
    flags: header.flags,
    localFlags: header.flags,
    crc32: descriptor?.crc32 ?? header.crc32,
    compressedSize,
    uncompressedSize: descriptor?.uncompressedSize ?? header.uncompressedSize,
    localHeaderOffset: header.offset,
    dataOffset: header.dataOffset,
    isDirectory: name.endsWith('/'),
    isSymlink: false,
    unixMode: null,
    encrypted: (header.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0,
    hasDataDescriptor: (header.flags & FLAG_DATA_DESCRIPTOR) !== 0,
    zip64: header.zip64,
    listedIn: 'local-header',
  };
}

