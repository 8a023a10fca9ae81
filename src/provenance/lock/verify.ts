import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import type { DatasetLimits } from '../../readers/dataset/types.js';
import { VERSION } from '../../version.js';
import { diffRows, type RowChange, type RowDiffCounts } from './align-rows.js';
import { readerPass, type DatasetPass } from './dataset-pass.js';
import { HashPool } from './file-hash.js';
import { DEFAULT_LOCKFILE, LEAF_PREFIX_BYTES, readLockfile, type LockedFile } from './lockfile.js';
import { sidecarNameFor } from './lock.js';
import { bufferDigestStore, DigestFileWriter, fileDigestStore, Sidecar, type DigestStore } from './row-digest-store.js';
import { excerptOfEvent, RowDigester } from './row-digester.js';
import { walkFiles } from './walk-files.js';

/*
 * `verify`: compare the files on disk with a lockfile. Every locked file is hashed (on a pool of threads);
 * a dataset whose bytes changed is read once more as rows, and its sequence of leaf prefixes is aligned with
 * the locked one to say which rows were added, removed, modified or moved. Memory stays bounded: the new
 * prefixes spill to a temporary file and the alignment reads both sequences in windows (align-rows.ts).
 */

/** Version of the verify result contract (docs/lockfile.md, "Verify result"). Bump on any incompatible change. */
export const VERIFY_RESULT_VERSION = '1.0.0';

/** Row changes listed per dataset by default; the counts always cover every row. */
export const DEFAULT_MAX_LISTED_ROWS = 100;

/** How a file compares with the lock. */
export type VerifiedStatus = 'unchanged' | 'modified' | 'added' | 'removed' | 'unreadable';

/** A changed row as reported: the change plus, for new rows, a bounded excerpt of their canonical text. */
export type ReportedRowChange = RowChange & {
  /** Start of the row as it is now (canonical JSON; for a bad row its reader message and raw start). */
  excerpt?: string;
};

/** Row-level comparison of a modified dataset. */
export interface VerifiedRows {
  format: string;
  expected: { rows: number; badRows: number; merkleRoot: string };
  actual: { rows: number; badRows: number; merkleRoot: string };
  /** The bytes changed but every row reads the same (key order, spacing, escapes): the Merkle roots match. */
  sameContent: boolean;
  counts: RowDiffCounts;
  /** The first changes in file order, at most `maxListedRows`. */
  changes: ReportedRowChange[];
  /** Changes not listed; the counts include them. */
  unlisted: number;
}

/** One file's verdict. */
export interface VerifiedFile {
  /** POSIX path relative to the lockfile's folder. */
  path: string;
  status: VerifiedStatus;
  /** As locked (absent for added files). */
  expected?: { size: number; sha256: string };
  /** As found (absent for removed and unreadable files). */
  actual?: { size: number; sha256: string };
  /** Rows of a modified dataset. */
  rows?: VerifiedRows;
  /** Why the file or its rows could not be compared, in words. */
  note?: string;
}

/** Everything verify found; the CLI's JSON output is this object. */
export interface VerifyResult {
  version: typeof VERIFY_RESULT_VERSION;
  tool: { name: 'antidote'; version: string };
  /** The lockfile as given. */
  lockfile: string;
  source?: { url: string; revision?: string };
  /** `passed` when every locked file is unchanged and nothing was added. */
  status: 'passed' | 'failed';
  durationMs: number;
  summary: { locked: number; unchanged: number; modified: number; added: number; removed: number; unreadable: number };
  /** Every locked file and every new one, sorted by path. */
  files: VerifiedFile[];
}

/** Options of {@link verifyLock}. */
export interface VerifyOptions {
  /** Lockfile path (default ./antidote.lock.json). */
  lockfile?: string;
  /** Row changes listed per dataset (default 100). */
  maxListedRows?: number;
  datasetLimits?: Partial<DatasetLimits>;
  /** How a dataset is read (default: the dataset readers); tests pass in-memory events. */
  datasetPass?: DatasetPass;
}

