import { isUtf8 } from 'node:buffer';
import { ColumnInference } from './column-inference.js';
import type { BadRecord, DatasetEvent, DatasetIssue, DatasetLimits, DatasetRecord, DatasetValue } from './types.js';

/*
 * What every dataset reader shares while it reads one file: the running index (rows and bad rows both count,
 * so indices match the file), the inferred columns, the file-level issues and metadata. Readers produce events
 * only through row() and bad(), which keeps the "every row is a row or a bad event, indices in file order"
 * rule in one place.
 */

/** Characters of raw text kept in a bad record's excerpt: enough to find the row, short enough for a report. */
export const EXCERPT_CHARS = 120;

/**
 * Events handed from a reader to events() at a time. Readers produce events in batches (per chunk, per row
 * group slice) and events() hands them out one by one: one promise per event instead of one per generator
 * layer per event, which tripled the cost of reading small rows.
 */
export const EVENT_BATCH = 4096;

/** A plain object row, as JSON would give, whose keys may include `__proto__` as own data. */
export type RowObject = { [key: string]: DatasetValue };

/** State of one read of one dataset file. */
export class ReadState {
  /** Index the next event gets. */
  index = 0;
  readonly issues: DatasetIssue[] = [];
  readonly metadata: RowObject = {};
  readonly columns: ColumnInference;
  /** Set once a fatal bad event has been produced: nothing may follow it. */
  stopped = false;

  constructor(readonly limits: DatasetLimits) {
    this.columns = new ColumnInference(limits.maxColumns, this.issues);
  }

  /** A row event; the next index. */
  row(value: RowObject, where: Omit<DatasetRecord, 'index' | 'value'> = {}): DatasetEvent {
    const row: DatasetRecord = { index: this.index++, value, ...where };
    return { kind: 'row', row };
  }

  /** A bad row event; the next index (or the next `rows` indices, for a block). */
  bad(message: string, where: Omit<BadRecord, 'index' | 'message' | 'excerpt'> & { excerpt?: string } = {}): DatasetEvent {
    const bad: BadRecord = { index: this.index, message, excerpt: where.excerpt ?? '', ...where };
    this.index += where.rows !== undefined && where.rows > 0 ? where.rows : 1;
    if (where.fatal) this.stopped = true;
    return { kind: 'bad', bad };
  }

  /** Record a file-level problem. */
  issue(issue: DatasetIssue): void {
    this.issues.push(issue);
  }
}

/** The start of some raw text for a report: at most EXCERPT_CHARS characters, line breaks shown as `\n`. */
export function excerptOf(raw: string | Uint8Array): string {
  const text = typeof raw === 'string' ? raw.slice(0, EXCERPT_CHARS * 2) : Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, EXCERPT_CHARS * 4)).toString('utf8');
  const flat = text.replace(/\r?\n/g, '\\n').replace(/\t/g, '\\t');
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

/** Set a field as own data, even when the key is `__proto__` (plain assignment would replace the prototype). */
export function setField(row: RowObject, key: string, value: DatasetValue): void {
  if (key === '__proto__') Object.defineProperty(row, key, { value, enumerable: true, writable: true, configurable: true });
  else row[key] = value;
}

/** Whether bytes are valid UTF-8 (simdutf in Node; the decoder would silently replace bad sequences). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}

/** Decode bytes known to be valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * Whether a value nests deeper than `max` (arrays and objects each add a level; the row object itself is
 * level 1). Iterative, so a hostile depth cannot overflow the stack while it is being measured.
 */
export function nestsDeeperThan(value: DatasetValue, max: number): boolean {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return false;
  const stack: [DatasetValue, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (depth > max) return true;
    const children: readonly DatasetValue[] = Array.isArray(current) ? (current as readonly DatasetValue[]) : Object.values(current as object);
    for (const child of children) {
      if (child !== null && typeof child === 'object' && !(child instanceof Uint8Array) && !(child instanceof Date)) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Whether a parsed JSON value is an object that can be a row as it is. */
export function isRowObject(value: unknown): value is RowObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Concatenate collected parts, without a copy when there is one. */
export function joinParts(parts: readonly Buffer[], total: number): Buffer {
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts as Buffer[], total);
}
