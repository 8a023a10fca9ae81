import type { ByteSource } from '../../core/index.js';
import type { AnomalyLog } from './anomaly-log.js';
import type { DirectoryRecord } from './central-directory.js';
import { minizLookupKey, quoteName, suspiciousNameReasons, traversalReasons } from './entry-names.js';
import { readDataDescriptor, type LocalHeader } from './local-header.js';
import type { WindowReader } from './window-reader.js';
import type { ZipEntry } from './zip-archive.js';
import {
  BENIGN_FLAG_BITS,
  CENTRAL_HEADER_SIZE,
  FLAG_COMPRESSED_PATCH,
  FLAG_DATA_DESCRIPTOR,
  FLAG_ENCRYPTED,
  FLAG_MASKED_LOCAL_HEADERS,
  FLAG_STRONG_ENCRYPTION,
  METHOD_DEFLATED,
  METHOD_STORED,
  hex,
  methodName,
} from './zip-format.js';

/*
 * Per-entry checks: where the central record, the local header, the data descriptor and the name let two
 * zip parsers see different members. Each check records an anomaly and never drops the entry.
 */

/** What the flag bits mean, for messages (APPNOTE 4.4.4). */
const FLAG_BIT_MEANINGS: Record<number, string> = {
  0: 'encryption',
  4: 'reserved (enhanced deflating)',
  5: 'compressed patch data: zipfile raises NotImplementedError, miniz refuses to extract',
  6: 'strong encryption',
  7: 'unused',
  8: 'unused',
  9: 'unused',
  10: 'unused',
  12: 'reserved (enhanced compression)',
  13: 'masked local header values: torch\'s miniz refuses the whole archive',
  14: 'reserved',
  15: 'reserved',
};

/** Local header against central record: the disagreements CVE-2025-1944 and CVE-2025-1945 rely on. */
export function compareLocalHeader(entry: ZipEntry, record: DirectoryRecord, header: LocalHeader, log: AnomalyLog): void {
  const at = header.offset;
  if (header.rawName !== record.rawName) {
    log.add({
      kind: 'name-mismatch',
      entry: entry.name,
      offset: at,
      message:
        `local header at ${hex(at)} names ${quoteName(entry.localName ?? '')} but the central directory names ${quoteName(entry.name)}: ` +
        `torch (miniz) looks members up by the central name and never reads the local one, zipfile raises ` +
        `BadZipFile and a scanner built on it stops (CVE-2025-1944); streaming extractors use the local name`,
    });
  }
  if (header.flags !== record.flags) {
    log.add({
      kind: 'flag-bits',
      entry: entry.name,
      offset: at,
      message:
        `entry ${quoteName(entry.name)}: local header flags ${hex(header.flags, 4)} differ from central flags ${hex(record.flags, 4)} ` +
        `(differing: ${describeBits(header.flags ^ record.flags)}): miniz ignores local flags, zipfile decodes the local ` +
        `name by the local UTF-8 bit and refuses on encryption bits (CVE-2025-1945)`,
    });
  }
  if (header.method !== record.method) {
    log.add({
      kind: 'method-mismatch',
      entry: entry.name,
      offset: at,
      message:
        `entry ${quoteName(entry.name)}: local header says method ${methodName(header.method)}, central directory says ` +
        `${methodName(record.method)}; torch and zipfile decode with the central method, streaming extractors with the local one`,
    });
  }
  if (header.extraProblem) {
    log.add({ kind: 'malformed', entry: entry.name, offset: at, message: `entry ${quoteName(entry.name)}: local header ${header.extraProblem}` });
  }
  // With flag bit 3 a writer may leave crc and sizes zero in the local header; the descriptor holds them.
  const deferred =
    (header.flags & FLAG_DATA_DESCRIPTOR) !== 0 && header.crc32 === 0 && header.compressedSize === 0 && header.uncompressedSize === 0;
  if (deferred) return;
  if (header.compressedSize !== record.compressedSize || header.uncompressedSize !== record.uncompressedSize) {
    log.add({
      kind: 'size-mismatch',
      entry: entry.name,
      offset: at,
      message:
        `entry ${quoteName(entry.name)}: local header declares ${header.compressedSize} compressed / ${header.uncompressedSize} ` +
        `uncompressed bytes, the central directory ${record.compressedSize} / ${record.uncompressedSize}; ` +
        `miniz and zipfile use the central sizes, streaming extractors the local ones`,
    });
  }
  if (header.crc32 !== record.crc32) {
    log.add({
      kind: 'crc-mismatch',
      entry: entry.name,
      offset: at,
      message:
        `entry ${quoteName(entry.name)}: local header declares CRC-32 ${hex(header.crc32)}, the central directory ${hex(record.crc32)}; ` +
        `torch ignores CRCs, zipfile checks the central one`,
    });
  }
}

