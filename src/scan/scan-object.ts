import { extname } from 'node:path';
import { bufferSource, readAll, sliceSource, type ByteSource } from '../core/byte-source.js';
import type { Detector } from '../core/detector.js';
import type { Limits } from '../core/limits.js';
import type { FileRecord, FileStatus } from '../core/result.js';
import type { FileArtifact } from '../detectors/file/unscanned.js';
import type { PickleArtifact } from '../detectors/model/pickle-artifact.js';
import type { ZipArtifact } from '../detectors/model/zip-anomalies.js';
import type { NumpyArtifact } from '../detectors/model/numpy-object-array.js';
import type { TorchScriptArtifact } from '../detectors/model/torchscript-code.js';
import { dataPastEnd, type GgufArtifact } from '../detectors/model/gguf-header.js';
import type { OnnxArtifact } from '../detectors/model/onnx-graph.js';
import { TF_DETAIL_OPS, type SavedModelArtifact } from '../detectors/model/savedmodel-ops.js';
import type { KerasArtifact } from '../detectors/model/keras-config.js';
import type { SafetensorsArtifact } from '../detectors/model/safetensors-header.js';
import { LEGACY_TORCH_MEMBERS, type TarArtifact } from '../detectors/model/tar-anomalies.js';
import type { SevenZipArtifact } from '../detectors/model/sevenzip-anomalies.js';
import { decompressBestEffort, sniffCompression, type CompressionKind, type DecompressionBudget } from '../readers/compression/index.js';
import { readNpyHeader, sniffNpy } from '../readers/numpy/index.js';
import { disassemblePickle, sniffPickle, type PickleAnalysis } from '../readers/pickle/index.js';
import { readGguf, sniffGguf } from '../readers/gguf/index.js';
import {
  readKerasMetadata,
  readOnnxModel,
  readTensorflowGraph,
  sniffGraphDef,
  sniffKerasMetadata,
  sniffOnnx,
  sniffSavedModel,
  sniffTruncatedModel,
  type KerasMetadataNode,
  type TruncatedModelKind,
  type ProtoProblem,
} from '../readers/protobuf/index.js';
import { findHdf5Signature, readKerasArchive, readKerasH5, readKerasSavedMetadata, sniffKerasArchive, type KerasModel, type KerasProblem } from '../readers/keras/index.js';
import type { ReadError } from '../core/read-result.js';
import { readSafetensorsHeader, sniffSafetensors } from '../readers/safetensors/index.js';
import { sevenZipReader, sniffSevenZip } from '../readers/sevenzip/index.js';
import { readTar, sniffTar, type TarArchive } from '../readers/tar/index.js';
import { openEntry, readZip, sniffZip, sniffZipTail, verifyCrc, type ZipArchive } from '../readers/zip/index.js';
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
  budget: DecompressionBudget;
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

