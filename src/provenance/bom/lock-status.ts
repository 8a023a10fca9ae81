import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Lockfile } from '../lock/index.js';
import type { BomFile, BomLock, BomLockStatus } from './types.js';

/*
 * The lockfile's verdict on each file of the BOM. The scan already hashed every file, so the comparison is
 * of sha256 against the locked sha256, which is what a lock's integrity rests on; row-level differences are
 * `antidote verify`'s job and would add nothing to a yes/no per file.
 */

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (rel.split(sep)[0] !== '..' && resolve(folder, rel) === path);
}

/** Lock status per BOM file, locked files that are gone, and the files that are the lock itself. */
export function bomLockFrom(lockfile: Lockfile, lockfilePath: string, files: readonly BomFile[], inputs: readonly string[]): BomLock {
  const base = dirname(resolve(lockfilePath));
  const locked = new Map(lockfile.files.map((f) => [join(base, ...f.path.split('/')), f]));
  // The lockfile and its row-digest sidecar are the lock, not things it could record.
  const lockItself = new Set([resolve(lockfilePath), ...(lockfile.rowDigests ? [join(base, lockfile.rowDigests.path)] : [])]);
  const statuses = new Map<string, BomLockStatus>();
  const exempt = new Set<string>();
  const present = new Set<string>();
  for (const file of files) {
    const absolute = resolve(file.path);
    present.add(absolute);
    if (lockItself.has(absolute)) {
      exempt.add(file.path);
      continue;
    }
    const entry = locked.get(absolute);
    const status: BomLockStatus = !entry ? 'not-locked' : file.sha256 === null ? 'locked' : file.sha256 === entry.sha256 ? 'verified' : 'modified';
    statuses.set(file.path, status);
  }
  const roots = inputs.map((i) => resolve(i));
  const missing = lockfile.files
    .filter((f) => {
      const absolute = join(base, ...f.path.split('/'));
      return !present.has(absolute) && roots.some((r) => inside(r, absolute)) && !existsSync(absolute);
    })
    .map((f) => f.path);
  const lock: BomLock = { file: lockfilePath, files: statuses, missing, exempt };
  if (lockfile.source) lock.source = lockfile.source.revision ? `${lockfile.source.url}@${lockfile.source.revision}` : lockfile.source.url;
  return lock;
}
