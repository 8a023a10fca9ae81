import { resolve } from 'node:path';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import type { ModelSigningStatement } from '../../readers/sigstore/index.js';
import { MANIFEST_HASHES, type ManifestHash } from './file-digest.js';
import { gitIgnorePaths } from './ignore-paths.js';
import { hashItems, ModelTreeError, walkModel } from './model-manifest.js';
import { MAX_REPORTED_MISMATCHES, type FileMismatch, type SignatureReason, type SignatureReasonCode } from './types.js';

/*
 * Compare a model on disk with a signed statement, the way model_signing recomputes its manifest: walk the
 * model with the signed serialization parameters, leaving out the user's ignore paths, the signature file,
 * the signer's recorded ignore paths (1.1+) or else git metadata (1.0), then compare names first (a missing
 * or extra file needs no hashing) and digests second (listing every changed file).
 */

/** Where the model and signature are, and what else to leave out. */
export interface ModelCheckOptions {
  modelPath: string;
  signaturePath: string;
  ignorePaths?: string[];
  ignoreGitPaths?: boolean;
}

/** Outcome of the comparison; `failure` is absent when every file matches. */
export interface ModelCheck {
  ignored: string[];
  mismatches: FileMismatch[];
  failure?: SignatureReason;
}

/** The hash the statement uses, if antidote implements it, checked against every resource's digest. */
export function manifestHashFor(statement: ModelSigningStatement): { ok: true; value: ManifestHash } | { ok: false; message: string } {
  const hashType = statement.serialization.hashType;
  // model_signing may name a sharded hash `<hash>-sharded-<size>`; the hash itself is what matters.
  const base = hashType.replace(/-sharded-\d+$/, '');
  const hash = base === 'sha256' || base === 'blake2' ? MANIFEST_HASHES[base] : undefined;
  if (!hash) return { ok: false, message: `the signature hashes files with '${hashType}', which antidote does not implement (sha256 and blake2 only; node:crypto has no blake3)` };
  const accepted = new Set([hash.algorithm, hash.hashType, `${hash.algorithm}-sharded-${statement.serialization.shardSize}`, `${hash.hashType}-sharded-${statement.serialization.shardSize}`]);
  const odd = statement.resources.findIndex((r) => !accepted.has(r.algorithm) || r.digest.length !== hash.digestBytes * 2);
  if (odd >= 0) {
    const r = statement.resources[odd]!;
    return { ok: false, message: `resource '${r.name}' records a ${r.digest.length / 2}-byte '${r.algorithm}' digest where serialization says ${hashType}` };
  }
  return { ok: true, value: hash };
}

/** Recompute the model's manifest with the signed parameters and compare it with the statement. */
export async function checkModelAgainstStatement(options: ModelCheckOptions, signed: ModelSigningStatement, hash: ManifestHash): Promise<ModelCheck> {
  const outcome: ModelCheck = { ignored: [], mismatches: [] };
  const stop = (code: SignatureReasonCode, message: string, path?: string): ModelCheck => {
    outcome.failure = path === undefined ? { code, message } : { code, message, path };
    return outcome;
  };
  const modelRoot = resolve(options.modelPath);
  const ignore = [...(options.ignorePaths ?? []).map((p) => resolve(p)), resolve(options.signaturePath)];
  if (signed.serialization.ignorePaths) {
    // model_signing 1.1 records what the signer left out, relative to the model: that list is authoritative.
    ignore.push(...signed.serialization.ignorePaths.map((p) => resolve(modelRoot, p)));
  } else if (options.ignoreGitPaths ?? true) {
    ignore.push(...gitIgnorePaths(modelRoot));
  }
  const walkOptions: Parameters<typeof walkModel>[1] = { allowSymlinks: signed.serialization.allowSymlinks, ignore };
  if (signed.serialization.method === 'shards' && signed.serialization.shardSize) walkOptions.shardSize = signed.serialization.shardSize;

  let tree;
  try {
    tree = await walkModel(options.modelPath, walkOptions);
  } catch (error) {
    if (error instanceof ModelTreeError) {
      if (error.code === 'too-large') return stop('file-extra', `the model has more files than any signature can list: ${error.message}`, error.path);
      return stop(error.code, error.message, error.path);
    }
    throw new AntidoteError('INPUT_UNREADABLE', `${options.modelPath}: cannot read the model (${errorMessage(error)})`, { cause: error });
  }
  outcome.ignored = tree.ignored;

  const expected = new Map(signed.resources.map((r) => [r.name, r.digest]));
  const present = new Set(tree.items.map((i) => i.name));
  const mismatches: FileMismatch[] = [];
  for (const [name, digest] of expected) if (!present.has(name)) mismatches.push({ name, problem: 'missing', expected: digest });
  for (const item of tree.items) if (!expected.has(item.name)) mismatches.push({ name: item.name, problem: 'extra' });
  if (mismatches.length > 0) {
    // The set of files differs: no need to hash anything to know the verdict.
    outcome.mismatches = mismatches.slice(0, MAX_REPORTED_MISMATCHES);
    const first = mismatches[0]!;
    const missing = mismatches.filter((m) => m.problem === 'missing').length;
    const extra = mismatches.length - missing;
    const counts = [missing ? `${missing} signed file(s) missing` : '', extra ? `${extra} file(s) not in the signature` : ''].filter(Boolean).join(', ');
    return first.problem === 'missing'
      ? stop('file-missing', `${first.name} is signed but not in the model (${counts})`, first.name)
      : stop('file-extra', `${first.name} is in the model but not in the signature (${counts}); pass --ignore-paths if it is not part of the model`, first.name);
  }

  try {
    await hashItems(tree, hash, {
      noFollow: !signed.serialization.allowSymlinks,
      onItem: (item, digest) => {
        const want = expected.get(item.name);
        if (want !== digest && mismatches.length < MAX_REPORTED_MISMATCHES) mismatches.push({ name: item.name, problem: 'digest', expected: want ?? '', actual: digest });
      },
    });
  } catch (error) {
    if (error instanceof ModelTreeError) return stop(error.code === 'too-large' ? 'file-extra' : error.code, error.message, error.path);
    throw new AntidoteError('INPUT_UNREADABLE', `${options.modelPath}: cannot read a model file (${errorMessage(error)})`, { cause: error });
  }
  outcome.mismatches = mismatches;
  if (mismatches.length > 0) {
    const first = mismatches[0]!;
    return stop('digest-mismatch', `${first.name} has changed: its ${hash.algorithm} is ${first.actual}, the signature says ${first.expected}${mismatches.length > 1 ? ` (${mismatches.length} files differ)` : ''}`, first.name);
  }
  return outcome;
}
