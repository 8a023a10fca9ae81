import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import type { LockRoot } from './lockfile.js';

/*
 * The files under the paths given to `lock`, as POSIX paths relative to the lockfile's folder. Symlinks are
 * followed (a Hugging Face cache snapshot is a tree of symlinks into blobs/), each real directory once, so a
 * link loop ends. `.git` folders are skipped (they change with every commit and are not data), and so are
 * the lockfile and its row-digest file themselves. Anything else that is not a regular file or a folder
 * (sockets, devices) is an error rather than a silent omission.
 */

/** Folder names never entered: version-control metadata, not part of what is locked. */
export const SKIPPED_DIRECTORIES: readonly string[] = ['.git'];

/** A file found under the roots. */
export interface WalkedFile {
  /** POSIX path relative to the base folder. */
  path: string;
  /** Absolute path on disk. */
  absolute: string;
}

/** Where a path sits relative to `base`, as a POSIX path; undefined when it is outside `base`. */
export function relativeInside(base: string, path: string): string | undefined {
  const rel = relative(base, path);
  if (rel === '') return '.';
  if (rel.startsWith('..') || resolve(base, rel) !== resolve(path) || /^[A-Za-z]:/.test(rel) || rel.startsWith(sep)) return undefined;
  return rel.split(sep).join('/');
}

/** The roots as the lockfile records them; USAGE error for a path outside `base` or missing. */
export function rootsOf(base: string, paths: readonly string[]): LockRoot[] {
  const roots = new Map<string, LockRoot>();
  for (const path of paths) {
    const absolute = resolve(path);
    const rel = relativeInside(base, absolute);
    if (rel === undefined) {
      throw new AntidoteError('USAGE', `${path} is outside the lockfile's folder ${base}: put the lockfile at the top of what you lock (-o DIR/antidote.lock.json).`);
    }
    let kind: LockRoot['kind'];
    try {
      kind = statSync(absolute).isDirectory() ? 'directory' : 'file';
    } catch (error) {
      throw new AntidoteError('INPUT_NOT_FOUND', `${path}: no such file or directory (${errorMessage(error)})`, { cause: error });
    }
    roots.set(rel, { path: rel, kind });
  }
  return [...roots.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/**
 * Every regular file under the roots, sorted by relative path, without duplicates and without `exclude`.
 * A path that cannot be read goes to `onUnreadable` when given (verify reports it), else is an error (lock).
 */
export function walkFiles(base: string, roots: readonly LockRoot[], exclude: ReadonlySet<string>, onUnreadable?: (path: string, reason: string) => void): WalkedFile[] {
  const found = new Map<string, WalkedFile>();
  const visited = new Set<string>();
  const visit = (rel: string): void => {
    const absolute = rel === '.' ? base : join(base, ...rel.split('/'));
    let stats;
    try {
      stats = statSync(absolute);
    } catch (error) {
      // A dangling symlink or a file removed while walking: unreadable is reported, never skipped.
      if (onUnreadable) return onUnreadable(rel, errorMessage(error));
      throw new AntidoteError('INPUT_UNREADABLE', `${absolute}: cannot read (${errorMessage(error)})`, { cause: error });
    }
    if (stats.isDirectory()) {
      const real = realpathSync(absolute);
      if (visited.has(real)) return;
      visited.add(real);
      for (const name of readdirSync(absolute).sort()) {
        if (SKIPPED_DIRECTORIES.includes(name)) continue;
        visit(rel === '.' ? name : `${rel}/${name}`);
      }
      return;
    }
    if (!stats.isFile()) {
      if (onUnreadable) return onUnreadable(rel, 'not a regular file or folder');
      throw new AntidoteError('INPUT_UNREADABLE', `${absolute}: not a regular file or folder; remove it or lock the files beside it one by one`);
    }
    if (!exclude.has(rel)) found.set(rel, { path: rel, absolute });
  };
  for (const root of roots) visit(root.path);
  return [...found.values()].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
