/*
 * Lock and verify (issue 4): lockfiles recording every file's sha256 and every dataset's rows, and the
 * verification that says which files and rows changed. docs/lockfile.md explains the design.
 */
export { lock, sidecarNameFor, MAX_INLINE_LEAVES, type LockOptions, type LockOutcome, type LockProblem } from './lock.js';
export {
  verifyLock,
  VERIFY_RESULT_VERSION,
  DEFAULT_MAX_LISTED_ROWS,
  type VerifyOptions,
  type VerifyResult,
  type VerifiedFile,
  type VerifiedRows,
  type VerifiedStatus,
  type ReportedRowChange,
} from './verify.js';
export {
  readLockfile,
  writeLockfile,
  parseLockfile,
  serializeLockfile,
  LOCKFILE_VERSION,
  DEFAULT_LOCKFILE,
  LEAF_PREFIX_BYTES,
  type Lockfile,
  type LockedFile,
  type LockedDataset,
  type LockRoot,
  type LeafPrefixes,
  type RowDigestsRef,
} from './lockfile.js';
export { canonicalize, ROW_ENCODING } from './canonical-row.js';
export { leafHash, nodeHash, merkleRoot, MerkleBuilder, EMPTY_ROOT, LEAF_ROW, LEAF_BAD } from './merkle.js';
export { diffRows, type RowChange, type RowDiff, type RowDiffCounts } from './align-rows.js';
export { hashFile, HashPool, type FileDigest } from './file-hash.js';
export { renderVerifyText } from './render-verify.js';
export type { DatasetPass, DatasetPassResult } from './dataset-pass.js';