/** The data descriptor of a flag-bit-3 entry against the central values; returns the bytes it occupies. */
export function checkDataDescriptor(entry: ZipEntry, reader: WindowReader, header: LocalHeader, log: AnomalyLog): number {
  const at = entry.dataOffset + entry.compressedSize;
  const descriptor = readDataDescriptor(reader, at, { ...entry, zip64: entry.zip64 });
  if (descriptor === null) {
    log.add({
      kind: 'malformed',
      entry: entry.name,
      offset: at,
      message: `entry ${quoteName(entry.name)}: flag bit 3 promises a data descriptor at ${hex(at)} but the file ends there`,
    });
    return 0;
  }
  const sizesMatch = descriptor.compressedSize === entry.compressedSize && descriptor.uncompressedSize === entry.uncompressedSize;
  if (!sizesMatch) {
    // Local sizes that were written (not deferred) already had their say in compareLocalHeader.
    const localDeferred = header.compressedSize === 0 && header.uncompressedSize === 0;
    log.add({
      kind: 'size-mismatch',
      entry: entry.name,
      offset: at,
      message:
        `entry ${quoteName(entry.name)}: the data descriptor at ${hex(at)} declares ${descriptor.compressedSize} compressed / ` +
        `${descriptor.uncompressedSize} uncompressed bytes, the central directory ${entry.compressedSize} / ` +
        `${entry.uncompressedSize}${localDeferred ? '' : ' (or there is no descriptor where the central size says the data ends)'}; ` +
        `miniz and zipfile use the central sizes, streaming extractors the descriptor`,
    });
    return descriptor.signed ? descriptor.length : 0;
  }
  if (descriptor.crc32 !== entry.crc32) {
    log.add({
      kind: 'crc-mismatch',
      entry: entry.name,
      offset: at,
      message:
        `entry ${quoteName(entry.name)}: the data descriptor declares CRC-32 ${hex(descriptor.crc32)}, the central directory ` +
        `${hex(entry.crc32)}; torch ignores CRCs, zipfile checks the central one`,
    });
  }
  return descriptor.length;
}

/** Checks that need fields only the central record has. */
export function checkRecordOnly(entry: ZipEntry, record: DirectoryRecord, log: AnomalyLog): void {
  if (record.commentLength > 0) {
    log.add({
      kind: 'comment',
      entry: entry.name,
      offset: record.recordOffset + CENTRAL_HEADER_SIZE + record.rawName.length,
      length: record.commentLength,
      message: `entry ${quoteName(entry.name)} carries a ${record.commentLength}-byte comment in the central directory (torch.save writes none)`,
    });
  }
  if (record.diskStart !== 0) {
    log.add({
      kind: 'malformed',
      entry: entry.name,
      offset: record.recordOffset,
      message: `entry ${quoteName(entry.name)} claims to start on disk ${record.diskStart}; torch's miniz refuses multi-disk entries`,
    });
  }
  if (entry.method === METHOD_STORED && entry.compressedSize !== entry.uncompressedSize) {
    log.add({
      kind: 'size-mismatch',
      entry: entry.name,
      offset: record.recordOffset,
      message:
        `stored entry ${quoteName(entry.name)} declares ${entry.compressedSize} compressed but ${entry.uncompressedSize} uncompressed ` +
        `bytes: torch's miniz refuses the archive, zipfile returns the shorter length`,
    });
  } else if (entry.uncompressedSize > 0 && entry.compressedSize === 0) {
    log.add({
      kind: 'size-mismatch',
      entry: entry.name,
      offset: record.recordOffset,
      message: `entry ${quoteName(entry.name)} declares ${entry.uncompressedSize} uncompressed bytes from 0 compressed bytes; torch's miniz refuses the archive`,
    });
  }
}

