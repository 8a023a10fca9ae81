import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { bufferSource, openFileSource, type ByteSource, type FileSource } from '../core/byte-source.js';
import type { Detector, ImportPolicy } from '../core/detector.js';
import { errorMessage } from '../core/errors.js';
import { resolveLimits, type Limits } from '../core/limits.js';
import { RESULT_VERSION, type FileRecord, type RunStatus, type ScanResult } from '../core/result.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import { SAFE_FORMATS, UNSAFE_FORMATS, type FolderArtifact } from '../detectors/model/model-folder.js';
import { scanDetectors } from '../detectors/registry.js';
import { MAX_MODEL_CARD_BYTES, readModelCard, type ModelCardFacts } from '../readers/model-card/index.js';
import { initSevenZip } from '../readers/sevenzip/index.js';
import { loadPicklePolicy } from '../policy/pickle-policy.js';
import { VERSION } from '../version.js';
import { FindingCollector } from './collector.js';
import { scanObject, type ObjectScanner } from './scan-object.js';

/** Options of one scan; everything has a default. */
export interface ScanOptions {
  /** Files and directories to scan (directories recursively). */
  paths: string[];
  /** Compute sha256 of every file on disk. */
  hash?: boolean;
  /** Raise unknown pickle imports from medium to high. */
  strict?: boolean;
  /** Overrides of the named limits. */
  limits?: Partial<Limits>;
  /** Extra pickle policy files extending the shipped one. */
  policyFiles?: string[];
  /** A ready policy (tests, embedding); takes precedence over `policyFiles`. */
  picklePolicy?: ImportPolicy;
  /** Detectors to run (default: every scan detector). */
  detectors?: readonly Detector<any, any>[];
  /** Called after each file on disk, for progress display. */
  onProgress?: (progress: ScanProgress) => void;
}

/** Progress of a running scan. */
export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  currentPath: string;
}

/** Bytes per read when hashing whole files: large reads keep the hash near OpenSSL's own speed. */
const HASH_CHUNK = 8 * 1024 * 1024;

/**
 * Scan files and directories for malicious model content. Never throws for anything in the inputs: files
 * that cannot be read become `failed` records with a finding, and the run status says `partial`/`failed`.
 */
export async function scan(options: ScanOptions): Promise<ScanResult> {
  await prepareReaders();
  const run = startRun(options);
  const targets = collectTargets(options.paths, run.scanner);
  const bytesTotal = targets.reduce((n, t) => n + t.size, 0);
  let bytesDone = 0;
  const scanned: FileRecord[] = [];
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]!;
    const record = scanFile(target.path, run.scanner, options.hash ?? false);
    if (record) scanned.push(record);
    bytesDone += target.size;
    options.onProgress?.({ filesDone: i + 1, filesTotal: targets.length, bytesDone, bytesTotal, currentPath: target.path });
  }
  judgeFolders(scanned, run.scanner);
  return run.finish(options.paths);
}

/**
 * Scan bytes already in memory (an upload, a blob from a store) under a display `name`. Same verdicts as
 * {@link scan}; `options.paths` is ignored.
 */
export async function scanBytes(bytes: Buffer, name: string, options: Omit<ScanOptions, 'paths'> = {}): Promise<ScanResult> {
  await prepareReaders();
  const run = startRun(options);
  const record = scanObject(bufferSource(bytes), name, 0, run.scanner, { probe: false });
  if (options.hash) record.sha256 = sha256Of(bufferSource(bytes));
  return run.finish([name]);
}

/**
 * Readers whose set-up is asynchronous (the 7-Zip WASM module) are loaded once before the synchronous scan.
 * A failure is not thrown: the 7z branch then records such archives as failed, never clean.
 */
async function prepareReaders(): Promise<void> {
  try {
    await initSevenZip();
  } catch {
    // sevenZipReader() stays undefined; scanObject reports 7z archives as failed.
  }
}

function startRun(options: Omit<ScanOptions, 'paths'>): { scanner: ObjectScanner; finish(inputs: string[]): ScanResult } {
  const started = Date.now();
  const limits = resolveLimits(options.limits);
  const picklePolicy = options.picklePolicy ?? loadPicklePolicy(options.policyFiles ?? []);
  const collector = new FindingCollector({ strict: options.strict ?? false, limits, picklePolicy });
  const files: FileRecord[] = [];
  const scanner: ObjectScanner = {
    limits,
    detectors: options.detectors ?? scanDetectors,
    collector,
    budget: { remaining: limits.maxTotalUncompressed },
    record(file) {
      files.push(file);
    },
  };
  const finish = (inputs: string[]): ScanResult => {
    const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    for (const finding of collector.findings) summary[finding.severity] += 1;
    return {
      version: RESULT_VERSION,
      tool: { name: 'antidote', version: VERSION },
      status: runStatus(files),
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      inputs: [...inputs],
      findings: collector.findings,
      files,
      rules: collector.ruleInfos(),
      summary,
    };
  };
  return { scanner, finish };
}

