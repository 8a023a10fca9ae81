import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import { ROW_ENCODING } from './canonical-row.js';

/*
 * The lockfile (`antidote.lock.json`): what `antidote lock` recorded and `antidote verify` checks. Its shape is
 * the contract in docs/lockfile.schema.json, explained in docs/lockfile.md. A lockfile is input from whoever
 * last committed it, so parseLockfile() checks every field and names the JSON path of the first one that is
 * wrong: a malformed lockfile is a tool error (exit 2), never a crash and never a silent pass.
 */

/** Version of the lockfile format. Bump on any change an older antidote could misread. */
export const LOCKFILE_VERSION = 1;

/** Default lockfile name, in the current folder. */
export const DEFAULT_LOCKFILE = 'antidote.lock.json';

/** Bytes of each leaf hash prefix kept for localising changed rows (docs/lockfile.md, "Row digests"). */
export const LEAF_PREFIX_BYTES = 8;

/** Largest lockfile read (CWE-770): a million locked files take about 200 MB; past this it is refused. */
export const MAX_LOCKFILE_BYTES = 512 * 1024 * 1024;

/** One path given to `antidote lock`, relative to the lockfile's folder (`.` for the folder itself). */
export interface LockRoot {
  path: string;
  kind: 'file' | 'directory';
}

/** Where the leaf prefixes of one dataset are kept. */
export type LeafPrefixes =
  | { encoding: 'inline'; /** Base64 of 8 bytes per leaf, in row order. */ data: string }
  | { encoding: 'sidecar'; /** Index of the dataset's first leaf among the sidecar's entries. */ offset: number };

/** Row-level facts of a dataset file. */
export interface LockedDataset {
  /** Dataset format as detected: jsonl, json, csv, tsv, parquet, arrow. */
  format: string;
  /** Rows read. */
  rows: number;
  /** Rows that could not be read; `rows + badRows` leaves make up the Merkle tree. */
  badRows: number;
  /** True when the reader stopped early (rows after the stop are unknown); verify then relies on sha256. */
  incomplete: boolean;
  columns: { name: string; type: string }[];
  /** Hex RFC 6962 Merkle root over the leaf hashes of every row and bad row, in file order. */
  merkleRoot: string;
  leafPrefixes: LeafPrefixes;
}

/** One locked file. */
export interface LockedFile {
  /** POSIX path relative to the lockfile's folder. */
  path: string;
  size: number;
  /** Hex SHA-256 of the file's bytes: what integrity rests on. */
  sha256: string;
  /** Present for dataset files whose rows were read. */
  dataset?: LockedDataset;
  /** Present when the file looked like a dataset but could not be read as one: locked by its bytes only. */
  datasetError?: string;
}

/** The binary file of leaf prefixes next to the lockfile, when any dataset keeps its prefixes there. */
export interface RowDigestsRef {
  /** File name in the lockfile's folder. */
  path: string;
  size: number;
  sha256: string;
}

/** A lockfile, as written and read. */
export interface Lockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  tool: { name: 'antidote'; version: string };
  /** Where the locked files came from, as given with --source and --revision. */
  source?: { url: string; revision?: string };
  /** The canonical row encoding the row digests use. */
  rowEncoding: typeof ROW_ENCODING;
  roots: LockRoot[];
  rowDigests?: RowDigestsRef;
  /** Every locked file, sorted by path (UTF-16 code-unit order). */
  files: LockedFile[];
}

/** Serialise a lockfile: two-space JSON, keys in a fixed order, one trailing newline (stable git diffs). */
export function serializeLockfile(lockfile: Lockfile): string {
  return `${JSON.stringify(inFixedOrder(lockfile), null, 2)}\n`;
}

