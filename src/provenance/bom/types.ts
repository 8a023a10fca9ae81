import type { ScanResult } from '../../core/result.js';
import type { ModelCardFacts } from '../../readers/model-card/index.js';

/*
 * What the BOM builder needs, in shapes of its own: the command gathers them from the scan, the dataset
 * reader, the lockfile and the signature verifier, so the builder depends on none of their internals and
 * stays a pure function of this input (the same input gives the same BOM, byte for byte).
 */

/** One file on disk (never an archive member): the BOM lists every one with its hash. */
export interface BomFile {
  /** Display path, as the scan recorded it. */
  path: string;
  /** Format detected from the bytes by the scan (`safetensors`, `pickle`, `text`...), or the dataset format. */
  format: string;
  size: number;
  /** Hex sha256; null only when the file could not be read (the BOM then says so). */
  sha256: string | null;
}

/** Facts a model folder's config files declare (config.json, adapter_config.json). */
export interface ModelConfigFacts {
  /** `model_type`, e.g. `llama`. */
  modelType?: string;
  /** `architectures[0]`, e.g. `LlamaForCausalLM`. */
  architecture?: string;
  /** `_name_or_path`: where the weights were loaded from when saved (often the model's own Hub id). */
  nameOrPath?: string;
  /** adapter_config.json `base_model_name_or_path`: the model a PEFT adapter applies to. */
  adapterBaseModel?: string;
  /** Why a config file could not be read, when it could not. */
  problem?: string;
}

/** A model: a folder holding weight files, or one weight file given on its own. */
export interface BomModel {
  /** Display path of the folder or file. */
  path: string;
  kind: 'folder' | 'file';
  /** Display paths of its files (every file in the folder, weights or not). */
  files: string[];
  /** README.md front matter, null when there is no README.md. */
  card: ModelCardFacts | null;
  config: ModelConfigFacts | null;
}

/** A dataset file, with what reading its rows established. */
export interface BomDataset {
  /** Display path (a file also in `files`). */
  path: string;
  /** Dataset format: jsonl, json, csv, tsv, parquet, arrow. */
  format: string;
  /** Rows read, when they were read. */
  rows?: number;
  /** Rows that could not be read. */
  badRows?: number;
  /** Columns, declared or inferred. */
  columns?: { name: string; type: string }[];
  /** Licence from the dataset card (README.md front matter in its folder). */
  license?: string | null;
  /** Why the rows were not (completely) read: the BOM must not look as if they were. */
  problem?: string;
}

/** Lock status of one file: in the lockfile and unchanged, changed, only listed (not re-hashed), or absent. */
export type BomLockStatus = 'verified' | 'modified' | 'locked' | 'not-locked';

/** The lockfile's verdict on the BOM's files. */
export interface BomLock {
  /** The lockfile's display path. */
  file: string;
  /** Status per file display path; a file missing from this map is `not-locked`. */
  files: ReadonlyMap<string, BomLockStatus>;
  /** Locked files no longer on disk (display paths relative to the lockfile). */
  missing: string[];
  /** Files that are the lock itself (the lockfile, its sidecar): they get no lock status. */
  exempt?: ReadonlySet<string>;
  /** The source recorded with --source, if any. */
  source?: string;
}

/** One checked model signature. */
export interface BomSignature {
  /** The signature file's display path. */
  signature: string;
  /** The model file or folder it covers (display path). */
  model: string;
  /** `verified`, `failed` or `unverifiable` (the signing module's statuses); anything but verified is not a pass. */
  status: string;
  /** Who signed, in words (identity and issuer, or key hint), when known. */
  signer?: string;
  /** Why it is not verified, when it is not. */
  reason?: string;
}

/** Everything one BOM is built from. */
export interface BomInput {
  /** Inputs as given on the command line. */
  inputs: string[];
  files: BomFile[];
  models: BomModel[];
  datasets: BomDataset[];
  /** The scan of the same inputs; without it every component says `not-scanned`. */
  scan?: ScanResult;
  lock?: BomLock;
  signatures?: BomSignature[];
  /** What could not be gathered (a folder whose dataset files could not be listed): the BOM says so. */
  problems?: string[];
}

/** How to stamp the BOM. */
export interface BomOptions {
  /**
   * Reproducible output: the serial number is derived from the content and the timestamp comes from
   * `sourceDateEpoch` (or is left out), so the same inputs give the same bytes.
   */
  deterministic?: boolean;
  /** Seconds since 1970 (the SOURCE_DATE_EPOCH convention) used as the timestamp. */
  sourceDateEpoch?: number;
  /** The clock, for non-deterministic output (tests). */
  now?: () => Date;
}
