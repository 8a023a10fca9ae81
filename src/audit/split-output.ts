import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../core/errors.js';
import { openDataset } from '../readers/dataset/open-dataset.js';
import type { DatasetFormat, DatasetValue } from '../readers/dataset/types.js';
import type { AuditResult, AuditRow } from './result.js';

/*
 * `--quarantine FILE` and `--clean FILE`: every row of every input goes to exactly one of them, so the two
 * counts add up to the input (nothing is lost: a row that could not be read is quarantined with the
 * reader's excerpt). The inputs are read a second time, streaming, instead of being held in memory from
 * the audit: memory stays bounded whatever the dataset's size.
 *
 * Formats: with one JSONL, JSON, CSV or TSV input, the clean file keeps that format and each row's exact
 * bytes (a clean row is the row as it was, not a re-serialisation); the quarantine file keeps the format
 * too, each row with its reasons added (a `_antidote` member for JSON, an `_antidote` column for CSV/TSV).
 * Parquet and Arrow inputs, and several inputs, give JSONL: one object per row, the quarantined ones with
 * `_antidote`.
 */

/** What was written. */
export interface SplitCounts {
  inputRows: number;
  quarantined: number;
  clean: number;
}

/** The reasons a quarantined row carries. */
interface QuarantineNote {
  path: string;
  row: number;
  line?: number;
  score: number;
  reasons: { rule: string; score: number; message: string; trigger?: string }[];
  unreadable?: boolean;
  excerpt?: string;
}

type OutputFormat = 'jsonl' | 'json' | 'csv' | 'tsv';