/** Compression magics short or loose enough to match raw data by chance (zlib: 2 bytes, LZMA-alone: properties). */
const WEAK_MAGIC: ReadonlySet<CompressionKind> = new Set(['zlib', 'lzma', 'lz4']);
/** Bytes read to identify a format. */
const HEAD_BYTES = 4096;
/** Legacy (pre-1.6) torch.save files begin with this pickled magic number (torch/serialization.py). */
const TORCH_LEGACY_MAGIC = Buffer.from('80028a0a6cfc9c46f9206aa850192e', 'hex');
/** Pickles a legacy torch load reads: magic, protocol version, sys info, the object, storage keys. */
const TORCH_LEGACY_PICKLES = 5;
/** Largest TorchScript code file read as text for the code detector. */
const MAX_CODE_FILE = 4 * 1024 * 1024;
/** The file tf.keras writes beside saved_model.pb; Keras parses it as SavedMetadata whatever its bytes. */
const KERAS_METADATA_FILE = 'keras_metadata.pb';
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

  // Containers inside containers stop at a bound (zip in gzip in zip ...); the stop is a finding, not a pass.
  const tooDeep = (format: string): FileRecord =>
    finish(format, 'partial', `nested deeper than ${scanner.limits.maxNestingDepth} containers`, 'maxNestingDepth');

  if (source.size === 0) return finish('empty', 'skipped', 'empty file');
  const head = source.read(0, HEAD_BYTES);

  const startsAsZip = sniffZip(head);
  if (startsAsZip || sniffZipTail(source)) {
    if (depth >= scanner.limits.maxNestingDepth) return tooDeep('zip');
    const zip = readZip(source, scanner.limits);
    if (!zip.ok) {
      // A file that only ends like a zip may still be something else (a pickle with a zip appended):
      // fall through to the other formats unless it starts as a zip.
      if (startsAsZip) return finish('zip', 'failed', zip.error.message, zip.error.kind === 'limit' ? zip.error.limit : undefined);
    } else {
      const status = scanZip(source, zip.value, path, depth, scanner);
      if (sniffKerasArchive(zip.value.entries)) {
        const archive = zip.value;
        const keras = readKerasArchive(archive.entries, (entry) => openEntry(source, archive, entry, scanner.limits), scanner.limits);
        // `unsupported` = a config.json that is not a Keras model (a Hugging Face zip, say): nothing to judge.
        if (keras.ok) runKeras(keras.value, source, path, depth, scanner);
      }
      if (!startsAsZip) {
        // torch.load only treats a file as a zip when it starts with PK\x03\x04; anything else is unpickled
        // from byte 0 as a legacy checkpoint. Junk before an archive is therefore a possible pickle that runs
        // while the archive behind it looks clean: scan it as one.
        const prefix = scanPrefixAsPickle(source, head, prefixLength(zip.value), path, scanner);
        if (prefix === 'partial') return finish(zipFormat(zip.value), 'partial', 'bytes before the archive are a corrupt pickle');
      }
      return finish(zipFormat(zip.value), status.status, status.reason);
    }
  }

  if (sniffTar(head)) {
    if (depth >= scanner.limits.maxNestingDepth) return tooDeep('tar');
    const tar = readTar(source, scanner.limits);
    if (tar.ok) {
      const status = scanTar(source, tar.value, path, depth, scanner);
      return finish('tar', status.status, status.reason);
    }
    if (tar.error.kind === 'limit') return finish('tar', 'partial', tar.error.message, tar.error.limit);
  }

  if (sniffSevenZip(head)) {
    if (depth >= scanner.limits.maxNestingDepth) return tooDeep('7z');
    const reader = sevenZipReader();
    if (!reader) return finish('7z', 'failed', '7z support was not initialised (the 7-Zip WASM module failed to load)');
    // 7-Zip reads the archive from its own in-memory file system, so the whole archive is held once.
    if (source.size > scanner.limits.maxMemberBytes) return finish('7z', 'partial', `7z archive larger than ${scanner.limits.maxMemberBytes} bytes`, 'maxMemberBytes');
    const read = reader.read(readAll(source), scanner.limits, scanner.budget);
    if (!read.ok) return finish('7z', read.error.kind === 'limit' ? 'partial' : 'failed', read.error.message, read.error.kind === 'limit' ? read.error.limit : undefined);
    let partial: string | undefined = read.value.incomplete?.reason;
    const limit = read.value.incomplete?.limit;
    for (const member of read.value.members) {
      const inner = scanObject(bufferSource(member.data), `${path}!${member.name}`, depth + 1, scanner, { probe: !isPickleName(member.name) });
      if (inner.status === 'partial' || inner.status === 'failed') partial ??= `member ${member.name} not fully scanned`;
    }
    const artifact: SevenZipArtifact = { archive: read.value, size: source.size };
    scanner.collector.run(scanner.detectors, 'sevenzip', artifact, path);
    return finish('7z', partial ? 'partial' : 'scanned', partial, limit);
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

  // Before the compression and pickle sniffers: a safetensors length field can start like a weak magic.
  if (sniffSafetensors(head, source.size)) {
    const st = readSafetensorsHeader(source, scanner.limits);
    if (!st.ok) return finish('safetensors', 'failed', st.error.message, st.error.kind === 'limit' ? st.error.limit : undefined);
    const artifact: SafetensorsArtifact = { header: st.value, size: source.size };
    scanner.collector.run(scanner.detectors, 'safetensors', artifact, path);
    // Header problems are findings; the tensor bytes are never read by design, so the file counts as scanned.
    return finish('safetensors', 'scanned');
  }

  // HDF5 (legacy Keras .h5): the signature may sit after a user block at 512, 1024... bytes.
  const h5At = findHdf5Signature(source);
  if (h5At !== null) {
    const keras = readKerasH5(source, scanner.limits);
    if (keras.ok) {
      runKeras(keras.value, source, path, depth, scanner);
      if (h5At === 0) return finish('keras-h5', keras.value.problems.length > 0 ? 'partial' : 'scanned', keras.value.problems[0]?.message);
    } else if (h5At === 0 && !hints.probe) {
      // An archive member (a .keras weights file) is weights data for h5py; only a file on its own that
      // claims to be HDF5 and cannot be read is a failure.
      if (keras.error.kind !== 'unsupported') return finish('hdf5', 'failed', keras.error.message);
      return finish('hdf5', 'skipped', 'HDF5 file that is not a Keras model');
    }
    // A signature after a user block: the bytes before it can be a polyglot, so the other sniffers still look.
  }

  if (sniffGguf(head)) {
    const gguf = readGguf(source, scanner.limits);
    if (!gguf.ok) return finish('gguf', 'failed', gguf.error.message);
    const artifact: GgufArtifact = { file: gguf.value, size: source.size };
    scanner.collector.run(scanner.detectors, 'gguf', artifact, path);
    const stop = gguf.value.stop ?? gguf.value.problems.find((p) => p.kind === 'limit');
    if (stop) return finish('gguf', 'partial', stop.message, stop.kind === 'limit' ? stop.limit : undefined);
    // Tensor data is never read, but data the infos place past the end of the file is data that is not there.
    if (dataPastEnd(gguf.value)) return finish('gguf', 'partial', 'tensor data extends past the end of the file');
    return finish('gguf', 'scanned');
  }

  // Before the compression and pickle sniffers: protobufs often start with 0x08. The sniffers walk only the
  // top-level tags (payloads skipped by length) and require the walk to end exactly at the end of the file.
  if (sniffOnnx(source)) return scanOnnx(source, path, scanner, finish, false);
  const tfKind = sniffSavedModel(source) ? 'saved-model' : sniffGraphDef(source) ? 'graph-def' : null;
  if (tfKind) return scanTensorflow(tfKind, source, path, depth, scanner, finish, false);
  if (sniffKerasMetadata(source)) return scanKerasMetadata(source, path, depth, scanner, finish, false);

  const compression = sniffCompression(head);
  if (compression) {
    if (depth >= scanner.limits.maxNestingDepth) return tooDeep(compression);
    // Best effort: Python's streaming decompressors hand pickle.load the good prefix of a stream that is
    // cut short, corrupt further on, or over a limit, so a payload placed up front still runs: scan it.
    const inflated = decompressBestEffort(source, compression, scanner.limits, scanner.budget);
    const error = inflated.error;
    // Raw tensor bytes in archive members, and a few weak magics (zlib, LZMA-alone) at top level, often
    // look like a compressed stream by chance. Only a stream that decodes counts as compressed there.
    const chance = error !== null && error.kind !== 'limit' && (hints.probe || WEAK_MAGIC.has(compression)) && inflated.data.length === 0;
    const probeMiss = hints.probe && error !== null;
    if (!chance && !probeMiss) {
      let inner: FileRecord | undefined;
      if (inflated.data.length > 0) {
        inner = scanObject(bufferSource(inflated.data), `${path}!<${compression}>`, depth + 1, scanner, { probe: false });
      }
      if (error) {
        const limit = error.kind === 'limit' ? (error.limit ?? 'maxMemberBytes') : undefined;
        return finish(compression, inner ? 'partial' : 'failed', error.message, limit);
      }
      const complete = inner === undefined || inner.status === 'scanned' || inner.status === 'skipped';
      return finish(compression, complete ? 'scanned' : 'partial', complete ? undefined : 'decompressed content not fully scanned');
    }
  }

  const pickleKind = sniffPickle(head);
  if (pickleKind) {
    const legacy = head.subarray(0, TORCH_LEGACY_MAGIC.length).equals(TORCH_LEGACY_MAGIC);
    // Only bytes that start with PROTO and were not merely probed are pickles before any parse; anything
    // else is one only if it parses or imports (see sniffPickle).
    const probe = hints.probe || pickleKind === 'weak';
    const analysis = disassemblePickle(source, {
      limits: scanner.limits,
      expectedPickles: legacy ? TORCH_LEGACY_PICKLES : 1,
      probe,
    });
    // Probed bytes count as a pickle only when they import something resolvable: a pickle without imports
    // cannot run code, and random data completes tiny "pickles" (N.) or hits EXT opcodes by chance.
    const isPickle = !probe || analysis.imports.some((i) => !i.dynamic);
    if (isPickle) {
      const format = legacy ? 'pytorch-legacy' : 'pickle';
      runPickle(analysis, format, path, scanner);
      return finish(format, pickleStatus(analysis), pickleReason(analysis));
    }
  }

  // Content decided nothing: Keras still parses a file by this name as its metadata, so read it as such
  // (a failure is then a finding) rather than pass it over.
  const name = baseName(path);
  if (name === KERAS_METADATA_FILE) return scanKerasMetadata(source, path, depth, scanner, finish, false);

  // A protobuf model cut short fails every sniffer above (they need the walk to end at the end of the file)
  // and would pass as unknown. Recognised from what the prefix holds (or, for a file named like one, from a
  // prefix that contradicts nothing), it is read as far as it goes and never counts as fully scanned.
  const cut = sniffTruncatedModel(source, protobufNameHints(name), !hints.probe);
  if (cut === 'onnx') return scanOnnx(source, path, scanner, finish, true);
  if (cut === 'keras-metadata') return scanKerasMetadata(source, path, depth, scanner, finish, true);
  if (cut) return scanTensorflow(cut, source, path, depth, scanner, finish, true);

  if (hints.probe) return finish('data', 'scanned');
  return finish(textLike(head) ? 'text' : 'unknown', 'skipped', 'not a model format antidote scans');
}

