import { crc32 } from '../../core/crc32.js';
import { DEFAULT_LIMITS, errorMessage, type ByteSource } from '../../core/index.js';
import { quoteName } from './entry-names.js';
import { openEntry } from './open-entry.js';
import type { ZipAnomaly, ZipArchive, ZipEntry } from './zip-archive.js';
import { hex } from './zip-format.js';

/**
 * Bytes hashed per read while verifying a member. Verification is for pickle members (kilobytes to a few
 * megabytes); this keeps memory flat if a caller points it at a large member anyway.
 */
export const CRC_READ_CHUNK = 1024 * 1024;

export { crc32, crc32Portable, type Crc32 } from '../../core/crc32.js';

/**
 * Compare a member's CRC-32 with the central directory's. `source` is the archive; pass `member` (the
 * source `openEntry` returned) to hash bytes already opened, otherwise stored members are hashed in place
 * and deflated ones are inflated under the default limits. Meant for pickle members (cheap), not multi-GB
 * tensor storages: torch ignores CRCs, so a mismatch says nothing about what torch loads; it says
 * zipfile-based scanners stop here (CVE-2025-10156) and the bytes were changed after they were written.
 * Never throws: a member that cannot be read yields a `malformed` anomaly saying the CRC went unchecked.
 */
export function verifyCrc(source: ByteSource, entry: ZipEntry, member?: ByteSource): ZipAnomaly | undefined {
  const name = quoteName(entry.name);
  try {
    let bytes = member;
    if (bytes === undefined) {
      const scratch: ZipArchive = { entries: [entry], anomalies: [], archiveOffset: 0, centralDirectory: null, eocdOffset: null, zip64: false };
      const opened = openEntry(source, scratch, entry, DEFAULT_LIMITS);
      if (!opened.ok) return unchecked(entry, opened.error.message);
      bytes = opened.value;
    }
    let crc = 0;
    for (let at = 0; at < bytes.size; at += CRC_READ_CHUNK) {
      const chunk = bytes.read(at, CRC_READ_CHUNK);
      if (chunk.length === 0) break;
      crc = crc32(chunk, crc);
    }
    if (crc === entry.crc32 >>> 0) return undefined;
    return {
      kind: 'crc-mismatch',
      entry: entry.name,
      offset: entry.dataOffset,
      message:
        `CRC-32 of the ${bytes.size} bytes of entry ${name} is ${hex(crc)} but the central directory declares ` +
        `${hex(entry.crc32 >>> 0)}: zipfile raises BadZipFile('Bad CRC-32') and scanners built on it stop, while ` +
        `torch ignores CRCs and loads the member (CVE-2025-10156)`,
    };
  } catch (error) {
    return unchecked(entry, errorMessage(error));
  }
}

function unchecked(entry: ZipEntry, reason: string): ZipAnomaly {
  return {
    kind: 'malformed',
    entry: entry.name,
    offset: entry.dataOffset,
    message: `CRC-32 of entry ${quoteName(entry.name)} could not be checked: ${reason}`,
  };
}
