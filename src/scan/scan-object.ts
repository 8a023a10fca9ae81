import { extname } from 'node:path';
import { bufferSource, type ByteSource } from '../core/byte-source.js';
import type { Detector } from '../core/detector.js';
import type { Limits } from '../core/limits.js';
import type { FileRecord, FileStatus } from '../core/result.js';
import type { FileArtifact } from '../detectors/file/unscanned.js';
import type { PickleArtifact } from '../detectors/model/pickle-artifact.js';
import type { ZipArtifact } from '../detectors/model/zip-anomalies.js';
import type { NumpyArtifact } from '../detectors/model/numpy-object-array.js';
import type { TorchScriptArtifact } from '../detectors/model/torchscript-code.js';
import { decompress, sniffCompression, type DecompressBudget } from '../readers/compression/index.js';
import { readNpyHeader, sniffNpy } from '../readers/numpy/index.js';
import { disassemblePickle, sniffPickle, type PickleAnalysis } from '../readers/pickle/index.js';
import { openEntry, readZip, verifyCrc, type ZipArchive, type ZipEntry } from '../readers/zip/index.js';
import type { FindingCollector } from './collector.js';

/*
 * One object (a file, an archive member, a decompressed stream) from bytes to findings: detect the format
 * from content alone (never the extension: CVE-2025-1889, CVE-2025-10155), read it with the matching reader,
 * run the detectors for what was read, and recurse into containers to a bounded depth.
 */

/** Shared state of one scan run that object scans need. */
export interface ObjectScanner {
  limits: Limits;
  detectors: readonly Detector<any, any>[];
  collector: FindingCollector;
  /** Decompressed bytes left for this run (limits.maxTotalUncompressed): one budget across all members. */
  budget: DecompressBudget;
  record(file: FileRecord): void;
}

/** How an object is approached. */
export interface ObjectHints {
  /**
   * Probe mode for archive members that are not named as pickles: a member whose bytes only look like the
   * start of a pickle (tensor data often begins with 0x80) counts as a pickle only if it parses as one.
   */
  probe: boolean;
}

/** Bytes read to identify a format. */
const HEAD_BYTES = 4096;
/** Legacy (pre-1.6) torch.save files begin with this pickled magic number (torch/serialization.py). */
const TORCH_LEGACY_MAGIC = Buffer.from('80028a0a6cfc9c46f9206aa850192e', 'hex');
/** Pickles a legacy torch load reads: magic, protocol version, sys info, the object, storage keys. */
const TORCH_LEGACY_PICKLES = 5;
/** Largest TorchScript code file read as text for the code detector. */
const MAX_CODE_FILE = 4 * 1024 * 1024;
/** Largest pickle member whose CRC is verified (CRC over multi-GB tensor data would defeat the speed target). */
const MAX_CRC_CHECK = 256 * 1024 * 1024;