/** Verify files against a lockfile. Tool errors (missing or malformed lockfile) throw AntidoteError; differences are results. */
export async function verifyLock(options: VerifyOptions = {}): Promise<VerifyResult> {
  const started = Date.now();
  const lockPath = options.lockfile ?? DEFAULT_LOCKFILE;
  const lockfile = readLockfile(lockPath);
  const base = dirname(resolve(lockPath));
  const maxListed = options.maxListedRows ?? DEFAULT_MAX_LISTED_ROWS;
  const pass = options.datasetPass ?? readerPass(options.datasetLimits);
  const sidecar = lockfile.rowDigests ? Sidecar.open(join(base, lockfile.rowDigests.path), lockfile.rowDigests) : undefined;
  const pool = new HashPool();
  const verdicts = new Map<string, VerifiedFile>();
  try {
    const exclude = new Set([basename(lockPath), sidecarNameFor(lockPath), ...(lockfile.rowDigests ? [lockfile.rowDigests.path] : [])]);
    const unreadable = new Map<string, string>();
    const roots = lockfile.roots.filter((root) => existsSync(root.path === '.' ? base : join(base, root.path)));
    const present = new Map(walkFiles(base, roots, exclude, (path, reason) => unreadable.set(path, reason)).map((f) => [f.path, f.absolute]));
    const lockedPaths = new Set(lockfile.files.map((f) => f.path));
    const work: Promise<void>[] = [];
    for (const locked of lockfile.files) {
      const absolute = present.get(locked.path);
      const expected = { size: locked.size, sha256: locked.sha256 };
      if (absolute === undefined) {
        const reason = unreadable.get(locked.path);
        verdicts.set(locked.path, reason === undefined ? { path: locked.path, status: 'removed', expected } : { path: locked.path, status: 'unreadable', expected, note: reason });
        continue;
      }
      work.push(verifyFile(locked, absolute, pool, pass, sidecar, maxListed).then((verdict) => void verdicts.set(locked.path, verdict)));
    }
    for (const [path, absolute] of present) {
      if (lockedPaths.has(path)) continue;
      work.push(
        pool.hash(absolute).then(
          (digest) => void verdicts.set(path, { path, status: 'added', actual: digest }),
          (error: unknown) => void verdicts.set(path, { path, status: 'unreadable', note: errorMessage(error) }),
        ),
      );
    }
    for (const [path, reason] of unreadable) if (!lockedPaths.has(path)) verdicts.set(path, { path, status: 'unreadable', note: reason });
    await Promise.all(work);
  } finally {
    sidecar?.close();
    await pool.close();
  }
  const files = [...verdicts.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const summary = { locked: lockfile.files.length, unchanged: 0, modified: 0, added: 0, removed: 0, unreadable: 0 };
  for (const file of files) summary[file.status]++;
  const result: VerifyResult = {
    version: VERIFY_RESULT_VERSION,
    tool: { name: 'antidote', version: VERSION },
    lockfile: lockPath,
    status: summary.unchanged === files.length ? 'passed' : 'failed',
    durationMs: Date.now() - started,
    summary,
    files,
  };
  if (lockfile.source) result.source = lockfile.source;
  return result;
}

async function verifyFile(locked: LockedFile, absolute: string, pool: HashPool, pass: DatasetPass, sidecar: Sidecar | undefined, maxListed: number): Promise<VerifiedFile> {
  const expected = { size: locked.size, sha256: locked.sha256 };
  const verdict = (status: VerifiedStatus, rest: Omit<VerifiedFile, 'path' | 'status' | 'expected'> = {}): VerifiedFile => ({ path: locked.path, status, expected, ...rest });
  try {
    const dataset = locked.dataset;
    // Equal size: most likely unchanged, so hash alone (no row parsing). A size change is certain to be a
    // modification, so a dataset is then read as rows straight away, hashing in the same pass.
    if (!dataset || statSync(absolute).size === locked.size) {
      const actual = await pool.hash(absolute);
      if (actual.size === locked.size && actual.sha256 === locked.sha256) return verdict('unchanged', { actual });
      if (!dataset) return verdict('modified', { actual, ...(locked.datasetError ? { note: 'locked by its bytes only (it could not be read as a dataset when locked)' } : {}) });
    }
    const old = dataset.leafPrefixes.encoding === 'inline' ? bufferDigestStore(Buffer.from(dataset.leafPrefixes.data, 'base64')) : sidecar!.store(dataset.leafPrefixes.offset, dataset.rows + dataset.badRows, locked.path);
    const compared = await compareRows(absolute, old, pass, maxListed);
    const actual = compared.digest;
    const same = actual.sha256 === locked.sha256 && actual.size === locked.size;
    if (compared.error !== undefined) return verdict(same ? 'unchanged' : 'modified', { actual, note: `rows not compared: ${compared.error}` });
    // The file changed back between the hash and the row pass: its bytes now match the lock.
    if (same) return verdict('unchanged', { actual });
    const rows: VerifiedRows = {
      format: compared.format,
      expected: { rows: dataset.rows, badRows: dataset.badRows, merkleRoot: dataset.merkleRoot },
      actual: compared.actual,
      sameContent: compared.actual.merkleRoot === dataset.merkleRoot,
      counts: compared.diff.counts,
      changes: compared.diff.changes,
      unlisted: compared.diff.unlisted,
    };
    const note = dataset.incomplete ? 'the lock read this dataset only up to a fatal error; rows past it are compared by sha256 only' : undefined;
    return verdict('modified', { actual, rows, ...(note ? { note } : {}) });
  } catch (error) {
    if (error instanceof AntidoteError && error.code === 'LOCK_INVALID') throw error;
    return verdict('unreadable', { note: errorMessage(error) });
  }
}

/** Bits of the membership filter per locked row: about a 2% false-positive rate with 4 probes. */
const FILTER_BITS_PER_ROW = 8;
/** Largest membership filter (bits); bigger datasets share it at a higher false-positive rate. */
const MAX_FILTER_BITS = 256 * 1024 * 1024;

/**
 * A Bloom filter of the locked rows' prefixes, to decide during the pass which new rows are worth an excerpt
 * (rows not in the lock: added or modified) without holding the locked rows in memory. A false positive only
 * costs an excerpt; it never changes the diff.
 */
class RowFilter {
  private readonly bits: Uint8Array;
  private readonly size: number;

  constructor(store: DigestStore) {
    this.size = Math.max(1024, Math.min(MAX_FILTER_BITS, store.count * FILTER_BITS_PER_ROW));
    this.bits = new Uint8Array(Math.ceil(this.size / 8));
    const step = 65_536;
    for (let start = 0; start < store.count; start += step) {
      const chunk = store.read(start, step);
      for (let at = 0; at + LEAF_PREFIX_BYTES <= chunk.length; at += LEAF_PREFIX_BYTES) this.add(chunk.readUInt32BE(at), chunk.readUInt32BE(at + 4));
    }
  }

  private add(hi: number, lo: number): void {
    for (let k = 0; k < 4; k++) {
      const bit = (hi + k * lo) % this.size;
      this.bits[bit >>> 3]! |= 1 << (bit & 7);
    }
  }

  has(prefix: Buffer): boolean {
    const hi = prefix.readUInt32BE(0);
    const lo = prefix.readUInt32BE(4);
    for (let k = 0; k < 4; k++) {
      const bit = (hi + k * lo) % this.size;
      if ((this.bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
    }
    return true;
  }
}

/** Read a dataset's rows now and diff their prefixes with the locked ones. */
async function compareRows(absolute: string, old: DigestStore, pass: DatasetPass, maxListed: number) {
  const scratch = mkdtempSync(join(tmpdir(), 'antidote-verify-'));
  const spill = new DigestFileWriter(join(scratch, 'rows'));
  const filter = new RowFilter(old);
  const excerpts = new Map<number, string>();
  // Excerpts are kept for the first new rows that are not in the lock: those the report lists.
  const maxExcerpts = maxListed * 2;
  const digester = new RowDigester();
  let fd: number | undefined;
  try {
    const result = await pass(absolute, (event) =>
      digester.push(event, (hash, index, source) => {
        spill.push(hash);
        if (excerpts.size < maxExcerpts && !filter.has(hash)) excerpts.set(index, excerptOfEvent(source));
      }),
    );
    spill.finish();
    if (result.error !== undefined || result.format === undefined) return { digest: result.digest, error: result.error ?? 'not a dataset format antidote reads' } as const;
    fd = openSync(join(scratch, 'rows'), 'r');
    const diff = diffRows(old, fileDigestStore(fd, 0, 0, spill.count), maxListed);
    const changes: ReportedRowChange[] = diff.changes.map((change) => {
      const excerpt = 'newIndex' in change && change.kind !== 'moved' ? excerpts.get(change.newIndex) : undefined;
      return excerpt === undefined ? change : { ...change, excerpt };
    });
    return {
      digest: result.digest,
      format: result.format,
      actual: { rows: digester.rows, badRows: digester.badRows, merkleRoot: digester.root() },
      diff: { ...diff, changes },
      error: undefined,
    } as const;
  } finally {
    if (fd !== undefined) closeSync(fd);
    spill.discard();
    rmSync(scratch, { recursive: true, force: true });
  }
}