function runStatus(files: FileRecord[]): RunStatus {
  const onDisk = files.filter((f) => !f.path.includes('!'));
  if (onDisk.length > 0 && onDisk.every((f) => f.status === 'failed')) return 'failed';
  if (files.some((f) => f.status === 'failed' || f.status === 'partial')) return 'partial';
  return 'succeeded';
}

interface Target {
  path: string;
  size: number;
}

/**
 * Expand directories into files in a stable (sorted) order. Symbolic links to directories are not
 * followed (loops, escapes from the tree); links to files are scanned as the file they point to.
 */
function collectTargets(paths: string[], scanner: ObjectScanner): Target[] {
  const targets: Target[] = [];
  const visit = (path: string, top: boolean): void => {
    let info;
    try {
      info = lstatSync(path);
    } catch (error) {
      failRecord(scanner, path, `cannot access: ${errorMessage(error)}`);
      return;
    }
    if (info.isSymbolicLink()) {
      try {
        const resolved = statSync(path);
        if (resolved.isDirectory()) {
          if (!top) return;
          info = resolved;
        } else {
          targets.push({ path, size: resolved.size });
          return;
        }
      } catch (error) {
        failRecord(scanner, path, `broken symbolic link: ${errorMessage(error)}`);
        return;
      }
    }
    if (info.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(path).sort();
      } catch (error) {
        failRecord(scanner, path, `cannot list directory: ${errorMessage(error)}`);
        return;
      }
      for (const name of names) visit(join(path, name), false);
      return;
    }
    if (info.isFile()) targets.push({ path, size: info.size });
  };
  for (const path of paths) visit(path, true);
  return targets;
}

function failRecord(scanner: ObjectScanner, path: string, reason: string): void {
  const record: FileRecord = { path, format: 'unknown', status: 'failed', size: 0, sha256: null, reason };
  scanner.record(record);
  scanner.collector.run(scanner.detectors, 'file', { format: 'unknown', status: 'failed', reason, extension: extname(path).toLowerCase(), size: 0 }, path);
}

function scanFile(path: string, scanner: ObjectScanner, hash: boolean): FileRecord | undefined {
  let source;
  try {
    source = openFileSource(path);
  } catch (error) {
    failRecord(scanner, path, `cannot open: ${errorMessage(error)}`);
    return undefined;
  }
  try {
    const record = scanObject(source, path, 0, scanner, { probe: false });
    if (hash) record.sha256 = sha256Of(source);
    return record;
  } catch (error) {
    failRecord(scanner, path, `read error: ${errorMessage(error)}`);
    return undefined;
  } finally {
    source.close();
  }
}

/**
 * One verdict per model folder (a directory holding weight files directly): which formats it ships,
 * whether a pickle sits beside a safe format, and what its model card says about provenance.
 */
function judgeFolders(files: FileRecord[], scanner: ObjectScanner): void {
  const byDir = new Map<string, FileRecord[]>();
  for (const file of files) {
    const dir = dirname(file.path);
    byDir.set(dir, [...(byDir.get(dir) ?? []), file]);
  }
  for (const [dir, records] of byDir) {
    const weights = records.filter((r) => UNSAFE_FORMATS.has(r.format) || SAFE_FORMATS.has(r.format));
    if (weights.length === 0) continue;
    const names = new Set(records.map((r) => basename(r.path)));
    let modelCard: ModelCardFacts | null = null;
    if (names.has('README.md')) {
      try {
        const source = openFileSource(join(dir, 'README.md'));
        try {
          modelCard = readModelCard(source.read(0, MAX_MODEL_CARD_BYTES).toString('utf8'));
        } finally {
          source.close();
        }
      } catch {
        modelCard = null;
      }
    }
    const artifact: FolderArtifact = {
      files: weights.map((r) => ({ name: basename(r.path), format: r.format })),
      modelCard,
      hasConfig: names.has('config.json'),
    };
    scanner.collector.run(scanner.detectors, 'folder', artifact, dir);
  }
}

/** sha256 of a whole source, streamed in large chunks through one reused buffer when the source allows. */
export function sha256Of(source: ByteSource | FileSource): string {
  const hash = createHash('sha256');
  if ('readInto' in source) {
    const chunk = Buffer.allocUnsafe(HASH_CHUNK);
    for (let position = 0; position < source.size; ) {
      const n = source.readInto(position, chunk);
      if (n <= 0) break;
      hash.update(n === chunk.length ? chunk : chunk.subarray(0, n));
      position += n;
    }
    return hash.digest('hex');
  }
  for (let position = 0; position < source.size; position += HASH_CHUNK) {
    hash.update(source.read(position, HASH_CHUNK));
  }
  return hash.digest('hex');
}