/** Buffered writer to a file descriptor; errors become OUTPUT_UNWRITABLE naming the file. */
class OutputFile {
  private readonly fd: number;
  private buffer: Buffer[] = [];
  private size = 0;
  rows = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw new AntidoteError('OUTPUT_UNWRITABLE', `${path}: cannot write (${errorMessage(error)})`, { cause: error });
    }
  }

  write(data: string | Uint8Array): void {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.buffer.push(chunk);
    this.size += chunk.length;
    if (this.size >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    try {
      writeSync(this.fd, Buffer.concat(this.buffer, this.size));
    } catch (error) {
      throw new AntidoteError('OUTPUT_UNWRITABLE', `${this.path}: cannot write (${errorMessage(error)})`, { cause: error });
    }
    this.buffer = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Write the flagged rows of `result` to `quarantinePath` and the others to `cleanPath` (either may be
 * absent), re-reading every input in file order. Throws when a file reads differently the second time.
 */
export async function writeSplit(result: AuditResult, inputs: readonly { path: string; format: DatasetFormat }[], quarantinePath?: string, cleanPath?: string): Promise<SplitCounts> {
  const single = inputs.length === 1 ? inputs[0]!.format : undefined;
  const format: OutputFormat = single === 'json' || single === 'csv' || single === 'tsv' || single === 'jsonl' ? single : 'jsonl';
  const quarantine = quarantinePath !== undefined ? new OutputFile(quarantinePath) : undefined;
  const clean = cleanPath !== undefined ? new OutputFile(cleanPath) : undefined;
  const counts: SplitCounts = { inputRows: 0, quarantined: 0, clean: 0 };
  try {
    const header = format === 'csv' || format === 'tsv' ? firstLine(inputs[0]!.path) : '';
    const separator = format === 'tsv' ? '\t' : ',';
    if (header !== '') {
      clean?.write(`${header}\n`);
      quarantine?.write(`${header}${separator}_antidote\n`);
    }
    if (format === 'json') {
      clean?.write('[\n');
      quarantine?.write('[\n');
    }
    for (const input of inputs) {
      const flagged = new Map<number, AuditRow>();
      for (const row of result.rows) if (row.path === input.path && row.flagged) flagged.set(row.row, row);
      const file = result.files.find((f) => f.path === input.path);
      const opened = await openDataset(input.path, { format: input.format });
      if (!opened.ok) throw new AntidoteError('INPUT_UNREADABLE', `${input.path}: ${opened.error.message}`);
      let rows = 0;
      for await (const event of opened.value.events()) {
        if (event.kind === 'bad') {
          const count = Math.max(1, event.bad.rows ?? 1);
          for (let i = 0; i < count; i++) {
            const index = event.bad.index + i;
            const note: QuarantineNote = noteFor(input.path, index, flagged.get(index), event.bad.line, { unreadable: true, excerpt: event.bad.excerpt });
            if (quarantine) writeRow(quarantine, format, undefined, undefined, note, separator);
            counts.quarantined++;
          }
          rows += count;
          continue;
        }
        const { row } = event;
        rows++;
        const verdict = flagged.get(row.index);
        if (verdict) {
          if (quarantine) writeRow(quarantine, format, row.value, row.raw, noteFor(input.path, row.index, verdict, row.line), separator);
          counts.quarantined++;
        } else {
          if (clean) writeRow(clean, format, row.value, row.raw, undefined, separator);
          counts.clean++;
        }
      }
      if (file && rows !== file.rows) {
        throw new AntidoteError('INPUT_UNREADABLE', `${input.path}: read ${rows} rows the second time, ${file.rows} during the audit (did the file change?)`);
      }
      counts.inputRows += rows;
    }
    if (format === 'json') {
      clean?.write('\n]\n');
      quarantine?.write('\n]\n');
    }
  } finally {
    quarantine?.close();
    clean?.close();
  }
  return counts;
}

function noteFor(path: string, row: number, verdict: AuditRow | undefined, line: number | undefined, extra: Partial<QuarantineNote> = {}): QuarantineNote {
  return {
    path,
    row,
    ...(line !== undefined ? { line } : {}),
    score: verdict?.score ?? 1,
    reasons: verdict?.reasons ?? [],
    ...extra,
  };
}

/** JSON members written so far per output file (for the commas of a JSON array). */
const written = new WeakMap<OutputFile, number>();

function writeRow(out: OutputFile, format: OutputFormat, value: { readonly [key: string]: DatasetValue } | undefined, raw: Uint8Array | undefined, note: QuarantineNote | undefined, separator: string): void {
  const count = written.get(out) ?? 0;
  written.set(out, count + 1);
  out.rows++;
  if (format === 'csv' || format === 'tsv') {
    const body = raw !== undefined ? Buffer.from(raw).toString('utf8') : '';
    out.write(note ? `${body}${separator}${csvField(JSON.stringify(note), separator)}\n` : `${body}\n`);
    return;
  }
  let text: string;
  if (note === undefined && raw !== undefined) text = Buffer.from(raw).toString('utf8').trim();
  else if (note === undefined) text = JSON.stringify(jsonValue(value ?? {}));
  else text = JSON.stringify({ ...(jsonValue(value ?? {}) as Record<string, unknown>), _antidote: note });
  if (format === 'json') out.write(`${count > 0 ? ',\n' : ''}${text}`);
  else out.write(`${text}\n`);
}

/** Quote a CSV/TSV field when it holds the separator, a quote or a line break (RFC 4180). */
function csvField(text: string, separator: string): string {
  return text.includes(separator) || text.includes('"') || text.includes('\n') ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Dataset values as JSON: bigints as strings when unsafe, bytes as base64, dates as ISO strings. */
function jsonValue(value: DatasetValue): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return (value as readonly DatasetValue[]).map(jsonValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, DatasetValue>).map(([k, v]) => [k, jsonValue(v)]));
  return value;
}

/** The header line of a CSV/TSV file (bytes up to the first line break, without a byte-order mark). */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 16);
    const bytes = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytes).toString('utf8');
    const end = text.search(/\r?\n/);
    return (end >= 0 ? text.slice(0, end) : text).replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
}
