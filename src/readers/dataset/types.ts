/*
 * The contract between dataset readers (this folder) and the capabilities that consume rows: `lock`/`verify`
 * (row digests), `bom` (row counts, schema) and `audit` (poisoned rows). Readers stream: nothing here holds a
 * whole dataset in memory.
 */

/** One cell value: JSON values plus the typed values columnar formats (Parquet, Arrow) carry. */
export type DatasetValue =
  | null
  | boolean
  | number
  | string
  | bigint
  | Uint8Array
  | Date
  | readonly DatasetValue[]
  | { readonly [key: string]: DatasetValue };

/** One row as read, in file order. */
export interface DatasetRecord {
  /** 0-based index in file order, counting bad rows too, so indices match the file. */
  readonly index: number;
  /** 1-based line where the row starts (text formats only). */
  readonly line?: number;
  /** The row: an object for JSONL/JSON/CSV/Parquet/Arrow; a JSONL line holding a bare value is wrapped as {value}. */
  readonly value: { readonly [key: string]: DatasetValue };
  /** Byte offset where the row starts in the file (text formats only). */
  readonly offset?: number;
  /** Where a JSON row sits in the document: `$[3]`, `$.data[3]`, `$["test1"]` (JSON format only). */
  readonly path?: string;
  /**
   * The row's bytes exactly as in the file (text formats only), for digests that must not depend on how values
   * parse (JSON numbers past 2^53 lose precision in `value`). A view into the read buffer: copy it to keep it.
   */
  readonly raw?: Uint8Array;
}

/** A row that could not be read (invalid JSON, wrong column count...): reported, never skipped silently. */
export interface BadRecord {
  readonly index: number;
  readonly line?: number;
  /** What is wrong and what to do, naming the field where there is one. */
  readonly message: string;
  /** The start of the raw text, for the report (bounded). */
  readonly excerpt: string;
  /** Byte offset where the bad row starts in the file (text formats only). */
  readonly offset?: number;
  /** The field or column at fault, when there is one. */
  readonly field?: string;
  /** Rows this record stands for when a whole block could not be read (a Parquet row group, an Arrow batch); absent means 1. */
  readonly rows?: number;
  /** Reading stopped here: nothing after this point was read (how many rows that is, is unknown). Always the last event. */
  readonly fatal?: boolean;
}

/** What a dataset reader yields, in file order. */
export type DatasetEvent = { readonly kind: 'row'; readonly row: DatasetRecord } | { readonly kind: 'bad'; readonly bad: BadRecord };

/** Dataset file formats antidote reads. */
export type DatasetFormat = 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet' | 'arrow';

/** One column as declared (Parquet/Arrow) or inferred from the rows read (JSONL/JSON/CSV). */
export interface DatasetColumn {
  readonly name: string;
  /** A readable type: string, int64, float64, bool, binary, timestamp, list<string>, struct, mixed... */
  readonly type: string;
}

/**
 * Limits against hostile dataset files (CWE-770 uncontrolled allocation, CWE-674 uncontrolled recursion,
 * CWE-409 decompression bombs). Defaults and reasons: DEFAULT_DATASET_LIMITS in dataset-limits.ts.
 */
export interface DatasetLimits {
  /** Bytes of one text row: a JSONL line, a JSON array element, a CSV/TSV record. Longer rows are skipped, not buffered. */
  maxRowBytes: number;
  /** Nesting depth of one value (JSON arrays/objects, Parquet/Arrow lists and structs). */
  maxNestingDepth: number;
  /** Columns: CSV fields per record, declared Parquet/Arrow columns, distinct names tracked when inferring a schema. */
  maxColumns: number;
  /** Bytes of a Parquet footer or one Arrow IPC metadata message (schema, footer, batch header). */
  maxFooterBytes: number;
  /** Bytes one Parquet row group or Arrow record batch may take once read and decompressed. */
  maxBlockBytes: number;
  /** Rows in one Parquet row group or Arrow record batch. */
  maxBlockRows: number;
}

/** How to open a dataset file. */
export interface OpenDatasetOptions {
  /** Skip detection and read as this format. */
  format?: DatasetFormat;
  /** Overrides of DEFAULT_DATASET_LIMITS. */
  limits?: Partial<DatasetLimits>;
  /** JSON only: read the rows from this top-level member (like `datasets`' `field=`); other members become metadata. */
  jsonField?: string;
}

/** An opened dataset file. Nothing is read until events() is iterated. */
export interface OpenedDataset {
  readonly path: string;
  readonly format: DatasetFormat;
  /** Rows and bad rows in file order; can be iterated once. */
  events(): AsyncIterable<DatasetEvent>;
  /** Columns: declared ones (Parquet/Arrow) at once; inferred ones (JSONL/JSON/CSV) complete after events() is consumed. */
  columns(): readonly DatasetColumn[];
  /**
   * Problems with the file as a whole rather than one row (a syntax error between JSON elements, a column limit
   * reached, duplicate CSV headers, reading stopped early), in the order found; complete after events() is consumed.
   */
  issues?(): readonly DatasetIssue[];
  /** Data about the file that is not rows: Parquet key/value metadata, Arrow schema metadata, top-level JSON scalars. */
  metadata?(): Readonly<Record<string, DatasetValue>>;
}

/** A file-level problem: what a reader would return as a ReadError, plus where in the file. */
export interface DatasetIssue {
  readonly kind: 'malformed' | 'truncated' | 'limit' | 'unsupported' | 'io';
  readonly message: string;
  /** Name of the limit, for `kind: 'limit'` (e.g. `maxColumns`). */
  readonly limit?: string;
  /** 1-based line, for text formats. */
  readonly line?: number;
  /** Byte offset, when known. */
  readonly offset?: number;
}
