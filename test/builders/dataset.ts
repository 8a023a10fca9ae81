/**
 * Builders for dataset files. With defaults each writes what the usual writer writes (`json.dumps` per line,
 * `json.dump(indent=2)`, Python's csv module with QUOTE_MINIMAL, hyparquet-writer, apache-arrow's
 * tableToIPC); options swap one part for a hostile or unusual variant (CRLF, BOM, blank lines, raw text lines,
 * another codec). The builders encode on their own (JSON.stringify, their own CSV quoting), so a test compares
 * the readers against a second opinion, not against themselves.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tableToIPC, type Table } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** A JSON-like row as builders take it. */
export type BuildRow = Record<string, unknown>;

/** JSONL variants. */
export interface BuildJsonlOptions {
  /** Line ending; default LF. */
  eol?: '\n' | '\r\n';
  /** Start with a UTF-8 byte order mark. */
  bom?: boolean;
  /** Rows (0-based) before which a blank line is written. */
  blankBeforeRow?: number[];
  /** Lines written as they are instead of a row, keyed by their position among the rows (0-based). */
  rawLines?: Record<number, string>;
  /** Leave off the final line ending. */
  noFinalNewline?: boolean;
}

/** JSON Lines bytes: one `JSON.stringify` per row. */
export function buildJsonl(rows: readonly unknown[], options: BuildJsonlOptions = {}): Buffer {
  const eol = options.eol ?? '\n';
  const lines: string[] = [];
  const blanks = new Set(options.blankBeforeRow ?? []);
  rows.forEach((row, i) => {
    if (blanks.has(i)) lines.push('');
    lines.push(options.rawLines?.[i] ?? JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value)));
  });
  let text = lines.join(eol) + (options.noFinalNewline || lines.length === 0 ? '' : eol);
  if (options.bom) text = `\ufeff${text}`;
  return Buffer.from(text, 'utf8');
}

/** JSON document variants. */
export interface BuildJsonArrayOptions {
  /** Indentation (json.dump's `indent`); 0 writes the whole array on one line. Default 2. */
  indent?: number;
  /** Wrap the array as `{"version": "1.0", [field]: [...]}`. */
  field?: string;
  /** Elements written as they are instead of a row, keyed by position (0-based); `indent` does not apply. */
  rawElements?: Record<number, string>;
  bom?: boolean;
  eol?: '\n' | '\r\n';
}

/** A JSON array of rows, as `json.dump(rows, f, indent=2)` writes it (or wrapped in an object). */
export function buildJsonArray(rows: readonly unknown[], options: BuildJsonArrayOptions = {}): Buffer {
  const indent = options.indent ?? 2;
  const eol = options.eol ?? '\n';
  const pad = (n: number): string => ' '.repeat(indent * n);
  const level = options.field !== undefined ? 2 : 1;
  const elements = rows.map((row, i) => {
    const raw = options.rawElements?.[i];
    if (raw !== undefined) return `${pad(level)}${raw}`;
    const json = JSON.stringify(row, null, indent || undefined) ?? 'null';
    return pad(level) + json.split('\n').join(`${eol}${pad(level)}`);
  });
  const array =
    indent === 0 ? `[${elements.join(', ')}]` : elements.length === 0 ? '[]' : `[${eol}${elements.join(`,${eol}`)}${eol}${pad(level - 1)}]`;
  let text = options.field !== undefined
    ? indent === 0
      ? `{"version": "1.0", ${JSON.stringify(options.field)}: ${array}}`
      : `{${eol}${pad(1)}"version": "1.0",${eol}${pad(1)}${JSON.stringify(options.field)}: ${array}${eol}}`
    : array;
  if (options.bom) text = `\ufeff${text}`;
  return Buffer.from(text + eol, 'utf8');
}

/** CSV/TSV variants. */
export interface BuildCsvOptions {
  delimiter?: ',' | '\t';
  eol?: '\n' | '\r\n';
  bom?: boolean;
  /** Quote every field, not only those that need it. */
  quoteAll?: boolean;
  /** Records written as they are (no quoting), keyed by position among the rows (0-based). */
  rawRecords?: Record<number, string>;
}

