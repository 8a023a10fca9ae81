import { fail, ok, type ByteSource, type ReadResult } from '../../core/index.js';
import type { AnomalyLog } from './anomaly-log.js';
import {
  CENTRAL_HEADER_SIGNATURE,
  EOCD_SIGNATURE,
  EOCD_SIZE,
  MAX_EOCD_COMMENT,
  ZIP64_EOCD_SIGNATURE,
  ZIP64_EOCD_SIZE,
  ZIP64_LOCATOR_SIGNATURE,
  ZIP64_LOCATOR_SIZE,
  ZIP64_MARKER_16,
  ZIP64_MARKER_32,
  count,
  hex,
  u16,
  u32,
  u64,
} from './zip-format.js';

/**
 * EOCD signatures tried, last first. miniz and zipfile both take the last `PK\x05\x06` in the final
 * 64 KiB; we also fall back to earlier ones when the last is a decoy, but a tail stuffed with thousands of
 * fake signatures must not cost thousands of reads.
 */
export const MAX_EOCD_CANDIDATES = 64;

/** Where the central directory is, as the EOCD (and zip64 records) declare it. */
export interface CentralDirectoryLocation {
  /** Absolute offset of the EOCD record. */
  eocdOffset: number;
  /** Absolute offset of the zip64 EOCD record, when one was found. */
  zip64EocdOffset: number | null;
  /** Entry count declared by the EOCD (or the zip64 record). */
  entryCount: number;
  /** Absolute offset of the first central directory record (archive offset applied). */
  offset: number;
  /** Declared size of the central directory in bytes. */
  size: number;
  /** Added to every stored offset to get a source offset (non-zero for `cat junk a.zip`). */
  archiveOffset: number;
  zip64: boolean;
  /** End of the EOCD comment as declared, clipped to the source. */
  end: number;
}

/**
 * Find the EOCD by scanning backwards over the last 22 + 65535 bytes (the largest comment), read the zip64
 * locator and record when present, and work out the archive offset: when junk was prepended to an archive
 * whose offsets are relative to its own start, the central directory ends `shift` bytes later than it
 * declares (zipfile's `concat`, Info-ZIP's "extra bytes at beginning", miniz 3.1's `archive_ofs`).
 * torch's bundled miniz 3.0.2 does not shift: it reads offsets as absolute, so when both readings point at
 * a central directory the two loaders see different archives, and we say so.
 */
export function locateCentralDirectory(source: ByteSource, log: AnomalyLog | null): ReadResult<CentralDirectoryLocation> {
  if (source.size < EOCD_SIZE) {
    return fail({ kind: 'truncated', message: `${source.size} bytes is smaller than an end-of-central-directory record` });
  }
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_EOCD_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = source.read(tailStart, tailLength);
  const signature = Buffer.alloc(4);
  signature.writeUInt32LE(EOCD_SIGNATURE);

  let searchFrom = tail.length - EOCD_SIZE;
  let tried = 0;
  let firstError: string | undefined;
  while (searchFrom >= 0 && tried < MAX_EOCD_CANDIDATES) {
    const at = tail.lastIndexOf(signature, searchFrom);
    if (at < 0) break;
    tried++;
    searchFrom = at - 1;
    // A candidate logs its anomalies only when it is the one chosen.
    const result = interpretEocd(source, tail.subarray(at), tailStart + at, log);
    if (result.ok) {
      if (tried > 1) {
        log?.add({
          kind: 'malformed',
          offset: result.value.eocdOffset,
          message:
            `the last end-of-central-directory signature in the file does not describe a central directory; ` +
            `the one at ${hex(result.value.eocdOffset)} does (miniz and zipfile take the last one and fail on this file)`,
        });
      }
      return result;
    }
    firstError ??= result.error.message;
  }
  return fail({
    kind: 'malformed',
    message: firstError ?? 'no end-of-central-directory record in the last 65,557 bytes',
    offset: tailStart,
  });
}

