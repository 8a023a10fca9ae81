import { excerptOf, setField, type RowObject } from './read-state.js';
import type { DatasetValue } from './types.js';

/*
 * Columnar libraries (hyparquet, apache-arrow) hand back their own value shapes: typed arrays, Maps, row
 * proxies, Vectors. Rows leave antidote's readers as DatasetValue only, so consumers never meet a library type.
 */

/** A cell a decoder could not turn into a value (bad UTF-8 in a string column, bad JSON in a JSON column). */
export class UnreadableCell {
  constructor(
    readonly reason: string,
    readonly bytes: Uint8Array,
  ) {}
}

/** What went wrong with a row's cells, filled in by convertCell. */
export interface CellProblem {
  message?: string;
  field?: string;
  excerpt?: string;
}

/**
 * Convert a library value to a DatasetValue. Nested values deeper than `maxDepth` and unreadable cells set
 * `problem` (the row becomes a bad row) instead of converting; recursion never goes past `maxDepth`.
 */
export function convertCell(value: unknown, maxDepth: number, problem: CellProblem, field: string, depth = 2): DatasetValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'boolean':
    case 'number':
    case 'string':
    case 'bigint':
      return value;
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof UnreadableCell) {
    problem.message ??= value.reason;
    problem.field ??= field;
    problem.excerpt ??= excerptOf(value.bytes);
    return null;
  }
  if (value instanceof Date) return value;
  if (value instanceof Uint8Array && !(value instanceof Uint8ClampedArray)) return value;
  if (depth > maxDepth) {
    problem.message ??= `nests deeper than ${maxDepth} levels (maxNestingDepth)`;
    problem.field ??= field;
    return null;
  }
  if (ArrayBuffer.isView(value)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>);
  }
  if (Array.isArray(value)) {
    const out: DatasetValue[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = convertCell(value[i], maxDepth, problem, field, depth + 1);
    return out;
  }
  if (value instanceof Map) {
    const out: RowObject = {};
    for (const [key, entry] of value) setField(out, String(key), convertCell(entry, maxDepth, problem, field, depth + 1));
    return out;
  }
  const iterable = value as { toArray?: () => unknown; toJSON?: () => unknown; [Symbol.iterator]?: unknown };
  if (typeof iterable.toJSON === 'function' && !(Symbol.iterator in (value as object))) {
    // apache-arrow StructRow: toJSON gives its fields as a plain object.
    return convertCell(iterable.toJSON(), maxDepth, problem, field, depth);
  }
  if (typeof iterable[Symbol.iterator] === 'function' && typeof iterable.toArray === 'function') {
    // apache-arrow Vector (list cells) and MapRow.
    return convertCell(Array.from(value as Iterable<unknown>), maxDepth, problem, field, depth);
  }
  const out: RowObject = {};
  for (const key of Object.keys(value)) setField(out, key, convertCell((value as Record<string, unknown>)[key], maxDepth, problem, field, depth + 1));
  return out;
}