/** The last name of a display path (`archive.zip!model/keras_metadata.pb` gives `keras_metadata.pb`). */
function baseName(path: string): string {
  const member = path.split('!').pop() ?? path;
  return member.slice(Math.max(member.lastIndexOf('/'), member.lastIndexOf('\\')) + 1);
}

type Finish = (format: string, status: FileStatus, reason?: string, limit?: string) => FileRecord;

/** Why a file recognised from a cut-short prefix is partial even when its reader noticed no cut. */
const CUT_SHORT = 'the file ends before the model does (truncated)';

/** Kinds of protobuf model a file name suggests, for recognising a cut-short one (see sniffTruncatedModel). */
function protobufNameHints(name: string): ReadonlySet<TruncatedModelKind> {
  const lower = name.toLowerCase();
  if (lower === 'saved_model.pb') return new Set(['saved-model']);
  if (lower.endsWith('.onnx')) return new Set(['onnx']);
  if (lower.endsWith('.pb')) return new Set(['saved-model', 'graph-def']);
  return new Set();
}

/** Finish a read that stopped early (`stop`), was cut short, or completed. */
function finishRead(finish: Finish, format: string, stop: ReadError | null, cut: boolean, other?: { message: string; limit?: string } | null): FileRecord {
  if (stop) return finish(format, 'partial', stop.message, stop.kind === 'limit' ? stop.limit : undefined);
  if (cut) return finish(format, 'partial', CUT_SHORT);
  return other ? finish(format, 'partial', other.message, other.limit) : finish(format, 'scanned');
}

