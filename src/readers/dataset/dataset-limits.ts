import type { DatasetLimits } from './types.js';

/*
 * Every dataset reader checks these before it allocates (STYLE.md practice 4). A dataset comes from whoever
 * published it, so every length, count and depth in it is hostile until checked. Each limit is overridable
 * (`openDataset(path, {limits})`); going past one is reported (a bad row, a bad block or an issue), never
 * skipped silently.
 */

/**
 * Bytes of one text row (CWE-770). Long documents and rows with an embedded base64 image stay far below 64 MiB;
 * past it the row is reported and skipped without buffering the rest of it.
 */
export const MAX_ROW_BYTES = 64 * 1024 * 1024;
/**
 * Nesting depth of one value (CWE-674). Fine-tuning rows nest 3-5 deep (row > messages > turn > content parts);
 * anything that consumes rows recursively (digests, audits) must not be driven into a stack overflow.
 */
export const MAX_NESTING_DEPTH = 64;
/**
 * Columns per dataset (CWE-770). Real datasets have tens; a row of random keys or a CSV line of commas must not
 * grow the schema without bound.
 */
export const MAX_COLUMNS = 10_000;
/**
 * Bytes of a Parquet footer or an Arrow metadata message (CWE-770). Footers of wide files with statistics reach
 * a few MiB; hyparquet and apache-arrow would otherwise allocate whatever length the file declares.
 */
export const MAX_FOOTER_BYTES = 64 * 1024 * 1024;
/**
 * Bytes of one Parquet row group or Arrow record batch once read and decompressed (CWE-409, CWE-770). Hugging
 * Face writes row groups of ~100 MiB; a block is held in memory while its rows are converted, so this bounds memory.
 */
export const MAX_BLOCK_BYTES = 512 * 1024 * 1024;
/** Rows in one Parquet row group or Arrow record batch (CWE-770): pyarrow's default row group is 1Mi rows. */
export const MAX_BLOCK_ROWS = 4 * 1024 * 1024;

/** Defaults chosen so that real datasets of any size pass while floods, bombs and deep nesting stop early. */
export const DEFAULT_DATASET_LIMITS: Readonly<DatasetLimits> = Object.freeze({
  maxRowBytes: MAX_ROW_BYTES,
  maxNestingDepth: MAX_NESTING_DEPTH,
  maxColumns: MAX_COLUMNS,
  maxFooterBytes: MAX_FOOTER_BYTES,
  maxBlockBytes: MAX_BLOCK_BYTES,
  maxBlockRows: MAX_BLOCK_ROWS,
});

/** Merge overrides over the defaults, ignoring keys that are not limits and values that are not finite and >= 0. */
export function resolveDatasetLimits(overrides: Partial<DatasetLimits> | undefined): DatasetLimits {
  const limits: DatasetLimits = { ...DEFAULT_DATASET_LIMITS };
  if (!overrides) return limits;
  for (const key of Object.keys(DEFAULT_DATASET_LIMITS) as (keyof DatasetLimits)[]) {
    const value = overrides[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) limits[key] = Math.floor(value);
  }
  return limits;
}
