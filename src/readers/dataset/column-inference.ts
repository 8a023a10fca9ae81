import type { DatasetColumn, DatasetIssue, DatasetValue } from './types.js';

/*
 * Schema inference for formats that declare none (JSONL, JSON, CSV/TSV). A column's type is the merge of the
 * types of its non-null values: int64 and float64 merge to float64, anything else that differs to `mixed`.
 * Columns keep first-seen order. The number of names tracked is capped (maxColumns): rows of random keys must
 * not grow the schema without bound; reaching the cap is reported once as an issue.
 */

/** Array elements looked at to name a list's element type: the type is a summary, not a proof. */
const LIST_ELEMENTS_SAMPLED = 64;

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

/** The readable type of one value, shallow for nested ones (`list<struct>`, `struct`). */
export function valueTypeName(value: DatasetValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int64' : 'float64';
    case 'bigint':
      return 'int64';
    case 'string':
      return 'string';
    default:
      break;
  }
  if (value instanceof Uint8Array) return 'binary';
  if (value instanceof Date) return 'timestamp';
  if (Array.isArray(value)) {
    let element = 'null';
    const list = value as readonly DatasetValue[];
    const n = Math.min(list.length, LIST_ELEMENTS_SAMPLED);
    for (let i = 0; i < n; i++) element = mergeTypes(element, shallowTypeName(list[i] ?? null));
    return `list<${element}>`;
  }
  return 'struct';
}

function shallowTypeName(value: DatasetValue): string {
  if (Array.isArray(value)) return 'list';
  return valueTypeName(value);
}

/** The type of a CSV cell: CSV values stay strings, but the schema reports what they look like. */
export function textTypeName(text: string): string {
  if (text === '') return 'null';
  if (INTEGER.test(text)) return 'int64';
  if (FLOAT.test(text)) return 'float64';
  return 'string';
}

/** The type two sets of values share. */
export function mergeTypes(a: string, b: string): string {
  if (a === b) return a;
  if (a === 'null') return b;
  if (b === 'null') return a;
  if ((a === 'int64' && b === 'float64') || (a === 'float64' && b === 'int64')) return 'float64';
  if (a.startsWith('list<') && b.startsWith('list<')) return `list<${mergeTypes(a.slice(5, -1), b.slice(5, -1))}>`;
  return 'mixed';
}

/** Columns seen so far in first-seen order, with merged types. */
export class ColumnInference {
  private readonly types = new Map<string, string>();
  private full = false;

  constructor(
    private readonly maxColumns: number,
    private readonly issues: DatasetIssue[],
  ) {}

  /** Merge the columns of one row. */
  observe(row: { readonly [key: string]: DatasetValue }, textCells = false): void {
    for (const key of Object.keys(row)) {
      const value = row[key] ?? null;
      const type = textCells && typeof value === 'string' ? textTypeName(value) : valueTypeName(value);
      const known = this.types.get(key);
      if (known !== undefined) {
        if (known !== type) this.types.set(key, mergeTypes(known, type));
      } else if (this.types.size < this.maxColumns) {
        this.types.set(key, type);
      } else if (!this.full) {
        this.full = true;
        this.issues.push({
          kind: 'limit',
          limit: 'maxColumns',
          message: `more than ${this.maxColumns} distinct column names; the schema lists the first ${this.maxColumns} (rows are still read whole)`,
        });
      }
    }
  }

  /** Declare a column before any value is seen (a CSV header), so empty files still have a schema. */
  declare(name: string): void {
    if (!this.types.has(name) && this.types.size < this.maxColumns) this.types.set(name, 'null');
  }

  /** The columns as they stand. */
  columns(): DatasetColumn[] {
    return [...this.types].map(([name, type]) => ({ name, type }));
  }
}