/** Checks that apply to every entry, however it was listed. */
export function checkEntry(entry: ZipEntry, source: ByteSource, log: AnomalyLog): void {
  const flags = entry.flags | (entry.localFlags ?? 0);
  if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0) {
    const where = (entry.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0 ? 'central directory' : 'local header only';
    log.add({
      kind: 'encrypted-flag',
      entry: entry.name,
      offset: entry.localHeaderOffset,
      message:
        `entry ${quoteName(entry.name)} is marked encrypted (${describeBits(flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION))}, ${where}): ` +
        `zipfile refuses it without a password and scanners built on it skip it (CVE-2025-1945); torch never decrypts ` +
        `(miniz refuses central encryption bits and ignores local ones); antidote reads the bytes as plain data`,
    });
  }
  const unusual = flags & ~BENIGN_FLAG_BITS & ~(FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION);
  if (unusual !== 0) {
    log.add({
      kind: 'flag-bits',
      entry: entry.name,
      offset: entry.localHeaderOffset,
      message:
        `entry ${quoteName(entry.name)} sets general-purpose flag ${describeBits(unusual)} (flags ${hex(flags, 4)}); ` +
        `${(unusual & (FLAG_COMPRESSED_PATCH | FLAG_MASKED_LOCAL_HEADERS)) !== 0 ? 'loaders refuse these, ' : ''}` +
        `no benign writer sets them, so they are there to make one zip parser fail where another succeeds (CVE-2025-1945)`,
    });
  }
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    const zipfileReads = entry.method === 12 || entry.method === 14;
    log.add({
      kind: 'unsupported-method',
      entry: entry.name,
      offset: entry.localHeaderOffset,
      message:
        `entry ${quoteName(entry.name)} uses compression method ${methodName(entry.method)}: torch's miniz extracts only stored and deflate` +
        (zipfileReads ? ', but zipfile decompresses it, so a zipfile-based loader reads a payload antidote cannot inspect' : '; its content cannot be inspected'),
    });
  }
  const dataEnd = entry.dataOffset + entry.compressedSize;
  if (dataEnd > source.size) {
    log.add({
      kind: 'malformed',
      entry: entry.name,
      offset: entry.dataOffset,
      message:
        `data of entry ${quoteName(entry.name)} runs ${dataEnd - source.size} bytes past the end of the file (truncated or lying size); ` +
        `torch's miniz refuses to extract it, antidote scans what is there`,
    });
  }
  if (entry.isDirectory && entry.compressedSize > 0) {
    log.add({
      kind: 'malformed',
      entry: entry.name,
      offset: entry.dataOffset,
      message: `directory entry ${quoteName(entry.name)} carries ${entry.compressedSize} bytes of data: miniz extracts nothing for directories, other tools write it as a file`,
    });
  }
  const traversal = traversalReasons(entry.name);
  const localTraversal = entry.localName !== null && entry.localName !== entry.name ? traversalReasons(entry.localName) : [];
  if (traversal.length > 0 || localTraversal.length > 0) {
    const which = traversal.length > 0 ? `name ${quoteName(entry.name)} has ${traversal.join(', ')}` : `local name ${quoteName(entry.localName ?? '')} has ${localTraversal.join(', ')}`;
    log.add({
      kind: 'path-traversal',
      entry: entry.name,
      offset: entry.localHeaderOffset,
      message: `entry ${which}: extracting the archive with a tool that does not sanitise names writes outside the target directory (zip slip, CWE-22)`,
    });
  }
  const suspicious = suspiciousNameReasons(entry.name);
  if (suspicious.length > 0) {
    log.add({
      kind: 'suspicious-name',
      entry: entry.name,
      offset: entry.localHeaderOffset,
      message: `entry name ${quoteName(entry.name)} contains ${suspicious.join(', ')}`,
    });
  }
  if (entry.isSymlink) {
    log.add({
      kind: 'symlink',
      entry: entry.name,
      offset: entry.localHeaderOffset,
      message:
        `entry ${quoteName(entry.name)} is a symbolic link (unix mode ${(entry.unixMode ?? 0).toString(8)}); its data is the link target: ` +
        `extracting it creates a link that later writes follow out of the target directory`,
    });
  }
}

/** miniz sorts names case-insensitively and binary-searches them, so which of two equal names torch loads is unspecified. */
export function checkDuplicates(entries: ZipEntry[], log: AnomalyLog): void {
  // Most archives have no duplicate: remember one index per key and build groups only on a collision.
  const firstByKey = new Map<string, ZipEntry>();
  const groups = new Map<string, ZipEntry[]>();
  for (const entry of entries) {
    const key = minizLookupKey(entry.name);
    const first = firstByKey.get(key);
    if (first === undefined) {
      firstByKey.set(key, entry);
      continue;
    }
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [first, entry]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const first = group[0];
    if (!first) continue;
    const sameBytes = group.every((entry) => entry.name === first.name);
    log.add({
      kind: 'duplicate-name',
      entry: first.name,
      offset: first.localHeaderOffset,
      message:
        `${group.length} entries named ${quoteName(first.name)}${sameBytes ? '' : ' (differing only in letter case)'} at ` +
        `${group.map((entry) => `#${entry.index} at ${hex(entry.localHeaderOffset)}`).join(', ')}: miniz matches names ` +
        `case-insensitively and binary-searches them, zipfile keeps the last; a scanner that reads one copy while the ` +
        `loader reads another is bypassed, so every copy must be scanned`,
    });
  }
}

function describeBits(bits: number): string {
  const described: string[] = [];
  for (let bit = 0; bit < 16; bit++) {
    if ((bits & (1 << bit)) === 0) continue;
    const meaning = FLAG_BIT_MEANINGS[bit];
    described.push(meaning ? `bit ${bit} (${meaning})` : `bit ${bit}`);
  }
  return described.join(', ');
}