/** A copy whose keys are in the documented order, however the object was built. */
function inFixedOrder(l: Lockfile): Lockfile {
  const ordered: Record<string, unknown> = { lockfileVersion: l.lockfileVersion, tool: { name: l.tool.name, version: l.tool.version } };
  if (l.source) ordered.source = l.source.revision === undefined ? { url: l.source.url } : { url: l.source.url, revision: l.source.revision };
  ordered.rowEncoding = l.rowEncoding;
  ordered.roots = l.roots.map((r) => ({ path: r.path, kind: r.kind }));
  if (l.rowDigests) ordered.rowDigests = { path: l.rowDigests.path, size: l.rowDigests.size, sha256: l.rowDigests.sha256 };
  ordered.files = l.files.map((f) => {
    const file: Record<string, unknown> = { path: f.path, size: f.size, sha256: f.sha256 };
    if (f.datasetError !== undefined) file.datasetError = f.datasetError;
    const d = f.dataset;
    if (d) {
      const prefixes = d.leafPrefixes.encoding === 'inline' ? { encoding: 'inline', data: d.leafPrefixes.data } : { encoding: 'sidecar', offset: d.leafPrefixes.offset };
      file.dataset = { format: d.format, rows: d.rows, badRows: d.badRows, incomplete: d.incomplete, columns: d.columns.map((c) => ({ name: c.name, type: c.type })), merkleRoot: d.merkleRoot, leafPrefixes: prefixes };
    }
    return file;
  });
  return ordered as unknown as Lockfile;
}

/** Write a lockfile atomically (temp file then rename), so a crash never leaves half a lockfile. */
export function writeLockfile(path: string, lockfile: Lockfile): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, serializeLockfile(lockfile));
    renameSync(temp, path);
  } catch (error) {
    throw new AntidoteError('OUTPUT_UNWRITABLE', `${path}: cannot write the lockfile (${errorMessage(error)})`, { cause: error });
  }
}

/** Read and validate a lockfile; a missing file is INPUT_NOT_FOUND, a malformed one LOCK_INVALID with the JSON path. */
export function readLockfile(path: string): Lockfile {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_LOCKFILE_BYTES) {
      throw new AntidoteError('LOCK_INVALID', `${path}: lockfile is ${size} bytes, over the ${MAX_LOCKFILE_BYTES}-byte limit; is this really a lockfile?`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof AntidoteError) throw error;
    throw new AntidoteError('INPUT_NOT_FOUND', `${path}: cannot read the lockfile (${errorMessage(error)}). Create one with 'antidote lock PATH...'.`, { cause: error });
  }
  return parseLockfile(text, path);
}

/** Parse and validate lockfile text; `file` names it in errors. */
export function parseLockfile(text: string, file: string): Lockfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AntidoteError('LOCK_INVALID', `${file}: not valid JSON (${errorMessage(error)}). Regenerate it with 'antidote lock'.`, { cause: error });
  }
  const v = new Validator(file);
  return v.lockfile(json);
}

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True for a POSIX relative path inside its base folder: no `..`, `.` or empty segments, no backslash or NUL. */
export function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || path.startsWith('/') || /[\\\0]/.test(path)) return false;
  if (/^[A-Za-z]:/.test(path)) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

type Json = Record<string, unknown>;

/** Checks one parsed lockfile field by field; every failure names the JSON path and what to do. */
class Validator {
  constructor(private readonly lockPath: string) {}

  fail(path: string, problem: string): never {
    throw new AntidoteError('LOCK_INVALID', `${this.lockPath}: ${path}: ${problem}. The lockfile is damaged or was edited by hand; regenerate it with 'antidote lock'.`);
  }

