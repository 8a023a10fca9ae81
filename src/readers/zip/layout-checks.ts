import type { ByteSource, Limits } from '../../core/index.js';
import type { AnomalyLog } from './anomaly-log.js';
import type { CentralDirectoryLocation } from './end-of-central-directory.js';
import { entryFromLocalHeader } from './entry-from-headers.js';
import { quoteName } from './entry-names.js';
import { LOCAL_HEADER_WINDOW } from './local-header.js';
import { readMemberAt, scanForLocalHeader } from './local-header-walk.js';
import { WindowReader } from './window-reader.js';
import type { ZipEntry } from './zip-archive.js';
import { LOCAL_HEADER_SIGNATURE, count, hex, u32 } from './zip-format.js';

/*
 * Archive-level layout: what lies before the first record, which byte ranges two entries share, and what
 * lies between entries that no entry accounts for (where hidden local headers live).
 */

/** A byte range that one entry (or a zip record) occupies, for the overlap and gap checks. */
export interface Extent {
  start: number;
  end: number;
  /** The entry occupying the range, or undefined for a zip record named by `record`. */
  entry?: string;
  record?: string;
}

/** An extent in words, built only when an anomaly needs it (quoting every name up front costs time). */
function describeExtent(extent: Extent): string {
  return extent.entry !== undefined ? `entry ${quoteName(extent.entry)}` : (extent.record ?? 'a zip record');
}

/**
 * Junk before the archive, overlapping entries, and bytes no entry accounts for. Local headers found in
 * those bytes are returned as entries (`listedIn: 'local-header'`): a streaming extractor would extract
 * them, so they are scanned like any other member.
 */
export function checkLayout(
  source: ByteSource,
  location: CentralDirectoryLocation | null,
  extents: Extent[],
  entryCount: number,
  limits: Limits,
  log: AnomalyLog,
): ZipEntry[] {
  const hidden: ZipEntry[] = [];
  const layout = [...extents];
  if (location) {
    layout.push({ start: location.offset, end: location.offset + location.size, record: 'the central directory' });
    // The zip64 record, its locator and the EOCD with its comment: writers put them back to back.
    layout.push({ start: location.zip64EocdOffset ?? location.eocdOffset, end: location.end, record: 'the end-of-central-directory records' });
  }
  layout.sort((a, b) => a.start - b.start || a.end - b.end);
  const first = layout[0];
  if (!first) return hidden;

  if (first.start > 0) {
    if (u32(source.read(0, 4), 0) === LOCAL_HEADER_SIGNATURE) {
      // The file opens like a zip, so torch reads it as one; the unlisted members are for streaming readers.
      hidden.push(...readGap(source, 0, first, entryCount, limits, log));
    } else {
      hidden.push(...readGap(source, 0, first, entryCount, limits, log, false));
      const shifted = location && location.archiveOffset > 0 ? `; the archive's offsets are relative to ${hex(location.archiveOffset)}` : '';
      log.add({
        kind: 'junk-prefix',
        offset: 0,
        length: first.start,
        message:
          `${count(first.start, 'byte')} precede${first.start === 1 ? 's' : ''} the first zip record at ${hex(first.start)}${shifted}: ` +
          `torch.load only opens a file as a zip when it starts with PK\\x03\\x04 and otherwise unpickles it as a ` +
          `legacy checkpoint, so the prefix may be a pickle that runs while the zip part looks clean; zipfile and unzip skip it`,
      });
    }
  }

  let reach = first;
  for (let i = 1; i < layout.length; i++) {
    const current = layout[i];
    if (!current) continue;
    if (current.start < reach.end && current.end > current.start) {
      log.add({
        kind: 'overlapping-entries',
        ...(current.entry === undefined ? {} : { entry: current.entry }),
        offset: current.start,
        length: Math.min(reach.end, current.end) - current.start,
        message:
          `${describeExtent(current)} (${hex(current.start)}..${hex(current.end)}) overlaps ${describeExtent(reach)} ` +
          `(${hex(reach.start)}..${hex(reach.end)}): the same bytes are read as two things, as in overlapping-file ` +
          `zip bombs or one payload listed under two names`,
      });
    } else if (current.start > reach.end && location !== null) {
      // Without a central directory the walk has already reported the bytes it skipped.
      hidden.push(...readGap(source, reach.end, current, entryCount + hidden.length, limits, log));
    }
    if (current.end > reach.end) reach = current;
  }
  return hidden;
}

/**
 * Bytes between `from` and the next extent that no entry accounts for. Local headers in them (found by a
 * forward scan bounded by `maxResyncScan`) are read as members, as a streaming extractor would read them,
 * within `maxZipEntries` overall. `describeEmpty`: whether a gap without headers is itself an anomaly
 * (the junk prefix already has its own).
 */
function readGap(
  source: ByteSource,
  from: number,
  next: Extent,
  entryCount: number,
  limits: Limits,
  log: AnomalyLog,
  describeEmpty = true,
): ZipEntry[] {
  const gap = next.start - from;
  const reader = new WindowReader(source, LOCAL_HEADER_WINDOW);
  const hidden: ZipEntry[] = [];
  const scanEnd = Math.min(next.start, from + limits.maxResyncScan);
  let at = from;
  let truncated = false;
  while (at < scanEnd) {
    const found = u32(reader.read(at, 4), 0) === LOCAL_HEADER_SIGNATURE ? at : scanForLocalHeader(source, at, scanEnd - at);
    if (found < 0) break;
    if (hidden.length + entryCount >= limits.maxZipEntries) {
      truncated = true;
      break;
    }
    const member = readMemberAt(source, reader, found, next.start, limits, log);
    if (member === null) {
      at = found + 1;
      continue;
    }
    hidden.push(entryFromLocalHeader(entryCount + hidden.length, member.header, member.compressedSize, member.descriptor));
    at = Math.max(member.end, found + 1);
  }
  if (hidden.length === 0) {
    if (describeEmpty) {
      log.add({
        kind: 'unlisted-data',
        offset: from,
        length: gap,
        message: `${count(gap, 'byte')} at ${hex(from)} (before ${describeExtent(next)}) belong to no entry or zip record`,
      });
    }
    return hidden;
  }
  const them = hidden.length === 1 ? 'it' : 'them';
  log.add({
    kind: 'unlisted-data',
    offset: from,
    length: gap,
    message:
      `the ${count(gap, 'byte')} at ${hex(from)} (before ${describeExtent(next)}) hold ${count(hidden.length, 'local header')} ` +
      `that the central directory does not list (${hidden.map((entry) => quoteName(entry.name)).slice(0, 10).join(', ')}): ` +
      `torch and zipfile ignore ${them}, streaming extractors that walk local headers extract ${them}; ` +
      `antidote lists ${them} as entries` +
      (truncated ? ` (more headers follow, not listed: maxZipEntries ${limits.maxZipEntries})` : ''),
  });
  return hidden;
}