/** An ONNX model (`cut`: recognised from a cut-short prefix). */
function scanOnnx(source: ByteSource, path: string, scanner: ObjectScanner, finish: Finish, cut: boolean): FileRecord {
  const onnx = readOnnxModel(source);
  if (!onnx.ok) return finish('onnx', 'failed', onnx.error.message, onnx.error.kind === 'limit' ? onnx.error.limit : undefined);
  const artifact: OnnxArtifact = { model: onnx.value, size: source.size };
  scanner.collector.run(scanner.detectors, 'onnx', artifact, path);
  return finishRead(finish, 'onnx', onnx.value.stop, cut);
}

/** A SavedModel or frozen GraphDef, and the Keras metadata older SavedModels keep in their object graph. */
function scanTensorflow(kind: 'saved-model' | 'graph-def', source: ByteSource, path: string, depth: number, scanner: ObjectScanner, finish: Finish, cut: boolean): FileRecord {
  const format = kind === 'saved-model' ? 'tf-savedmodel' : 'tf-graphdef';
  const tf = readTensorflowGraph(source, kind, undefined, TF_DETAIL_OPS);
  if (!tf.ok) return finish(format, 'failed', tf.error.message, tf.error.kind === 'limit' ? tf.error.limit : undefined);
  const artifact: SavedModelArtifact = { graph: tf.value, size: source.size };
  scanner.collector.run(scanner.detectors, 'savedmodel', artifact, path);
  // Models saved before keras_metadata.pb existed keep the Keras configs in the object graph.
  const keras = tf.value.kerasMetadata.length > 0 ? runKerasMetadata(tf.value.kerasMetadata, [], null, source, path, depth, scanner) : null;
  return finishRead(finish, format, tf.value.stop, cut, keras);
}

