import { errorMessage, fail, ok, type ByteSource, type Limits, type ReadResult } from '../../core/index.js';
import { AnomalyLog } from './anomaly-log.js';
import { parseCentralDirectory, type DirectoryRecord } from './central-directory.js';
import { locateCentralDirectory, type CentralDirectoryLocation } from './end-of-central-directory.js';
import { checkDataDescriptor, checkDuplicates, checkEntry, checkRecordOnly, compareLocalHeader } from './entry-checks.js';
import { entryFromLocalHeader, entryFromRecord } from './entry-from-headers.js';
import { quoteName } from './entry-names.js';
import { checkLayout, type Extent } from './layout-checks.js';
import { LOCAL_HEADER_WINDOW, readLocalHeader } from './local-header.js';
import { walkLocalHeaders } from './local-header-walk.js';
import { WindowReader } from './window-reader.js';
import type { ZipArchive, ZipEntry } from './zip-archive.js';
import { FLAG_DATA_DESCRIPTOR, LOCAL_HEADER_SIGNATURE, count, hex, u32 } from './zip-format.js';

/**
 * Read a zip's structure as leniently as torch does (miniz behind PyTorchStreamReader), without reading
 * any member data: the EOCD and central directory in a few positioned reads, then each local header.
 * Where the bytes let loaders and scanners disagree (CVE-2025-1944 name mismatch, CVE-2025-1945 flag bits,
 * junk before the archive, duplicate names, a missing central directory) the entry is still listed and an
 * anomaly says what differs. Fails only when no entry can be found at all, or on `maxZipEntries`.
 */
export function readZip(source: ByteSource, limits: Limits): ReadResult<ZipArchive> {
  try {
    return readZipStructure(source, limits);
  } catch (error) {
    return fail({ kind: 'io', message: `reading the zip structure failed: ${errorMessage(error)}` });
  }
}

function readZipStructure(source: ByteSource, limits: Limits): ReadResult<ZipArchive> {
  const log = new AnomalyLog();
  const located = locateCentralDirectory(source, log);
  let entries: ZipEntry[] = [];
  let extents: Extent[] = [];
  let location: CentralDirectoryLocation | null = null;
  let unreadableDirectory: string | null = null;

  if (located.ok) {
    location = located.value;
    if (location.entryCount > limits.maxZipEntries) {
      return fail({
        kind: 'limit',
        limit: 'maxZipEntries',
        offset: location.eocdOffset,
        message: `end-of-central-directory record declares ${location.entryCount} entries, more than maxZipEntries (${limits.maxZipEntries})`,
      });
    }
    const records = parseCentralDirectory(source, location, limits, log);
    if (!records.ok) return records;
    if (records.value.length === 0 && location.entryCount > 0) {
      unreadableDirectory = `the central directory at ${hex(location.offset)} has no readable record`;
    } else {
      ({ entries, extents } = resolveCentralEntries(source, records.value, log));
    }
  } else {
    unreadableDirectory = located.error.message;
  }

  if (unreadableDirectory !== null) {
    location = null;
    const walked = walkLocalHeaders(source, limits, log);
    if (!walked.ok) {
      return fail({ ...walked.error, message: `${walked.error.message} (${unreadableDirectory})` });
    }
    log.add({
      kind: 'central-directory-missing',
      message:
        `no usable central directory (${unreadableDirectory}); ${count(walked.value.length, 'entry was', 'entries were')} listed by walking ` +
        `local headers. torch and zipfile refuse this file, so it is either broken or made for a streaming reader`,
    });
    for (const member of walked.value) {
      const entry = entryFromLocalHeader(entries.length, member.header, member.compressedSize, member.descriptor);
      entries.push(entry);
      extents.push({
        start: member.header.offset,
        end: member.header.dataOffset + member.compressedSize + (member.descriptor?.length ?? 0),
        entry: entry.name,
      });
    }
  }
  entries.push(...checkLayout(source, location, extents, entries.length, limits, log));
  for (const entry of entries) checkEntry(entry, source, log);
  checkDuplicates(entries, log);

  return ok({
    entries,
    anomalies: log.finish(),
    archiveOffset: location?.archiveOffset ?? 0,
    centralDirectory: location ? { offset: location.offset, size: location.size } : null,
    eocdOffset: location?.eocdOffset ?? null,
    zip64: (location?.zip64 ?? false) || entries.some((entry) => entry.zip64),
  });
}

/** Read the local header of every central record (in file order, for read locality) and compare the two. */
function resolveCentralEntries(
  source: ByteSource,
  records: DirectoryRecord[],
  log: AnomalyLog,
): { entries: ZipEntry[]; extents: Extent[] } {
  const reader = new WindowReader(source, LOCAL_HEADER_WINDOW);
  const entries: ZipEntry[] = new Array<ZipEntry>(records.length);
  const extents: Extent[] = [];
  const inFileOrder = [...records].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (const record of inFileOrder) {
    const header = readLocalHeader(reader, record.localHeaderOffset);
    const entry = entryFromRecord(record, header);
    let descriptorLength = 0;
    if (header === null) {
      const found = u32(reader.read(record.localHeaderOffset, 4), 0);
      log.add({
        kind: 'malformed',
        entry: entry.name,
        offset: record.localHeaderOffset,
        message:
          `entry ${quoteName(entry.name)}: ${found === LOCAL_HEADER_SIGNATURE ? 'truncated local header' : 'no local header'} at ` +
          `${hex(record.localHeaderOffset)}; torch's miniz refuses to extract it and zipfile raises BadZipFile, ` +
          `its data is assumed to follow a header with the central name and extra field`,
      });
    } else {
      compareLocalHeader(entry, record, header, log);
      if (((entry.flags | header.flags) & FLAG_DATA_DESCRIPTOR) !== 0) {
        descriptorLength = checkDataDescriptor(entry, reader, header, log);
      }
    }
    entries[record.index] = entry;
    extents.push({
      start: record.localHeaderOffset,
      end: entry.dataOffset + entry.compressedSize + descriptorLength,
      entry: entry.name,
    });
    checkRecordOnly(entry, record, log);
  }
  return { entries, extents };
}