  object(value: unknown, path: string, allowed: readonly string[], required: readonly string[]): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, `expected an object, got ${describe(value)}`);
    const record = value as Json;
    for (const key of Object.keys(record)) if (!allowed.includes(key)) this.fail(`${path}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
    for (const key of required) if (!(key in record)) this.fail(`${path}.${key}`, 'missing');
    return record;
  }

  string(value: unknown, path: string, pattern?: RegExp, what?: string): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, got ${describe(value)}`);
    if (pattern && !pattern.test(value)) this.fail(path, `expected ${what ?? pattern.source}, got ${describe(value)}`);
    return value;
  }

  count(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(path, `expected a non-negative integer, got ${describe(value)}`);
    return value;
  }

  relativePath(value: unknown, path: string): string {
    const text = this.string(value, path);
    if (!isSafeRelativePath(text)) this.fail(path, `expected a POSIX path inside the lockfile's folder (no '..', no leading '/'), got ${describe(text)}`);
    return text;
  }

  lockfile(json: unknown): Lockfile {
    const root = this.object(json, '$', ['lockfileVersion', 'tool', 'source', 'rowEncoding', 'roots', 'rowDigests', 'files'], ['lockfileVersion', 'tool', 'rowEncoding', 'roots', 'files']);
    if (root.lockfileVersion !== LOCKFILE_VERSION) {
      this.fail('$.lockfileVersion', `unsupported version ${describe(root.lockfileVersion)}; this antidote reads version ${LOCKFILE_VERSION}`);
    }
    const tool = this.object(root.tool, '$.tool', ['name', 'version'], ['name', 'version']);
    if (tool.name !== 'antidote') this.fail('$.tool.name', `expected "antidote", got ${describe(tool.name)}`);
    const lockfile: Lockfile = {
      lockfileVersion: LOCKFILE_VERSION,
      tool: { name: 'antidote', version: this.string(tool.version, '$.tool.version') },
      rowEncoding: ROW_ENCODING,
      roots: [],
      files: [],
    };
    if (root.source !== undefined) {
      const source = this.object(root.source, '$.source', ['url', 'revision'], ['url']);
      lockfile.source = { url: this.string(source.url, '$.source.url') };
      if (source.revision !== undefined) lockfile.source.revision = this.string(source.revision, '$.source.revision');
    }
    if (root.rowEncoding !== ROW_ENCODING) this.fail('$.rowEncoding', `unsupported row encoding ${describe(root.rowEncoding)}; this antidote uses "${ROW_ENCODING}"`);
    if (!Array.isArray(root.roots) || root.roots.length === 0) this.fail('$.roots', `expected a non-empty array, got ${describe(root.roots)}`);
    root.roots.forEach((item: unknown, i: number) => {
      const path = `$.roots[${i}]`;
      const r = this.object(item, path, ['path', 'kind'], ['path', 'kind']);
      const rootPath = r.path === '.' ? '.' : this.relativePath(r.path, `${path}.path`);
      if (r.kind !== 'file' && r.kind !== 'directory') this.fail(`${path}.kind`, `expected "file" or "directory", got ${describe(r.kind)}`);
      lockfile.roots.push({ path: rootPath, kind: r.kind });
    });
    if (root.rowDigests !== undefined) {
      const d = this.object(root.rowDigests, '$.rowDigests', ['path', 'size', 'sha256'], ['path', 'size', 'sha256']);
      const name = this.relativePath(d.path, '$.rowDigests.path');
      if (name.includes('/')) this.fail('$.rowDigests.path', 'expected a file name next to the lockfile, without a folder');
      lockfile.rowDigests = { path: name, size: this.count(d.size, '$.rowDigests.size'), sha256: this.string(d.sha256, '$.rowDigests.sha256', HEX64, '64 lowercase hex digits') };
    }
    if (!Array.isArray(root.files)) this.fail('$.files', `expected an array, got ${describe(root.files)}`);
    let previous: string | undefined;
    root.files.forEach((item: unknown, i: number) => {
      const file = this.lockedFile(item, `$.files[${i}]`, lockfile.rowDigests !== undefined);
      if (previous !== undefined && !(previous < file.path)) {
        this.fail(`$.files[${i}].path`, `files must be sorted by path without duplicates (${describe(file.path)} after ${describe(previous)})`);
      }
      previous = file.path;
      lockfile.files.push(file);
    });
    return lockfile;
  }

  lockedFile(item: unknown, path: string, hasSidecar: boolean): LockedFile {
    const f = this.object(item, path, ['path', 'size', 'sha256', 'dataset', 'datasetError'], ['path', 'size', 'sha256']);
    const locked: LockedFile = {
      path: this.relativePath(f.path, `${path}.path`),
      size: this.count(f.size, `${path}.size`),
      sha256: this.string(f.sha256, `${path}.sha256`, HEX64, '64 lowercase hex digits'),
    };
    if (f.datasetError !== undefined) locked.datasetError = this.string(f.datasetError, `${path}.datasetError`);
    if (f.dataset !== undefined) locked.dataset = this.dataset(f.dataset, `${path}.dataset`, hasSidecar);
    return locked;
  }

  dataset(item: unknown, path: string, hasSidecar: boolean): LockedDataset {
    const keys = ['format', 'rows', 'badRows', 'incomplete', 'columns', 'merkleRoot', 'leafPrefixes'];
    const d = this.object(item, path, keys, keys);
    if (!Array.isArray(d.columns)) this.fail(`${path}.columns`, `expected an array, got ${describe(d.columns)}`);
    const columns = d.columns.map((c: unknown, i: number) => {
      const column = this.object(c, `${path}.columns[${i}]`, ['name', 'type'], ['name', 'type']);
      return { name: this.string(column.name, `${path}.columns[${i}].name`), type: this.string(column.type, `${path}.columns[${i}].type`) };
    });
    if (typeof d.incomplete !== 'boolean') this.fail(`${path}.incomplete`, `expected true or false, got ${describe(d.incomplete)}`);
    const rows = this.count(d.rows, `${path}.rows`);
    const badRows = this.count(d.badRows, `${path}.badRows`);
    if (!Number.isSafeInteger(rows + badRows)) this.fail(`${path}.rows`, 'rows + badRows is too large');
    const p = this.object(d.leafPrefixes, `${path}.leafPrefixes`, ['encoding', 'data', 'offset'], ['encoding']);
    let leafPrefixes: LeafPrefixes;
    if (p.encoding === 'inline') {
      this.object(p, `${path}.leafPrefixes`, ['encoding', 'data'], ['encoding', 'data']);
      const data = this.string(p.data, `${path}.leafPrefixes.data`, BASE64, 'base64');
      const bytes = (data.length / 4) * 3 - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
      if (bytes !== (rows + badRows) * LEAF_PREFIX_BYTES) {
        this.fail(`${path}.leafPrefixes.data`, `holds ${bytes} bytes, expected ${LEAF_PREFIX_BYTES} per row for ${rows + badRows} rows and bad rows`);
      }
      leafPrefixes = { encoding: 'inline', data };
    } else if (p.encoding === 'sidecar') {
      this.object(p, `${path}.leafPrefixes`, ['encoding', 'offset'], ['encoding', 'offset']);
      if (!hasSidecar) this.fail(`${path}.leafPrefixes`, 'refers to the row-digest sidecar but $.rowDigests is missing');
      leafPrefixes = { encoding: 'sidecar', offset: this.count(p.offset, `${path}.leafPrefixes.offset`) };
    } else {
      this.fail(`${path}.leafPrefixes.encoding`, `expected "inline" or "sidecar", got ${describe(p.encoding)}`);
    }
    return {
      format: this.string(d.format, `${path}.format`, /^[a-z0-9-]{1,32}$/, 'a format name such as jsonl'),
      rows,
      badRows,
      incomplete: d.incomplete,
      columns,
      merkleRoot: this.string(d.merkleRoot, `${path}.merkleRoot`, HEX64, '64 lowercase hex digits'),
      leafPrefixes,
    };
  }
}

/** A short description of a JSON value for an error message (bounded: a hostile value is not echoed whole). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