/** A `keras_metadata.pb`: its nodes' JSON judged as Keras configs. */
function scanKerasMetadata(source: ByteSource, path: string, depth: number, scanner: ObjectScanner, finish: Finish, cut: boolean): FileRecord {
  const read = readKerasMetadata(source);
  if (!read.ok) return finish('keras-metadata', 'failed', read.error.message, read.error.kind === 'limit' ? read.error.limit : undefined);
  const { nodes, problems, stop } = read.value;
  const incomplete = runKerasMetadata(nodes, problems, stop, source, path, depth, scanner);
  return finishRead(finish, 'keras-metadata', null, cut, incomplete);
}

/**
 * Judge Keras metadata nodes (keras_metadata.pb, or the object graph of saved_model.pb) with the Keras
 * detectors. Returns why the metadata was not read completely (a stop or a node over a limit), or null.
 */
function runKerasMetadata(
  nodes: readonly KerasMetadataNode[],
  problems: readonly ProtoProblem[],
  stop: ReadError | null,
  source: ByteSource,
  path: string,
  depth: number,
  scanner: ObjectScanner,
): { message: string; limit?: string } | null {
  const readProblems: KerasProblem[] = problems.map((p) => ({ kind: p.kind === 'limit' ? 'limit' : 'malformed', message: p.message, offset: p.offset }));
  if (stop) readProblems.push({ ...stop });
  const model = readKerasSavedMetadata(nodes, readProblems, scanner.limits);
  runKeras(model, source, path, depth, scanner);
  if (stop) return { message: stop.message, ...(stop.kind === 'limit' && stop.limit ? { limit: stop.limit } : {}) };
  const omitted = nodes.find((n) => n.omitted !== null);
  return omitted ? { message: `Keras metadata of ${omitted.nodePath || `node ${omitted.nodeId}`} over ${omitted.omitted}`, limit: omitted.omitted ?? undefined } : null;
}

