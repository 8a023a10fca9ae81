import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { digestFile, NotARegularFileError, type ManifestHash } from './file-digest.js';

/*
 * The model as model_signing serializes it (model_signing 1.x, `_serialization/file.py` and `file_shard.py`):
 * every regular file under the model directory, named by its POSIX path relative to the model, minus ignored
 * paths (an ignored directory takes everything below it), sorted the way Python sorts PurePosixPath (by path
 * components, code point order). A model that is a single file is one resource named ".". Symbolic links
 * are refused unless allowed; allowed links to files are hashed as their target, links to directories are
 * not followed (pathlib's `**` glob does not descend into them). Sockets, FIFOs and devices are refused.
 */

/** Depth of directories walked. Deeper trees are hostile or broken (CWE-674). */
export const MAX_TREE_DEPTH = 256;
/** Files in one model; matches the statement reader's MAX_RESOURCES. */
export const MAX_MODEL_FILES = 1_000_000;

/** One manifest item: a file, or a shard of one. */
export interface ManifestItem {
  /** `path` for files, `path:start:end` for shards. */
  name: string;
  /** Model-relative POSIX path of the file. */
  path: string;
  /** Absolute path on disk. */
  absolutePath: string;
  start?: number;
  end?: number;
}

/** A model tree, walked but not yet hashed. */
export interface ModelTree {
  /** Last component of the model path, as model_signing names the subject. */
  modelName: string;
  /** True when the model is a single file rather than a directory. */
  singleFile: boolean;
  /** Items sorted in manifest order. */
  items: ManifestItem[];
  /** Top-most ignored entries that exist, relative to the model (directories end with `/`). */
  ignored: string[];
}

/** How to walk: the serialization parameters that change which items exist. */
export interface WalkOptions {
  allowSymlinks: boolean;
  /** Absolute paths to leave out. */
  ignore: string[];
  /** Shard size, for `method: shards`; files only when absent. */
  shardSize?: number;
}

/** Why a model tree cannot be serialized. */
export class ModelTreeError extends Error {
  constructor(
    readonly code: 'symlink-not-allowed' | 'special-file' | 'too-large',
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelTreeError';
  }
}

/** Walk a model (file or directory) into sorted manifest items. Throws ModelTreeError, or the fs error. */
export async function walkModel(modelPath: string, options: WalkOptions): Promise<ModelTree> {
  const root = resolve(modelPath);
  const ignore = options.ignore.map((p) => resolve(p));
  const rootStat = await lstat(root);
  if (rootStat.isSymbolicLink() && !options.allowSymlinks) {
    throw new ModelTreeError('symlink-not-allowed', '.', `${modelPath} is a symbolic link (sign with symlinks allowed, or point at the real path)`);
  }
  const modelName = basename(root);
  const target = rootStat.isSymbolicLink() ? await stat(root) : rootStat;
  if (target.isFile()) {
    const item: ManifestItem = { name: '.', path: '.', absolutePath: root };
    return { modelName, singleFile: true, items: options.shardSize ? shardItems(item, target.size, options.shardSize) : [item], ignored: [] };
  }
  if (!target.isDirectory()) throw new ModelTreeError('special-file', '.', `${modelPath} is neither a file nor a directory`);

  const items: ManifestItem[] = [];
  const ignored: string[] = [];
  const walk = async (directory: string, depth: number): Promise<void> => {
    if (depth > MAX_TREE_DEPTH) throw new ModelTreeError('too-large', toPosix(relative(root, directory)), `directories nested deeper than ${MAX_TREE_DEPTH}`);
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries) {
      const absolutePath = join(directory, entry.name);
      const path = toPosix(relative(root, absolutePath));
      if (isIgnored(absolutePath, ignore)) {
        ignored.push(entry.isDirectory() ? `${path}/` : path);
        continue;
      }
      if (entry.isSymbolicLink()) {
        if (!options.allowSymlinks) {
          throw new ModelTreeError('symlink-not-allowed', path, `${path} is a symbolic link; model_signing refuses links unless the signer allowed them`);
        }
        const linked = await stat(absolutePath).catch(() => undefined);
        if (linked === undefined) throw new ModelTreeError('special-file', path, `${path} is a broken symbolic link`);
        if (linked.isFile()) addFile(items, { name: path, path, absolutePath }, linked.size, options.shardSize);
        else if (!linked.isDirectory()) throw new ModelTreeError('special-file', path, `${path} links to something that is neither a file nor a directory`);
        continue;
      }
      if (entry.isDirectory()) {
        await walk(absolutePath, depth + 1);
      } else if (entry.isFile()) {
        const size = options.shardSize ? (await lstat(absolutePath)).size : 0;
        addFile(items, { name: path, path, absolutePath }, size, options.shardSize);
      } else {
        throw new ModelTreeError('special-file', path, `${path} is a socket, FIFO or device, which a model cannot contain`);
      }
      if (items.length > MAX_MODEL_FILES) throw new ModelTreeError('too-large', path, `more than ${MAX_MODEL_FILES} files (MAX_MODEL_FILES)`);
    }
  };
  await walk(root, 0);
  items.sort(compareItems);
  ignored.sort(comparePaths);
  return { modelName, singleFile: false, items, ignored };
}

function addFile(items: ManifestItem[], item: ManifestItem, size: number, shardSize: number | undefined): void {
  if (shardSize) items.push(...shardItems(item, size, shardSize));
  else items.push(item);
}

/** Shards as model_signing cuts them: `[0, s), [s, 2s), ... , [ks, size)`; an empty file has no shard. */
function shardItems(item: ManifestItem, size: number, shardSize: number): ManifestItem[] {
  const shards: ManifestItem[] = [];
  for (let start = 0; start < size; start += shardSize) {
    const end = Math.min(size, start + shardSize);
    shards.push({ ...item, name: `${item.path}:${start}:${end}`, start, end });
  }
  return shards;
}

/** Hash every item in manifest order; `onItem` sees each digest as soon as it is known. */
export async function hashItems(
  tree: ModelTree,
  hash: ManifestHash,
  options: { noFollow: boolean; onItem?: (item: ManifestItem, digest: string) => void },
): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  for (const item of tree.items) {
    const range: { start?: number; end?: number; noFollow: boolean } = { noFollow: options.noFollow };
    if (item.start !== undefined) range.start = item.start;
    if (item.end !== undefined) range.end = item.end;
    let digest: string;
    try {
      digest = await digestFile(item.absolutePath, hash, range);
    } catch (error) {
      if (error instanceof NotARegularFileError) throw new ModelTreeError('special-file', item.path, `${item.path} stopped being a regular file while it was read`);
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new ModelTreeError('symlink-not-allowed', item.path, `${item.path} became a symbolic link while the model was read`);
      throw error;
    }
    digests.set(item.name, digest);
    options.onItem?.(item, digest);
  }
  return digests;
}

/** True when `path` is an ignore path or lies below one (pathlib's `is_relative_to`, on resolved paths). */
export function isIgnored(path: string, ignore: string[]): boolean {
  return ignore.some((p) => path === p || path.startsWith(p.endsWith(sep) ? p : p + sep));
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** Code point order (Python's str comparison), not UTF-16 code unit order (JavaScript's `<`). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** PurePosixPath order: component by component, so `a/b` sorts before `a-b` and `a.b`. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** Manifest order: by path, then shard start and end (model_signing's dataclass order on (path, start, end)). */
export function compareItems(a: ManifestItem, b: ManifestItem): number {
  return comparePaths(a.path, b.path) || (a.start ?? 0) - (b.start ?? 0) || (a.end ?? 0) - (b.end ?? 0);
}