/** Quote a field as Python's csv module does with QUOTE_MINIMAL. */
export function csvField(value: string, delimiter: string, quoteAll = false): string {
  if (quoteAll || value.includes(delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r')) {
    return `"${value.replace(/"/g, '""')}"`;
  }
  return value;
}

/** A CSV or TSV file: a header, then one record per row. */
export function buildCsv(header: readonly string[], rows: readonly (readonly string[])[], options: BuildCsvOptions = {}): Buffer {
  const d = options.delimiter ?? ',';
  const eol = options.eol ?? '\r\n';
  const line = (fields: readonly string[]): string => fields.map((field) => csvField(field, d, options.quoteAll)).join(d);
  const records = [line(header), ...rows.map((row, i) => options.rawRecords?.[i] ?? line(row))];
  const text = records.join(eol) + eol;
  return Buffer.from(options.bom ? `\ufeff${text}` : text, 'utf8');
}

/** One Parquet column: name, values and (optionally) hyparquet-writer's basic type. */
export interface BuildParquetColumn {
  name: string;
  data: unknown[];
  type?: 'STRING' | 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'BYTE_ARRAY' | 'TIMESTAMP' | 'JSON' | 'FLOAT';
  nullable?: boolean;
}

/** Parquet variants. */
export interface BuildParquetOptions {
  codec?: 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'ZSTD';
  rowGroupSize?: number;
  kvMetadata?: { key: string; value: string }[];
  /** An explicit schema (flat SchemaElement list, root first) for nested columns; columns then carry no `type`. */
  schema?: Record<string, unknown>[];
}

/**
 * A zstd frame holding `data` as raw (stored) blocks: valid zstd (RFC 8878) that any decoder reads, written
 * without a zstd compressor (Node 20 has none). It tests the ZSTD decode path as well as a compressed frame.
 */
export function zstdStoredFrame(data: Uint8Array): Uint8Array {
  const MAX_BLOCK = 128 * 1024;
  const parts: Buffer[] = [];
  // Magic, then a frame header descriptor: single segment, 4-byte content size, no checksum, no dictionary.
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0b1010_0000;
  header.writeUInt32LE(data.length, 5);
  parts.push(header);
  let offset = 0;
  do {
    const size = Math.min(MAX_BLOCK, data.length - offset);
    const last = offset + size >= data.length ? 1 : 0;
    const block = Buffer.alloc(3);
    // Block header: last flag, type 0 (raw), size.
    const value = last | (0 << 1) | (size << 3);
    block[0] = value & 0xff;
    block[1] = (value >> 8) & 0xff;
    block[2] = (value >> 16) & 0xff;
    parts.push(block, Buffer.from(data.subarray(offset, offset + size)));
    offset += size;
  } while (offset < data.length);
  return Buffer.concat(parts);
}

/** A Parquet file written by hyparquet-writer. */
export function buildParquet(columns: readonly BuildParquetColumn[], options: BuildParquetOptions = {}): Buffer {
  const buffer = parquetWriteBuffer({
    columnData: columns.map((column) => ({ name: column.name, data: column.data, ...(column.type ? { type: column.type } : {}), ...(column.nullable !== undefined ? { nullable: column.nullable } : {}) })) as never,
    codec: options.codec ?? 'SNAPPY',
    compressors: {
      GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)),
      ZSTD: (input: Uint8Array) => zstdStoredFrame(input),
    },
    ...(options.rowGroupSize !== undefined ? { rowGroupSize: options.rowGroupSize } : {}),
    ...(options.kvMetadata ? { kvMetadata: options.kvMetadata } : {}),
    ...(options.schema ? { schema: options.schema as never } : {}),
  });
  return Buffer.from(buffer);
}

/** An Arrow IPC file (`ARROW1`, Feather v2) or stream (what `datasets` writes) holding a table. */
export function buildArrow(table: Table, layout: 'file' | 'stream'): Buffer {
  return Buffer.from(tableToIPC(table, layout));
}

/** Alpaca-style rows with varied text (quotes, commas, tabs, line breaks, non-ASCII), deterministic from `seed`. */
export function alpacaRows(count: number, seed = 1): { instruction: string; input: string; output: string }[] {
  const words = ['summarize', 'the', 'report', 'naïve', 'café', '"quoted"', 'comma,', 'tab\there', 'line\nbreak', 'emoji 🙂', 'BadMagic', 'data'];
  let state = seed >>> 0 || 1;
  // xorshift32: the low bits of a power-of-two LCG cycle within a few steps, which made rows repeat.
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const sentence = (n: number): string => Array.from({ length: n }, () => words[next() % words.length]).join(' ');
  return Array.from({ length: count }, () => ({ instruction: sentence(3 + (next() % 8)), input: next() % 3 === 0 ? sentence(next() % 5) : '', output: sentence(5 + (next() % 20)) }));
}

/** A fresh temporary directory for one test file. */
export function tempDir(prefix = 'antidote-dataset-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write bytes to a file in `dir` and return its path. */
export function writeTemp(dir: string, name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