/** Judge a Keras model and rescan the pickles it embeds (TorchModuleWrapper) through the normal detectors. */
function runKeras(model: KerasModel, source: ByteSource, path: string, depth: number, scanner: ObjectScanner): void {
  const artifact: KerasArtifact = { model, size: source.size };
  scanner.collector.run(scanner.detectors, 'keras', artifact, path);
  for (const doc of model.documents) {
    for (const payload of doc.facts?.embedded ?? []) {
      scanObject(bufferSource(payload.bytes), `${path}!${doc.name}!${payload.jsonPath}`, depth + 1, scanner, { probe: false });
    }
  }
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

/** Bytes before the first archive record: the junk-prefix length, or the lowest local header offset. */
function prefixLength(archive: ZipArchive): number {
  const junk = archive.anomalies.find((a) => a.kind === 'junk-prefix');
  if (junk?.length !== undefined) return junk.length;
  return archive.entries.reduce((min, e) => Math.min(min, e.localHeaderOffset), Number.POSITIVE_INFINITY);
}

/**
 * Scan the bytes before a junk-prefixed archive as a (legacy torch) pickle stream. Only the prefix: a loader
 * that unpickles from byte 0 runs the prefix's pickles and then fails on the archive bytes.
 */
function scanPrefixAsPickle(source: ByteSource, head: Buffer, length: number, path: string, scanner: ObjectScanner): 'none' | 'scanned' | 'partial' {
  if (!sniffPickle(head) || !Number.isFinite(length) || length <= 0) return 'none';
  const analysis = disassemblePickle(sliceSource(source, 0, length), { limits: scanner.limits, expectedPickles: TORCH_LEGACY_PICKLES });
  if (analysis.completePickles === 0 && analysis.imports.length === 0) return 'none';
  runPickle(analysis, 'pickle', path, scanner);
  return pickleStatus(analysis) === 'scanned' ? 'scanned' : 'partial';
}

function zipFormat(archive: ZipArchive): string {
  const names = archive.entries.map((e) => e.name);
  const isTorchScript = names.some((n) => /(^|\/)constants\.pkl$/.test(n)) && names.some((n) => /(^|\/)code\//.test(n));
  if (isTorchScript) return 'torchscript';
  if (names.includes('config.json') && names.some((n) => n.endsWith('.weights.h5') || n === 'metadata.json')) return 'keras';
  if (names.some((n) => /(^|\/)data\.pkl$/.test(n))) return 'pytorch-zip';
  if (names.length > 0 && names.every((n) => n.endsWith('.npy') || n.endsWith('/'))) return 'npz';
  return 'zip';
}

/** Names a loader unpickles: torch reads `<any prefix>/data.pkl` (and TorchScript `constants.pkl`). */
function isPickleName(name: string): boolean {
  return /\.(pkl|pickle)$/i.test(name);
}

function scanZip(source: ByteSource, archive: ZipArchive, path: string, depth: number, scanner: ObjectScanner): { status: FileStatus; reason?: string } {
  let partial: string | undefined;
  const codeFiles: { name: string; text: string }[] = [];
  for (const entry of archive.entries) {
    // Python's zipfile (numpy.load of an .npz) reads any member by name, whatever its attributes say: a
    // "directory" or "symlink" that carries bytes is scanned like any other member.
    if ((entry.isDirectory || entry.isSymlink) && entry.uncompressedSize === 0 && entry.compressedSize === 0) continue;
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
    if (member.format === 'pickle' && entry.uncompressedSize <= MAX_CRC_CHECK) {
      // torch ignores CRCs while Python's zipfile raises on them (CVE-2025-10156): a wrong CRC on a pickle
      // member is how a payload was kept from zipfile-based scanners. Checked for pickles only (cheap).
      const anomaly = verifyCrc(source, entry, opened.value);
      if (anomaly) archive.anomalies.push(anomaly);
    }
    if (member.status === 'partial' || member.status === 'failed') partial ??= `member ${entry.name} not fully scanned`;
    if (/(^|\/)code\/.+\.py$/.test(entry.name) && opened.value.size <= MAX_CODE_FILE) {
      codeFiles.push({ name: entry.name, text: opened.value.read(0, opened.value.size).toString('utf8') });
    }
  }
  // Run after the members were opened: opening records anomalies of its own (sizes, inflate errors).
  const artifact: ZipArtifact = { archive, format: zipFormat(archive), size: source.size };
  scanner.collector.run(scanner.detectors, 'zip', artifact, path);
  if (artifact.format === 'torchscript') {
    const ts: TorchScriptArtifact = { codeFiles };
    scanner.collector.run(scanner.detectors, 'torchscript', ts, path);
  }
  return partial ? { status: 'partial', reason: partial } : { status: 'scanned' };
}

function scanTar(source: ByteSource, archive: TarArchive, path: string, depth: number, scanner: ObjectScanner): { status: FileStatus; reason?: string } {
  let partial: string | undefined;
  for (const entry of archive.entries) {
    if (entry.type !== 'file' || entry.size === 0) continue;
    // Stored bytes: a window over the archive, no copy. torch's legacy tar members and *.pkl are parsed as
    // pickles outright; anything else is probed by content like an archive member.
    const pickleNamed = LEGACY_TORCH_MEMBERS.has(entry.name) || isPickleName(entry.name);
    const member = scanObject(sliceSource(source, entry.dataOffset, entry.size), `${path}!${entry.name}`, depth + 1, scanner, { probe: !pickleNamed });
    if (member.status === 'partial' || member.status === 'failed') partial ??= `member ${entry.name} not fully scanned`;
  }
  const artifact: TarArtifact = { archive, size: source.size };
  scanner.collector.run(scanner.detectors, 'tar', artifact, path);
  if (archive.anomalies.some((a) => a.kind === 'truncated' || a.kind === 'bad-checksum')) partial ??= 'archive is truncated or damaged';
  return partial ? { status: 'partial', reason: partial } : { status: 'scanned' };
}

function textLike(head: Buffer): boolean {
  for (let i = 0; i < Math.min(head.length, 512); i++) {
    const b = head[i]!;
    if (b === 0) return false;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) return false;
  }
  return true;
}


