import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { errorMessage, fail, ok, type ReadResult } from '../../core/index.js';
import { isDatasetPath } from './detect-format.js';

/*
 * The data files of a Hugging Face `datasets` folder, whatever wrote it: a Hub repository (`data/train-00000-
 * of-00002.parquet`, `train.jsonl`), the Hub's Parquet conversion (`default/train/0000.parquet`), `save_to_disk`
 * (`train/data-00000-of-00001.arrow` beside `dataset_info.json` and `state.json`) or the cache
 * (`name-train-00000-of-00003.arrow`). As `datasets` does when it resolves data files, names starting with `.`
 * or `__` are skipped (`.git`, `.cache`, `__pycache__`), and so are the JSON files that describe a dataset
 * rather than hold rows. Symbolic links to files are followed (the Hub cache links snapshots to blobs);
 * directories are visited once each by real path, so link loops end.
 *
 * Limits: MAX_WALK_FILES and MAX_WALK_DEPTH below; going past either fails the walk (a partial list would
 * read as "these are all the data files").
 */

/** Files listed before the walk gives up (CWE-770): the largest Hub datasets have a few tens of thousands of shards. */
export const MAX_WALK_FILES = 200_000;
/** Directory depth walked (CWE-674): dataset layouts are at most 4-5 levels deep. */
export const MAX_WALK_DEPTH = 32;

/** JSON files `datasets` writes to describe a dataset: metadata, not rows. */
const METADATA_FILES = new Set(['dataset_info.json', 'dataset_infos.json', 'dataset_dict.json', 'state.json']);

/** Compare names so that digit runs compare as numbers (`shard-2` before `shard-10`), the same on every machine. */
export function compareNatural(a: string, b: string): number {
  const split = (s: string): string[] => s.match(/\d+|\D+/g) ?? [];
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** The data files under a dataset folder, in a stable order (natural order of their paths relative to it). */
export async function findDatasetFiles(dir: string): Promise<ReadResult<string[]>> {
  try {
    const top = await stat(dir);
    if (!top.isDirectory()) return fail({ kind: 'io', message: `${dir} is not a directory` });
  } catch (error) {
    return fail({ kind: 'io', message: errorMessage(error) });
  }
  const found: string[] = [];
  const visited = new Set<string>();
  // Real directories first, breadth-first in name order; linked ones only after, so a file reachable both ways
  // is listed under its real path whatever the names, and the walk is the same on every machine.
  const pending: [string, number][] = [[dir, 0]];
  const linked: [string, number][] = [];
  try {
    for (;;) {
      const next = pending.shift() ?? linked.shift();
      if (next === undefined) break;
      const [current, depth] = next;
      const real = await realpath(current);
      if (visited.has(real)) continue;
      visited.add(real);
      if (depth > MAX_WALK_DEPTH) return fail({ kind: 'limit', limit: 'maxWalkDepth', message: `${current} is more than ${MAX_WALK_DEPTH} directories deep` });
      const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => compareNatural(a.name, b.name));
      for (const entry of entries) {
        if (entry.name.startsWith('.') || entry.name.startsWith('__')) continue;
        const path = join(current, entry.name);
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          const target = await stat(path).catch(() => undefined);
          isDir = target?.isDirectory() ?? false;
          isFile = target?.isFile() ?? false;
        }
        if (isDir) {
          (entry.isSymbolicLink() ? linked : pending).push([path, depth + 1]);
        } else if (isFile && isDatasetPath(entry.name) && !METADATA_FILES.has(entry.name.toLowerCase())) {
          found.push(path);
          if (found.length > MAX_WALK_FILES) return fail({ kind: 'limit', limit: 'maxWalkFiles', message: `more than ${MAX_WALK_FILES} data files under ${dir}` });
        }
      }
    }
  } catch (error) {
    return fail({ kind: 'io', message: errorMessage(error) });
  }
  const key = (path: string): string => relative(dir, path).split(sep).join('/');
  return ok(found.sort((a, b) => compareNatural(key(a), key(b))));
}