/** Scan one object and everything inside it; returns its record (already recorded). */
export function scanObject(source: ByteSource, path: string, depth: number, scanner: ObjectScanner, hints: ObjectHints): FileRecord {
  const record: FileRecord = { path, format: 'unknown', status: 'scanned', size: source.size, sha256: null };
  scanner.record(record);
  const file: FileArtifact = { format: 'unknown', status: 'scanned', extension: extname(path.split('!').pop() ?? '').toLowerCase(), size: source.size };
  const finish = (format: string, status: FileStatus, reason?: string, limit?: string): FileRecord => {
    record.format = format;
    record.status = status;
    if (reason) record.reason = reason;
    file.format = format;
    file.status = status;
    if (reason) file.reason = reason;
    if (limit) file.limit = limit;
    scanner.collector.run(scanner.detectors, 'file', file, path);
    return record;
  };

  if (source.size === 0) return finish('empty', 'skipped', 'empty file');
  const head = source.read(0, HEAD_BYTES);

  if (head.readUInt32LE(0) === 0x04034b50 || (head.length >= 22 && hasZipEnd(source))) {
    if (depth >= scanner.limits.maxNestingDepth) return finish('zip', 'partial', `nested deeper than ${scanner.limits.maxNestingDepth} containers`, 'maxNestingDepth');
    const zip = readZip(source, scanner.limits);
    if (!zip.ok) {
      // A file that starts like a zip but is not one may still be a pickle (polyglots): fall through only
      // when it clearly is not a zip local header.
      if (head.readUInt32LE(0) === 0x04034b50) return finish('zip', 'failed', zip.error.message, zip.error.kind === 'limit' ? zip.error.limit : undefined);
    } else {
      const status = scanZip(source, zip.value, path, depth, scanner);
      return finish(zipFormat(zip.value), status.status, status.reason);
    }
  }

  if (sniffNpy(head)) {
    const npy = readNpyHeader(source, scanner.limits);
    if (!npy.ok) return finish('numpy', 'failed', npy.error.message, npy.error.kind === 'limit' ? npy.error.limit : undefined);
    const artifact: NumpyArtifact = { header: npy.value, size: source.size };
    scanner.collector.run(scanner.detectors, 'numpy', artifact, path);
    if (npy.value.hasObjectDtype) {
      // np.load(allow_pickle=True) unpickles everything after the header (CVE-2019-6446).
      const analysis = disassemblePickle(source, { limits: scanner.limits, start: npy.value.dataOffset });
      runPickle(analysis, 'numpy', path, scanner);
      return finish('numpy', pickleStatus(analysis), pickleReason(analysis));
    }
    return finish('numpy', 'scanned');
  }

  const compression = sniffCompression(head);
  if (compression) {
    if (depth >= scanner.limits.maxNestingDepth) return finish(compression, 'partial', `nested deeper than ${scanner.limits.maxNestingDepth} containers`, 'maxNestingDepth');
    const inflated = decompress(source, compression, scanner.limits, scanner.budget);
    if (!inflated.ok) {
      const limit = inflated.error.kind === 'limit' ? inflated.error.limit ?? 'maxMemberBytes' : undefined;
      return finish(compression, limit ? 'partial' : 'failed', inflated.error.message, limit);
    }
    const inner = scanObject(bufferSource(inflated.value), `${path}!<${compression}>`, depth + 1, scanner, { probe: false });
    return finish(compression, inner.status === 'scanned' || inner.status === 'skipped' ? 'scanned' : 'partial', inner.status === 'scanned' || inner.status === 'skipped' ? undefined : 'decompressed content not fully scanned');
  }

  const pickleKind = sniffPickle(head);
  if (pickleKind) {
    const legacy = head.subarray(0, TORCH_LEGACY_MAGIC.length).equals(TORCH_LEGACY_MAGIC);
    const analysis = disassemblePickle(source, {
      limits: scanner.limits,
      expectedPickles: legacy ? TORCH_LEGACY_PICKLES : 1,
    });
    const isPickle = analysis.completePickles > 0 || analysis.imports.length > 0 || (!hints.probe && pickleKind === 'binary');
    if (isPickle) {
      const format = legacy ? 'pytorch-legacy' : 'pickle';
      runPickle(analysis, format, path, scanner);
      return finish(format, pickleStatus(analysis), pickleReason(analysis));
    }
  }

  if (hints.probe) return finish('data', 'scanned');
  return finish(textLike(head) ? 'text' : 'unknown', 'skipped', 'not a model format antidote scans');
}

function runPickle(analysis: PickleAnalysis, container: string, path: string, scanner: ObjectScanner): void {
  const artifact: PickleArtifact = { analysis, container };
  scanner.collector.run(scanner.detectors, 'pickle', artifact, path);
}

function pickleStatus(analysis: PickleAnalysis): FileStatus {
  if (analysis.completePickles === 0 && analysis.issues.length > 0 && analysis.imports.length === 0) return 'failed';
  return analysis.issues.length > 0 || analysis.unscannedBytes > 0 ? 'partial' : 'scanned';
}

function pickleReason(analysis: PickleAnalysis): string | undefined {
  const first = analysis.issues[0];
  return first ? `${first.message} at byte ${first.offset}` : analysis.unscannedBytes > 0 ? `${analysis.unscannedBytes} bytes not scanned` : undefined;
}

