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
}

/** A row that could not be read (invalid JSON, wrong column count...): reported, never skipped silently. */
export interface BadRecord {
  readonly index: number;
  readonly line?: number;
  /** What is wrong and what to do, naming the field where there is one. */
  readonly message: string;
  /** The start of the raw text, for the report (bounded). */
  readonly excerpt: string;
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