function interpretEocd(
  source: ByteSource,
  eocd: Buffer,
  eocdOffset: number,
  log: AnomalyLog | null,
): ReadResult<CentralDirectoryLocation> {
  const diskNumber = u16(eocd, 4) ?? 0;
  const cdDisk = u16(eocd, 6) ?? 0;
  const entriesOnDisk = u16(eocd, 8) ?? 0;
  let entryCount = u16(eocd, 10) ?? 0;
  let size = u32(eocd, 12) ?? 0;
  let storedOffset = u32(eocd, 16) ?? 0;
  const commentLength = u16(eocd, 20) ?? 0;
  const pending: Parameters<AnomalyLog['add']>[0][] = [];

  let zip64 = false;
  let zip64EocdOffset: number | null = null;
  if (eocdOffset >= ZIP64_LOCATOR_SIZE) {
    const locator = source.read(eocdOffset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE);
    if (u32(locator, 0) === ZIP64_LOCATOR_SIGNATURE) {
      const declared = u64(locator, 8) ?? Number.MAX_SAFE_INTEGER;
      const adjacent = eocdOffset - ZIP64_LOCATOR_SIZE - ZIP64_EOCD_SIZE;
      // The locator's offset is relative to the archive start; right before the locator is where a
      // writer puts the record, which also finds it when junk shifted the archive (miniz 3.1 does the same).
      const record = [declared, adjacent]
        .filter((offset) => offset >= 0 && offset + ZIP64_EOCD_SIZE <= eocdOffset)
        .map((offset) => ({ offset, bytes: source.read(offset, ZIP64_EOCD_SIZE) }))
        .find(({ bytes }) => u32(bytes, 0) === ZIP64_EOCD_SIGNATURE && bytes.length === ZIP64_EOCD_SIZE);
      if (record) {
        zip64 = true;
        zip64EocdOffset = record.offset;
        const count64 = u64(record.bytes, 32) ?? 0;
        const size64 = u64(record.bytes, 40) ?? 0;
        const offset64 = u64(record.bytes, 48) ?? 0;
        const disagreements: string[] = [];
        if (entryCount !== ZIP64_MARKER_16 && entryCount !== count64) disagreements.push(`entry count ${entryCount} vs ${count64}`);
        if (size !== ZIP64_MARKER_32 && size !== size64) disagreements.push(`directory size ${size} vs ${size64}`);
        if (storedOffset !== ZIP64_MARKER_32 && storedOffset !== offset64) {
          disagreements.push(`directory offset ${hex(storedOffset)} vs ${hex(offset64)}`);
        }
        if (disagreements.length > 0) {
          pending.push({
            kind: 'malformed',
            offset: eocdOffset,
            message:
              `the EOCD record and the zip64 record disagree (${disagreements.join('; ')}): miniz and zipfile use the ` +
              `zip64 values, a reader without zip64 support uses the EOCD values and sees another directory`,
          });
        }
        entryCount = count64;
        size = size64;
        storedOffset = offset64;
        if ((u32(locator, 16) ?? 1) !== 1) {
          pending.push({
            kind: 'malformed',
            offset: eocdOffset - ZIP64_LOCATOR_SIZE,
            message: `zip64 locator declares ${u32(locator, 16) ?? 0} disks; torch's miniz refuses multi-disk archives`,
          });
        }
      } else {
        pending.push({
          kind: 'malformed',
          offset: eocdOffset - ZIP64_LOCATOR_SIZE,
          message:
            `zip64 locator points at ${hex(declared)} but there is no zip64 end-of-central-directory record there or ` +
            `before the locator: torch's miniz falls back to the 32-bit EOCD fields, zipfile raises BadZipFile`,
        });
      }
    }
  }

  if (diskNumber !== 0 || cdDisk !== 0) {
    pending.push({
      kind: 'malformed',
      offset: eocdOffset,
      message: `EOCD declares disk ${diskNumber} with the directory on disk ${cdDisk}: multi-disk archives are refused by zipfile and (unless both are 1) by miniz`,
    });
  }
  if (!zip64 && entriesOnDisk !== entryCount) {
    pending.push({
      kind: 'count-mismatch',
      offset: eocdOffset,
      message: `EOCD declares ${entryCount} entries in total but ${entriesOnDisk} on this disk; torch's miniz refuses the archive`,
    });
  }

  // Where the directory must end if it sits right before the (zip64) EOCD, as every writer puts it.
  const expectedEnd = zip64EocdOffset ?? eocdOffset;
  const shift = expectedEnd - (storedOffset + size);
  const looksLikeDirectory = (offset: number): boolean =>
    offset >= 0 &&
    offset + size <= expectedEnd &&
    (entryCount === 0 && size === 0 ? true : u32(source.read(offset, 4), 0) === CENTRAL_HEADER_SIGNATURE);

  const absoluteValid = looksLikeDirectory(storedOffset);
  const shiftedValid = shift > 0 && looksLikeDirectory(storedOffset + shift);
  let archiveOffset: number;
  if (absoluteValid) {
    archiveOffset = 0;
    if (shiftedValid) {
      pending.push({
        kind: 'malformed',
        offset: storedOffset + shift,
        message:
          `two central directories: read as absolute offsets the EOCD points at ${hex(storedOffset)} (torch's miniz ` +
          `3.0.2), read as shifted by the ${shift} bytes before the archive it points at ${hex(storedOffset + shift)} ` +
          `(zipfile, unzip); antidote lists the first, the second can hold other members`,
      });
    }
  } else if (shiftedValid) {
    archiveOffset = shift;
  } else {
    return fail({
      kind: 'malformed',
      offset: eocdOffset,
      message:
        `EOCD at ${hex(eocdOffset)} declares a ${size}-byte central directory at ${hex(storedOffset)} ` +
        `but there is no central directory record there${shift > 0 ? ` nor ${shift} bytes later` : ''}`,
    });
  }
  const declaredEnd = eocdOffset + EOCD_SIZE + commentLength;
  if (commentLength > 0) {
    pending.push({
      kind: 'comment',
      offset: eocdOffset + EOCD_SIZE,
      length: commentLength,
      message: `archive comment of ${count(commentLength, 'byte')} (torch.save writes none; loaders ignore it, so it can carry a payload for another stage)`,
    });
  }
  if (declaredEnd > source.size) {
    pending.push({
      kind: 'malformed',
      offset: eocdOffset,
      message: `EOCD comment length ${commentLength} runs ${declaredEnd - source.size} bytes past the end of the file`,
    });
  } else if (declaredEnd < source.size) {
    pending.push({
      kind: 'trailing-data',
      offset: declaredEnd,
      length: source.size - declaredEnd,
      message: `${count(source.size - declaredEnd, 'byte')} after the end-of-central-directory record and its comment; zip loaders ignore them`,
    });
  }
  if (zip64) {
    pending.push({
      kind: 'zip64',
      offset: zip64EocdOffset ?? eocdOffset,
      message: `archive uses a zip64 end-of-central-directory record (informational: normal for torch.save checkpoints and archives over 4 GiB)`,
    });
  }

  for (const anomaly of pending) log?.add(anomaly);
  return ok({
    eocdOffset,
    zip64EocdOffset,
    entryCount,
    offset: storedOffset + archiveOffset,
    size,
    archiveOffset,
    zip64,
    end: Math.min(source.size, declaredEnd),
  });
}