function hasZipEnd(source: ByteSource): boolean {
  // An End Of Central Directory record near the end marks a zip even with junk before it (torch's miniz
  // finds it the same way); its signature anywhere in the last 64 KiB + 22 bytes is enough to try.
  const tailLength = Math.min(source.size, 0xffff + 22);
  const tail = source.read(source.size - tailLength, tailLength);
  return tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) >= 0;
}

function zipFormat(archive: ZipArchive): string {
  const names = archive.entries.map((e) => e.name);
  const isTorchScript = names.some((n) => /(^|\/)constants\.pkl$/.test(n)) && names.some((n) => /(^|\/)code\//.test(n));
  if (isTorchScript) return 'torchscript';
  if (names.some((n) => /(^|\/)data\.pkl$/.test(n))) return 'pytorch-zip';
  if (names.length > 0 && names.every((n) => n.endsWith('.npy') || n.endsWith('/'))) return 'npz';
  return 'zip';
}

/** Names a loader unpickles: torch reads `<any prefix>/data.pkl` (and TorchScript `constants.pkl`). */
function isPickleName(name: string): boolean {
  return /\.(pkl|pickle)$/i.test(name);
}

function scanZip(source: ByteSource, archive: ZipArchive, path: string, depth: number, scanner: ObjectScanner): { status: FileStatus; reason?: string } {
  const artifact: ZipArtifact = { archive, format: zipFormat(archive), size: source.size };
  scanner.collector.run(scanner.detectors, 'zip', artifact, path);
  let partial: string | undefined;
  const codeFiles: { name: string; text: string }[] = [];
  for (const entry of archive.entries) {
    if (entry.isDirectory || entry.isSymlink) continue;
    const memberPath = `${path}!${entry.name}`;
    const opened = openEntry(source, archive, entry, scanner.limits);
    if (!opened.ok) {
      const limit = opened.error.kind === 'limit' ? opened.error.limit ?? 'maxMemberBytes' : undefined;
      const member: FileRecord = { path: memberPath, format: 'unknown', status: 'failed', size: entry.uncompressedSize, sha256: null, reason: opened.error.message };
      scanner.record(member);
      scanner.collector.run(scanner.detectors, 'file', { format: 'unknown', status: 'failed', reason: opened.error.message, limit, extension: extname(entry.name).toLowerCase(), size: entry.uncompressedSize } satisfies FileArtifact, memberPath);
      partial ??= `member ${entry.name} could not be read`;
      continue;
    }
    const member = scanObject(opened.value, memberPath, depth + 1, scanner, { probe: !isPickleName(entry.name) });
    if (member.format === 'pickle' && entry.method === 0 && entry.uncompressedSize <= MAX_CRC_CHECK) checkCrc(source, archive, entry, scanner, path);
    if (member.status === 'partial' || member.status === 'failed') partial ??= `member ${entry.name} not fully scanned`;
    if (/(^|\/)code\/.+\.py$/.test(entry.name) && opened.value.size <= MAX_CODE_FILE) {
      codeFiles.push({ name: entry.name, text: opened.value.read(0, opened.value.size).toString('utf8') });
    }
  }
  if (artifact.format === 'torchscript') {
    const ts: TorchScriptArtifact = { codeFiles };
    scanner.collector.run(scanner.detectors, 'torchscript', ts, path);
  }
  return partial ? { status: 'partial', reason: partial } : { status: 'scanned' };
}

function checkCrc(source: ByteSource, archive: ZipArchive, entry: ZipEntry, scanner: ObjectScanner, path: string): void {
  const anomaly = verifyCrc(source, entry);
  if (anomaly) {
    const artifact: ZipArtifact = { archive: { ...archive, anomalies: [anomaly] }, format: zipFormat(archive), size: source.size };
    scanner.collector.run(scanner.detectors, 'zip', artifact, path);
  }
}

function textLike(head: Buffer): boolean {
  for (let i = 0; i < Math.min(head.length, 512); i++) {
    const b = head[i]!;
    if (b === 0) return false;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) return false;
  }
  return true;
}


