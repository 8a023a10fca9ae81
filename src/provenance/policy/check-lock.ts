import { lstatSync, readdirSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import { globToRegExp, matchesAnyGlob } from './path-glob.js';
import { allowedBy } from './source-match.js';
import { formatPosition, type Policy, type PolicyCheck, type PolicyViolation, type SourcesPolicy } from './types.js';

/*
 * A lockfile against the policy: every entry's recorded source must be one the policy allows, and every file
 * under the policy's `lock.require` paths must be in the lockfile. The lock module verifies hashes; this
 * module only judges what was locked and where it came from.
 */

/**
 * Files walked under `lock.require` before the check gives up with a violation: bounds the memory of the
 * walk on a huge or hostile tree (CWE-770). Real dataset folders hold thousands of files.
 */
export const MAX_COVERAGE_FILES = 200_000;
/** Entries listed by name in one source violation; the rest are counted. */
const MAX_ENTRIES_NAMED = 3;

/** What the policy needs to know of a lockfile (the lock module's reader maps its own format onto this). */
export interface LockFacts {
  /** Path of the lockfile; relative entry paths resolve against its directory. */
  file: string;
  /** Source recorded for the whole lockfile (`antidote lock --source`), used by entries that record none. */
  source?: string;
  /** One per locked file. */
  entries: readonly { path: string; source?: string }[];
  /** Files that belong to the lock itself (its row-digest sidecar), relative to the lockfile's folder. */
  exempt?: readonly string[];
}

/** Check a lockfile's sources and coverage against the policy; sections the policy lacks impose nothing. */
export function checkLockAgainstPolicy(lock: LockFacts, policy: Policy): PolicyCheck {
  const violations = [...checkSources(lock, policy.sources), ...checkCoverage(lock, policy)];
  return { ok: violations.length === 0, violations };
}

function allowedList(policy: SourcesPolicy): string {
  const parts = [
    ...(policy.huggingface.length > 0 ? [`Hub organisations ${policy.huggingface.map((o) => o.org).join(', ')}`] : []),
    ...(policy.urls.length > 0 ? [`URLs under ${policy.urls.map((u) => u.prefix).join(', ')}`] : []),
  ];
  return parts.join('; ');
}

function named(paths: string[]): string {
  const shown = paths.slice(0, MAX_ENTRIES_NAMED).join(', ');
  return paths.length > MAX_ENTRIES_NAMED ? `${shown} and ${paths.length - MAX_ENTRIES_NAMED} more` : shown;
}

function checkSources(lock: LockFacts, policy: SourcesPolicy | undefined): PolicyViolation[] {
  if (!policy) return [];
  // Grouped by source: a dataset of a thousand shards from one disallowed origin is one problem, not a thousand.
  const bySource = new Map<string, string[]>();
  const unsourced: string[] = [];
  for (const entry of lock.entries) {
    const source = entry.source ?? lock.source;
    if (source === undefined || source.trim() === '') unsourced.push(entry.path);
    else bySource.set(source, [...(bySource.get(source) ?? []), entry.path]);
  }
  const violations: PolicyViolation[] = [];
  const where = formatPosition(policy.at);
  if (unsourced.length > 0) {
    violations.push({
      rule: 'sources',
      subject: lock.file,
      message: `${lock.file}: ${named(unsourced)} record no source, and the policy (${where}) allows only ${allowedList(policy)}; lock them with 'antidote lock --source URL'`,
      policyAt: policy.at,
    });
  }
  for (const [source, paths] of [...bySource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (allowedBy(source, policy)) continue;
    violations.push({
      rule: 'sources',
      subject: source,
      message: `${lock.file}: source '${source}' of ${named(paths)} is not allowed by the policy (${where}), which allows ${allowedList(policy)}`,
      policyAt: policy.at,
    });
  }
  return violations;
}

function toSlash(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

function checkCoverage(lock: LockFacts, policy: Policy): PolicyViolation[] {
  const coverage = policy.lock;
  if (!coverage) return [];
  const base = dirname(policy.file);
  const lockDir = dirname(resolve(lock.file));
  const locked = new Set(lock.entries.map((e) => resolve(lockDir, e.path)));
  // The lock itself, the policy and git's own files are never entries of a lockfile.
  const always = new Set([resolve(lock.file), policy.file, ...(lock.exempt ?? []).map((p) => resolve(lockDir, p))]);
  const excluded = ['.git/**', '**/.git/**', ...coverage.exclude].map(globToRegExp);
  const violations: PolicyViolation[] = [];
  let walked = 0;

  for (const required of coverage.require) {
    const where = formatPosition(required.at);
    const files: string[] = [];
    const problem = walkFiles(required.path, files, () => ++walked > MAX_COVERAGE_FILES);
    if (problem) {
      violations.push({ rule: 'lock-coverage', subject: required.written, message: `lock.require '${required.written}' (${where}): ${problem}`, policyAt: required.at });
      continue;
    }
    const missing = files
      .filter((file) => !locked.has(file) && !always.has(file))
      .map((file) => toSlash(relative(base, file)))
      .filter((rel) => !matchesAnyGlob(rel, excluded));
    for (const rel of missing) {
      violations.push({
        rule: 'lock-coverage',
        subject: rel,
        message: `${rel} is not in ${lock.file}, but the policy (${where}) requires every file under '${required.written}' to be locked; run 'antidote lock' again or add it to lock.exclude`,
        policyAt: required.at,
      });
    }
  }
  return violations;
}

/**
 * Every regular file under `root` (or `root` itself), sorted; symbolic links to folders are not followed
 * (loops, escapes from the tree), links to files count as files. Returns a problem in words, or undefined.
 */
function walkFiles(root: string, out: string[], overLimit: () => boolean): string | undefined {
  let info;
  try {
    info = statSync(root);
  } catch (error) {
    return `cannot be read (${errorMessage(error)}); the path must exist for its coverage to be checked`;
  }
  if (!info.isDirectory()) {
    out.push(root);
    return overLimit() ? `more than ${MAX_COVERAGE_FILES} files to check` : undefined;
  }
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      return `folder ${dir} cannot be listed (${errorMessage(error)})`;
    }
    for (const name of names) {
      const path = resolve(dir, name);
      const kind = entryKind(path);
      if (kind === 'folder') stack.push(path);
      if (kind !== 'file') continue;
      out.push(path);
      if (overLimit()) return `more than ${MAX_COVERAGE_FILES} files to check; narrow lock.require`;
    }
  }
  out.sort();
  return undefined;
}

/**
 * Folders are walked; files, links to files and broken links count as files (a broken link is still a name
 * someone can later point anywhere, so it must be locked too); links to folders and special files do not.
 */
function entryKind(path: string): 'file' | 'folder' | 'other' {
  let info;
  try {
    info = lstatSync(path);
  } catch {
    return 'other';
  }
  if (info.isDirectory()) return 'folder';
  if (info.isFile()) return 'file';
  if (!info.isSymbolicLink()) return 'other';
  try {
    return statSync(path).isDirectory() ? 'other' : 'file';
  } catch {
    return 'file';
  }
}
