import { existsSync, rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { AntidoteError } from '../../core/errors.js';
import type { DatasetLimits } from '../../readers/dataset/types.js';
import { VERSION } from '../../version.js';
import { ROW_ENCODING } from './canonical-row.js';
import { isDatasetFile, readerPass, type DatasetFilter, type DatasetPass } from './dataset-pass.js';
import { HashPool, HashReadError } from './file-hash.js';
import { DEFAULT_LOCKFILE, LEAF_PREFIX_BYTES, LOCKFILE_VERSION, type LockedDataset, type LockedFile, type Lockfile } from './lockfile.js';
import { DigestFileWriter, moveIntoPlace, SIDECAR_MAGIC } from './row-digest-store.js';
import { ThreadedDigester } from './threaded-digester.js';
import { rootsOf, walkFiles } from './walk-files.js';

/*
 * `lock`: record every file under the given paths (size, sha256) and, for datasets, the rows (count, bad
 * rows, columns, Merkle root, leaf prefixes). Plain files hash on a pool of threads while datasets are read
 * on this thread, each file read once. Leaf prefixes of small datasets go inline into the lockfile; the rest
 * stream into the sidecar, so neither the process nor the committed lockfile grows with a dataset's size.
 */

/**
 * Leaves kept inline in the lockfile across all its datasets (8 bytes each, about 11 KB of base64 per 1,024
 * rows): small datasets stay one self-contained file; past this, prefixes go to the sidecar so the JSON
 * that reviewers diff stays small.
 */
export const MAX_INLINE_LEAVES = 4_096;

/** Options of {@link lock}. */
export interface LockOptions {
  /** Files and folders to lock; each must be inside the lockfile's folder. */
  paths: string[];
  /** Where the lockfile will be written (its folder is the base of every path); default ./antidote.lock.json. */
  output?: string;
  /** Where the files came from (a repository or dataset URL) and at which revision. */
  source?: { url: string; revision?: string };
  /** Overrides of the dataset readers' limits. */
  datasetLimits?: Partial<DatasetLimits>;
  /** Which files are read as datasets (default: by name, as the dataset readers decide). */
  isDataset?: DatasetFilter;
  /** How a dataset is read (default: the dataset readers); tests pass in-memory events. */
  datasetPass?: DatasetPass;
  /** Called after each file, for a progress display. */
  onFile?: (path: string, done: number, total: number) => void;
}

/** A problem found while locking: the lock is written, but this file is locked by its bytes only or has unread rows. */
export interface LockProblem {
  path: string;
  message: string;
}

/** What {@link lock} produced. */
export interface LockOutcome {
  lockfile: Lockfile;
  /** Datasets that could not be read completely; the CLI exits 1 when there are any. */
  problems: LockProblem[];
}

/** Name of the row-digest sidecar for a lockfile: `antidote.lock.json` -> `antidote.lock.rows`. */
export function sidecarNameFor(lockfilePath: string): string {
  const name = basename(lockfilePath);
  return `${name.endsWith('.json') ? name.slice(0, -'.json'.length) : name}.rows`;
}

/**
 * Lock files and datasets. Writes the row-digest sidecar next to `output` when a dataset needs it (it
 * streams there while rows are read); the caller writes the returned lockfile with writeLockfile().
 */
export async function lock(options: LockOptions): Promise<LockOutcome> {
  if (options.paths.length === 0) throw new AntidoteError('USAGE', 'lock needs at least one PATH. Example: antidote lock data/');
  const output = resolve(options.output ?? DEFAULT_LOCKFILE);
  const base = dirname(output);
  const sidecarName = sidecarNameFor(output);
  const roots = rootsOf(base, options.paths);
  const files = walkFiles(base, roots, new Set([basename(output), sidecarName]));
  const isDataset = options.isDataset ?? isDatasetFile;
  const pass = options.datasetPass ?? readerPass(options.datasetLimits);
  const problems: LockProblem[] = [];
  const locked = new Map<string, LockedFile>();
  const sidecarPath = resolve(base, sidecarName);
  const sidecarTemp = `${sidecarPath}.${process.pid}.tmp`;
  let sidecar: DigestFileWriter | undefined;
  let inlineBudget = MAX_INLINE_LEAVES;
  let done = 0;
  const pool = new HashPool();
  const digester = new ThreadedDigester();
  try {
    const plain = files.filter((f) => !isDataset(f.path));
    const hashing = Promise.all(
      plain.map(async (file) => {
        try {
          const digest = await pool.hash(file.absolute);
          locked.set(file.path, { path: file.path, size: digest.size, sha256: digest.sha256 });
        } catch (error) {
          throw unreadable(error, file.absolute);
        }
        options.onFile?.(file.path, ++done, files.length);
      }),
    );
    hashing.catch(() => undefined);
    // Datasets one after another in path order: their sidecar offsets then follow the lockfile's order.
    for (const file of files.filter((f) => isDataset(f.path))) {
      const inline: Buffer[] = [];
      let leaves = 0;
      let sidecarOffset = -1;
      digester.begin((prefixes) => {
        leaves += prefixes.length / LEAF_PREFIX_BYTES;
        if (sidecarOffset < 0 && leaves > inlineBudget) {
          // Too many rows to stay inline: move what was kept to the sidecar and stream the rest there.
          sidecar ??= new DigestFileWriter(sidecarTemp, SIDECAR_MAGIC);
          sidecarOffset = sidecar.count;
          sidecar.pushAll(Buffer.concat(inline));
          inline.length = 0;
        }
        if (sidecarOffset >= 0) sidecar!.pushAll(prefixes);
        else inline.push(prefixes);
      });
      const result = await pass(file.absolute, (event) => digester.push(event)).catch((error: unknown) => {
        throw unreadable(error, file.absolute);
      });
      const { root } = await digester.finish();
      const entry: LockedFile = { path: file.path, size: result.digest.size, sha256: result.digest.sha256 };
      if (result.error !== undefined || result.format === undefined) {
        entry.datasetError = result.error ?? 'not a dataset format antidote reads';
        // Prefixes already streamed to the sidecar stay there unreferenced: the lock records this file by its bytes.
        problems.push({ path: file.path, message: `locked by its bytes only: ${entry.datasetError}` });
      } else {
        if (sidecarOffset < 0) inlineBudget -= leaves;
        const dataset: LockedDataset = {
          format: result.format,
          rows: digester.rows,
          badRows: digester.badRows,
          incomplete: digester.stopped,
          columns: result.columns.map((c) => ({ name: c.name, type: c.type })),
          merkleRoot: root,
          leafPrefixes: sidecarOffset >= 0 ? { encoding: 'sidecar', offset: sidecarOffset } : { encoding: 'inline', data: Buffer.concat(inline).toString('base64') },
        };
        entry.dataset = dataset;
        if (digester.badRows > 0) problems.push({ path: file.path, message: `${digester.badRows} bad row(s) could not be read; they are locked by their raw bytes` });
        if (digester.stopped) problems.push({ path: file.path, message: 'reading stopped early: rows after the stop are locked by the file sha256 only' });
        for (const issue of result.issues) problems.push({ path: file.path, message: issue });
      }
      locked.set(file.path, entry);
      options.onFile?.(file.path, ++done, files.length);
    }
    await hashing;
    const lockfile: Lockfile = {
      lockfileVersion: LOCKFILE_VERSION,
      tool: { name: 'antidote', version: VERSION },
      ...(options.source ? { source: options.source.revision === undefined ? { url: options.source.url } : { url: options.source.url, revision: options.source.revision } } : {}),
      rowEncoding: ROW_ENCODING,
      roots,
      files: files.map((f) => locked.get(f.path)!),
    };
    if (sidecar) {
      const { size, sha256 } = sidecar.finish();
      moveIntoPlace(sidecarTemp, sidecarPath);
      sidecar = undefined;
      lockfile.rowDigests = { path: sidecarName, size, sha256 };
    } else if (existsSync(sidecarPath)) {
      // A sidecar left by an earlier lock of the same name would be stale: nothing refers to it any more.
      rmSync(sidecarPath);
    }
    return { lockfile, problems };
  } finally {
    sidecar?.discard();
    await Promise.all([pool.close(), digester.close()]);
  }
}

function unreadable(error: unknown, path: string): AntidoteError {
  if (error instanceof AntidoteError) return error;
  const reason = error instanceof HashReadError ? error.message : `${path}: cannot read (${error instanceof Error ? error.message : String(error)})`;
  return new AntidoteError('INPUT_UNREADABLE', reason, { cause: error });
}
